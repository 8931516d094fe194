/* SPDX-License-Identifier: MIT */
/*
 * peer_io.c - moving vhost-user messages with the libc call --io selects.
 *
 * Every mode puts the fds of a message on the call that carries its first
 * byte, as the spec requires; write-style calls cannot carry fds, so a
 * message with fds then goes out as sendmsg(header + fds) followed by the
 * selected call for the payload.  Receivers read the header with recvmsg
 * whenever fds may come with it (a plain read would drop them) and the
 * payload with the selected call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "peer.h"

/* The libc calls the peer can make. */
enum peer_call {
	CALL_SENDMSG, CALL_SEND, CALL_SENDTO, CALL_WRITE, CALL_WRITEV,
	CALL_SENDMMSG,
	CALL_RECVMSG, CALL_RECV, CALL_RECVFROM, CALL_READ, CALL_READV,
	CALL_RECVMMSG
};

static const struct {
	const char *name;
	enum peer_io io;
} io_names[] = {
	{ "sendmsg", PEER_IO_MSG },	{ "recvmsg", PEER_IO_MSG },
	{ "send", PEER_IO_SEND },	{ "recv", PEER_IO_SEND },
	{ "sendto", PEER_IO_SENDTO },	{ "recvfrom", PEER_IO_SENDTO },
	{ "write", PEER_IO_WRITE },	{ "read", PEER_IO_WRITE },
	{ "writev", PEER_IO_WRITEV },	{ "readv", PEER_IO_WRITEV },
	{ "sendmmsg", PEER_IO_MMSG },	{ "recvmmsg", PEER_IO_MMSG },
	{ "split", PEER_IO_SPLIT },	{ "coalesce", PEER_IO_COALESCE },
};

#define COALESCE_CAP (4u * (VHU_HDR_SIZE + PEER_MAX_PAYLOAD))

/* Connections of this process, flushed before any blocking read. */
static struct peer_conn *open_conns[4];

bool peer_io_parse(const char *s, enum peer_io *io)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(io_names); i++) {
		if (strcmp(s, io_names[i].name) == 0) {
			*io = io_names[i].io;
			return true;
		}
	}
	return false;
}

void peer_conn_init(struct peer_conn *c, int fd, unsigned channel,
		    const char *role, const struct peer_opts *o)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->channel = channel;
	c->role = role;
	c->io = o->io;
	c->timeout_ms = o->timeout_ms;
	for (i = 0; i < ARRAY_SIZE(open_conns); i++) {
		if (!open_conns[i]) {
			open_conns[i] = c;
			break;
		}
	}
}

void peer_conn_close(struct peer_conn *c)
{
	size_t i;

	peer_flush(c);
	for (i = 0; i < ARRAY_SIZE(open_conns); i++)
		if (open_conns[i] == c)
			open_conns[i] = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
}

void peer_msg_init(struct peer_msg *m, uint32_t request, uint32_t flags)
{
	m->request = request;
	m->flags = flags;
	m->size = 0;
	m->nfds = 0;
}

void peer_msg_close_fds(struct peer_msg *m)
{
	int i;

	for (i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	m->nfds = 0;
}

void peer_put64(struct peer_msg *m, uint64_t v)
{
	vhu_put_le64(m->payload, v);
	m->size = 8;
}

uint64_t peer_get64(const struct peer_msg *m, size_t off)
{
	return vhu_get_le64(m->payload + off);
}

uint32_t peer_get32(const struct peer_msg *m, size_t off)
{
	return vhu_get_le32(m->payload + off);
}

/* ---- sending ---- */

static void fill_rights(struct msghdr *mh, void *buf, size_t cap,
			const int *fds, int nfds)
{
	struct cmsghdr *cm;

	if (nfds <= 0)
		return;
	memset(buf, 0, cap);
	mh->msg_control = buf;
	mh->msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
}

/* One send-side call over p[0..len); cut splits writev/sendmmsg in two. */
static ssize_t send_call(int fd, enum peer_call how, const uint8_t *p,
			 size_t len, size_t cut, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PEER_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2];
	struct msghdr mh;
	struct mmsghdr mm[2];
	int n, i;
	ssize_t total;

	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = (void *)p;
	iov[0].iov_len = len;
	switch (how) {
	case CALL_SENDMSG:
		mh.msg_iov = iov;
		mh.msg_iovlen = 1;
		fill_rights(&mh, ctl.buf, sizeof(ctl.buf), fds, nfds);
		return sendmsg(fd, &mh, MSG_NOSIGNAL);
	case CALL_SEND:
		return send(fd, p, len, MSG_NOSIGNAL);
	case CALL_SENDTO:
		return sendto(fd, p, len, MSG_NOSIGNAL, NULL, 0);
	case CALL_WRITE:
		return write(fd, p, len);
	case CALL_WRITEV:
		if (cut == 0 || cut >= len)
			return writev(fd, iov, 1);
		iov[0].iov_len = cut;
		iov[1].iov_base = (void *)(p + cut);
		iov[1].iov_len = len - cut;
		return writev(fd, iov, 2);
	case CALL_SENDMMSG:
		memset(mm, 0, sizeof(mm));
		n = 1;
		if (cut > 0 && cut < len) {
			iov[0].iov_len = cut;
			iov[1].iov_base = (void *)(p + cut);
			iov[1].iov_len = len - cut;
			mm[1].msg_hdr.msg_iov = &iov[1];
			mm[1].msg_hdr.msg_iovlen = 1;
			n = 2;
		}
		mm[0].msg_hdr.msg_iov = &iov[0];
		mm[0].msg_hdr.msg_iovlen = 1;
		fill_rights(&mm[0].msg_hdr, ctl.buf, sizeof(ctl.buf), fds,
			    nfds);
		n = sendmmsg(fd, mm, (unsigned)n, MSG_NOSIGNAL);
		if (n < 0)
			return -1;
		for (total = 0, i = 0; i < n; i++)
			total += mm[i].msg_len;
		return total;
	default:
		errno = EINVAL;
		return -1;
	}
}

/* Sends all of p[0..len) with calls of one kind; fds ride on the first. */
static int send_all(struct peer_conn *c, enum peer_call how,
		    const uint8_t *p, size_t len, size_t cut, const int *fds,
		    int nfds)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = send_call(c->fd, how, p + done, len - done,
			      cut > done ? cut - done : 0,
			      done == 0 ? fds : NULL, done == 0 ? nfds : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			peer_err(c->role, "send on %s channel: %s",
				 vhu_channel_name(c->channel), strerror(errno));
			return PEER_ERR;
		}
		done += (size_t)n;
	}
	return PEER_OK;
}

static enum peer_call send_call_of(enum peer_io io)
{
	switch (io) {
	case PEER_IO_SEND:
		return CALL_SEND;
	case PEER_IO_SENDTO:
		return CALL_SENDTO;
	case PEER_IO_WRITE:
	case PEER_IO_SPLIT:
		return CALL_WRITE;
	case PEER_IO_WRITEV:
		return CALL_WRITEV;
	case PEER_IO_MMSG:
		return CALL_SENDMMSG;
	default:
		return CALL_SENDMSG;
	}
}

int peer_flush(struct peer_conn *c)
{
	int ret;

	if (c->out_len == 0)
		return PEER_OK;
	ret = send_all(c, CALL_SENDMSG, c->out, c->out_len, 0, c->out_fds,
		       c->out_nfds);
	c->out_len = 0;
	while (c->out_nfds > 0)
		close(c->out_fds[--c->out_nfds]);
	return ret;
}

int peer_flush_all(void)
{
	size_t i;
	int ret = PEER_OK;

	for (i = 0; i < ARRAY_SIZE(open_conns); i++)
		if (open_conns[i] && peer_flush(open_conns[i]) != PEER_OK)
			ret = PEER_ERR;
	return ret;
}

/* coalesce: queue the message; one with fds starts a new batch so that
 * its fds ride with its own first byte. */
static int queue_msg(struct peer_conn *c, const uint8_t *wire, size_t len,
		     const int *fds, int nfds)
{
	int ret;

	if (!c->out) {
		c->out = malloc(COALESCE_CAP);
		if (!c->out)
			return PEER_ERR;
	}
	if (nfds > 0 || c->out_len + len > COALESCE_CAP) {
		ret = peer_flush(c);
		if (ret != PEER_OK)
			return ret;
	}
	memcpy(c->out + c->out_len, wire, len);
	c->out_len += len;
	/* The caller closes its fds once peer_send() returns: keep copies
	 * until the batch goes out. */
	for (; c->out_nfds < nfds; c->out_nfds++) {
		c->out_fds[c->out_nfds] = fcntl(fds[c->out_nfds],
						F_DUPFD_CLOEXEC, 0);
		if (c->out_fds[c->out_nfds] < 0)
			return PEER_ERR;
	}
	return PEER_OK;
}

int peer_send(struct peer_conn *c, const struct peer_msg *m)
{
	static uint8_t wire[VHU_HDR_SIZE + PEER_MAX_PAYLOAD];
	size_t len = VHU_HDR_SIZE + m->size;
	enum peer_call how = send_call_of(c->io);
	int ret;

	if (m->size > PEER_MAX_PAYLOAD || m->nfds > PEER_MAX_FDS)
		return PEER_ERR;
	vhu_put_le32(wire, m->request);
	vhu_put_le32(wire + 4, m->flags);
	vhu_put_le32(wire + 8, m->size);
	memcpy(wire + VHU_HDR_SIZE, m->payload, m->size);
	peer_log_msg(c, "sent", m, NULL);

	switch (c->io) {
	case PEER_IO_MSG:
		return send_all(c, CALL_SENDMSG, wire, len, 0, m->fds,
				m->nfds);
	case PEER_IO_MMSG:
		return send_all(c, CALL_SENDMMSG, wire, len, VHU_HDR_SIZE,
				m->fds, m->nfds);
	case PEER_IO_COALESCE:
		return queue_msg(c, wire, len, m->fds, m->nfds);
	case PEER_IO_SPLIT:
		break;
	default:
		if (m->nfds == 0)
			return send_all(c, how, wire, len, VHU_HDR_SIZE, NULL, 0);
		break;
	}
	/* Header (and fds) by sendmsg, payload by the selected call. */
	ret = send_all(c, CALL_SENDMSG, wire, VHU_HDR_SIZE, 0, m->fds, m->nfds);
	if (ret == PEER_OK && m->size > 0)
		ret = send_all(c, how, wire + VHU_HDR_SIZE, m->size,
			       m->size / 2, NULL, 0);
	return ret;
}

int peer_send_raw(struct peer_conn *c, const void *buf, size_t len)
{
	int ret = peer_flush(c);

	if (ret != PEER_OK)
		return ret;
	return send_all(c, send_call_of(c->io), buf, len, 0, NULL, 0);
}

/* ---- receiving ---- */

static int wait_readable(struct peer_conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	int n;

	do {
		n = poll(&p, 1, c->timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return PEER_ERR;
	if (n == 0)
		return PEER_TIMEOUT;
	return PEER_OK;
}

/* Takes the SCM_RIGHTS fds out of a received msghdr. */
static int take_fds(struct msghdr *mh, int *fds, int *nfds)
{
	struct cmsghdr *cm;
	int bad = 0;
	size_t i, n;
	int fd;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*nfds < PEER_MAX_FDS) {
				fds[(*nfds)++] = fd;
			} else {
				close(fd);
				bad = 1;
			}
		}
	}
	if (mh->msg_flags & MSG_CTRUNC)
		bad = 1;
	return bad;
}

static ssize_t recv_call(int fd, enum peer_call how, uint8_t *p, size_t len,
			 int *fds, int *nfds, int *lost, int ctl_fds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PEER_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2];
	struct msghdr mh;
	struct mmsghdr mm;
	ssize_t n;
	int cnt;

	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = p;
	iov[0].iov_len = len;
	mh.msg_iov = iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = ctl_fds > 0 && ctl_fds < PEER_MAX_FDS ?
		CMSG_SPACE(sizeof(int) * (size_t)ctl_fds) : sizeof(ctl.buf);
	switch (how) {
	case CALL_RECVMSG:
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (n >= 0)
			*lost |= take_fds(&mh, fds, nfds);
		return n;
	case CALL_RECVMMSG:
		memset(&mm, 0, sizeof(mm));
		mm.msg_hdr = mh;
		cnt = recvmmsg(fd, &mm, 1, MSG_CMSG_CLOEXEC, NULL);
		if (cnt < 0)
			return -1;
		*lost |= take_fds(&mm.msg_hdr, fds, nfds);
		return (ssize_t)mm.msg_len;
	case CALL_RECV:
		return recv(fd, p, len, 0);
	case CALL_RECVFROM:
		return recvfrom(fd, p, len, 0, NULL, NULL);
	case CALL_READ:
		return read(fd, p, len);
	case CALL_READV:
		if (len <= 8)
			return readv(fd, iov, 1);
		iov[0].iov_len = 8;
		iov[1].iov_base = p + 8;
		iov[1].iov_len = len - 8;
		return readv(fd, iov, 2);
	default:
		errno = EINVAL;
		return -1;
	}
}

/* Reads exactly len bytes; *got says how many came before an EOF. */
static int recv_all(struct peer_conn *c, enum peer_call how, uint8_t *p,
		    size_t len, int *fds, int *nfds, int *lost, size_t *got)
{
	ssize_t n;
	int ret;

	*got = 0;
	while (*got < len) {
		ret = wait_readable(c);
		if (ret != PEER_OK)
			return ret;
		n = recv_call(c->fd, how, p + *got, len - *got, fds, nfds,
			      lost, c->ctl_fds);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			peer_err(c->role, "receive on %s channel: %s",
				 vhu_channel_name(c->channel), strerror(errno));
			return PEER_ERR;
		}
		if (n == 0)
			return *got == 0 ? PEER_CLOSED : PEER_TRUNCATED;
		*got += (size_t)n;
	}
	return PEER_OK;
}

static enum peer_call recv_call_of(enum peer_io io)
{
	switch (io) {
	case PEER_IO_SEND:
		return CALL_RECV;
	case PEER_IO_SENDTO:
		return CALL_RECVFROM;
	case PEER_IO_WRITE:
	case PEER_IO_SPLIT:
		return CALL_READ;
	case PEER_IO_WRITEV:
		return CALL_READV;
	case PEER_IO_MMSG:
		return CALL_RECVMMSG;
	default:
		return CALL_RECVMSG;
	}
}

static bool call_takes_fds(enum peer_call how)
{
	return how == CALL_RECVMSG || how == CALL_RECVMMSG;
}

int peer_recv(struct peer_conn *c, struct peer_msg *m, bool fds_possible)
{
	enum peer_call body = recv_call_of(c->io);
	enum peer_call head = body;
	uint8_t hdr[VHU_HDR_SIZE];
	char buf[32];
	const char *label;
	int late[PEER_MAX_FDS];
	int nlate = 0, lost = 0;
	size_t got;
	int ret;

	if (peer_flush_all() != PEER_OK)
		return PEER_ERR;
	if (c->io == PEER_IO_SPLIT || (fds_possible && !call_takes_fds(head)))
		head = CALL_RECVMSG;
	peer_msg_init(m, 0, 0);
	ret = recv_all(c, head, hdr, sizeof(hdr), m->fds, &m->nfds, &lost,
		       &got);
	if (ret == PEER_TRUNCATED)
		peer_err(c->role, "peer closed after %zu bytes of a header",
			 got);
	if (ret == PEER_TIMEOUT)
		peer_err(c->role, "nothing received on %s channel for %d ms",
			 vhu_channel_name(c->channel), c->timeout_ms);
	if (ret != PEER_OK)
		return ret;
	m->request = vhu_get_le32(hdr);
	m->flags = vhu_get_le32(hdr + 4);
	m->size = vhu_get_le32(hdr + 8);
	label = peer_msg_label(c->channel, m->request, buf, sizeof(buf));
	if (m->size > PEER_MAX_PAYLOAD) {
		peer_log_msg(c, "recv", m, "oversized");
		peer_err(c->role, "%s: size %u is over the %u-byte limit",
			 label, m->size, PEER_MAX_PAYLOAD);
		return PEER_INVALID;
	}
	ret = recv_all(c, body, m->payload, m->size, late, &nlate, &lost,
		       &got);
	if (ret == PEER_CLOSED || ret == PEER_TRUNCATED) {
		peer_err(c->role,
			 "peer closed in the middle of %s: %zu of %u payload bytes",
			 label, got, m->size);
		return PEER_TRUNCATED;
	}
	if (ret != PEER_OK)
		return ret;
	peer_log_msg(c, "recv", m, NULL);
	/* the whole message is read first, as a peer that checks its fds
	 * after reading does */
	if (lost) {
		peer_err(c->role, "%s: fds lost (MSG_CTRUNC)", label);
		return PEER_INVALID;
	}
	if (nlate > 0) {
		peer_err(c->role, "%s: %d fds came after the first byte",
			 label, nlate);
		while (nlate > 0)
			close(late[--nlate]);
		return PEER_INVALID;
	}
	return PEER_OK;
}
