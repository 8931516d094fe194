/* SPDX-License-Identifier: MIT */
/*
 * vhu_features.h - the feature-bit tables and the device types.
 *
 * A feature bit is one row of a bit table in vhu_features.c: its name, its
 * filter suffix and its historical name.  The filter fields of every named
 * bit are generated from these tables by vhu_fields_init().
 */
#ifndef VHU_FEATURES_H
#define VHU_FEATURES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A named bit of a flag word (features, protocol features, status ...). */
struct vhu_bit {
	uint8_t bit;
	const char *name;	/* e.g. VIRTIO_F_RING_PACKED */
	const char *abbrev;	/* filter suffix below the word, e.g. ring_packed */
	const char *alias;	/* historical name (SLAVE_*, F_MTU ...), or NULL */
};

/* Device types, inferred from the command lines or forced by the user. */
enum vhu_device {
	VHU_DEV_UNKNOWN = 0, VHU_DEV_NET, VHU_DEV_BLK, VHU_DEV_FS, VHU_DEV_VSOCK,
	VHU_DEV_SCSI, VHU_DEV_GPU, VHU_DEV_INPUT, VHU_DEV_CRYPTO, VHU_DEV_CONSOLE,
	VHU_DEV_RNG, VHU_DEV_I2C, VHU_DEV_GPIO, VHU_DEV_SOUND, VHU_DEV_SCMI,
	VHU_DEV__COUNT
};

struct vhu_bit_table {
	const char *word;	/* filter prefix, e.g. "features" */
	const struct vhu_bit *bits;	/* terminated by name == NULL */
};
extern const struct vhu_bit vhu_bits_transport[];	/* virtio bits 24..41 */
extern const struct vhu_bit vhu_bits_protocol[];	/* protocol features */
extern const struct vhu_bit vhu_bits_status[];		/* virtio device status */
extern const struct vhu_bit vhu_bits_gpu_protocol[];
/* Device-specific feature bits (0-23 and a few high ones) by device type. */
const struct vhu_bit *vhu_device_bits(unsigned device);
/* "net", "blk" ...: what the decoder prints and its --device option takes. */
const char *vhu_device_name(unsigned device);
/* All bit tables, for vhu_fields_init(): prefix + table, NULL-terminated. */
extern const struct vhu_bit_table vhu_all_bit_tables[];

/* Name of a feature bit given the device type ("" if unnamed). */
const char *vhu_feature_name(unsigned device, unsigned bit);
const char *vhu_pfeature_name(unsigned bit);

#ifdef __cplusplus
}
#endif
#endif
