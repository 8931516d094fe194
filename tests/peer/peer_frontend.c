/* SPDX-License-Identifier: MIT */
/*
 * peer_frontend.c - the front-end: drives a script of requests and checks
 * every reply (id, flags exactly 0x5 as QEMU demands, size, fds, values).
 *
 * After SET_BACKEND_REQ_FD and GPU_SET_SOCKET it serves the back-end's
 * burst on the new channel before sending anything else, so the order of
 * the messages across channels is the same on every run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"
#include "vhu_msgs.h"

#define ROLE "frontend"
#define REPLY_FLAGS (VHU_VERSION | VHU_FLAG_REPLY)
#define NEED (VHU_VERSION | VHU_FLAG_NEED_REPLY)

struct fe {
	const struct peer_opts *o;
	struct peer_conn main, be, gpu;
	int be_fd, gpu_fd;	/* our ends of the extra channels */
	uint64_t features;	/* what SET_FEATURES sent */
	uint64_t pfeatures;	/* what SET_PROTOCOL_FEATURES sent */
	bool postcopy;
	int status;		/* outcome noted while the script goes on */
	struct peer_msg *req, *rep;
	char why[256];
	char label[64];
};

/* Continue after a rejection (noted in f->status), stop on anything else. */
#define STEP(f, call)                                                   \
	do {                                                            \
		int step_ret_ = (call);                                 \
		if (step_ret_ == PEER_REJECTED)                         \
			(f)->status = PEER_REJECTED;                    \
		else if (step_ret_ != PEER_OK)                          \
			return step_ret_;                               \
	} while (0)

static const char *name_of(struct fe *f, unsigned channel, uint32_t request)
{
	return peer_msg_label(channel, request, f->label, sizeof(f->label));
}

static uint64_t vring_base_value(unsigned idx, bool packed)
{
	uint64_t avail = 7 + idx;

	if (!packed)
		return avail;
	/* avail idx | avail wrap (bit 15) | used idx << 16 | used wrap */
	return avail | (1u << 15) | (avail << 16) | (UINT64_C(1) << 31);
}

static bool is_packed(const struct fe *f)
{
	return f->features & VHU_BIT(VHU_VIRTIO_F_RING_PACKED);
}

/* ---- building requests ---- */

static void put_vring_state(struct peer_msg *m, uint32_t idx, uint32_t num)
{
	vhu_put_le32(m->payload, idx);
	vhu_put_le32(m->payload + 4, num);
	m->size = 8;
}

static void put_region(uint8_t *p, unsigned n)
{
	vhu_put_le64(p, (uint64_t)n * PEER_REGION_SIZE);		/* gpa */
	vhu_put_le64(p + 8, PEER_REGION_SIZE);				/* size */
	vhu_put_le64(p + 16, PEER_UADDR_BASE + n * PEER_REGION_SIZE);	/* uaddr */
	vhu_put_le64(p + 24, 0);					/* mmap_offset */
}

static int add_fd(struct peer_msg *m, int fd)
{
	if (fd < 0) {
		peer_err(ROLE, "cannot create an fd to pass");
		return PEER_ERR;
	}
	m->fds[m->nfds++] = fd;
	return PEER_OK;
}

static int add_memfd(struct peer_msg *m, const char *name, size_t size)
{
	return add_fd(m, peer_memfd(name, size));
}

static int build_mem_table(struct peer_msg *m, unsigned nregions,
			   unsigned nfds)
{
	unsigned i;

	memset(m->payload, 0, 8);
	vhu_put_le32(m->payload, nregions);
	for (i = 0; i < nregions; i++)
		put_region(m->payload + 8 + 32 * i, i);
	m->size = 8 + 32 * nregions;
	for (i = 0; i < nfds; i++)
		if (add_memfd(m, "vhu-peer-guest-ram", PEER_REGION_SIZE) != PEER_OK)
			return PEER_ERR;
	return PEER_OK;
}

static int build_channel(struct peer_msg *m, int *keep)
{
	int other;
	int fd = peer_socketpair_end(&other);

	if (fd < 0)
		return add_fd(m, -1);
	*keep = other;
	return add_fd(m, fd);
}

static void build_inflight(struct peer_msg *m, uint64_t mmap_size)
{
	memset(m->payload, 0, PEER_INFLIGHT_SIZE);
	vhu_put_le64(m->payload, mmap_size);
	vhu_put_le16(m->payload + 16, PEER_QUEUES);
	vhu_put_le16(m->payload + 18, PEER_VRING_SIZE);
	m->size = PEER_INFLIGHT_SIZE;
}

static void build_single_region(struct peer_msg *m)
{
	memset(m->payload, 0, 8);
	put_region(m->payload + 8, 2);
	m->size = 40;
}

static int build_vring_addr(struct peer_msg *m, unsigned idx)
{
	uint64_t base = PEER_UADDR_BASE + idx * 0x10000u;

	memset(m->payload, 0, 40);
	vhu_put_le32(m->payload, idx);
	vhu_put_le64(m->payload + 8, base);		/* desc */
	vhu_put_le64(m->payload + 16, base + 0x2000);	/* used */
	vhu_put_le64(m->payload + 24, base + 0x1000);	/* avail */
	m->size = 40;
	return PEER_OK;
}

static void build_iotlb(struct peer_msg *m)
{
	memset(m->payload, 0, 32);
	vhu_put_le64(m->payload, 0x100000);		/* iova */
	vhu_put_le64(m->payload + 8, 0x1000);		/* size */
	vhu_put_le64(m->payload + 16, PEER_UADDR_BASE);	/* uaddr */
	m->payload[24] = 3;				/* RW */
	m->payload[25] = 2;				/* UPDATE */
	m->size = 32;
}

static void build_config(struct peer_msg *m, uint32_t size, bool set)
{
	uint32_t i;

	memset(m->payload, 0, 12 + size);
	vhu_put_le32(m->payload, 0);		/* offset */
	vhu_put_le32(m->payload + 4, size);
	vhu_put_le32(m->payload + 8, 0);	/* flags */
	for (i = 0; set && i < size; i++)
		m->payload[12 + i] = (uint8_t)(0x52 + i);
	m->size = 12 + size;
}

static void build_crypto_session(struct peer_msg *m)
{
	memset(m->payload, 0, PEER_CRYPTO_SESSION_SIZE);
	vhu_put_le64(m->payload, 0x0002);	/* CIPHER_CREATE_SESSION */
	vhu_put_le32(m->payload + 8, 1);	/* cipher_alg */
	vhu_put_le32(m->payload + 12, 16);	/* key_len */
	memset(m->payload + 56, 0x11, 16);	/* key */
	vhu_put_le64(m->payload + 1064, UINT64_MAX);	/* session_id: unset */
	m->size = PEER_CRYPTO_SESSION_SIZE;
}

/* A valid request of id `request` for queue idx (where it names one). */
static int build_request(struct fe *f, uint32_t request, uint32_t flags,
			 unsigned idx)
{
	static const uint8_t uuid[16] = { 0x10, 0x32, 0x54, 0x76, 0x98, 0xba,
					  0x4c, 0xde, 0x80, 0x01, 0x23, 0x45,
					  0x67, 0x89, 0xab, 0xcd };
	struct peer_msg *m = f->req;
	int pipe_other;

	peer_msg_init(m, request, flags);
	switch (request) {
	case VHU_GET_FEATURES: case VHU_SET_OWNER: case VHU_RESET_OWNER:
	case VHU_GET_PROTOCOL_FEATURES: case VHU_GET_QUEUE_NUM:
	case VHU_POSTCOPY_ADVISE: case VHU_POSTCOPY_LISTEN:
	case VHU_POSTCOPY_END: case VHU_RESET_DEVICE:
	case VHU_GET_MAX_MEM_SLOTS: case VHU_GET_STATUS:
	case VHU_CHECK_DEVICE_STATE: case VHU_GET_SHMEM_CONFIG:
		return PEER_OK;
	case VHU_SET_FEATURES:
		peer_put64(m, f->features);
		return PEER_OK;
	case VHU_SET_PROTOCOL_FEATURES:
		peer_put64(m, f->pfeatures);
		return PEER_OK;
	case VHU_SET_MEM_TABLE:
		return build_mem_table(m, 2, 2);
	case VHU_SET_LOG_BASE:
		vhu_put_le64(m->payload, 0x1000);	/* mmap_size */
		vhu_put_le64(m->payload + 8, 0);	/* mmap_offset */
		m->size = 16;
		return add_memfd(m, "vhu-peer-dirty-log", 0x1000);
	case VHU_SET_LOG_FD:
		return add_fd(m, peer_eventfd());
	case VHU_SET_VRING_NUM:
		put_vring_state(m, idx, PEER_VRING_SIZE);
		return PEER_OK;
	case VHU_SET_VRING_ADDR:
		return build_vring_addr(m, idx);
	case VHU_SET_VRING_BASE:
		put_vring_state(m, idx,
				(uint32_t)vring_base_value(idx, is_packed(f)));
		return PEER_OK;
	case VHU_GET_VRING_BASE: case VHU_GET_VRING_BASE_SKIP_DRAIN:
	case VHU_VRING_KICK:
		put_vring_state(m, idx, 0);
		return PEER_OK;
	case VHU_SET_VRING_KICK: case VHU_SET_VRING_CALL:
	case VHU_SET_VRING_ERR:
		peer_put64(m, idx);
		return add_fd(m, peer_eventfd());
	case VHU_SET_VRING_ENABLE:
		put_vring_state(m, idx, 1);
		return PEER_OK;
	case VHU_SEND_RARP:
		peer_put64(m, UINT64_C(0x563412005452));	/* 52:54:00:12:34:56 */
		return PEER_OK;
	case VHU_NET_SET_MTU:
		peer_put64(m, 1500);
		return PEER_OK;
	case VHU_SET_BACKEND_REQ_FD:
		return build_channel(m, &f->be_fd);
	case VHU_IOTLB_MSG:
		build_iotlb(m);
		return PEER_OK;
	case VHU_SET_VRING_ENDIAN:
		put_vring_state(m, idx, 0);
		return PEER_OK;
	case VHU_GET_CONFIG:
		build_config(m, 12, false);
		return PEER_OK;
	case VHU_SET_CONFIG:
		build_config(m, 6, true);
		return PEER_OK;
	case VHU_CREATE_CRYPTO_SESSION:
		build_crypto_session(m);
		return PEER_OK;
	case VHU_CLOSE_CRYPTO_SESSION:
		peer_put64(m, 1);
		return PEER_OK;
	case VHU_GET_INFLIGHT_FD:
		build_inflight(m, 0);
		return PEER_OK;
	case VHU_SET_INFLIGHT_FD:
		build_inflight(m, 0x1000);
		return add_memfd(m, "vhu-peer-inflight", 0x1000);
	case VHU_GPU_SET_SOCKET:
		return build_channel(m, &f->gpu_fd);
	case VHU_ADD_MEM_REG:
		build_single_region(m);
		return add_memfd(m, "vhu-peer-hotplug-ram", PEER_REGION_SIZE);
	case VHU_REM_MEM_REG:
		build_single_region(m);
		return PEER_OK;
	case VHU_SET_STATUS:
		peer_put64(m, 0xf);	/* ACK | DRIVER | DRIVER_OK | FEATURES_OK */
		return PEER_OK;
	case VHU_GET_SHARED_OBJECT:
		memcpy(m->payload, uuid, sizeof(uuid));
		m->size = 16;
		return PEER_OK;
	case VHU_SET_DEVICE_STATE_FD:
		vhu_put_le32(m->payload, 0);		/* SAVE */
		vhu_put_le32(m->payload + 4, 0);	/* STOPPED */
		m->size = 8;
		if (add_fd(m, peer_pipe_end(&pipe_other)) != PEER_OK)
			return PEER_ERR;
		close(pipe_other);
		return PEER_OK;
	default:
		/* unknown ids (broken-unknown) carry a u64 */
		peer_put64(m, 0);
		return PEER_OK;
	}
}

/* ---- replies ---- */

/* What the reply to f->req must look like; false if none is due. */
static bool reply_due(struct fe *f, long *size, int *nfds, bool *is_ack)
{
	const struct peer_msg *m = f->req;

	*size = 8;
	*nfds = 0;
	*is_ack = false;
	switch (m->request) {
	case VHU_GET_FEATURES: case VHU_GET_VRING_BASE:
	case VHU_GET_PROTOCOL_FEATURES: case VHU_GET_QUEUE_NUM:
	case VHU_GET_MAX_MEM_SLOTS: case VHU_GET_STATUS:
	case VHU_GET_VRING_BASE_SKIP_DRAIN:
		return true;
	case VHU_IOTLB_MSG: case VHU_POSTCOPY_LISTEN: case VHU_POSTCOPY_END:
	case VHU_CHECK_DEVICE_STATE:
		*is_ack = true;
		return true;
	case VHU_GET_CONFIG:
		*size = m->size;
		return true;
	case VHU_CREATE_CRYPTO_SESSION:
		*size = m->size;
		return true;
	case VHU_POSTCOPY_ADVISE:
		*size = 0;
		*nfds = 1;
		return true;
	case VHU_GET_INFLIGHT_FD:
		*size = PEER_INFLIGHT_SIZE;
		*nfds = 1;
		return true;
	case VHU_GET_SHARED_OBJECT:
		*size = 16;
		*nfds = -1;	/* 0 or 1: checked with the payload */
		return true;
	case VHU_SET_DEVICE_STATE_FD:
		*nfds = -1;	/* by bit 8 of the reply */
		return true;
	case VHU_GET_SHMEM_CONFIG:
		*size = PEER_SHMEM_CONFIG_SIZE;
		return true;
	case VHU_SET_MEM_TABLE:
		if (f->postcopy && m->size > 8) {
			*size = m->size;
			return true;
		}
		break;
	case VHU_SET_LOG_BASE:
		if (f->pfeatures & VHU_BIT(VHU_PF_LOG_SHMFD)) {
			*size = -1;	/* 0, 8 or 16 by implementation */
			return true;
		}
		break;
	default:
		break;
	}
	*is_ack = true;
	return m->flags & VHU_FLAG_NEED_REPLY;
}

/* Checks reply contents that depend on the request. */
static int check_reply_values(struct fe *f)
{
	const struct peer_msg *q = f->req, *r = f->rep;
	uint64_t v = r->size >= 8 ? peer_get64(r, 0) : 0;

	switch (q->request) {
	case VHU_GET_FEATURES:
		/* broken-no-pfeatures goes on as a front-end that does not look */
		if (f->o->script == SCRIPT_BROKEN_NO_PFEATURES)
			return PEER_OK;
		if (!(v & VHU_BIT(VHU_VIRTIO_F_PROTOCOL_FEATURES)))
			return snprintf(f->why, sizeof(f->why),
					"features 0x%llx lack PROTOCOL_FEATURES",
					(unsigned long long)v), PEER_INVALID;
		return PEER_OK;
	case VHU_GET_QUEUE_NUM:
		if (v != PEER_QUEUES)
			return snprintf(f->why, sizeof(f->why),
					"%llu queues", (unsigned long long)v),
			       PEER_INVALID;
		return PEER_OK;
	case VHU_GET_VRING_BASE:
		if (peer_get32(r, 0) != peer_get32(q, 0) ||
		    peer_get32(r, 4) !=
			    (uint32_t)vring_base_value(peer_get32(q, 0),
						       is_packed(f)))
			return snprintf(f->why, sizeof(f->why),
					"vring %u base 0x%x is not what was set",
					peer_get32(r, 0), peer_get32(r, 4)),
			       PEER_INVALID;
		return PEER_OK;
	case VHU_GET_STATUS:
		if (v != 0xf)
			return snprintf(f->why, sizeof(f->why),
					"status 0x%llx, set 0xf",
					(unsigned long long)v), PEER_INVALID;
		return PEER_OK;
	case VHU_GET_SHARED_OBJECT:
		if (r->nfds > 1 || memcmp(r->payload, q->payload, 16) != 0)
			return snprintf(f->why, sizeof(f->why),
					"shared object reply does not echo the uuid"),
			       PEER_INVALID;
		return PEER_OK;
	case VHU_SET_DEVICE_STATE_FD:
		if (r->nfds != ((v & 0x100) ? 0 : 1) || (v & 0xff))
			return snprintf(f->why, sizeof(f->why),
					"device state reply 0x%llx with %d fds",
					(unsigned long long)v, r->nfds),
			       PEER_INVALID;
		return PEER_OK;
	case VHU_CREATE_CRYPTO_SESSION:
		if (peer_get64(r, 1064) == UINT64_MAX)
			return snprintf(f->why, sizeof(f->why),
					"no crypto session id"), PEER_INVALID;
		return PEER_OK;
	default:
		return PEER_OK;
	}
}

/* Sends f->req; receives and checks its reply if one is due. */
static int call(struct fe *f)
{
	bool is_ack;
	long size;
	int nfds, ret;
	const char *name;

	ret = peer_send(&f->main, f->req);
	peer_msg_close_fds(f->req);
	if (ret != PEER_OK || !reply_due(f, &size, &nfds, &is_ack))
		return ret;
	name = name_of(f, VHU_CHAN_MAIN, f->req->request);
	ret = peer_recv(&f->main, f->rep, nfds != 0);
	if (ret == PEER_CLOSED)
		peer_err(ROLE, "back-end closed instead of answering %s", name);
	if (ret != PEER_OK)
		return ret;
	ret = peer_check_reply(f->req, f->rep, REPLY_FLAGS, size, nfds,
			       f->why, sizeof(f->why));
	if (ret == PEER_OK)
		ret = check_reply_values(f);
	if (ret == PEER_OK && is_ack && peer_get64(f->rep, 0) != 0) {
		snprintf(f->why, sizeof(f->why), "back-end rejected it (ack %llu)",
			 (unsigned long long)peer_get64(f->rep, 0));
		ret = PEER_REJECTED;
	}
	if (ret == PEER_NO_REPLY)
		peer_err(ROLE, "no reply to %s: %s", name, f->why);
	else if (ret != PEER_OK)
		peer_err(ROLE, "%s: %s", name, f->why);
	peer_msg_close_fds(f->rep);
	return ret;
}

static int request(struct fe *f, uint32_t request, uint32_t flags,
		   unsigned idx)
{
	if (build_request(f, request, flags, idx) != PEER_OK)
		return PEER_ERR;
	return call(f);
}

/* ---- serving the back-end's channels ---- */

static int serve_one(struct fe *f, struct peer_conn *c, uint32_t want)
{
	struct peer_msg *m = f->rep, *answer = f->req;
	bool gpu = c->channel == VHU_CHAN_GPU;
	int ret, has;

	ret = peer_recv(c, m, true);
	if (ret != PEER_OK)
		return ret;
	if (m->request != want) {
		peer_err(ROLE, "%s channel: got %s, expected %s",
			 vhu_channel_name(c->channel),
			 name_of(f, c->channel, m->request),
			 peer_msg_label(c->channel, want, f->why, sizeof(f->why)));
		peer_msg_close_fds(m);
		return PEER_INVALID;
	}
	ret = gpu ? peer_check_gpu_req(m, f->why, sizeof(f->why))
		  : peer_check_be_req(m, f->why, sizeof(f->why));
	if (ret != PEER_OK) {
		peer_err(ROLE, "%s: %s", name_of(f, c->channel, m->request),
			 f->why);
		peer_msg_close_fds(m);
		return ret;
	}
	has = gpu ? peer_answer_gpu_req(m, answer)
		  : peer_answer_be_req(m, answer);
	peer_msg_close_fds(m);
	if (has < 0)
		return PEER_ERR;
	if (has == 0)
		return PEER_OK;
	ret = peer_send(c, answer);
	peer_msg_close_fds(answer);
	return ret;
}

/* Opens our end of a new channel and serves the back-end's burst on it. */
static int serve_burst(struct fe *f, struct peer_conn *c, int *fd,
		       unsigned channel, const struct peer_step *steps,
		       size_t n)
{
	size_t i;
	int ret;

	if (c->fd < 0 || c->channel != channel) {
		peer_conn_init(c, *fd, channel, ROLE, f->o);
		*fd = -1;
	}
	for (i = 0; i < n; i++) {
		ret = serve_one(f, c, steps[i].request);
		if (ret != PEER_OK)
			return ret;
	}
	return PEER_OK;
}

static int serve_backend_channel(struct fe *f)
{
	const struct peer_step *steps;
	size_t n;

	steps = peer_backend_burst(f->o->script, &n);
	return serve_burst(f, &f->be, &f->be_fd, VHU_CHAN_BACKEND, steps, n);
}

static int serve_gpu_channel(struct fe *f)
{
	const struct peer_step *steps;
	size_t n;

	steps = peer_gpu_burst(f->o->script, &n);
	return serve_burst(f, &f->gpu, &f->gpu_fd, VHU_CHAN_GPU, steps, n);
}

/* ---- scripts ---- */

/* GET_FEATURES, SET_OWNER, GET/SET_PROTOCOL_FEATURES, as QEMU starts. */
static int negotiate(struct fe *f, uint64_t want_pfeatures)
{
	uint64_t offered;

	STEP(f, request(f, VHU_GET_FEATURES, VHU_VERSION, 0));
	STEP(f, request(f, VHU_SET_OWNER, VHU_VERSION, 0));
	STEP(f, request(f, VHU_GET_PROTOCOL_FEATURES, VHU_VERSION, 0));
	offered = peer_get64(f->rep, 0);
	if ((offered & want_pfeatures) != want_pfeatures) {
		peer_err(ROLE, "protocol features 0x%llx lack 0x%llx",
			 (unsigned long long)offered,
			 (unsigned long long)want_pfeatures);
		return PEER_INVALID;
	}
	f->pfeatures = want_pfeatures;
	STEP(f, request(f, VHU_SET_PROTOCOL_FEATURES, VHU_VERSION, 0));
	return PEER_OK;
}

static uint64_t qemu_net_pfeatures(void)
{
	return VHU_BIT(VHU_PF_MQ) | VHU_BIT(VHU_PF_LOG_SHMFD) |
	       VHU_BIT(VHU_PF_RARP) | VHU_BIT(VHU_PF_REPLY_ACK) |
	       VHU_BIT(VHU_PF_MTU) | VHU_BIT(VHU_PF_BACKEND_REQ) |
	       VHU_BIT(VHU_PF_CONFIG) | VHU_BIT(VHU_PF_BACKEND_SEND_FD) |
	       VHU_BIT(VHU_PF_HOST_NOTIFIER) | VHU_BIT(VHU_PF_STATUS) |
	       VHU_BIT(VHU_PF_SHARED_OBJECT);
}

static int start_vring(struct fe *f, unsigned idx)
{
	STEP(f, request(f, VHU_SET_VRING_NUM, VHU_VERSION, idx));
	STEP(f, request(f, VHU_SET_VRING_ADDR, VHU_VERSION, idx));
	STEP(f, request(f, VHU_SET_VRING_BASE, VHU_VERSION, idx));
	STEP(f, request(f, VHU_SET_VRING_KICK, VHU_VERSION, idx));
	STEP(f, request(f, VHU_SET_VRING_CALL, VHU_VERSION, idx));
	return PEER_OK;
}

static int script_handshake(struct fe *f, bool packed)
{
	unsigned q;

	STEP(f, negotiate(f, qemu_net_pfeatures()));
	STEP(f, request(f, VHU_GET_QUEUE_NUM, VHU_VERSION, 0));
	STEP(f, request(f, VHU_SET_BACKEND_REQ_FD, NEED, 0));
	STEP(f, serve_backend_channel(f));
	f->features = VHU_BIT(VHU_VIRTIO_F_VERSION_1) |
		      VHU_BIT(VHU_VIRTIO_F_PROTOCOL_FEATURES) | VHU_BIT(0) | VHU_BIT(5);
	if (packed)
		f->features |= VHU_BIT(VHU_VIRTIO_F_RING_PACKED);
	STEP(f, request(f, VHU_SET_FEATURES, VHU_VERSION, 0));
	STEP(f, request(f, VHU_SET_MEM_TABLE, NEED, 0));
	for (q = 0; q < PEER_QUEUES; q++)
		STEP(f, start_vring(f, q));
	for (q = 0; q < PEER_QUEUES; q++)
		STEP(f, request(f, VHU_SET_VRING_ENABLE, VHU_VERSION, q));
	STEP(f, request(f, VHU_GET_CONFIG, VHU_VERSION, 0));
	STEP(f, request(f, VHU_SET_STATUS, NEED, 0));
	STEP(f, request(f, VHU_GET_STATUS, VHU_VERSION, 0));
	for (q = 0; q < PEER_QUEUES; q++)
		STEP(f, request(f, VHU_GET_VRING_BASE, VHU_VERSION, q));
	return PEER_OK;
}

/* Front-end requests answered only with NEED_REPLY: `all` sets it on
 * every one of them so that each kind of ack appears. */
static uint32_t all_flags(uint32_t request)
{
	switch (request) {
	case VHU_GET_FEATURES: case VHU_GET_PROTOCOL_FEATURES:
	case VHU_SET_PROTOCOL_FEATURES: case VHU_GET_QUEUE_NUM:
	case VHU_SET_FEATURES: case VHU_GET_VRING_BASE:
	case VHU_GET_CONFIG: case VHU_CREATE_CRYPTO_SESSION:
	case VHU_POSTCOPY_ADVISE: case VHU_GET_INFLIGHT_FD:
	case VHU_GET_MAX_MEM_SLOTS: case VHU_GET_STATUS:
	case VHU_GET_SHARED_OBJECT: case VHU_SET_DEVICE_STATE_FD:
	case VHU_CHECK_DEVICE_STATE: case VHU_GET_SHMEM_CONFIG:
	case VHU_GET_VRING_BASE_SKIP_DRAIN: case VHU_SET_LOG_BASE:
		return VHU_VERSION;
	default:
		/* QEMU sets NEED_REPLY on 22, 29 and 30 whatever was
		 * negotiated; REPLY_ACK is negotiated here anyway. */
		return NEED;
	}
}

/* The postcopy exchange: the back-end answers SET_MEM_TABLE with its
 * table, the front-end acknowledges with a u64 0 SET_MEM_TABLE. */
static int postcopy_mem_table(struct fe *f)
{
	STEP(f, request(f, VHU_SET_MEM_TABLE, VHU_VERSION, 0));
	peer_msg_init(f->req, VHU_SET_MEM_TABLE, VHU_VERSION);
	peer_put64(f->req, 0);
	STEP(f, call(f));
	return PEER_OK;
}

static int script_all(struct fe *f)
{
	uint32_t id;

	f->features = PEER_BACKEND_FEATURES & ~VHU_BIT(VHU_VIRTIO_F_RING_PACKED);
	STEP(f, request(f, VHU_GET_FEATURES, VHU_VERSION, 0));
	STEP(f, request(f, VHU_SET_FEATURES, VHU_VERSION, 0));
	STEP(f, request(f, VHU_GET_PROTOCOL_FEATURES, VHU_VERSION, 0));
	f->pfeatures = PEER_BACKEND_PFEATURES;
	STEP(f, request(f, VHU_SET_PROTOCOL_FEATURES, VHU_VERSION, 0));
	for (id = VHU_SET_OWNER; id <= VHU_FE_REQ_MAX; id++) {
		if (id == VHU_GET_PROTOCOL_FEATURES ||
		    id == VHU_SET_PROTOCOL_FEATURES)
			continue;
		STEP(f, request(f, id, all_flags(id), 0));
		switch (id) {
		case VHU_SET_BACKEND_REQ_FD:
			STEP(f, serve_backend_channel(f));
			break;
		case VHU_GPU_SET_SOCKET:
			STEP(f, serve_gpu_channel(f));
			break;
		case VHU_POSTCOPY_LISTEN:
			f->postcopy = true;
			STEP(f, postcopy_mem_table(f));
			break;
		case VHU_POSTCOPY_END:
			f->postcopy = false;
			break;
		case VHU_RESET_DEVICE:
			/* ready to be reinitialized: ring 0's base again, which
			 * GET_VRING_BASE_SKIP_DRAIN asks for later */
			STEP(f, request(f, VHU_SET_VRING_BASE, all_flags(VHU_SET_VRING_BASE), 0));
			break;
		default:
			break;
		}
	}
	/* the NOFD variant of a vring fd message */
	peer_msg_init(f->req, VHU_SET_VRING_CALL, NEED);
	peer_put64(f->req, 1 | VHU_VRING_NOFD_MASK);
	STEP(f, call(f));
	return PEER_OK;
}

static int script_broken_flags(struct fe *f)
{
	STEP(f, negotiate(f, qemu_net_pfeatures()));
	/* the back-end answers this one with version 2 flags */
	STEP(f, request(f, VHU_GET_QUEUE_NUM, VHU_VERSION, 0));
	return PEER_OK;
}

static int script_broken_fds(struct fe *f)
{
	STEP(f, negotiate(f, qemu_net_pfeatures()));
	/* 2 regions, 1 fd: the back-end must reject the table */
	peer_msg_init(f->req, VHU_SET_MEM_TABLE, NEED);
	if (build_mem_table(f->req, 2, f->o->healthy ? 2 : 1) != PEER_OK)
		return PEER_ERR;
	STEP(f, call(f));
	STEP(f, request(f, VHU_GET_QUEUE_NUM, VHU_VERSION, 0));
	return PEER_OK;
}

/* A header announcing 4 GiB, with no payload behind it. */
static int send_oversize_header(struct fe *f)
{
	uint8_t hdr[VHU_HDR_SIZE];
	struct peer_msg *m = f->req;

	peer_msg_init(m, VHU_SET_MEM_TABLE, VHU_VERSION);
	m->size = 0xffffffffu;
	vhu_put_le32(hdr, m->request);
	vhu_put_le32(hdr + 4, m->flags);
	vhu_put_le32(hdr + 8, m->size);
	peer_log_msg(&f->main, "sent", m, "oversized");
	return peer_send_raw(&f->main, hdr, sizeof(hdr));
}

static int script_broken_oversize(struct fe *f)
{
	STEP(f, request(f, VHU_GET_FEATURES, VHU_VERSION, 0));
	if (!f->o->healthy && send_oversize_header(f) != PEER_OK)
		return PEER_ERR;
	STEP(f, request(f, VHU_SET_OWNER, VHU_VERSION, 0));
	STEP(f, request(f, VHU_GET_PROTOCOL_FEATURES, VHU_VERSION, 0));
	f->pfeatures = qemu_net_pfeatures();
	STEP(f, request(f, VHU_SET_PROTOCOL_FEATURES, VHU_VERSION, 0));
	STEP(f, request(f, VHU_GET_QUEUE_NUM, VHU_VERSION, 0));
	return PEER_OK;
}

static int script_broken_noreply(struct fe *f)
{
	STEP(f, negotiate(f, qemu_net_pfeatures()));
	/* Send the NEED_REPLY request and a GET_FEATURES behind it without
	 * waiting: the first reply to come must then be the ack. */
	const char *name;
	int ret;

	if (f->o->healthy) {
		STEP(f, request(f, VHU_SET_VRING_ENABLE, NEED, 0));
		STEP(f, request(f, VHU_GET_FEATURES, VHU_VERSION, 0));
		return PEER_OK;
	}

	if (build_request(f, VHU_SET_VRING_ENABLE, NEED, 0) != PEER_OK ||
	    peer_send(&f->main, f->req) != PEER_OK)
		return PEER_ERR;
	if (build_request(f, VHU_GET_FEATURES, VHU_VERSION, 0) != PEER_OK ||
	    peer_send(&f->main, f->req) != PEER_OK)
		return PEER_ERR;
	ret = peer_recv(&f->main, f->rep, false);
	if (ret != PEER_OK)
		return ret;
	if (f->rep->request == VHU_SET_VRING_ENABLE) {
		peer_err(ROLE, "VHOST_USER_SET_VRING_ENABLE was answered");
		return PEER_ERR;
	}
	name = name_of(f, VHU_CHAN_MAIN, f->rep->request);
	peer_err(ROLE, "no reply to %s: the reply to %s came first",
		 vhu_msg_name(VHU_CHAN_MAIN, VHU_SET_VRING_ENABLE), name);
	return PEER_NO_REPLY;
}

static int script_broken_unknown(struct fe *f)
{
	STEP(f, negotiate(f, qemu_net_pfeatures()));
	if (!f->o->healthy)
		STEP(f, request(f, PEER_UNKNOWN_REQUEST, NEED, 0));
	STEP(f, request(f, VHU_GET_QUEUE_NUM, VHU_VERSION, 0));
	return PEER_OK;
}

/* ---- one broken script per rule of the findings engine ---- */

/* negotiate as QEMU does, then SET_FEATURES (split rings) */
static int setup(struct fe *f, uint64_t pfeatures, uint64_t extra_features)
{
	STEP(f, negotiate(f, pfeatures));
	f->features = VHU_BIT(VHU_VIRTIO_F_VERSION_1) |
		      VHU_BIT(VHU_VIRTIO_F_PROTOCOL_FEATURES) | extra_features;
	STEP(f, request(f, VHU_SET_FEATURES, VHU_VERSION, 0));
	return PEER_OK;
}

/* A one-region table whose region is backed by fd. */
static int mem_table_with(struct fe *f, int fd)
{
	peer_msg_init(f->req, VHU_SET_MEM_TABLE, NEED);
	if (build_mem_table(f->req, 1, 0) != PEER_OK || add_fd(f->req, fd) != PEER_OK)
		return PEER_ERR;
	return call(f);
}

/* A table of n regions, each in a memfd of its own. */
static int mem_table_of(struct fe *f, unsigned n)
{
	peer_msg_init(f->req, VHU_SET_MEM_TABLE, NEED);
	if (build_mem_table(f->req, n, n) != PEER_OK)
		return PEER_ERR;
	return call(f);
}

static int script_broken_memory(struct fe *f)
{
	uint64_t cms = qemu_net_pfeatures() | VHU_BIT(VHU_PF_CONFIGURE_MEM_SLOTS);
	struct peer_msg *m = f->req;
	unsigned i;

	switch (f->o->script) {
	case SCRIPT_BROKEN_OVERLAP:
		/* region 1 at the guest address of region 0 */
		STEP(f, setup(f, qemu_net_pfeatures(), 0));
		peer_msg_init(m, VHU_SET_MEM_TABLE, NEED);
		if (build_mem_table(m, 2, 2) != PEER_OK)
			return PEER_ERR;
		vhu_put_le64(m->payload + 8 + 32, 0);
		STEP(f, call(f));
		return PEER_OK;
	case SCRIPT_BROKEN_SLOTS:
		/* one ADD_MEM_REG more than GET_MAX_MEM_SLOTS allows */
		STEP(f, setup(f, cms, 0));
		STEP(f, request(f, VHU_GET_MAX_MEM_SLOTS, VHU_VERSION, 0));
		for (i = 0; i <= PEER_MAX_MEM_SLOTS; i++) {
			peer_msg_init(m, VHU_ADD_MEM_REG, NEED);
			memset(m->payload, 0, 8);
			put_region(m->payload + 8, i);
			m->size = 40;
			if (add_memfd(m, "vhu-peer-hotplug-ram", PEER_REGION_SIZE) != PEER_OK)
				return PEER_ERR;
			STEP(f, call(f));
		}
		return PEER_OK;
	case SCRIPT_BROKEN_REM_REGION:
		/* region 2 was never added */
		STEP(f, setup(f, cms, 0));
		STEP(f, request(f, VHU_SET_MEM_TABLE, NEED, 0));
		STEP(f, request(f, VHU_REM_MEM_REG, NEED, 0));
		return PEER_OK;
	case SCRIPT_BROKEN_REGION_FD:
		STEP(f, setup(f, qemu_net_pfeatures(), 0));
		STEP(f, mem_table_with(f, peer_eventfd()));
		return PEER_OK;
	case SCRIPT_BROKEN_REGION_SIZE:
		/* a 1 MiB region in a 4 KiB memfd */
		STEP(f, setup(f, qemu_net_pfeatures(), 0));
		STEP(f, mem_table_with(f, peer_memfd("vhu-peer-guest-ram", 0x1000)));
		return PEER_OK;
	case SCRIPT_BROKEN_REGIONS:
		/* one region more than a memory table may have, without
		 * CONFIGURE_MEM_SLOTS; the back-end rejects it */
		STEP(f, setup(f, qemu_net_pfeatures(), 0));
		STEP(f, mem_table_of(f, f->o->healthy ? PEER_BASELINE_REGIONS
						      : PEER_BASELINE_REGIONS + 1));
		return PEER_OK;
	case SCRIPT_BROKEN_TABLE_SLOTS:
		/* the back-end has one slot (GET_MAX_MEM_SLOTS), the table two
		 * regions; the back-end rejects it */
		STEP(f, setup(f, cms, 0));
		STEP(f, request(f, VHU_GET_MAX_MEM_SLOTS, VHU_VERSION, 0));
		STEP(f, request(f, VHU_SET_MEM_TABLE, NEED, 0));
		return PEER_OK;
	case SCRIPT_BROKEN_CTRUNC:
		/* three regions: the back-end's buffer has room for two fds */
		STEP(f, setup(f, qemu_net_pfeatures(), 0));
		STEP(f, mem_table_of(f, 3));
		return PEER_OK;
	default:
		return PEER_USAGE;
	}
}

static int script_broken_rings(struct fe *f)
{
	struct peer_msg *m = f->req;

	STEP(f, setup(f, qemu_net_pfeatures(), 0));
	switch (f->o->script) {
	case SCRIPT_BROKEN_RING_ADDR:
		/* the descriptor table 1 GiB past guest memory */
		STEP(f, request(f, VHU_SET_MEM_TABLE, NEED, 0));
		STEP(f, build_request(f, VHU_SET_VRING_ADDR, VHU_VERSION, 0));
		vhu_put_le64(m->payload + 8, PEER_UADDR_BASE + 0x40000000u);
		STEP(f, call(f));
		return PEER_OK;
	case SCRIPT_BROKEN_RING_INDEX:
		/* 2 queues (pairs for an unknown device: rings 0..3), ring 4 */
		STEP(f, request(f, VHU_GET_QUEUE_NUM, VHU_VERSION, 0));
		STEP(f, request(f, VHU_SET_VRING_NUM, VHU_VERSION, 2 * PEER_QUEUES));
		return PEER_OK;
	case SCRIPT_BROKEN_RING_NUM:
	case SCRIPT_BROKEN_RING_LARGE:
		/* not a power of two; a power of two above 32768 */
		peer_msg_init(m, VHU_SET_VRING_NUM, VHU_VERSION);
		put_vring_state(m, 0, f->o->script == SCRIPT_BROKEN_RING_NUM ? 100 : 65536);
		STEP(f, call(f));
		return PEER_OK;
	case SCRIPT_BROKEN_VRING_BASE:
		/* the back-end answers for ring 1 */
		STEP(f, request(f, VHU_SET_VRING_BASE, VHU_VERSION, 0));
		STEP(f, request(f, VHU_GET_VRING_BASE, VHU_VERSION, 0));
		return PEER_OK;
	default:
		return PEER_USAGE;
	}
}

static int script_broken_session(struct fe *f)
{
	uint64_t net = qemu_net_pfeatures();
	struct peer_msg *m = f->req;

	switch (f->o->script) {
	case SCRIPT_BROKEN_EXTRA_REPLY:
		/* the back-end answers GET_QUEUE_NUM twice; the second answer is
		 * read (and dropped) before the session ends */
		STEP(f, negotiate(f, net));
		STEP(f, request(f, VHU_GET_QUEUE_NUM, VHU_VERSION, 0));
		STEP(f, peer_recv(&f->main, f->rep, false));
		if (f->rep->request != VHU_GET_QUEUE_NUM) {
			peer_err(ROLE, "expected a second GET_QUEUE_NUM reply, got %s",
				 name_of(f, VHU_CHAN_MAIN, f->rep->request));
			return PEER_INVALID;
		}
		return PEER_OK;
	case SCRIPT_BROKEN_NEED_REPLY:
		STEP(f, setup(f, net & ~VHU_BIT(VHU_PF_REPLY_ACK), 0));
		STEP(f, request(f, VHU_SET_VRING_NUM, NEED, 0));
		return PEER_OK;
	case SCRIPT_BROKEN_GATE:
		STEP(f, setup(f, net & ~VHU_BIT(VHU_PF_STATUS), 0));
		STEP(f, request(f, VHU_SET_STATUS, NEED, 0));
		return PEER_OK;
	case SCRIPT_BROKEN_FEATURES:
		/* bit 1 is not in the back-end's offer */
		STEP(f, setup(f, net, VHU_BIT(1)));
		STEP(f, request(f, VHU_GET_QUEUE_NUM, VHU_VERSION, 0));
		return PEER_OK;
	case SCRIPT_BROKEN_LOG_SIZE:
		/* 8 bytes of log cover 256 KiB; the table has 2 MiB */
		STEP(f, setup(f, net, 0));
		STEP(f, request(f, VHU_SET_MEM_TABLE, NEED, 0));
		STEP(f, build_request(f, VHU_SET_LOG_BASE, VHU_VERSION, 0));
		vhu_put_le64(m->payload, 8);
		STEP(f, call(f));
		return PEER_OK;
	case SCRIPT_BROKEN_LOG_ALL:
		STEP(f, setup(f, net & ~VHU_BIT(VHU_PF_LOG_SHMFD), VHU_BIT(VHU_VIRTIO_F_LOG_ALL)));
		return PEER_OK;
	case SCRIPT_BROKEN_ORDER:
		/* the memory table before SET_OWNER */
		STEP(f, request(f, VHU_GET_FEATURES, VHU_VERSION, 0));
		STEP(f, request(f, VHU_SET_MEM_TABLE, VHU_VERSION, 0));
		STEP(f, request(f, VHU_SET_OWNER, VHU_VERSION, 0));
		return PEER_OK;
	default:
		return PEER_USAGE;
	}
}

/* Negotiation and its consequences: messages that need a feature that
 * was not negotiated, a reconnect that negotiates less, a reset. */
static int script_broken_negotiation(struct fe *f)
{
	uint64_t net = qemu_net_pfeatures();
	uint64_t inflight = net | VHU_BIT(VHU_PF_INFLIGHT_SHMFD);

	switch (f->o->script) {
	case SCRIPT_BROKEN_NO_PFEATURES:
		/* the back-end's features lack PROTOCOL_FEATURES; the front-end
		 * asks for protocol features all the same */
		STEP(f, negotiate(f, net));
		return PEER_OK;
	case SCRIPT_BROKEN_ENABLE:
		/* SET_FEATURES without PROTOCOL_FEATURES, then a ring enabled */
		STEP(f, negotiate(f, net));
		f->features = VHU_BIT(VHU_VIRTIO_F_VERSION_1);
		STEP(f, request(f, VHU_SET_FEATURES, VHU_VERSION, 0));
		STEP(f, request(f, VHU_SET_VRING_ENABLE, VHU_VERSION, 0));
		return PEER_OK;
	case SCRIPT_BROKEN_POSTCOPY:
		/* PAGEFAULT not negotiated */
		STEP(f, setup(f, net, 0));
		STEP(f, request(f, VHU_POSTCOPY_ADVISE, VHU_VERSION, 0));
		return PEER_OK;
	case SCRIPT_BROKEN_RECONNECT:
		/* the second session loses INFLIGHT_SHMFD */
		STEP(f, setup(f, f->o->session == 0 || f->o->healthy ? inflight : net, 0));
		STEP(f, request(f, VHU_GET_QUEUE_NUM, VHU_VERSION, 0));
		return PEER_OK;
	case SCRIPT_BROKEN_RESET:
		/* ring 0 started, the device reset, then its base asked for
		 * without setting it again: the back-end answers 0 */
		STEP(f, setup(f, net | VHU_BIT(VHU_PF_RESET_DEVICE), 0));
		STEP(f, request(f, VHU_SET_MEM_TABLE, NEED, 0));
		STEP(f, start_vring(f, 0));
		STEP(f, request(f, VHU_RESET_DEVICE, NEED, 0));
		if (f->o->healthy)
			STEP(f, request(f, VHU_SET_VRING_BASE, VHU_VERSION, 0));
		STEP(f, request(f, VHU_GET_VRING_BASE, VHU_VERSION, 0));
		return PEER_OK;
	default:
		return PEER_USAGE;
	}
}

static int run_script(struct fe *f)
{
	switch (f->o->script) {
	case SCRIPT_HANDSHAKE:
		return script_handshake(f, false);
	case SCRIPT_HANDSHAKE_PACKED:
		return script_handshake(f, true);
	case SCRIPT_ALL:
		return script_all(f);
	case SCRIPT_BROKEN_CLOSE:
		/* the back-end dies inside its GET_PROTOCOL_FEATURES reply */
		return negotiate(f, qemu_net_pfeatures());
	case SCRIPT_BROKEN_FLAGS:
		return script_broken_flags(f);
	case SCRIPT_BROKEN_FDS:
		return script_broken_fds(f);
	case SCRIPT_BROKEN_OVERSIZE:
		return script_broken_oversize(f);
	case SCRIPT_BROKEN_NOREPLY:
		return script_broken_noreply(f);
	case SCRIPT_BROKEN_UNKNOWN:
		return script_broken_unknown(f);
	case SCRIPT_BROKEN_OVERLAP: case SCRIPT_BROKEN_SLOTS:
	case SCRIPT_BROKEN_REM_REGION: case SCRIPT_BROKEN_REGION_FD:
	case SCRIPT_BROKEN_REGION_SIZE: case SCRIPT_BROKEN_CTRUNC:
	case SCRIPT_BROKEN_REGIONS: case SCRIPT_BROKEN_TABLE_SLOTS:
		return script_broken_memory(f);
	case SCRIPT_BROKEN_RING_ADDR: case SCRIPT_BROKEN_RING_INDEX:
	case SCRIPT_BROKEN_RING_NUM: case SCRIPT_BROKEN_VRING_BASE:
	case SCRIPT_BROKEN_RING_LARGE:
		return script_broken_rings(f);
	case SCRIPT_BROKEN_NO_PFEATURES: case SCRIPT_BROKEN_ENABLE:
	case SCRIPT_BROKEN_POSTCOPY: case SCRIPT_BROKEN_RECONNECT:
	case SCRIPT_BROKEN_RESET:
		return script_broken_negotiation(f);
	case SCRIPT_BROKEN_EXTRA_REPLY: case SCRIPT_BROKEN_NEED_REPLY:
	case SCRIPT_BROKEN_GATE: case SCRIPT_BROKEN_FEATURES:
	case SCRIPT_BROKEN_LOG_SIZE: case SCRIPT_BROKEN_LOG_ALL:
	case SCRIPT_BROKEN_ORDER:
		return script_broken_session(f);
	default:
		return PEER_USAGE;
	}
}

int peer_frontend_run(int fd, const struct peer_opts *o)
{
	struct fe f;
	int ret;

	memset(&f, 0, sizeof(f));
	f.o = o;
	f.be_fd = f.gpu_fd = -1;
	f.be.fd = f.gpu.fd = -1;
	f.req = malloc(sizeof(*f.req));
	f.rep = malloc(sizeof(*f.rep));
	if (!f.req || !f.rep) {
		free(f.req);
		free(f.rep);
		close(fd);
		return PEER_ERR;
	}
	peer_conn_init(&f.main, fd, VHU_CHAN_MAIN, ROLE, o);
	ret = run_script(&f);
	if (ret == PEER_OK)
		ret = f.status;
	if (f.be.fd >= 0)
		peer_conn_close(&f.be);
	if (f.gpu.fd >= 0)
		peer_conn_close(&f.gpu);
	if (f.be_fd >= 0)
		close(f.be_fd);
	if (f.gpu_fd >= 0)
		close(f.gpu_fd);
	peer_conn_close(&f.main);
	free(f.req);
	free(f.rep);
	return ret;
}
