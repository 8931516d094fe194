/* SPDX-License-Identifier: MIT */
/*
 * \summary: the feature-bit tables (virtio transport, vhost-user protocol,
 * device status, vhost-user-gpu protocol, and each device's own bits) and
 * the device table.  Source: QEMU docs/interop/vhost-user.rst (section
 * "Protocol features"), docs/interop/vhost-user-gpu.rst, and virtio 1.3
 * for the device feature bits.
 */
#include "vhu_features.h"

#include <stddef.h>

#define B(n, name, ab) { n, name, ab, NULL }
#define BA(n, name, ab, alias) { n, name, ab, alias }
#define B_END { 0, NULL, NULL, NULL }

const struct vhu_bit vhu_bits_transport[] = {
	B(24, "VIRTIO_F_NOTIFY_ON_EMPTY", "notify_on_empty"),
	B(26, "VHOST_F_LOG_ALL", "log_all"),
	B(27, "VIRTIO_F_ANY_LAYOUT", "any_layout"),
	B(28, "VIRTIO_F_RING_INDIRECT_DESC", "indirect_desc"),
	B(29, "VIRTIO_F_RING_EVENT_IDX", "event_idx"),
	B(30, "VHOST_USER_F_PROTOCOL_FEATURES", "protocol_features"),
	B(32, "VIRTIO_F_VERSION_1", "version_1"),
	BA(33, "VIRTIO_F_ACCESS_PLATFORM", "access_platform", "VIRTIO_F_IOMMU_PLATFORM"),
	B(34, "VIRTIO_F_RING_PACKED", "ring_packed"),
	B(35, "VIRTIO_F_IN_ORDER", "in_order"),
	B(36, "VIRTIO_F_ORDER_PLATFORM", "order_platform"),
	B(37, "VIRTIO_F_SR_IOV", "sr_iov"),
	B(38, "VIRTIO_F_NOTIFICATION_DATA", "notification_data"),
	B(39, "VIRTIO_F_NOTIF_CONFIG_DATA", "notif_config_data"),
	B(40, "VIRTIO_F_RING_RESET", "ring_reset"),
	B(41, "VIRTIO_F_ADMIN_VQ", "admin_vq"),
	B_END
};

const struct vhu_bit vhu_bits_protocol[] = {
	B(0, "VHOST_USER_PROTOCOL_F_MQ", "mq"),
	B(1, "VHOST_USER_PROTOCOL_F_LOG_SHMFD", "log_shmfd"),
	B(2, "VHOST_USER_PROTOCOL_F_RARP", "rarp"),
	B(3, "VHOST_USER_PROTOCOL_F_REPLY_ACK", "reply_ack"),
	BA(4, "VHOST_USER_PROTOCOL_F_NET_MTU", "net_mtu", "VHOST_USER_PROTOCOL_F_MTU"),
	BA(5, "VHOST_USER_PROTOCOL_F_BACKEND_REQ", "backend_req", "VHOST_USER_PROTOCOL_F_SLAVE_REQ"),
	B(6, "VHOST_USER_PROTOCOL_F_CROSS_ENDIAN", "cross_endian"),
	B(7, "VHOST_USER_PROTOCOL_F_CRYPTO_SESSION", "crypto_session"),
	B(8, "VHOST_USER_PROTOCOL_F_PAGEFAULT", "pagefault"),
	B(9, "VHOST_USER_PROTOCOL_F_CONFIG", "config"),
	BA(10, "VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD", "backend_send_fd", "VHOST_USER_PROTOCOL_F_SLAVE_SEND_FD"),
	B(11, "VHOST_USER_PROTOCOL_F_HOST_NOTIFIER", "host_notifier"),
	B(12, "VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD", "inflight_shmfd"),
	B(13, "VHOST_USER_PROTOCOL_F_RESET_DEVICE", "reset_device"),
	B(14, "VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS", "inband_notifications"),
	B(15, "VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS", "configure_mem_slots"),
	B(16, "VHOST_USER_PROTOCOL_F_STATUS", "status"),
	B(17, "VHOST_USER_PROTOCOL_F_XEN_MMAP", "xen_mmap"),
	B(18, "VHOST_USER_PROTOCOL_F_SHARED_OBJECT", "shared_object"),
	B(19, "VHOST_USER_PROTOCOL_F_DEVICE_STATE", "device_state"),
	B(20, "VHOST_USER_PROTOCOL_F_GET_VRING_BASE_INFLIGHT", "get_vring_base_inflight"),
	B(21, "VHOST_USER_PROTOCOL_F_GPA_ADDRESSES", "gpa_addresses"),
	BA(22, "VHOST_USER_PROTOCOL_F_SHMEM", "shmem", "VHOST_USER_PROTOCOL_F_SHMEM_MAP"),
	B(23, "VHOST_USER_PROTOCOL_F_GET_VRING_BASE_SKIP_DRAIN", "get_vring_base_skip_drain"),
	B_END
};

const struct vhu_bit vhu_bits_status[] = {
	B(0, "ACKNOWLEDGE", "acknowledge"),
	B(1, "DRIVER", "driver"),
	B(2, "DRIVER_OK", "driver_ok"),
	B(3, "FEATURES_OK", "features_ok"),
	B(6, "DEVICE_NEEDS_RESET", "device_needs_reset"),
	B(7, "FAILED", "failed"),
	B_END
};

const struct vhu_bit vhu_bits_gpu_protocol[] = {
	B(0, "VHOST_USER_GPU_PROTOCOL_F_EDID", "edid"),
	B(1, "VHOST_USER_GPU_PROTOCOL_F_DMABUF2", "dmabuf2"),
	B_END
};

/* Device-specific bits (virtio 1.3, section 5.x "Feature bits"). */
static const struct vhu_bit bits_net[] = {
	B(0, "VIRTIO_NET_F_CSUM", "csum"),
	B(1, "VIRTIO_NET_F_GUEST_CSUM", "guest_csum"),
	B(2, "VIRTIO_NET_F_CTRL_GUEST_OFFLOADS", "ctrl_guest_offloads"),
	B(3, "VIRTIO_NET_F_MTU", "mtu"),
	B(5, "VIRTIO_NET_F_MAC", "mac"),
	B(6, "VIRTIO_NET_F_GSO", "gso"),
	B(7, "VIRTIO_NET_F_GUEST_TSO4", "guest_tso4"),
	B(8, "VIRTIO_NET_F_GUEST_TSO6", "guest_tso6"),
	B(9, "VIRTIO_NET_F_GUEST_ECN", "guest_ecn"),
	B(10, "VIRTIO_NET_F_GUEST_UFO", "guest_ufo"),
	B(11, "VIRTIO_NET_F_HOST_TSO4", "host_tso4"),
	B(12, "VIRTIO_NET_F_HOST_TSO6", "host_tso6"),
	B(13, "VIRTIO_NET_F_HOST_ECN", "host_ecn"),
	B(14, "VIRTIO_NET_F_HOST_UFO", "host_ufo"),
	B(15, "VIRTIO_NET_F_MRG_RXBUF", "mrg_rxbuf"),
	B(16, "VIRTIO_NET_F_STATUS", "status"),
	B(17, "VIRTIO_NET_F_CTRL_VQ", "ctrl_vq"),
	B(18, "VIRTIO_NET_F_CTRL_RX", "ctrl_rx"),
	B(19, "VIRTIO_NET_F_CTRL_VLAN", "ctrl_vlan"),
	B(20, "VIRTIO_NET_F_CTRL_RX_EXTRA", "ctrl_rx_extra"),
	B(21, "VIRTIO_NET_F_GUEST_ANNOUNCE", "guest_announce"),
	B(22, "VIRTIO_NET_F_MQ", "mq"),
	B(23, "VIRTIO_NET_F_CTRL_MAC_ADDR", "ctrl_mac_addr"),
	B(54, "VIRTIO_NET_F_GUEST_USO4", "guest_uso4"),
	B(55, "VIRTIO_NET_F_GUEST_USO6", "guest_uso6"),
	B(56, "VIRTIO_NET_F_HOST_USO", "host_uso"),
	B(57, "VIRTIO_NET_F_HASH_REPORT", "hash_report"),
	B(59, "VIRTIO_NET_F_GUEST_HDRLEN", "guest_hdrlen"),
	B(60, "VIRTIO_NET_F_RSS", "rss"),
	B(61, "VIRTIO_NET_F_RSC_EXT", "rsc_ext"),
	B(62, "VIRTIO_NET_F_STANDBY", "standby"),
	B(63, "VIRTIO_NET_F_SPEED_DUPLEX", "speed_duplex"),
	B_END
};

static const struct vhu_bit bits_blk[] = {
	B(0, "VIRTIO_BLK_F_BARRIER", "barrier"),
	B(1, "VIRTIO_BLK_F_SIZE_MAX", "size_max"),
	B(2, "VIRTIO_BLK_F_SEG_MAX", "seg_max"),
	B(4, "VIRTIO_BLK_F_GEOMETRY", "geometry"),
	B(5, "VIRTIO_BLK_F_RO", "ro"),
	B(6, "VIRTIO_BLK_F_BLK_SIZE", "blk_size"),
	B(7, "VIRTIO_BLK_F_SCSI", "scsi"),
	B(9, "VIRTIO_BLK_F_FLUSH", "flush"),
	B(10, "VIRTIO_BLK_F_TOPOLOGY", "topology"),
	B(11, "VIRTIO_BLK_F_CONFIG_WCE", "config_wce"),
	B(12, "VIRTIO_BLK_F_MQ", "mq"),
	B(13, "VIRTIO_BLK_F_DISCARD", "discard"),
	B(14, "VIRTIO_BLK_F_WRITE_ZEROES", "write_zeroes"),
	B(15, "VIRTIO_BLK_F_LIFETIME", "lifetime"),
	B(16, "VIRTIO_BLK_F_SECURE_ERASE", "secure_erase"),
	B(17, "VIRTIO_BLK_F_ZONED", "zoned"),
	B_END
};

static const struct vhu_bit bits_fs[] = {
	B(0, "VIRTIO_FS_F_NOTIFICATION", "notification"),
	B_END
};

static const struct vhu_bit bits_vsock[] = {
	B(0, "VIRTIO_VSOCK_F_STREAM", "stream"),
	B(1, "VIRTIO_VSOCK_F_SEQPACKET", "seqpacket"),
	B_END
};

static const struct vhu_bit bits_scsi[] = {
	B(0, "VIRTIO_SCSI_F_INOUT", "inout"),
	B(1, "VIRTIO_SCSI_F_HOTPLUG", "hotplug"),
	B(2, "VIRTIO_SCSI_F_CHANGE", "change"),
	B(3, "VIRTIO_SCSI_F_T10_PI", "t10_pi"),
	B_END
};

static const struct vhu_bit bits_gpu[] = {
	B(0, "VIRTIO_GPU_F_VIRGL", "virgl"),
	B(1, "VIRTIO_GPU_F_EDID", "edid"),
	B(2, "VIRTIO_GPU_F_RESOURCE_UUID", "resource_uuid"),
	B(3, "VIRTIO_GPU_F_RESOURCE_BLOB", "resource_blob"),
	B(4, "VIRTIO_GPU_F_CONTEXT_INIT", "context_init"),
	B_END
};

static const struct vhu_bit bits_crypto[] = {
	B(0, "VIRTIO_CRYPTO_F_REVISION_1", "revision_1"),
	B(1, "VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE", "cipher_stateless_mode"),
	B(2, "VIRTIO_CRYPTO_F_HASH_STATELESS_MODE", "hash_stateless_mode"),
	B(3, "VIRTIO_CRYPTO_F_MAC_STATELESS_MODE", "mac_stateless_mode"),
	B(4, "VIRTIO_CRYPTO_F_AEAD_STATELESS_MODE", "aead_stateless_mode"),
	B_END
};

static const struct vhu_bit bits_console[] = {
	B(0, "VIRTIO_CONSOLE_F_SIZE", "size"),
	B(1, "VIRTIO_CONSOLE_F_MULTIPORT", "multiport"),
	B(2, "VIRTIO_CONSOLE_F_EMERG_WRITE", "emerg_write"),
	B_END
};

static const struct vhu_bit bits_i2c[] = {
	B(0, "VIRTIO_I2C_F_ZERO_LENGTH_REQUEST", "zero_length_request"),
	B_END
};

static const struct vhu_bit bits_gpio[] = {
	B(0, "VIRTIO_GPIO_F_IRQ", "irq"),
	B_END
};

static const struct vhu_bit bits_scmi[] = {
	B(0, "VIRTIO_SCMI_F_P2A_CHANNELS", "p2a_channels"),
	B(1, "VIRTIO_SCMI_F_SHARED_MEMORY", "shared_memory"),
	B_END
};

static const struct vhu_bit bits_none[] = { B_END };

struct device_row {
	const char *name;
	const struct vhu_bit *bits;
};

static const struct device_row devices[VHU_DEV__COUNT] = {
	[VHU_DEV_UNKNOWN] = { "unknown", bits_none },
	[VHU_DEV_NET] = { "net", bits_net },
	[VHU_DEV_BLK] = { "blk", bits_blk },
	[VHU_DEV_FS] = { "fs", bits_fs },
	[VHU_DEV_VSOCK] = { "vsock", bits_vsock },
	[VHU_DEV_SCSI] = { "scsi", bits_scsi },
	[VHU_DEV_GPU] = { "gpu", bits_gpu },
	[VHU_DEV_INPUT] = { "input", bits_none },
	[VHU_DEV_CRYPTO] = { "crypto", bits_crypto },
	[VHU_DEV_CONSOLE] = { "console", bits_console },
	[VHU_DEV_RNG] = { "rng", bits_none },
	[VHU_DEV_I2C] = { "i2c", bits_i2c },
	[VHU_DEV_GPIO] = { "gpio", bits_gpio },
	[VHU_DEV_SOUND] = { "sound", bits_none },
	[VHU_DEV_SCMI] = { "scmi", bits_scmi },
};

const struct vhu_bit *vhu_device_bits(unsigned device)
{
	return device < VHU_DEV__COUNT ? devices[device].bits : bits_none;
}

const char *vhu_device_name(unsigned device)
{
	return device < VHU_DEV__COUNT ? devices[device].name : "unknown";
}

const struct vhu_bit_table vhu_all_bit_tables[] = {
	{ "features", vhu_bits_transport },
	{ "features.net", bits_net },
	{ "features.blk", bits_blk },
	{ "features.fs", bits_fs },
	{ "features.vsock", bits_vsock },
	{ "features.scsi", bits_scsi },
	{ "features.gpu", bits_gpu },
	{ "features.crypto", bits_crypto },
	{ "features.console", bits_console },
	{ "features.i2c", bits_i2c },
	{ "features.gpio", bits_gpio },
	{ "features.scmi", bits_scmi },
	{ "protocol_features", vhu_bits_protocol },
	{ "status", vhu_bits_status },
	{ "gpu.protocol_features", vhu_bits_gpu_protocol },
	{ NULL, NULL }
};

static const char *bit_name(const struct vhu_bit *t, unsigned bit)
{
	for (; t->name; t++)
		if (t->bit == bit)
			return t->name;
	return "";
}

const char *vhu_feature_name(unsigned device, unsigned bit)
{
	const char *n = bit_name(vhu_bits_transport, bit);

	if (!*n)
		n = bit_name(vhu_device_bits(device), bit);
	return n;
}

const char *vhu_pfeature_name(unsigned bit)
{
	return bit_name(vhu_bits_protocol, bit);
}
