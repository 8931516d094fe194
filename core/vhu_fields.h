/* SPDX-License-Identifier: MIT */
/*
 * vhu_fields.h - every field the dissection trees show, described once.
 *
 * The plugin turns this table into its hf_register_info array (the filter
 * name is "vhost_user." followed by the abbrev), the decoder uses the same
 * labels and abbrevs for -V and JSON output.  Feature-bit fields (one per
 * named bit of each bit table in vhu_features.c) are appended after the
 * static fields by vhu_fields_init().
 */
#ifndef VHU_FIELDS_H
#define VHU_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "vhu_features.h"

#ifdef __cplusplus
extern "C" {
#endif

enum vhu_ftype {
	VHU_FT_NONE,		/* text-only node (a subtree label) */
	VHU_FT_PROTOCOL,	/* a protocol's root item */
	VHU_FT_U8, VHU_FT_U16, VHU_FT_U32, VHU_FT_U64,
	VHU_FT_I32, VHU_FT_I64,
	VHU_FT_BOOL,		/* a bit of a flag word; width = parent's bits */
	VHU_FT_BYTES,
	VHU_FT_STRING,
	VHU_FT_FRAME_REQ,	/* frame number of the request */
	VHU_FT_FRAME_RESP,	/* frame number of the response */
	VHU_FT_RELTIME		/* nanoseconds */
};

enum vhu_base {
	VHU_BASE_NONE, VHU_BASE_DEC, VHU_BASE_HEX, VHU_BASE_DEC_HEX, VHU_BASE_HEX_DEC
};

struct vhu_val {
	uint64_t value;
	const char *name;
};

struct vhu_field {
	const char *abbrev;	/* filter name below "vhost_user." */
	const char *label;
	enum vhu_ftype type;
	enum vhu_base base;	/* for VHU_FT_BOOL: width of the parent in bits */
	const struct vhu_val *vals;
	uint64_t mask;
	const char *blurb;
};

/* The record dissector's protocol and the vhost-user protocol. */
#define VHU_PROTO_NAME "vhost-user"
#define VHU_PROTO_SHORT "vhost-user"
#define VHU_PROTO_FILTER "vhost_user"
#define VHU_REC_PROTO_NAME "vhost-user capture record"
#define VHU_REC_PROTO_SHORT "vhost-user-rec"
#define VHU_REC_PROTO_FILTER "vhost_user_rec"

/*
 * X(id, abbrev, label, type, base, vals, mask)
 * Record fields have abbrevs starting with "rec." and are registered by the
 * plugin under the vhost_user_rec protocol with that prefix dropped:
 * "rec.pid" becomes vhost_user_rec.pid.
 */
#define VHU_FIELD_LIST(X) \
	/* ---- capture record ---- */ \
	X(REC_EVENT, "rec.event", "Event", U8, DEC, vhu_vals_event, 0) \
	X(REC_CALL, "rec.call", "Call", U16, DEC, vhu_vals_call, 0) \
	X(REC_PID, "rec.pid", "Process ID", U32, DEC, NULL, 0) \
	X(REC_TID, "rec.tid", "Thread ID", U32, DEC, NULL, 0) \
	X(REC_COMM, "rec.comm", "Process name", STRING, NONE, NULL, 0) \
	X(REC_CONN, "rec.conn", "Connection", STRING, NONE, NULL, 0) \
	X(REC_CONN_ID, "rec.conn_id", "Connection ID", U64, HEX, NULL, 0) \
	X(REC_FD, "rec.fd", "File descriptor", I32, DEC, NULL, 0) \
	X(REC_FLAGS, "rec.flags", "Record flags", U16, HEX, NULL, 0) \
	X(REC_FLAG_PEEK, "rec.flags.peek", "MSG_PEEK", BOOL, 16, NULL, 0x0001) \
	X(REC_FLAG_TRUNC, "rec.flags.trunc", "MSG_TRUNC", BOOL, 16, NULL, 0x0002) \
	X(REC_FLAG_CTRUNC, "rec.flags.ctrunc", "MSG_CTRUNC (fds dropped)", BOOL, 16, NULL, 0x0004) \
	X(REC_FLAG_SHORT, "rec.flags.short", "Short transfer", BOOL, 16, NULL, 0x0008) \
	X(REC_FLAG_CUT, "rec.flags.cut", "Data cut in the capture", BOOL, 16, NULL, 0x0010) \
	X(REC_FLAG_LOST, "rec.flags.lost", "Records lost before this one", BOOL, 16, NULL, 0x0020) \
	X(REC_CHANNEL, "rec.channel", "Channel", U8, DEC, vhu_vals_channel, 0) \
	X(REC_ROLE, "rec.role", "Role of the recording process", U8, DEC, vhu_vals_role, 0) \
	X(REC_BYTE_ORDER, "rec.byte_order", "Payload byte order", U8, DEC, vhu_vals_byte_order, 0) \
	X(REC_NFDS, "rec.nfds", "Passed fds", U8, DEC, NULL, 0) \
	X(REC_ORIG_LEN, "rec.orig_len", "Bytes moved by the call", U32, DEC, NULL, 0) \
	X(REC_DATA_LEN, "rec.data_len", "Bytes in the record", U32, DEC, NULL, 0) \
	X(REC_FDINFO, "rec.fdinfo", "Passed fd", NONE, NONE, NULL, 0) \
	X(REC_FD_NUM, "rec.fdinfo.num", "Number", I32, DEC, NULL, 0) \
	X(REC_FD_KIND, "rec.fdinfo.kind", "Kind", U8, DEC, vhu_vals_fd_kind, 0) \
	X(REC_FD_NAME, "rec.fdinfo.name", "Name", STRING, NONE, NULL, 0) \
	X(REC_FD_DEV, "rec.fdinfo.dev", "Device", U64, HEX, NULL, 0) \
	X(REC_FD_INO, "rec.fdinfo.inode", "Inode", U64, DEC, NULL, 0) \
	X(REC_FD_SIZE, "rec.fdinfo.size", "Size", U64, DEC, NULL, 0) \
	X(REC_FD_MODE, "rec.fdinfo.mode", "Mode", U32, HEX, NULL, 0) \
	X(REC_PATH, "rec.path", "Socket path", STRING, NONE, NULL, 0) \
	X(REC_PEER_PID, "rec.peer.pid", "Peer process ID", U32, DEC, NULL, 0) \
	X(REC_PEER_UID, "rec.peer.uid", "Peer user ID", U32, DEC, NULL, 0) \
	X(REC_PEER_GID, "rec.peer.gid", "Peer group ID", U32, DEC, NULL, 0) \
	X(REC_CMDLINE, "rec.cmdline", "Command line", STRING, NONE, NULL, 0) \
	X(REC_PPID, "rec.ppid", "Parent process ID", U32, DEC, NULL, 0) \
	X(REC_LINK, "rec.link", "Arrived over connection", STRING, NONE, NULL, 0) \
	X(REC_ORIGIN, "rec.origin", "Recorded by", U8, DEC, vhu_vals_origin, 0) \
	X(REC_SEQ, "rec.seq", "Record number on the fd", U32, DEC, NULL, 0) \
	X(REC_MALFORMED, "rec.malformed", "Malformed record", STRING, NONE, NULL, 0) \
	/* ---- vhost-user header ---- */ \
	X(REQUEST, "request", "Request", U32, DEC, vhu_vals_fe_req, 0) \
	X(BACKEND_REQUEST, "backend_request", "Back-end request", U32, DEC, vhu_vals_be_req, 0) \
	X(GPU_REQUEST, "gpu_request", "GPU request", U32, DEC, vhu_vals_gpu_req, 0) \
	X(FLAGS, "flags", "Flags", U32, HEX, NULL, 0) \
	X(FLAGS_VERSION, "flags.version", "Version", U32, DEC, NULL, 0x3) \
	X(FLAGS_REPLY, "flags.reply", "Reply", BOOL, 32, NULL, 0x4) \
	X(FLAGS_NEED_REPLY, "flags.need_reply", "Need reply", BOOL, 32, NULL, 0x8) \
	X(FLAGS_RESERVED, "flags.reserved", "Reserved", U32, HEX, NULL, 0xfffffff0) \
	X(SIZE, "size", "Payload size", U32, DEC, NULL, 0) \
	X(PAYLOAD, "payload", "Payload", BYTES, NONE, NULL, 0) \
	X(NFDS, "nfds", "File descriptors", U32, DEC, NULL, 0) \
	X(FD, "fd", "File descriptor", NONE, NONE, NULL, 0) \
	X(FD_KIND, "fd.kind", "Kind", U8, DEC, vhu_vals_fd_kind, 0) \
	X(FD_NAME, "fd.name", "Name", STRING, NONE, NULL, 0) \
	X(FD_INO, "fd.inode", "Inode", U64, DEC, NULL, 0) \
	X(RESPONSE_IN, "response_in", "Response in", FRAME_RESP, NONE, NULL, 0) \
	X(RESPONSE_TO, "response_to", "Response to", FRAME_REQ, NONE, NULL, 0) \
	X(TIME, "time", "Time since request", RELTIME, NONE, NULL, 0) \
	X(FINDING, "finding", "Finding", STRING, NONE, NULL, 0) \
	/* ---- payloads ---- */ \
	X(U64, "u64", "Value", U64, HEX_DEC, NULL, 0) \
	X(ACK, "ack", "Acknowledgement", U64, DEC, vhu_vals_ack, 0) \
	X(FEATURES, "features", "Features", U64, HEX, NULL, 0) \
	X(FEATURE_UNKNOWN, "features.unknown", "Unnamed feature bit", U8, DEC, NULL, 0) \
	X(PROTOCOL_FEATURES, "protocol_features", "Protocol features", U64, HEX, NULL, 0) \
	X(PROTOCOL_FEATURE_UNKNOWN, "protocol_features.unknown", "Unnamed protocol feature bit", U8, DEC, NULL, 0) \
	X(VRING_INDEX, "vring.index", "Vring index", U32, DEC, NULL, 0) \
	X(VRING_NUM, "vring.num", "Number of descriptors", U32, DEC, NULL, 0) \
	X(VRING_ENABLE, "vring.enable", "Enable", U32, DEC, vhu_vals_enable, 0) \
	X(VRING_ENDIAN, "vring.endian", "Endianness", U32, DEC, vhu_vals_endian, 0) \
	X(VRING_STATE_NUM, "vring.state", "State", U32, HEX_DEC, NULL, 0) \
	X(VRING_BASE, "vring.base", "Base (next avail index)", U32, DEC, NULL, 0) \
	X(VRING_AVAIL_IDX, "vring.avail_idx", "Next avail index", U32, DEC, NULL, 0x00007fff) \
	X(VRING_AVAIL_WRAP, "vring.avail_wrap", "Avail wrap counter", BOOL, 32, NULL, 0x00008000) \
	X(VRING_USED_IDX, "vring.used_idx", "Used index", U32, DEC, NULL, 0x7fff0000) \
	X(VRING_USED_WRAP, "vring.used_wrap", "Used wrap counter", BOOL, 32, NULL, 0x80000000) \
	X(VRING_FLAGS, "vring.flags", "Flags", U32, HEX, NULL, 0) \
	X(VRING_FLAG_LOG, "vring.flags.log", "VHOST_VRING_F_LOG", BOOL, 32, NULL, 0x1) \
	X(VRING_DESC, "vring.desc_addr", "Descriptor table address", U64, HEX, NULL, 0) \
	X(VRING_USED, "vring.used_addr", "Used ring address", U64, HEX, NULL, 0) \
	X(VRING_AVAIL, "vring.avail_addr", "Available ring address", U64, HEX, NULL, 0) \
	X(VRING_LOG, "vring.log_addr", "Log guest address", U64, HEX, NULL, 0) \
	X(VRING_FILE, "vring.file", "Vring file", U64, HEX, NULL, 0) \
	X(VRING_FILE_INDEX, "vring.file.index", "Vring index", U64, DEC, NULL, 0xff) \
	X(VRING_FILE_NOFD, "vring.file.nofd", "No fd (polling)", BOOL, 64, NULL, 0x100) \
	X(VRING_FILE_RESERVED, "vring.file.reserved", "Reserved", U64, HEX, NULL, 0xfffffffffffffe00) \
	X(MEM_NREGIONS, "mem.nregions", "Number of regions", U32, DEC, NULL, 0) \
	X(MEM_PADDING, "mem.padding", "Padding", U32, HEX, NULL, 0) \
	X(MEM_REGION, "mem.region", "Region", NONE, NONE, NULL, 0) \
	X(MEM_GPA, "mem.region.guest_addr", "Guest physical address", U64, HEX, NULL, 0) \
	X(MEM_SIZE, "mem.region.size", "Size", U64, HEX_DEC, NULL, 0) \
	X(MEM_UADDR, "mem.region.user_addr", "User address", U64, HEX, NULL, 0) \
	X(MEM_MMAP_OFFSET, "mem.region.mmap_offset", "Mmap offset", U64, HEX, NULL, 0) \
	X(MEM_XEN_FLAGS, "mem.region.xen_mmap_flags", "Xen mmap flags", U32, HEX, vhu_vals_xen_flags, 0) \
	X(MEM_XEN_DOMID, "mem.region.domid", "Xen domain id", U32, DEC, NULL, 0) \
	X(MEM_REG_PADDING, "mem.region_padding", "Padding", U64, HEX, NULL, 0) \
	X(LOG_MMAP_SIZE, "log.mmap_size", "Log mmap size", U64, HEX_DEC, NULL, 0) \
	X(LOG_MMAP_OFFSET, "log.mmap_offset", "Log mmap offset", U64, HEX, NULL, 0) \
	X(IOTLB_IOVA, "iotlb.iova", "IOVA", U64, HEX, NULL, 0) \
	X(IOTLB_SIZE, "iotlb.size", "Size", U64, HEX_DEC, NULL, 0) \
	X(IOTLB_UADDR, "iotlb.uaddr", "User address", U64, HEX, NULL, 0) \
	X(IOTLB_PERM, "iotlb.perm", "Permission", U8, DEC, vhu_vals_iotlb_perm, 0) \
	X(IOTLB_TYPE, "iotlb.type", "Type", U8, DEC, vhu_vals_iotlb_type, 0) \
	X(IOTLB_PADDING, "iotlb.padding", "Padding", BYTES, NONE, NULL, 0) \
	X(CONFIG_OFFSET, "config.offset", "Offset", U32, HEX_DEC, NULL, 0) \
	X(CONFIG_SIZE, "config.size", "Size", U32, DEC, NULL, 0) \
	X(CONFIG_FLAGS, "config.flags", "Flags", U32, HEX, vhu_vals_config_flags, 0) \
	X(CONFIG_DATA, "config.data", "Config space", BYTES, NONE, NULL, 0) \
	X(CRYPTO_OP_CODE, "crypto.op_code", "Operation", U64, HEX, vhu_vals_crypto_op, 0) \
	X(CRYPTO_SESSION_ID, "crypto.session_id", "Session id", I64, DEC, NULL, 0) \
	X(CRYPTO_CIPHER_ALG, "crypto.cipher_alg", "Cipher algorithm", U32, DEC, NULL, 0) \
	X(CRYPTO_KEY_LEN, "crypto.key_len", "Key length", U32, DEC, NULL, 0) \
	X(CRYPTO_HASH_ALG, "crypto.hash_alg", "Hash algorithm", U32, DEC, NULL, 0) \
	X(CRYPTO_HASH_RESULT_LEN, "crypto.hash_result_len", "Hash result length", U32, DEC, NULL, 0) \
	X(CRYPTO_AUTH_KEY_LEN, "crypto.auth_key_len", "Auth key length", U32, DEC, NULL, 0) \
	X(CRYPTO_ADD_LEN, "crypto.add_len", "Additional auth data length", U32, DEC, NULL, 0) \
	X(CRYPTO_OP_TYPE, "crypto.op_type", "Operation type", U8, DEC, NULL, 0) \
	X(CRYPTO_DIRECTION, "crypto.direction", "Direction", U8, DEC, NULL, 0) \
	X(CRYPTO_HASH_MODE, "crypto.hash_mode", "Hash mode", U8, DEC, NULL, 0) \
	X(CRYPTO_CHAIN_ORDER, "crypto.alg_chain_order", "Algorithm chain order", U8, DEC, NULL, 0) \
	X(CRYPTO_HOST_PTR, "crypto.host_ptr", "Host pointer (meaningless)", U64, HEX, NULL, 0) \
	X(CRYPTO_KEY, "crypto.key", "Key", BYTES, NONE, NULL, 0) \
	X(CRYPTO_AUTH_KEY, "crypto.auth_key", "Auth key", BYTES, NONE, NULL, 0) \
	X(CRYPTO_ASYM_ALGO, "crypto.asym.algo", "Asymmetric algorithm", U32, DEC, NULL, 0) \
	X(CRYPTO_ASYM_KEYTYPE, "crypto.asym.keytype", "Key type", U32, DEC, NULL, 0) \
	X(CRYPTO_ASYM_KEYLEN, "crypto.asym.keylen", "Key length", U32, DEC, NULL, 0) \
	X(CRYPTO_ASYM_RSA_PADDING, "crypto.asym.rsa_padding_algo", "RSA padding algorithm", U32, DEC, NULL, 0) \
	X(CRYPTO_ASYM_RSA_HASH, "crypto.asym.rsa_hash_algo", "RSA hash algorithm", U32, DEC, NULL, 0) \
	X(AREA_U64, "area.u64", "Vring area", U64, HEX, NULL, 0) \
	X(AREA_INDEX, "area.index", "Vring index", U64, DEC, NULL, 0xff) \
	X(AREA_NOFD, "area.nofd", "No fd (de-register)", BOOL, 64, NULL, 0x100) \
	X(AREA_SIZE, "area.size", "Size", U64, HEX_DEC, NULL, 0) \
	X(AREA_OFFSET, "area.offset", "Offset", U64, HEX, NULL, 0) \
	X(INFLIGHT_MMAP_SIZE, "inflight.mmap_size", "Mmap size", U64, HEX_DEC, NULL, 0) \
	X(INFLIGHT_MMAP_OFFSET, "inflight.mmap_offset", "Mmap offset", U64, HEX, NULL, 0) \
	X(INFLIGHT_NUM_QUEUES, "inflight.num_queues", "Number of queues", U16, DEC, NULL, 0) \
	X(INFLIGHT_QUEUE_SIZE, "inflight.queue_size", "Queue size", U16, DEC, NULL, 0) \
	X(INFLIGHT_PADDING, "inflight.padding", "Padding", U32, HEX, NULL, 0) \
	X(UUID, "shared_object.uuid", "UUID", STRING, NONE, NULL, 0) \
	X(DS_DIRECTION, "device_state.direction", "Transfer direction", U32, DEC, vhu_vals_ds_direction, 0) \
	X(DS_PHASE, "device_state.phase", "Migration phase", U32, DEC, vhu_vals_ds_phase, 0) \
	X(DS_REPLY, "device_state.reply", "Reply", U64, HEX, NULL, 0) \
	X(DS_RESULT, "device_state.result", "Result", U64, DEC, NULL, 0xff) \
	X(DS_NOFD, "device_state.nofd", "No fd returned", BOOL, 64, NULL, 0x100) \
	X(SHMEM_SHMID, "shmem.shmid", "Shared memory region id", U8, DEC, NULL, 0) \
	X(SHMEM_PADDING, "shmem.padding", "Padding", BYTES, NONE, NULL, 0) \
	X(SHMEM_FD_OFFSET, "shmem.fd_offset", "Fd offset", U64, HEX, NULL, 0) \
	X(SHMEM_SHM_OFFSET, "shmem.shm_offset", "Region offset", U64, HEX, NULL, 0) \
	X(SHMEM_LEN, "shmem.len", "Length", U64, HEX_DEC, NULL, 0) \
	X(SHMEM_FLAGS, "shmem.flags", "Flags", U64, HEX, NULL, 0) \
	X(SHMEM_FLAG_RW, "shmem.flags.rw", "Read-write", BOOL, 64, NULL, 0x1) \
	X(SHMEM_NREGIONS, "shmem.nregions", "Number of regions", U32, DEC, NULL, 0) \
	X(SHMEM_REGION_SIZE, "shmem.region_size", "Region size", U64, HEX_DEC, NULL, 0) \
	X(STATUS, "status", "Device status", U64, HEX, NULL, 0) \
	X(QUEUE_NUM, "queue_num", "Maximum number of queues", U64, DEC, NULL, 0) \
	X(MAX_MEM_SLOTS, "max_mem_slots", "Maximum memory slots", U64, DEC, NULL, 0) \
	X(MTU, "mtu", "MTU", U64, DEC, NULL, 0) \
	X(RARP_MAC, "rarp.mac", "Guest MAC address", STRING, NONE, NULL, 0) \
	X(GPU_SCANOUT_ID, "gpu.scanout_id", "Scanout id", U32, DEC, NULL, 0) \
	X(GPU_X, "gpu.x", "X", U32, DEC, NULL, 0) \
	X(GPU_Y, "gpu.y", "Y", U32, DEC, NULL, 0) \
	X(GPU_WIDTH, "gpu.width", "Width", U32, DEC, NULL, 0) \
	X(GPU_HEIGHT, "gpu.height", "Height", U32, DEC, NULL, 0) \
	X(GPU_HOT_X, "gpu.hot_x", "Hotspot X", U32, DEC, NULL, 0) \
	X(GPU_HOT_Y, "gpu.hot_y", "Hotspot Y", U32, DEC, NULL, 0) \
	X(GPU_DATA, "gpu.data", "Pixel data", BYTES, NONE, NULL, 0) \
	X(GPU_FD_WIDTH, "gpu.fd_width", "Buffer width", U32, DEC, NULL, 0) \
	X(GPU_FD_HEIGHT, "gpu.fd_height", "Buffer height", U32, DEC, NULL, 0) \
	X(GPU_FD_STRIDE, "gpu.fd_stride", "Buffer stride", U32, DEC, NULL, 0) \
	X(GPU_FD_FLAGS, "gpu.fd_flags", "Buffer flags", U32, HEX, NULL, 0) \
	X(GPU_FD_FOURCC, "gpu.fd_drm_fourcc", "DRM fourcc", I32, HEX, NULL, 0) \
	X(GPU_MODIFIER, "gpu.modifier", "Format modifier", U64, HEX, NULL, 0) \
	X(GPU_PROTOCOL_FEATURES, "gpu.protocol_features", "GPU protocol features", U64, HEX, NULL, 0) \
	X(GPU_HDR_TYPE, "gpu.hdr.type", "Response type", U32, HEX, NULL, 0) \
	X(GPU_HDR_FLAGS, "gpu.hdr.flags", "Flags", U32, HEX, NULL, 0) \
	X(GPU_HDR_FENCE, "gpu.hdr.fence_id", "Fence id", U64, DEC, NULL, 0) \
	X(GPU_HDR_CTX, "gpu.hdr.ctx_id", "Context id", U32, DEC, NULL, 0) \
	X(GPU_HDR_RING, "gpu.hdr.ring_idx", "Ring index", U8, DEC, NULL, 0) \
	X(GPU_PMODE, "gpu.pmode", "Display", NONE, NONE, NULL, 0) \
	X(GPU_PMODE_ENABLED, "gpu.pmode.enabled", "Enabled", U32, DEC, NULL, 0) \
	X(GPU_PMODE_FLAGS, "gpu.pmode.flags", "Flags", U32, HEX, NULL, 0) \
	X(GPU_EDID_SIZE, "gpu.edid.size", "EDID size", U32, DEC, NULL, 0) \
	X(GPU_EDID, "gpu.edid.data", "EDID", BYTES, NONE, NULL, 0) \
	X(PADDING, "padding", "Padding", BYTES, NONE, NULL, 0) \
	X(TRAILING, "trailing", "Trailing bytes", BYTES, NONE, NULL, 0)

enum vhu_field_id {
	VHU_F_NONE = -1,
#define VHU_X_ENUM(id, ab, lb, ty, ba, va, ma) VHU_F_##id,
	VHU_FIELD_LIST(VHU_X_ENUM)
#undef VHU_X_ENUM
	VHU_F__STATIC_COUNT
};

/* Subtree kinds (the plugin's ett array). */
#define VHU_ETT_LIST(X) \
	X(REC) X(REC_FLAGS) X(REC_FD) X(ROOT) X(FLAGS) \
	X(FEATURES) X(PROTOCOL_FEATURES) X(STATUS) X(VRING_FILE) X(VRING_STATE) \
	X(VRING_FLAGS) X(REGION) X(FDS) X(FD) X(CRYPTO) X(GPU) X(SHMEM) X(DEVSTATE) X(AREA)

enum vhu_ett_id {
#define VHU_X_ETT(id) VHU_ETT_##id,
	VHU_ETT_LIST(VHU_X_ETT)
#undef VHU_X_ETT
	VHU_ETT__COUNT
};

/* Fills the dynamic part of the table (feature bits) and the fields'
 * fixed texts (vhu_format_init()).  Idempotent; call
 * once before threads start. */
void vhu_fields_init(void);
/* Number of fields, static and generated. */
int vhu_field_count(void);
const struct vhu_field *vhu_field_get(int id);
/* Id of the boolean field for bit `bit` of the given bit table, or -1. */
int vhu_bit_field(const struct vhu_bit *table, unsigned bit);
/* The same, and where the id is not -1 the bit's name as summaries show
 * it (vhu_short_feature() of the field's label, made once). */
int vhu_bit_field_short(const struct vhu_bit *table, unsigned bit, const char **short_name);

/* The value of a field in the word the walker hands over (a sub-field
 * comes with its whole word, for the bit pattern): a boolean is whether its
 * bit is set, another masked field its bits shifted down, a field without
 * a mask the word itself. */
uint64_t vhu_field_value(const struct vhu_field *f, uint64_t word);

const char *vhu_val_name(const struct vhu_val *vals, uint64_t v);

/* Names of the record's enums, from the value tables below ("unknown ..."
 * for a value this version does not know).  vhu_channel_name() and
 * vhu_fd_kind_name() give the word of the summaries and the decoder's
 * columns, the value tables the label of the trees.  vhu_channel_side()
 * names the side whose requests a channel carries, vhu_channel_tag() the
 * channel in a tree's first line ("" for the main channel);
 * vhu_side_name() is a role in text, an unknown one read as the
 * front-end's. */
const char *vhu_event_name(unsigned ev);
const char *vhu_call_name(unsigned call);
const char *vhu_channel_name(unsigned ch);
const char *vhu_role_name(unsigned role);
const char *vhu_side_name(unsigned role);
const char *vhu_channel_side(unsigned ch);
const char *vhu_channel_tag(unsigned ch);
const char *vhu_fd_kind_name(unsigned kind);

/* Value tables referenced from VHU_FIELD_LIST (the request-name tables are
 * built from the message tables by vhu_fields_init()). */
extern const struct vhu_val vhu_vals_event[], vhu_vals_call[], vhu_vals_channel[],
	vhu_vals_role[], vhu_vals_origin[], vhu_vals_byte_order[], vhu_vals_fd_kind[], vhu_vals_ack[],
	vhu_vals_enable[],
	vhu_vals_endian[], vhu_vals_xen_flags[], vhu_vals_iotlb_perm[],
	vhu_vals_iotlb_type[], vhu_vals_config_flags[], vhu_vals_crypto_op[],
	vhu_vals_ds_direction[], vhu_vals_ds_phase[];

#ifdef __cplusplus
}
#endif
#endif
