/* SPDX-License-Identifier: MIT */
/*
 * vhu_msgs.h - the message tables: one row per request id and channel.
 *
 * A row says what the request and its reply carry (a layout), how many fds
 * ride with it, whether it is answered, and which feature gates it.  Each
 * layout's walker and size rule are a row of the layout table in
 * vhu_walk.c; docs/architecture.md lists the steps of adding a message.
 */
#ifndef VHU_MSGS_H
#define VHU_MSGS_H

#include <stdbool.h>
#include <stdint.h>

#include "vhu_fields.h"
#include "vhu_record.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Payload layouts. */
enum vhu_layout {
	VHU_L_NONE = 0,		/* no payload / no reply */
	VHU_L_EMPTY,
	VHU_L_FEATURES,
	VHU_L_PROTOCOL_FEATURES,
	VHU_L_VRING_STATE,	/* index + num */
	VHU_L_VRING_NUM,
	VHU_L_VRING_ENABLE,
	VHU_L_VRING_ENDIAN,
	VHU_L_VRING_BASE,	/* split or packed by VIRTIO_F_RING_PACKED */
	VHU_L_VRING_ADDR,
	VHU_L_VRING_FILE,	/* u64: index + NOFD */
	VHU_L_MEM_TABLE,
	VHU_L_MEM_REGION,	/* single region (ADD/REM_MEM_REG) */
	VHU_L_LOG,		/* SET_LOG_BASE: u64 or log description */
	VHU_L_LOG_REPLY,	/* SET_LOG_BASE reply: 0, 8 or 16 bytes */
	VHU_L_IOTLB,
	VHU_L_CONFIG,
	VHU_L_CRYPTO_SESSION,
	VHU_L_VRING_AREA,
	VHU_L_INFLIGHT,
	VHU_L_SHARED_OBJECT,
	VHU_L_DEVICE_STATE,
	VHU_L_DEVICE_STATE_REPLY,
	VHU_L_SHMEM_MAP,
	VHU_L_SHMEM_CONFIG,
	VHU_L_STATUS,
	VHU_L_QUEUE_NUM,
	VHU_L_MAX_MEM_SLOTS,
	VHU_L_MTU,
	VHU_L_RARP,
	VHU_L_ACK,		/* u64, 0 = success */
	VHU_L_SESSION_ID,
	VHU_L_GPU_PROTOCOL_FEATURES,
	VHU_L_GPU_CURSOR_POS,
	VHU_L_GPU_CURSOR_UPDATE,
	VHU_L_GPU_SCANOUT,
	VHU_L_GPU_UPDATE,
	VHU_L_GPU_DMABUF_SCANOUT,
	VHU_L_GPU_DMABUF_SCANOUT2,
	VHU_L_GPU_EDID_REQUEST,
	VHU_L_GPU_DISPLAY_INFO,
	VHU_L_GPU_EDID,
	VHU_L__COUNT
};

enum vhu_reply_rule {
	VHU_R_NEED_REPLY,	/* answered (u64 ack) only with NEED_REPLY */
	VHU_R_ALWAYS,
	VHU_R_POSTCOPY,		/* answered in postcopy mode (SET_MEM_TABLE) */
	VHU_R_LOG_SHMFD,	/* answered with LOG_SHMFD (SET_LOG_BASE) */
	VHU_R_NEVER		/* GPU messages without a reply */
};

enum vhu_fd_rule {
	VHU_FDS_NONE,
	VHU_FDS_ONE,
	VHU_FDS_ONE_UNLESS_NOFD,	/* bit 8 of the u64 payload */
	VHU_FDS_PER_REGION,
	VHU_FDS_ONE_WITH_LOG_SHMFD,
	VHU_FDS_ZERO_OR_ONE,
	VHU_FDS_ANY
};

struct vhu_msg_desc {
	const char *name;	/* VHOST_USER_... */
	const char *alias;	/* historical name, or NULL */
	const char *summary_name;	/* name without the VHOST_USER_ prefix */
	enum vhu_layout req, reply;
	enum vhu_reply_rule reply_rule;
	enum vhu_fd_rule req_fds, reply_fds;
	int gate;		/* protocol feature bit that enables it, or -1 */
};

/* The rows of a channel, indexed by request id from 1 to max (a row
 * without a name is an unknown id). */
struct vhu_msg_table {
	const struct vhu_msg_desc *rows;
	uint32_t max;
};
extern const struct vhu_msg_table vhu_msg_tables[VHU_CHAN_GPU + 1];

/* The table of a channel; any channel but the back-end's and the GPU's
 * is the main one. */
static inline const struct vhu_msg_table *vhu_msg_table_of(unsigned channel)
{
	return &vhu_msg_tables[channel <= VHU_CHAN_GPU ? channel : VHU_CHAN_MAIN];
}

/* Row for (channel, request), or NULL for an unknown id.  Inline: every
 * message is looked up by the session, the rules, the walker and the
 * decoder's line, each a few instructions this way. */
static inline const struct vhu_msg_desc *vhu_msg_lookup(unsigned channel, uint32_t request)
{
	const struct vhu_msg_table *t = vhu_msg_table_of(channel);

	/* request 0 wraps around to above max */
	if (request - 1u >= t->max || !t->rows[request].name)
		return NULL;
	return &t->rows[request];
}
/* Name or NULL (any channel). */
const char *vhu_msg_name(unsigned channel, uint32_t request);
/* Parse a request name as a user types it: "set_mem_table",
 * "VHOST_USER_SET_MEM_TABLE", an alias, or a number.  Sets *channel and
 * *request; returns false if unknown. */
bool vhu_msg_parse_name(const char *s, unsigned *channel, uint32_t *request);
/* Highest known id of a channel. */
uint32_t vhu_msg_max(unsigned channel);

/* Could a header on this channel start here?  A known id, the flags the
 * channel uses, a size within size_limit; of fewer than 12 bytes, the
 * fields that are there.  For finding the framing again. */
bool vhu_hdr_plausible_on(unsigned channel, const uint8_t *p, size_t len, uint32_t size_limit);

/* Is this the start of a plausible front-end request on a main channel?
 * (known id, version 1, no reserved flag, size within the limit).  The
 * shim's test for "this socket speaks vhost-user"; no allocation. */
bool vhu_hdr_plausible(const uint8_t *p, size_t len);

#ifdef __cplusplus
}
#endif
#endif
