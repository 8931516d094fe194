/* SPDX-License-Identifier: MIT */
/*
 * peer_proto.c - the back-end channel and GPU channel requests of the peer:
 * what the back-end sends, how the front-end checks and answers them.
 *
 * Sizes and fd counts are written out here from the spec on purpose: the
 * peer is a witness independent of the core's tables, so a wrong row in
 * the core shows up as a disagreement instead of being copied.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"

#define NEED (VHU_VERSION | VHU_FLAG_NEED_REPLY)

static const struct peer_step burst_handshake[] = {
	{ VHU_BACKEND_CONFIG_CHANGE_MSG, NEED, false },
	{ VHU_BACKEND_VRING_HOST_NOTIFIER_MSG, NEED, true },
	{ VHU_BACKEND_IOTLB_MSG, NEED, false },
	{ VHU_BACKEND_SHARED_OBJECT_LOOKUP, VHU_VERSION, false },
};

/* Every back-end request; VRING_CALL/ERR go without NEED_REPLY so that
 * unanswered back-end requests appear too. */
static const struct peer_step burst_all[] = {
	{ VHU_BACKEND_IOTLB_MSG, NEED, false },
	{ VHU_BACKEND_CONFIG_CHANGE_MSG, NEED, false },
	{ VHU_BACKEND_VRING_HOST_NOTIFIER_MSG, NEED, false },
	{ VHU_BACKEND_VRING_HOST_NOTIFIER_MSG, NEED, true },
	{ VHU_BACKEND_VRING_CALL, VHU_VERSION, false },
	{ VHU_BACKEND_VRING_ERR, VHU_VERSION, false },
	{ VHU_BACKEND_SHARED_OBJECT_ADD, NEED, false },
	{ VHU_BACKEND_SHARED_OBJECT_REMOVE, NEED, false },
	{ VHU_BACKEND_SHARED_OBJECT_LOOKUP, VHU_VERSION, false },
	{ VHU_BACKEND_SHMEM_MAP, NEED, false },
	{ VHU_BACKEND_SHMEM_UNMAP, NEED, false },
};

static const struct peer_step burst_gpu[] = {
	{ VHU_GPU_GET_PROTOCOL_FEATURES, 0, false },
	{ VHU_GPU_SET_PROTOCOL_FEATURES, 0, false },
	{ VHU_GPU_GET_DISPLAY_INFO, 0, false },
	{ VHU_GPU_CURSOR_POS, 0, false },
	{ VHU_GPU_CURSOR_POS_HIDE, 0, false },
	{ VHU_GPU_CURSOR_UPDATE, 0, false },
	{ VHU_GPU_SCANOUT, 0, false },
	{ VHU_GPU_UPDATE, 0, false },
	{ VHU_GPU_DMABUF_SCANOUT, 0, false },
	{ VHU_GPU_DMABUF_UPDATE, 0, false },
	{ VHU_GPU_GET_EDID, 0, false },
	{ VHU_GPU_DMABUF_SCANOUT2, 0, false },
};

/* GPU geometry of the UPDATE message: small so the payload stays small. */
#define GPU_UPDATE_W 4
#define GPU_UPDATE_H 4
#define GPU_CURSOR_BYTES (64 * 64 * 4)
#define GPU_DISPLAY_INFO_SIZE 408
#define GPU_EDID_SIZE 1056
#define VIRTIO_GPU_RESP_OK_DISPLAY_INFO 0x1101
#define VIRTIO_GPU_RESP_OK_EDID 0x1104

static const uint8_t test_uuid[16] = {
	0x6b, 0x1d, 0x3c, 0x52, 0x90, 0x11, 0x4e, 0x2a,
	0x8f, 0x04, 0x77, 0x10, 0x5c, 0xa1, 0xd2, 0xe9,
};

const struct peer_step *peer_backend_burst(enum peer_script s, size_t *n)
{
	switch (s) {
	case SCRIPT_HANDSHAKE:
	case SCRIPT_HANDSHAKE_PACKED:
		*n = ARRAY_SIZE(burst_handshake);
		return burst_handshake;
	case SCRIPT_ALL:
		*n = ARRAY_SIZE(burst_all);
		return burst_all;
	default:
		*n = 0;
		return NULL;
	}
}

const struct peer_step *peer_gpu_burst(enum peer_script s, size_t *n)
{
	if (s != SCRIPT_ALL) {
		*n = 0;
		return NULL;
	}
	*n = ARRAY_SIZE(burst_gpu);
	return burst_gpu;
}

bool peer_be_req_answered(const struct peer_msg *m)
{
	return m->request == VHU_BACKEND_SHARED_OBJECT_LOOKUP ||
	       (m->flags & VHU_FLAG_NEED_REPLY);
}

bool peer_gpu_req_answered(uint32_t request)
{
	return request == VHU_GPU_GET_PROTOCOL_FEATURES ||
	       request == VHU_GPU_GET_DISPLAY_INFO ||
	       request == VHU_GPU_DMABUF_UPDATE ||
	       request == VHU_GPU_GET_EDID;
}

static void put_mmap_request(struct peer_msg *m, uint64_t fd_offset,
			     uint64_t flags)
{
	memset(m->payload, 0, 40);
	m->payload[0] = 0;			/* shmid */
	vhu_put_le64(m->payload + 8, fd_offset);
	vhu_put_le64(m->payload + 16, 0x1000);	/* shm_offset */
	vhu_put_le64(m->payload + 24, 0x1000);	/* len */
	vhu_put_le64(m->payload + 32, flags);
	m->size = 40;
}

static int add_memfd(struct peer_msg *m, const char *name, size_t size)
{
	int fd = peer_memfd(name, size);

	if (fd < 0)
		return PEER_ERR;
	m->fds[m->nfds++] = fd;
	return PEER_OK;
}

int peer_build_be_req(const struct peer_step *st, struct peer_msg *m)
{
	uint64_t area = 1;	/* queue index */

	peer_msg_init(m, st->request, st->flags);
	switch (st->request) {
	case VHU_BACKEND_IOTLB_MSG:
		memset(m->payload, 0, 32);
		vhu_put_le64(m->payload, 0x100000);		/* iova */
		vhu_put_le64(m->payload + 8, 0x1000);		/* size */
		vhu_put_le64(m->payload + 16, 0);		/* uaddr */
		m->payload[24] = 3;				/* perm RW */
		m->payload[25] = 1;				/* MISS */
		m->size = 32;
		return PEER_OK;
	case VHU_BACKEND_CONFIG_CHANGE_MSG:
		return PEER_OK;
	case VHU_BACKEND_VRING_HOST_NOTIFIER_MSG:
		if (st->nofd)
			area |= VHU_VRING_NOFD_MASK;
		vhu_put_le64(m->payload, area);
		vhu_put_le64(m->payload + 8, 0x1000);	/* size */
		vhu_put_le64(m->payload + 16, 0);	/* offset */
		m->size = 24;
		if (!st->nofd)
			return add_memfd(m, "vhu-peer-notifier", 0x1000);
		return PEER_OK;
	case VHU_BACKEND_VRING_CALL:
	case VHU_BACKEND_VRING_ERR:
		vhu_put_le32(m->payload, 1);
		vhu_put_le32(m->payload + 4, 0);
		m->size = 8;
		return PEER_OK;
	case VHU_BACKEND_SHARED_OBJECT_ADD:
	case VHU_BACKEND_SHARED_OBJECT_REMOVE:
	case VHU_BACKEND_SHARED_OBJECT_LOOKUP:
		memcpy(m->payload, test_uuid, 16);
		m->size = 16;
		return PEER_OK;
	case VHU_BACKEND_SHMEM_MAP:
		put_mmap_request(m, 0, 1);
		return add_memfd(m, "vhu-peer-shmem", 0x2000);
	case VHU_BACKEND_SHMEM_UNMAP:
		put_mmap_request(m, 0, 0);
		return PEER_OK;
	default:
		return PEER_ERR;
	}
}

/* Checks size, fd count and fd kind; fills why on failure. */
static int expect(const struct peer_msg *m, uint32_t size, int nfds,
		  enum vhu_fd_kind kind, char *why, size_t len)
{
	int i;

	if (m->size != size) {
		snprintf(why, len, "size %u, expected %u", m->size, size);
		return PEER_INVALID;
	}
	if (m->nfds != nfds) {
		snprintf(why, len, "%d fds, expected %d", m->nfds, nfds);
		return PEER_INVALID;
	}
	for (i = 0; i < nfds; i++) {
		if (peer_fd_kind(m->fds[i]) != kind) {
			snprintf(why, len, "fd %d is a %s, expected a %s", i,
				 peer_fd_kind_name(peer_fd_kind(m->fds[i])),
				 peer_fd_kind_name(kind));
			return PEER_INVALID;
		}
	}
	return PEER_OK;
}

static int check_req_flags(const struct peer_msg *m, char *why, size_t len)
{
	if ((m->flags & VHU_FLAG_VERSION_MASK) != VHU_VERSION ||
	    (m->flags & (VHU_FLAG_REPLY | VHU_FLAG_RESERVED_MASK))) {
		snprintf(why, len, "bad request flags 0x%x", m->flags);
		return PEER_INVALID;
	}
	return PEER_OK;
}

int peer_check_be_req(const struct peer_msg *m, char *why, size_t len)
{
	bool nofd;

	if (check_req_flags(m, why, len) != PEER_OK)
		return PEER_INVALID;
	switch (m->request) {
	case VHU_BACKEND_IOTLB_MSG:
		return expect(m, 32, 0, 0, why, len);
	case VHU_BACKEND_CONFIG_CHANGE_MSG:
		return expect(m, 0, 0, 0, why, len);
	case VHU_BACKEND_VRING_HOST_NOTIFIER_MSG:
		nofd = m->size >= 8 &&
		       (peer_get64(m, 0) & VHU_VRING_NOFD_MASK);
		return expect(m, 24, nofd ? 0 : 1, VHU_FDK_MEMFD, why, len);
	case VHU_BACKEND_VRING_CALL:
	case VHU_BACKEND_VRING_ERR:
		return expect(m, 8, 0, 0, why, len);
	case VHU_BACKEND_SHARED_OBJECT_ADD:
	case VHU_BACKEND_SHARED_OBJECT_REMOVE:
	case VHU_BACKEND_SHARED_OBJECT_LOOKUP:
		if (expect(m, 16, 0, 0, why, len) != PEER_OK)
			return PEER_INVALID;
		if (memcmp(m->payload, test_uuid, 16) != 0) {
			snprintf(why, len, "uuid changed on the way");
			return PEER_INVALID;
		}
		return PEER_OK;
	case VHU_BACKEND_SHMEM_MAP:
		return expect(m, 40, 1, VHU_FDK_MEMFD, why, len);
	case VHU_BACKEND_SHMEM_UNMAP:
		return expect(m, 40, 0, 0, why, len);
	default:
		snprintf(why, len, "unknown back-end request %u", m->request);
		return PEER_UNKNOWN;
	}
}

/* Builds the front-end's answer; returns 1 if there is one to send. */
int peer_answer_be_req(const struct peer_msg *m, struct peer_msg *rep)
{
	peer_msg_init(rep, m->request, VHU_VERSION | VHU_FLAG_REPLY);
	peer_put64(rep, 0);
	if (m->request == VHU_BACKEND_SHARED_OBJECT_LOOKUP) {
		/* A memfd stands in for the dma-buf of the shared object. */
		if (add_memfd(rep, "vhu-peer-dmabuf", 0x1000) != PEER_OK)
			return -1;
		return 1;
	}
	return peer_be_req_answered(m) ? 1 : 0;
}

static void put_gpu_update(struct peer_msg *m, uint32_t w, uint32_t h)
{
	vhu_put_le32(m->payload, 0);		/* scanout */
	vhu_put_le32(m->payload + 4, 8);	/* x */
	vhu_put_le32(m->payload + 8, 8);	/* y */
	vhu_put_le32(m->payload + 12, w);
	vhu_put_le32(m->payload + 16, h);
	m->size = 20;
}

static void put_dmabuf_scanout(struct peer_msg *m)
{
	memset(m->payload, 0, 48);
	vhu_put_le32(m->payload, 0);		/* scanout */
	vhu_put_le32(m->payload + 12, 640);	/* width */
	vhu_put_le32(m->payload + 16, 480);	/* height */
	vhu_put_le32(m->payload + 20, 640);	/* fd_width */
	vhu_put_le32(m->payload + 24, 480);	/* fd_height */
	vhu_put_le32(m->payload + 28, 640 * 4);	/* fd_stride */
	vhu_put_le32(m->payload + 36, 0x34325258);	/* XR24 */
	m->size = 40;
}

int peer_build_gpu_req(uint32_t request, struct peer_msg *m)
{
	size_t i;

	peer_msg_init(m, request, 0);
	switch (request) {
	case VHU_GPU_GET_PROTOCOL_FEATURES:
	case VHU_GPU_GET_DISPLAY_INFO:
		return PEER_OK;
	case VHU_GPU_SET_PROTOCOL_FEATURES:
		peer_put64(m, PEER_GPU_FEATURES);
		return PEER_OK;
	case VHU_GPU_CURSOR_POS:
	case VHU_GPU_CURSOR_POS_HIDE:
	case VHU_GPU_SCANOUT:
		vhu_put_le32(m->payload, 0);
		vhu_put_le32(m->payload + 4, request == VHU_GPU_SCANOUT ? 640 : 10);
		vhu_put_le32(m->payload + 8, request == VHU_GPU_SCANOUT ? 480 : 20);
		m->size = 12;
		return PEER_OK;
	case VHU_GPU_CURSOR_UPDATE:
		vhu_put_le32(m->payload, 0);
		vhu_put_le32(m->payload + 4, 10);
		vhu_put_le32(m->payload + 8, 20);
		vhu_put_le32(m->payload + 12, 1);	/* hot_x */
		vhu_put_le32(m->payload + 16, 1);	/* hot_y */
		for (i = 0; i < GPU_CURSOR_BYTES; i++)
			m->payload[20 + i] = (uint8_t)i;
		m->size = 20 + GPU_CURSOR_BYTES;
		return PEER_OK;
	case VHU_GPU_UPDATE:
		put_gpu_update(m, GPU_UPDATE_W, GPU_UPDATE_H);
		memset(m->payload + 20, 0xaa, GPU_UPDATE_W * GPU_UPDATE_H * 4);
		m->size += GPU_UPDATE_W * GPU_UPDATE_H * 4;
		return PEER_OK;
	case VHU_GPU_DMABUF_UPDATE:
		put_gpu_update(m, GPU_UPDATE_W, GPU_UPDATE_H);
		return PEER_OK;
	case VHU_GPU_DMABUF_SCANOUT:
		put_dmabuf_scanout(m);
		return add_memfd(m, "vhu-peer-scanout", 640 * 480 * 4);
	case VHU_GPU_GET_EDID:
		vhu_put_le32(m->payload, 0);
		m->size = 4;
		return PEER_OK;
	case VHU_GPU_DMABUF_SCANOUT2:
		put_dmabuf_scanout(m);
		vhu_put_le64(m->payload + 40, 0);	/* DRM_FORMAT_MOD_LINEAR */
		m->size = 48;
		return add_memfd(m, "vhu-peer-scanout2", 640 * 480 * 4);
	default:
		return PEER_ERR;
	}
}

int peer_check_gpu_req(const struct peer_msg *m, char *why, size_t len)
{
	uint32_t w, h;

	if (m->flags != 0) {
		snprintf(why, len, "GPU request flags 0x%x, expected 0",
			 m->flags);
		return PEER_INVALID;
	}
	switch (m->request) {
	case VHU_GPU_GET_PROTOCOL_FEATURES:
	case VHU_GPU_GET_DISPLAY_INFO:
		return expect(m, 0, 0, 0, why, len);
	case VHU_GPU_SET_PROTOCOL_FEATURES:
		return expect(m, 8, 0, 0, why, len);
	case VHU_GPU_CURSOR_POS:
	case VHU_GPU_CURSOR_POS_HIDE:
	case VHU_GPU_SCANOUT:
		return expect(m, 12, 0, 0, why, len);
	case VHU_GPU_CURSOR_UPDATE:
		return expect(m, 20 + GPU_CURSOR_BYTES, 0, 0, why, len);
	case VHU_GPU_UPDATE:
		if (m->size < 20)
			return expect(m, 20, 0, 0, why, len);
		w = peer_get32(m, 12);
		h = peer_get32(m, 16);
		return expect(m, 20 + w * h * 4, 0, 0, why, len);
	case VHU_GPU_DMABUF_UPDATE:
		return expect(m, 20, 0, 0, why, len);
	case VHU_GPU_DMABUF_SCANOUT:
	case VHU_GPU_DMABUF_SCANOUT2:
		w = m->size >= 20 ? peer_get32(m, 12) : 0;
		return expect(m, m->request == VHU_GPU_DMABUF_SCANOUT ? 40 : 48,
			      w ? 1 : 0, VHU_FDK_MEMFD, why, len);
	case VHU_GPU_GET_EDID:
		return expect(m, 4, 0, 0, why, len);
	default:
		snprintf(why, len, "unknown GPU request %u", m->request);
		return PEER_UNKNOWN;
	}
}

/* Builds the front-end's GPU answer; returns 1 if there is one. */
int peer_answer_gpu_req(const struct peer_msg *m, struct peer_msg *rep)
{
	peer_msg_init(rep, m->request, VHU_FLAG_REPLY);
	switch (m->request) {
	case VHU_GPU_GET_PROTOCOL_FEATURES:
		peer_put64(rep, PEER_GPU_FEATURES);
		return 1;
	case VHU_GPU_GET_DISPLAY_INFO:
		memset(rep->payload, 0, GPU_DISPLAY_INFO_SIZE);
		vhu_put_le32(rep->payload, VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
		/* pmodes[0]: rect x, y, w, h, then enabled, flags */
		vhu_put_le32(rep->payload + 24 + 8, 640);
		vhu_put_le32(rep->payload + 24 + 12, 480);
		vhu_put_le32(rep->payload + 24 + 16, 1);
		rep->size = GPU_DISPLAY_INFO_SIZE;
		return 1;
	case VHU_GPU_DMABUF_UPDATE:
		return 1;
	case VHU_GPU_GET_EDID: {
		static const uint8_t edid_magic[8] = {
			0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00
		};

		memset(rep->payload, 0, GPU_EDID_SIZE);
		vhu_put_le32(rep->payload, VIRTIO_GPU_RESP_OK_EDID);
		vhu_put_le32(rep->payload + 24, 128);
		memcpy(rep->payload + 32, edid_magic, sizeof(edid_magic));
		rep->size = GPU_EDID_SIZE;
		return 1;
	}
	default:
		return 0;
	}
}

/* Checks a reply against what its request calls for. */
int peer_check_reply(const struct peer_msg *req, const struct peer_msg *rep,
		     uint32_t want_flags, long want_size, int want_fds,
		     char *why, size_t len)
{
	if (rep->request != req->request) {
		snprintf(why, len, "reply has request id %u", rep->request);
		return PEER_NO_REPLY;
	}
	if (rep->flags != want_flags) {
		snprintf(why, len, "reply flags 0x%x, expected 0x%x",
			 rep->flags, want_flags);
		return PEER_BAD_FLAGS;
	}
	if (want_size >= 0 && rep->size != (unsigned long)want_size) {
		snprintf(why, len, "reply size %u, expected %ld", rep->size,
			 want_size);
		return PEER_INVALID;
	}
	if (want_fds >= 0 && rep->nfds != want_fds) {
		snprintf(why, len, "reply with %d fds, expected %d", rep->nfds,
			 want_fds);
		return PEER_INVALID;
	}
	return PEER_OK;
}

/* Size of the GPU answer the back-end expects, -1 if none. */
long peer_gpu_reply_size(uint32_t request)
{
	switch (request) {
	case VHU_GPU_GET_PROTOCOL_FEATURES:
		return 8;
	case VHU_GPU_GET_DISPLAY_INFO:
		return GPU_DISPLAY_INFO_SIZE;
	case VHU_GPU_DMABUF_UPDATE:
		return 0;
	case VHU_GPU_GET_EDID:
		return GPU_EDID_SIZE;
	default:
		return -1;
	}
}
