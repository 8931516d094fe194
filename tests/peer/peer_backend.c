/* SPDX-License-Identifier: MIT */
/*
 * peer_backend.c - the back-end: answers one connection, validating every
 * request (flags, size, fd count, fd kind, values) before it answers.
 *
 * A malformed or unknown request does not end the session: it is noted
 * (the exit status says what was seen first), answered with a non-zero
 * ack when the front-end asked for one, and the session goes on.  That is
 * what lets the broken scripts put valid messages after the bad one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"

#define ROLE "backend"
#define REPLY_FLAGS (VHU_VERSION | VHU_FLAG_REPLY)

struct be {
	const struct peer_opts *o;
	struct peer_conn main, chan, gpu;
	uint64_t features, pfeatures, status;
	uint64_t max_slots;	/* what GET_MAX_MEM_SLOTS answered, 0: not asked */
	bool postcopy;
	bool skipped_reply;	/* broken-noreply: done once */
	uint32_t vring_base[PEER_QUEUES];
	int result;		/* first anomaly seen, 0 if none */
	struct peer_msg *req, *rep, *sub;
	char why[256];
	char label[64];
};

static const char *name_of(struct be *b, unsigned channel, uint32_t request)
{
	return peer_msg_label(channel, request, b->label, sizeof(b->label));
}

static void note(struct be *b, int status)
{
	if (b->result == PEER_OK)
		b->result = status;
}

/* ---- validating requests ---- */

static int bad(struct be *b, const char *fmt, unsigned long long a,
	       unsigned long long c)
{
	snprintf(b->why, sizeof(b->why), fmt, a, c);
	return PEER_INVALID;
}

static int shape(struct be *b, uint32_t size, int nfds, enum vhu_fd_kind kind)
{
	const struct peer_msg *m = b->req;
	int i;

	if (m->size != size)
		return bad(b, "size %llu, expected %llu", m->size, size);
	if (m->nfds != nfds)
		return bad(b, "%llu fds, expected %llu", (unsigned)m->nfds,
			   (unsigned)nfds);
	for (i = 0; i < nfds; i++) {
		if (peer_fd_kind(m->fds[i]) != kind) {
			snprintf(b->why, sizeof(b->why),
				 "fd %d is a %s, expected a %s", i,
				 peer_fd_kind_name(peer_fd_kind(m->fds[i])),
				 peer_fd_kind_name(kind));
			return PEER_INVALID;
		}
	}
	return PEER_OK;
}

static int vring_index(struct be *b, uint32_t idx)
{
	if (idx >= PEER_QUEUES)
		return bad(b, "vring index %llu of %llu queues", idx,
			   PEER_QUEUES);
	return PEER_OK;
}

static int vring_state(struct be *b)
{
	int ret = shape(b, 8, 0, 0);

	return ret ? ret : vring_index(b, peer_get32(b->req, 0));
}

static int check_mem_table(struct be *b)
{
	const struct peer_msg *m = b->req;
	uint32_t n, i;
	uint64_t end;

	if (b->postcopy && m->size == 8)	/* the postcopy acknowledgement */
		return shape(b, 8, 0, 0);
	if (m->size < 8)
		return bad(b, "size %llu, shorter than %llu", m->size, 8);
	n = peer_get32(m, 0);
	if (n == 0 || n > PEER_BASELINE_REGIONS)
		return bad(b, "%llu regions (1..%llu allowed)", n, PEER_BASELINE_REGIONS);
	if (b->max_slots && n > b->max_slots)
		return bad(b, "%llu regions, %llu memory slots", n, b->max_slots);
	if (m->size != 8 + 32 * n)
		return bad(b, "size %llu for %llu regions", m->size, n);
	if ((uint32_t)m->nfds != n)
		return bad(b, "%llu regions but %llu fds", n, (unsigned)m->nfds);
	if (shape(b, m->size, (int)n, VHU_FDK_MEMFD) != PEER_OK)
		return PEER_INVALID;
	for (i = 0; i < n; i++) {
		end = peer_get64(m, 8 + 32 * i + 8) +
		      peer_get64(m, 8 + 32 * i + 24);
		if ((uint64_t)peer_fd_size(m->fds[i]) < end)
			return bad(b, "region %llu ends past its memfd (%llu)",
				   i, end);
	}
	return PEER_OK;
}

static int check_vring_file(struct be *b)
{
	uint64_t v;
	int ret;

	if (b->req->size != 8)
		return shape(b, 8, 0, 0);
	v = peer_get64(b->req, 0);
	ret = shape(b, 8, (v & VHU_VRING_NOFD_MASK) ? 0 : 1, VHU_FDK_EVENTFD);
	return ret ? ret : vring_index(b, v & VHU_VRING_IDX_MASK);
}

static int check_config(struct be *b)
{
	const struct peer_msg *m = b->req;

	if (m->size < 12)
		return bad(b, "size %llu, shorter than %llu", m->size, 12);
	return shape(b, 12 + peer_get32(m, 4), 0, 0);
}

static int check_subset(struct be *b, uint64_t offered)
{
	uint64_t v;
	int ret = shape(b, 8, 0, 0);

	if (ret)
		return ret;
	v = peer_get64(b->req, 0);
	if (v & ~offered)
		return bad(b, "0x%llx has bits not offered (0x%llx)", v,
			   offered);
	return PEER_OK;
}

static int validate(struct be *b)
{
	const struct peer_msg *m = b->req;

	if ((m->flags & VHU_FLAG_VERSION_MASK) != VHU_VERSION ||
	    (m->flags & (VHU_FLAG_REPLY | VHU_FLAG_RESERVED_MASK)))
		return bad(b, "bad flags 0x%llx", m->flags, 0);
	switch (m->request) {
	case VHU_GET_FEATURES: case VHU_SET_OWNER: case VHU_RESET_OWNER:
	case VHU_GET_PROTOCOL_FEATURES: case VHU_GET_QUEUE_NUM:
	case VHU_POSTCOPY_ADVISE: case VHU_POSTCOPY_LISTEN:
	case VHU_POSTCOPY_END: case VHU_RESET_DEVICE:
	case VHU_GET_MAX_MEM_SLOTS: case VHU_GET_STATUS:
	case VHU_CHECK_DEVICE_STATE: case VHU_GET_SHMEM_CONFIG:
		return shape(b, 0, 0, 0);
	case VHU_SET_FEATURES:
		return check_subset(b, PEER_BACKEND_FEATURES);
	case VHU_SET_PROTOCOL_FEATURES:
		return check_subset(b, PEER_BACKEND_PFEATURES);
	case VHU_SET_MEM_TABLE:
		return check_mem_table(b);
	case VHU_SET_LOG_BASE:
		if (b->pfeatures & VHU_BIT(VHU_PF_LOG_SHMFD))
			return shape(b, 16, 1, VHU_FDK_MEMFD);
		return shape(b, 8, 0, 0);
	case VHU_SET_LOG_FD:
		return shape(b, 0, 1, VHU_FDK_EVENTFD);
	case VHU_SET_VRING_NUM: case VHU_SET_VRING_BASE:
	case VHU_GET_VRING_BASE: case VHU_SET_VRING_ENDIAN:
	case VHU_VRING_KICK: case VHU_GET_VRING_BASE_SKIP_DRAIN:
		return vring_state(b);
	case VHU_SET_VRING_ENABLE:
		if (vring_state(b) != PEER_OK)
			return PEER_INVALID;
		if (peer_get32(m, 4) > 1)
			return bad(b, "enable %llu", peer_get32(m, 4), 0);
		return PEER_OK;
	case VHU_SET_VRING_ADDR:
		if (shape(b, 40, 0, 0) != PEER_OK)
			return PEER_INVALID;
		return vring_index(b, peer_get32(m, 0));
	case VHU_SET_VRING_KICK: case VHU_SET_VRING_CALL:
	case VHU_SET_VRING_ERR:
		return check_vring_file(b);
	case VHU_SEND_RARP: case VHU_NET_SET_MTU:
	case VHU_CLOSE_CRYPTO_SESSION: case VHU_SET_STATUS:
		return shape(b, 8, 0, 0);
	case VHU_SET_BACKEND_REQ_FD: case VHU_GPU_SET_SOCKET:
		return shape(b, 0, 1, VHU_FDK_SOCKET);
	case VHU_IOTLB_MSG:
		return shape(b, 32, 0, 0);
	case VHU_GET_CONFIG: case VHU_SET_CONFIG:
		return check_config(b);
	case VHU_CREATE_CRYPTO_SESSION:
		return shape(b, PEER_CRYPTO_SESSION_SIZE, 0, 0);
	case VHU_GET_INFLIGHT_FD:
		return shape(b, PEER_INFLIGHT_SIZE, 0, 0);
	case VHU_SET_INFLIGHT_FD:
		return shape(b, PEER_INFLIGHT_SIZE, 1, VHU_FDK_MEMFD);
	case VHU_ADD_MEM_REG:
		return shape(b, 40, 1, VHU_FDK_MEMFD);
	case VHU_REM_MEM_REG:
		return shape(b, 40, 0, 0);
	case VHU_GET_SHARED_OBJECT:
		return shape(b, 16, 0, 0);
	case VHU_SET_DEVICE_STATE_FD:
		return shape(b, 8, 1, VHU_FDK_PIPE);
	default:
		snprintf(b->why, sizeof(b->why), "unknown request");
		return PEER_UNKNOWN;
	}
}

/* ---- answering ---- */

static int add_fd(struct peer_msg *m, int fd)
{
	if (fd < 0)
		return PEER_ERR;
	m->fds[m->nfds++] = fd;
	return PEER_OK;
}

static void echo(struct be *b)
{
	memcpy(b->rep->payload, b->req->payload, b->req->size);
	b->rep->size = b->req->size;
}

/* Applies the request and builds its reply; returns 1 if there is one. */
static int answer(struct be *b)
{
	const struct peer_msg *q = b->req;
	struct peer_msg *r = b->rep;
	uint32_t i, idx = q->size >= 4 ? peer_get32(q, 0) : 0;

	peer_msg_init(r, q->request, REPLY_FLAGS);
	peer_put64(r, 0);
	switch (q->request) {
	case VHU_GET_FEATURES:
		peer_put64(r, PEER_BACKEND_FEATURES);
		return 1;
	case VHU_SET_FEATURES:
		b->features = peer_get64(q, 0);
		break;
	case VHU_GET_PROTOCOL_FEATURES:
		peer_put64(r, PEER_BACKEND_PFEATURES);
		return 1;
	case VHU_SET_PROTOCOL_FEATURES:
		b->pfeatures = peer_get64(q, 0);
		break;
	case VHU_GET_QUEUE_NUM:
		peer_put64(r, PEER_QUEUES);
		return 1;
	case VHU_SET_VRING_BASE:
		b->vring_base[idx] = peer_get32(q, 4);
		break;
	case VHU_GET_VRING_BASE: case VHU_GET_VRING_BASE_SKIP_DRAIN:
		vhu_put_le32(r->payload, idx);
		vhu_put_le32(r->payload + 4, b->vring_base[idx]);
		return 1;
	case VHU_SET_MEM_TABLE:
		if (!b->postcopy || q->size == 8)
			break;
		/* postcopy: the table again, with our mapping addresses */
		echo(b);
		for (i = 0; i < peer_get32(q, 0); i++)
			vhu_put_le64(r->payload + 8 + 32 * i + 16,
				     UINT64_C(0x7e0000000000) +
					     i * PEER_REGION_SIZE);
		return 1;
	case VHU_SET_LOG_BASE:
		if (!(b->pfeatures & VHU_BIT(VHU_PF_LOG_SHMFD)))
			break;
		peer_put64(r, peer_get64(q, 0));	/* libvhost-user style */
		return 1;
	case VHU_IOTLB_MSG: case VHU_CHECK_DEVICE_STATE:
		return 1;
	case VHU_POSTCOPY_LISTEN:
		b->postcopy = true;
		return 1;
	case VHU_POSTCOPY_END:
		b->postcopy = false;
		return 1;
	case VHU_GET_CONFIG:
		echo(b);
		for (i = 0; i < peer_get32(q, 4); i++)
			r->payload[12 + i] = (uint8_t)(0x52 + i);
		return 1;
	case VHU_CREATE_CRYPTO_SESSION:
		echo(b);
		vhu_put_le64(r->payload + 1064, 1);
		return 1;
	case VHU_POSTCOPY_ADVISE:
		r->size = 0;
		return add_fd(r, peer_userfaultfd()) ? -1 : 1;
	case VHU_GET_INFLIGHT_FD:
		echo(b);
		vhu_put_le64(r->payload, 0x1000);	/* mmap_size */
		return add_fd(r, peer_memfd("vhu-peer-inflight", 0x1000)) ? -1 : 1;
	case VHU_GET_MAX_MEM_SLOTS:
		/* broken-table-slots: one slot, for a table of two regions */
		b->max_slots = b->o->script == SCRIPT_BROKEN_TABLE_SLOTS && !b->o->healthy ?
			       1 : PEER_MAX_MEM_SLOTS;
		peer_put64(r, b->max_slots);
		return 1;
	case VHU_RESET_DEVICE:
		/* "reset all internal device state to the initial state" */
		memset(b->vring_base, 0, sizeof(b->vring_base));
		b->status = 0;
		break;
	case VHU_SET_STATUS:
		b->status = peer_get64(q, 0);
		break;
	case VHU_GET_STATUS:
		peer_put64(r, b->status);
		return 1;
	case VHU_GET_SHARED_OBJECT:
		echo(b);
		return add_fd(r, peer_memfd("vhu-peer-dmabuf", 0x1000)) ? -1 : 1;
	case VHU_SET_DEVICE_STATE_FD:
		peer_put64(r, 0x100);	/* success, we keep the front-end's fd */
		return 1;
	case VHU_GET_SHMEM_CONFIG:
		memset(r->payload, 0, PEER_SHMEM_CONFIG_SIZE);
		vhu_put_le32(r->payload, 1);
		vhu_put_le64(r->payload + 8, 0x10000);
		r->size = PEER_SHMEM_CONFIG_SIZE;
		return 1;
	default:
		break;
	}
	return (q->flags & VHU_FLAG_NEED_REPLY) ? 1 : 0;
}

/* ---- bursts on the back-end and GPU channels ---- */

static int await_reply(struct be *b, struct peer_conn *c, uint32_t flags,
		       long size, int nfds)
{
	struct peer_msg *rep = b->rep;
	const char *name = name_of(b, c->channel, b->sub->request);
	int ret;

	ret = peer_recv(c, rep, nfds != 0);
	if (ret != PEER_OK)
		return ret;
	ret = peer_check_reply(b->sub, rep, flags, size, nfds, b->why,
			       sizeof(b->why));
	if (ret == PEER_OK && c->channel == VHU_CHAN_BACKEND &&
	    peer_get64(rep, 0) != 0) {
		snprintf(b->why, sizeof(b->why), "front-end rejected it");
		ret = PEER_REJECTED;
	}
	if (ret != PEER_OK)
		peer_err(ROLE, "%s: %s", name, b->why);
	peer_msg_close_fds(rep);
	return ret;
}

static int send_burst(struct be *b, struct peer_conn *c)
{
	const struct peer_step *steps;
	bool gpu = c->channel == VHU_CHAN_GPU;
	size_t i, n;
	long size;
	int ret;

	steps = gpu ? peer_gpu_burst(b->o->script, &n)
		    : peer_backend_burst(b->o->script, &n);
	for (i = 0; i < n; i++) {
		ret = gpu ? peer_build_gpu_req(steps[i].request, b->sub)
			  : peer_build_be_req(&steps[i], b->sub);
		if (ret != PEER_OK)
			return PEER_ERR;
		ret = peer_send(c, b->sub);
		peer_msg_close_fds(b->sub);
		if (ret != PEER_OK)
			return ret;
		if (gpu) {
			size = peer_gpu_reply_size(steps[i].request);
			if (size >= 0)
				ret = await_reply(b, c, VHU_FLAG_REPLY, size, 0);
		} else if (peer_be_req_answered(b->sub)) {
			ret = await_reply(b, c, REPLY_FLAGS, 8,
					  steps[i].request ==
						  VHU_BACKEND_SHARED_OBJECT_LOOKUP);
		}
		if (ret != PEER_OK)
			return ret;
	}
	return PEER_OK;
}

/* Takes the socket out of the request and sends the script's burst. */
static int open_channel(struct be *b, struct peer_conn *c, unsigned channel)
{
	if (c->fd >= 0)
		peer_conn_close(c);
	peer_conn_init(c, b->req->fds[0], channel, ROLE, b->o);
	b->req->fds[0] = -1;
	return send_burst(b, c);
}

/* ---- the broken back-ends ---- */

/* broken-close: the GET_PROTOCOL_FEATURES reply stops after 4 of its 8
 * payload bytes and the connection closes. */
static int close_mid_message(struct be *b)
{
	uint8_t wire[VHU_HDR_SIZE + 4];

	vhu_put_le32(wire, b->rep->request);
	vhu_put_le32(wire + 4, b->rep->flags);
	vhu_put_le32(wire + 8, b->rep->size);
	memcpy(wire + VHU_HDR_SIZE, b->rep->payload, 4);
	peer_log_msg(&b->main, "sent", b->rep, "truncated=16");
	peer_send_raw(&b->main, wire, sizeof(wire));
	return PEER_OK;
}

/* Returns true if the script wants this reply not sent as is. */
static bool script_hook(struct be *b, int *done)
{
	uint32_t id = b->req->request;

	if (b->o->healthy)
		return false;
	switch (b->o->script) {
	case SCRIPT_BROKEN_CLOSE:
		if (id != VHU_GET_PROTOCOL_FEATURES)
			return false;
		*done = 1;
		close_mid_message(b);
		return true;
	case SCRIPT_BROKEN_FLAGS:
		if (id == VHU_GET_QUEUE_NUM)
			b->rep->flags = 0x2 | VHU_FLAG_REPLY;	/* version 2 */
		return false;
	case SCRIPT_BROKEN_NOREPLY:
		if (id != VHU_SET_VRING_ENABLE || b->skipped_reply)
			return false;
		b->skipped_reply = true;
		return true;
	case SCRIPT_BROKEN_EXTRA_REPLY:
		/* the reply goes out twice: the second answers nothing */
		if (id == VHU_GET_QUEUE_NUM)
			peer_send(&b->main, b->rep);
		return false;
	case SCRIPT_BROKEN_NO_PFEATURES:
		/* features without VHOST_USER_F_PROTOCOL_FEATURES */
		if (id == VHU_GET_FEATURES)
			peer_put64(b->rep, PEER_BACKEND_FEATURES &
					   ~VHU_BIT(VHU_VIRTIO_F_PROTOCOL_FEATURES));
		return false;
	case SCRIPT_BROKEN_VRING_BASE:
		/* the base of the ring asked for, under the next ring's index */
		if (id == VHU_GET_VRING_BASE)
			vhu_put_le32(b->rep->payload, peer_get32(b->req, 0) + 1);
		return false;
	default:
		return false;
	}
}

/* One request: validate, answer, follow up.  *done ends the session. */
static int handle(struct be *b, int *done)
{
	struct peer_msg *q = b->req;
	const char *name = name_of(b, VHU_CHAN_MAIN, q->request);
	int ret, has;

	ret = validate(b);
	if (ret != PEER_OK) {
		peer_err(ROLE, "%s: %s", name, b->why);
		note(b, ret);
		if (!(q->flags & VHU_FLAG_NEED_REPLY))
			return PEER_OK;
		peer_msg_init(b->rep, q->request, REPLY_FLAGS);
		peer_put64(b->rep, 1);
		return peer_send(&b->main, b->rep);
	}
	has = answer(b);
	if (has < 0)
		return PEER_ERR;
	if (has && !script_hook(b, done)) {
		ret = peer_send(&b->main, b->rep);
		peer_msg_close_fds(b->rep);
		if (ret != PEER_OK)
			return ret;
	}
	peer_msg_close_fds(b->rep);
	if (*done)
		return PEER_OK;
	if (q->request == VHU_SET_BACKEND_REQ_FD)
		return open_channel(b, &b->chan, VHU_CHAN_BACKEND);
	if (q->request == VHU_GPU_SET_SOCKET)
		return open_channel(b, &b->gpu, VHU_CHAN_GPU);
	return PEER_OK;
}

static int serve(struct be *b)
{
	int ret, done = 0;

	while (!done) {
		ret = peer_recv(&b->main, b->req, true);
		if (ret == PEER_CLOSED)
			return PEER_OK;	/* the front-end is done */
		if (ret == PEER_INVALID && b->req->size > PEER_MAX_PAYLOAD) {
			/* Skip the header alone and look for the next one. */
			note(b, PEER_INVALID);
			continue;
		}
		if (ret != PEER_OK)
			return ret;
		ret = handle(b, &done);
		peer_msg_close_fds(b->req);
		if (ret != PEER_OK)
			return ret;
	}
	return PEER_OK;
}

int peer_backend_run(int fd, const struct peer_opts *o)
{
	struct be b;
	int ret;

	memset(&b, 0, sizeof(b));
	b.o = o;
	b.chan.fd = b.gpu.fd = -1;
	b.req = malloc(sizeof(*b.req));
	b.rep = malloc(sizeof(*b.rep));
	b.sub = malloc(sizeof(*b.sub));
	if (!b.req || !b.rep || !b.sub) {
		ret = PEER_ERR;
		close(fd);
		goto out;
	}
	peer_conn_init(&b.main, fd, VHU_CHAN_MAIN, ROLE, o);
	/* broken-ctrunc: room for one fd (the control buffer's alignment
	 * leaves room for two), the kernel drops the third */
	if (o->script == SCRIPT_BROKEN_CTRUNC && !o->healthy)
		b.main.ctl_fds = 1;
	ret = serve(&b);
	if (ret == PEER_OK)
		ret = b.result;
	if (b.chan.fd >= 0)
		peer_conn_close(&b.chan);
	if (b.gpu.fd >= 0)
		peer_conn_close(&b.gpu);
	peer_conn_close(&b.main);
out:
	free(b.req);
	free(b.rep);
	free(b.sub);
	return ret;
}
