/* SPDX-License-Identifier: MIT */
/*
 * \summary: the message tables (front-end, back-end channel, GPU).
 * Source: QEMU docs/interop/vhost-user.rst (sections "Front-end message
 * types" and "Back-end message types") and docs/interop/vhost-user-gpu.rst.
 */
#include "vhu_msgs.h"
#include "vhu_le.h"
#include "vhu_proto.h"
#include "vhu_session.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A row is indexed by the request's enum value in vhu_proto.h (VHU_<id>),
 * its name is that id spelled as the spec spells it. */
#define ROW(id, req_, rep_, rule, rqf, rpf, gate_) \
	[VHU_##id] = { "VHOST_USER_" #id, NULL, #id, VHU_L_##req_, VHU_L_##rep_, VHU_R_##rule, \
		       VHU_FDS_##rqf, VHU_FDS_##rpf, gate_ }
#define ROWA(id, alias, req_, rep_, rule, rqf, rpf, gate_) \
	[VHU_##id] = { "VHOST_USER_" #id, alias, #id, VHU_L_##req_, VHU_L_##rep_, VHU_R_##rule, \
		       VHU_FDS_##rqf, VHU_FDS_##rpf, gate_ }

/* Front-end requests, sent on the main channel. */
static const struct vhu_msg_desc fe_msgs[VHU_FE_REQ_MAX + 1] = {
	ROW(GET_FEATURES, EMPTY, FEATURES, ALWAYS, NONE, NONE, -1),
	ROW(SET_FEATURES, FEATURES, ACK, NEED_REPLY, NONE, NONE, -1),
	ROW(SET_OWNER, EMPTY, ACK, NEED_REPLY, NONE, NONE, -1),
	ROW(RESET_OWNER, EMPTY, ACK, NEED_REPLY, NONE, NONE, -1),
	ROW(SET_MEM_TABLE, MEM_TABLE, MEM_TABLE, POSTCOPY, PER_REGION, NONE, -1),
	ROW(SET_LOG_BASE, LOG, LOG_REPLY, LOG_SHMFD, ONE_WITH_LOG_SHMFD, NONE, -1),
	ROW(SET_LOG_FD, EMPTY, ACK, NEED_REPLY, ONE, NONE, -1),
	ROW(SET_VRING_NUM, VRING_NUM, ACK, NEED_REPLY, NONE, NONE, -1),
	ROW(SET_VRING_ADDR, VRING_ADDR, ACK, NEED_REPLY, NONE, NONE, -1),
	ROW(SET_VRING_BASE, VRING_BASE, ACK, NEED_REPLY, NONE, NONE, -1),
	ROW(GET_VRING_BASE, VRING_STATE, VRING_BASE, ALWAYS, NONE, NONE, -1),
	ROW(SET_VRING_KICK, VRING_FILE, ACK, NEED_REPLY, ONE_UNLESS_NOFD, NONE, -1),
	ROW(SET_VRING_CALL, VRING_FILE, ACK, NEED_REPLY, ONE_UNLESS_NOFD, NONE, -1),
	ROW(SET_VRING_ERR, VRING_FILE, ACK, NEED_REPLY, ONE_UNLESS_NOFD, NONE, -1),
	ROW(GET_PROTOCOL_FEATURES, EMPTY, PROTOCOL_FEATURES, ALWAYS, NONE, NONE, -1),
	ROW(SET_PROTOCOL_FEATURES, PROTOCOL_FEATURES, ACK, NEED_REPLY, NONE, NONE, -1),
	ROW(GET_QUEUE_NUM, EMPTY, QUEUE_NUM, ALWAYS, NONE, NONE, VHU_PF_MQ),
	ROW(SET_VRING_ENABLE, VRING_ENABLE, ACK, NEED_REPLY, NONE, NONE, -1),
	ROW(SEND_RARP, RARP, ACK, NEED_REPLY, NONE, NONE, VHU_PF_RARP),
	ROW(NET_SET_MTU, MTU, ACK, NEED_REPLY, NONE, NONE, VHU_PF_MTU),
	ROWA(SET_BACKEND_REQ_FD, "VHOST_USER_SET_SLAVE_REQ_FD", EMPTY, ACK, NEED_REPLY, ONE, NONE, VHU_PF_BACKEND_REQ),
	ROW(IOTLB_MSG, IOTLB, ACK, ALWAYS, NONE, NONE, -1),
	ROW(SET_VRING_ENDIAN, VRING_ENDIAN, ACK, NEED_REPLY, NONE, NONE, VHU_PF_CROSS_ENDIAN),
	ROW(GET_CONFIG, CONFIG, CONFIG, ALWAYS, NONE, NONE, VHU_PF_CONFIG),
	ROW(SET_CONFIG, CONFIG, ACK, NEED_REPLY, NONE, NONE, VHU_PF_CONFIG),
	ROWA(CREATE_CRYPTO_SESSION, "VHOST_USER_CRYPTO_CREATE_SESS", CRYPTO_SESSION, CRYPTO_SESSION, ALWAYS, NONE, NONE, VHU_PF_CRYPTO_SESSION),
	ROWA(CLOSE_CRYPTO_SESSION, "VHOST_USER_CRYPTO_CLOSE_SESS", SESSION_ID, ACK, NEED_REPLY, NONE, NONE, VHU_PF_CRYPTO_SESSION),
	ROW(POSTCOPY_ADVISE, EMPTY, EMPTY, ALWAYS, NONE, ONE, VHU_PF_PAGEFAULT),
	ROW(POSTCOPY_LISTEN, EMPTY, ACK, ALWAYS, NONE, NONE, VHU_PF_PAGEFAULT),
	ROW(POSTCOPY_END, EMPTY, ACK, ALWAYS, NONE, NONE, VHU_PF_PAGEFAULT),
	ROW(GET_INFLIGHT_FD, INFLIGHT, INFLIGHT, ALWAYS, NONE, ONE, VHU_PF_INFLIGHT_SHMFD),
	ROW(SET_INFLIGHT_FD, INFLIGHT, ACK, NEED_REPLY, ONE, NONE, VHU_PF_INFLIGHT_SHMFD),
	ROW(GPU_SET_SOCKET, EMPTY, ACK, NEED_REPLY, ONE, NONE, -1),
	ROW(RESET_DEVICE, EMPTY, ACK, NEED_REPLY, NONE, NONE, VHU_PF_RESET_DEVICE),
	ROW(VRING_KICK, VRING_STATE, ACK, NEED_REPLY, NONE, NONE, VHU_PF_INBAND_NOTIFICATIONS),
	ROW(GET_MAX_MEM_SLOTS, EMPTY, MAX_MEM_SLOTS, ALWAYS, NONE, NONE, VHU_PF_CONFIGURE_MEM_SLOTS),
	ROW(ADD_MEM_REG, MEM_REGION, MEM_REGION, POSTCOPY, ONE, NONE, VHU_PF_CONFIGURE_MEM_SLOTS),
	ROW(REM_MEM_REG, MEM_REGION, ACK, NEED_REPLY, ZERO_OR_ONE, NONE, VHU_PF_CONFIGURE_MEM_SLOTS),
	ROW(SET_STATUS, STATUS, ACK, NEED_REPLY, NONE, NONE, VHU_PF_STATUS),
	ROW(GET_STATUS, EMPTY, STATUS, ALWAYS, NONE, NONE, VHU_PF_STATUS),
	ROW(GET_SHARED_OBJECT, SHARED_OBJECT, SHARED_OBJECT, ALWAYS, NONE, ZERO_OR_ONE, VHU_PF_SHARED_OBJECT),
	ROW(SET_DEVICE_STATE_FD, DEVICE_STATE, DEVICE_STATE_REPLY, ALWAYS, ONE, ZERO_OR_ONE, VHU_PF_DEVICE_STATE),
	ROW(CHECK_DEVICE_STATE, EMPTY, ACK, ALWAYS, NONE, NONE, VHU_PF_DEVICE_STATE),
	ROW(GET_SHMEM_CONFIG, EMPTY, SHMEM_CONFIG, ALWAYS, NONE, NONE, VHU_PF_SHMEM),
	ROW(GET_VRING_BASE_SKIP_DRAIN, VRING_STATE, VRING_BASE, ALWAYS, NONE, NONE, VHU_PF_GET_VRING_BASE_SKIP_DRAIN),
};

/* Back-end requests, sent by the back-end on the back-end channel. */
static const struct vhu_msg_desc be_msgs[VHU_BE_REQ_MAX + 1] = {
	ROWA(BACKEND_IOTLB_MSG, "VHOST_USER_SLAVE_IOTLB_MSG", IOTLB, ACK, NEED_REPLY, NONE, NONE, VHU_PF_BACKEND_REQ),
	ROWA(BACKEND_CONFIG_CHANGE_MSG, "VHOST_USER_SLAVE_CONFIG_CHANGE_MSG", EMPTY, ACK, NEED_REPLY, NONE, NONE, VHU_PF_CONFIG),
	ROWA(BACKEND_VRING_HOST_NOTIFIER_MSG, "VHOST_USER_SLAVE_VRING_HOST_NOTIFIER_MSG", VRING_AREA, ACK, NEED_REPLY, ONE_UNLESS_NOFD, NONE, VHU_PF_HOST_NOTIFIER),
	ROWA(BACKEND_VRING_CALL, "VHOST_USER_SLAVE_VRING_CALL", VRING_STATE, ACK, NEED_REPLY, NONE, NONE, VHU_PF_INBAND_NOTIFICATIONS),
	ROWA(BACKEND_VRING_ERR, "VHOST_USER_SLAVE_VRING_ERR", VRING_STATE, ACK, NEED_REPLY, NONE, NONE, VHU_PF_INBAND_NOTIFICATIONS),
	ROW(BACKEND_SHARED_OBJECT_ADD, SHARED_OBJECT, ACK, NEED_REPLY, NONE, NONE, VHU_PF_SHARED_OBJECT),
	ROW(BACKEND_SHARED_OBJECT_REMOVE, SHARED_OBJECT, ACK, NEED_REPLY, NONE, NONE, VHU_PF_SHARED_OBJECT),
	ROW(BACKEND_SHARED_OBJECT_LOOKUP, SHARED_OBJECT, ACK, ALWAYS, NONE, ZERO_OR_ONE, VHU_PF_SHARED_OBJECT),
	ROW(BACKEND_SHMEM_MAP, SHMEM_MAP, ACK, NEED_REPLY, ONE, NONE, VHU_PF_SHMEM),
	ROW(BACKEND_SHMEM_UNMAP, SHMEM_MAP, ACK, NEED_REPLY, NONE, NONE, VHU_PF_SHMEM),
};

/* vhost-user-gpu: the back-end sends, QEMU answers. */
static const struct vhu_msg_desc gpu_msgs[VHU_GPU_REQ_MAX + 1] = {
	ROW(GPU_GET_PROTOCOL_FEATURES, EMPTY, GPU_PROTOCOL_FEATURES, ALWAYS, NONE, NONE, -1),
	ROW(GPU_SET_PROTOCOL_FEATURES, GPU_PROTOCOL_FEATURES, NONE, NEVER, NONE, NONE, -1),
	ROW(GPU_GET_DISPLAY_INFO, EMPTY, GPU_DISPLAY_INFO, ALWAYS, NONE, NONE, -1),
	ROW(GPU_CURSOR_POS, GPU_CURSOR_POS, NONE, NEVER, NONE, NONE, -1),
	ROW(GPU_CURSOR_POS_HIDE, GPU_CURSOR_POS, NONE, NEVER, NONE, NONE, -1),
	ROW(GPU_CURSOR_UPDATE, GPU_CURSOR_UPDATE, NONE, NEVER, NONE, NONE, -1),
	ROW(GPU_SCANOUT, GPU_SCANOUT, NONE, NEVER, NONE, NONE, -1),
	ROW(GPU_UPDATE, GPU_UPDATE, NONE, NEVER, NONE, NONE, -1),
	ROW(GPU_DMABUF_SCANOUT, GPU_DMABUF_SCANOUT, NONE, NEVER, ZERO_OR_ONE, NONE, -1),
	ROW(GPU_DMABUF_UPDATE, GPU_UPDATE, EMPTY, ALWAYS, NONE, NONE, -1),
	ROW(GPU_GET_EDID, GPU_EDID_REQUEST, GPU_EDID, ALWAYS, NONE, NONE, -1),
	ROW(GPU_DMABUF_SCANOUT2, GPU_DMABUF_SCANOUT2, NONE, NEVER, ONE, NONE, -1),
};

/* By channel; an unknown channel is read as the main one, as the session
 * assumes it. */
const struct vhu_msg_table vhu_msg_tables[VHU_CHAN_GPU + 1] = {
	[VHU_CHAN_UNKNOWN] = { fe_msgs, VHU_FE_REQ_MAX },
	[VHU_CHAN_MAIN] = { fe_msgs, VHU_FE_REQ_MAX },
	[VHU_CHAN_BACKEND] = { be_msgs, VHU_BE_REQ_MAX },
	[VHU_CHAN_GPU] = { gpu_msgs, VHU_GPU_REQ_MAX },
};

static const struct vhu_msg_desc *table_of(unsigned channel, uint32_t *max)
{
	const struct vhu_msg_table *t = vhu_msg_table_of(channel);

	*max = t->max;
	return t->rows;
}

const char *vhu_msg_name(unsigned channel, uint32_t request)
{
	const struct vhu_msg_desc *d = vhu_msg_lookup(channel, request);

	return d ? d->name : NULL;
}

uint32_t vhu_msg_max(unsigned channel)
{
	uint32_t max;

	table_of(channel, &max);
	return max;
}

/* Compares a user's spelling with a table name, ignoring case and an
 * optional VHOST_USER_ prefix on either side. */
static bool name_matches(const char *user, const char *name)
{
	static const char prefix[] = "VHOST_USER_";
	size_t n = sizeof(prefix) - 1;

	if (!name)
		return false;
	if (strncasecmp(user, prefix, n) == 0)
		user += n;
	if (strncmp(name, prefix, n) == 0)
		name += n;
	/* an alias may carry a note after the name: compare the name only */
	while (*user && *name && toupper((unsigned char)*user) == toupper((unsigned char)*name)) {
		user++;
		name++;
	}
	return *user == 0 && (*name == 0 || *name == ' ');
}

bool vhu_msg_parse_name(const char *s, unsigned *channel, uint32_t *request)
{
	static const unsigned chans[] = { VHU_CHAN_MAIN, VHU_CHAN_BACKEND, VHU_CHAN_GPU };
	char *end;
	unsigned long v;
	size_t i;

	v = strtoul(s, &end, 0);
	if (*s && *end == 0) {
		*channel = VHU_CHAN_MAIN;
		*request = (uint32_t)v;
		return v > 0 && v <= UINT32_MAX;
	}
	for (i = 0; i < sizeof(chans) / sizeof(chans[0]); i++) {
		uint32_t max, id;
		const struct vhu_msg_desc *t = table_of(chans[i], &max);

		for (id = 1; id <= max; id++) {
			if (name_matches(s, t[id].name) || name_matches(s, t[id].alias)) {
				*channel = chans[i];
				*request = id;
				return true;
			}
		}
	}
	return false;
}

bool vhu_hdr_plausible(const uint8_t *p, size_t len)
{
	uint32_t req, flags, size;

	if (len < VHU_HDR_SIZE)
		return false;
	req = vhu_get_le32(p);
	flags = vhu_get_le32(p + 4);
	size = vhu_get_le32(p + 8);
	if (!vhu_msg_lookup(VHU_CHAN_MAIN, req))
		return false;
	if ((flags & VHU_FLAG_VERSION_MASK) != VHU_VERSION || (flags & VHU_FLAG_RESERVED_MASK))
		return false;
	return size <= VHU_DEFAULT_MAX_PAYLOAD;
}

bool vhu_hdr_plausible_on(unsigned channel, const uint8_t *p, size_t len, uint32_t size_limit)
{
	uint32_t flags;

	if (len < 4)
		return len > 0;
	if (!vhu_msg_lookup(channel, vhu_get_le32(p)))
		return false;
	if (len < 8)
		return true;
	flags = vhu_get_le32(p + 4);
	/* GPU messages carry no version: 0 from the back-end, 0x4 (QEMU) or
	 * 0x5 (vhost-user-gpu) otherwise */
	if (channel == VHU_CHAN_GPU) {
		if (flags & ~(VHU_FLAG_REPLY | VHU_FLAG_VERSION_MASK))
			return false;
	} else if ((flags & VHU_FLAG_VERSION_MASK) != VHU_VERSION ||
		   (flags & VHU_FLAG_RESERVED_MASK)) {
		return false;
	}
	return len < VHU_HDR_SIZE || vhu_get_le32(p + 8) <= size_limit;
}
