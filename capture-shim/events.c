/* SPDX-License-Identifier: MIT */
/* \summary: the shim's records: data, connect/accept, adopt, close, start */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim.h"
#include "vhu_le.h"
#include "spool.h"
#include "vhu_msgs.h"
#include "vhu_proto.h"

/*
 * Where a record is built, without its data (the data is written from the
 * traced call's buffers).  The shim runs on the caller's stack, which may
 * be small: green threads and coroutines, signal handlers on a
 * sigaltstack, user-mode-linux's 16 KiB thread stacks.  So only a record
 * without fds is built on the stack (header and data item header); one
 * with fds takes one of a few static buffers, without waiting (a signal
 * handler may have interrupted the holder).  When all are taken it is
 * built in a small one on the stack, with two fd items without names (the
 * header's nfds keeps the real count).  The work done once per connection
 * (its first bytes, adopting a channel) is kept out of line, off the
 * stack of every other call.
 */
#define REC_BUF 8192
#define FD_ITEM_MIN (VHU_REC_ITEM_HDR + VHU_REC_FD_FIXED)
#define SEQ_ITEM (VHU_REC_ITEM_HDR + VHU_REC_SEQ_LEN)
#define REC_SMALL (VHU_REC_HDR_LEN + SEQ_ITEM + VHU_REC_ITEM_HDR + 2 * FD_ITEM_MIN)
#define FD_REC_BUFS 8

struct fd_rec_buf {
	atomic_flag taken;
	char name[VHU_REC_MAX_NAME];	/* an fd's /proc/self/fd name */
	uint8_t rec[REC_BUF];
};

static struct fd_rec_buf fd_rec_bufs[FD_REC_BUFS];

static struct fd_rec_buf *fd_rec_buf_take(void)
{
	int i;

	for (i = 0; i < FD_REC_BUFS; i++)
		if (!atomic_flag_test_and_set_explicit(&fd_rec_bufs[i].taken,
						       memory_order_acquire))
			return &fd_rec_bufs[i];
	return NULL;
}

static void fd_rec_buf_give(struct fd_rec_buf *r)
{
	if (r)
		atomic_flag_clear_explicit(&r->taken, memory_order_release);
}

/* A thread that held a buffer at fork() does not exist in the child. */
void vhu_events_after_fork(void)
{
	int i;

	for (i = 0; i < FD_REC_BUFS; i++)
		atomic_flag_clear(&fd_rec_bufs[i].taken);
}

static void hdr_init(struct vhu_rec_hdr *h, int event, uint16_t call, int fd,
		     const struct vhu_slot *s)
{
	memset(h, 0, sizeof(*h));
	h->version = VHU_REC_VERSION;
	h->event = (uint8_t)event;
	h->hdr_len = VHU_REC_HDR_LEN;
	h->call = call;
	h->pid = vhu_getpid();
	h->tid = vhu_gettid(h->pid);
	h->fd = fd;
	if (s) {
		h->conn_id = s->conn_id;
		h->channel = s->channel;
		h->role = s->role;
	}
}

static size_t put_decimal(char *out, unsigned v)
{
	char tmp[12];
	size_t k = 0, n = 0;

	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k)
		out[n++] = tmp[--k];
	return n;
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

/*
 * The /proc/self/fd link of fd.  readlinkat, not readlink: sandboxes allow
 * the *at calls (virtiofsd's seccomp filter has no readlink).  By path,
 * not through a directory fd kept open: the shim holds no fd in the
 * program.  In a chroot without /proc it fails, and the fd is described
 * by fstat alone (socket, regular file, pipe, other), without a name.
 */
static ssize_t fd_link(int fd, char *name, size_t cap)
{
	char link[32] = "/proc/self/fd/";

	link[14 + put_decimal(link + 14, (unsigned)fd)] = 0;
	return readlinkat(AT_FDCWD, link, name, cap);
}

/* What fd is, for a VHU_IT_FD item: fstat and readlinkat, nothing
 * allocated.  In a sandbox neither is asked: the kind is unknown. */
static void describe_fd(int fd, struct vhu_rec_fd *d, char *name, size_t cap)
{
	struct stat st;
	ssize_t n;

	memset(d, 0, sizeof(*d));
	d->fd = fd;
	d->name = name;
	if (vhu_sandboxed()) {
		d->kind = VHU_FDK_UNKNOWN;
		return;
	}
	n = fd_link(fd, name, cap);
	d->name_len = n > 0 ? (uint16_t)n : 0;
	if (fstat(fd, &st) == 0) {
		d->mode = st.st_mode;
		d->dev = st.st_dev;
		d->ino = st.st_ino;
		d->size = (uint64_t)st.st_size;
	}
	if (starts_with(name, d->name_len, "/memfd:"))
		d->kind = VHU_FDK_MEMFD;
	else if (starts_with(name, d->name_len, "anon_inode:[eventfd]"))
		d->kind = VHU_FDK_EVENTFD;
	else if (S_ISSOCK(d->mode))
		d->kind = VHU_FDK_SOCKET;
	else if (S_ISREG(d->mode))
		d->kind = VHU_FDK_REGULAR;
	else if (S_ISFIFO(d->mode))
		d->kind = VHU_FDK_PIPE;
	else
		d->kind = VHU_FDK_OTHER;
}

/* The k-th fd an SCM_RIGHTS message carries (sent or received), or -1:
 * read where the message has it, not copied into an array on the stack. */
static int fd_at(const struct msghdr *msg, int k)
{
	struct msghdr *m = (struct msghdr *)msg;
	struct cmsghdr *c;
	int fd;

	if (!msg || !msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr))
		return -1;
	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		size_t cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if ((size_t)k < cnt) {
			memcpy(&fd, CMSG_DATA(c) + (size_t)k * sizeof(int), sizeof(int));
			return fd;
		}
		k -= (int)cnt;
	}
	return -1;
}

/* How many fds the message carries (at most VHU_REC_MAX_FDS are looked at). */
static int count_fds(const struct msghdr *msg)
{
	int n = 0;

	while (n < (int)VHU_REC_MAX_FDS && fd_at(msg, n) >= 0)
		n++;
	return n;
}

/* Adds one fd item per fd, sharing what is left of the buffer fairly and
 * leaving room for the data item header; name is scratch for the names
 * (shorter than a name can be: the names are left out). */
static void add_fd_items(struct vhu_rec_builder *b, const struct msghdr *msg, int nfds,
			 char *name, size_t name_cap)
{
	int i;

	for (i = 0; i < nfds; i++) {
		size_t left = b->cap - b->len, need = (size_t)(nfds - i) * FD_ITEM_MIN +
						      VHU_REC_ITEM_HDR;
		struct vhu_rec_fd d;

		if (left < FD_ITEM_MIN + VHU_REC_ITEM_HDR)
			return;
		describe_fd(fd_at(msg, i), &d, name, name_cap);
		if (left < need || name_cap < VHU_REC_MAX_NAME)	/* or only its start */
			d.name_len = 0;
		else if (d.name_len > (left - need) / (size_t)(nfds - i))
			d.name_len = (uint16_t)((left - need) / (size_t)(nfds - i));
		vhu_rec_add_fd(b, &d);
	}
}

/* Copies len bytes the call moved, from offset off, into out; returns
 * the bytes copied (fewer if the call moved fewer). */
static size_t gather_at(const struct vhu_io *io, size_t off, uint8_t *out, size_t len)
{
	size_t got = 0;
	int i;

	if (off >= io->moved)
		return 0;
	if (len > io->moved - off)
		len = io->moved - off;
	for (i = 0; i < io->iovcnt && got < len; i++) {
		const uint8_t *base = io->iov[i].iov_base;
		size_t n = io->iov[i].iov_len;

		if (off >= n) {
			off -= n;
			continue;
		}
		base += off;
		n -= off;
		off = 0;
		if (n > len - got)
			n = len - got;
		memcpy(out + got, base, n);
		got += n;
	}
	return got;
}

/* Copies the first len bytes the call moved into out. */
static size_t gather(const struct vhu_io *io, uint8_t *out, size_t len)
{
	return gather_at(io, 0, out, len);
}

static int p2p_dir(int event)
{
	return event == VHU_EV_DATA_SENT ? 0 : event == VHU_EV_DATA_RECV ? 1 : -1;
}

/*
 * The first of the numbers of the call's records on its fd (VHU_IT_SEQ),
 * one per piece: one atomic add on the fd's slot, right after the
 * timestamp, so that the numbers follow the order in which the calls on
 * the fd returned.
 */
static uint32_t take_seqs(const struct vhu_io *io)
{
	uint32_t pieces = io->moved ? (uint32_t)((io->moved - 1) / VHU_SPOOL_PIECE) + 1 : 1;

	return atomic_fetch_add_explicit(&vhu_slot(io->fd)->seq, pieces, memory_order_relaxed) + 1;
}

static void add_seq_item(struct vhu_rec_builder *b, uint32_t seq)
{
	uint8_t v[VHU_REC_SEQ_LEN];

	vhu_put_le32(v, seq);
	vhu_rec_add_item(b, VHU_IT_SEQ, v, sizeof(v));
}

/*
 * One record per VHU_SPOOL_PIECE bytes the call moved, consecutive and
 * alike but for their bytes and numbers: every record stays far below
 * the packet size libpcap and Wireshark read, and nothing is cut.  The
 * first record carries the passed fds (and MSG_CTRUNC), the last one
 * MSG_TRUNC and a short transfer; each piece says its own length.
 */
static void emit_data(const struct vhu_io *io, const struct vhu_slot *s, int nfds)
{
	struct fd_rec_buf *big = nfds ? fd_rec_buf_take() : NULL;
	uint8_t small[REC_SMALL];
	char kind_only[24];	/* enough of a name to tell memfd and eventfd */
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	uint64_t ts = vhu_now_ns();
	uint32_t seq = take_seqs(io);
	size_t off = 0, len;

	do {
		uint32_t piece = io->moved - off > VHU_SPOOL_PIECE ? VHU_SPOOL_PIECE :
				 (uint32_t)(io->moved - off);
		bool first = off == 0, last = off + piece == io->moved;
		uint8_t *rec = first && big ? big->rec : small;

		hdr_init(&h, io->event, io->call, io->fd, s);
		if (io->call_flags & MSG_PEEK)
			h.flags |= VHU_RF_PEEK;
		if (last && (io->msg_flags & MSG_TRUNC))
			h.flags |= VHU_RF_TRUNC;
		if (first && (io->msg_flags & MSG_CTRUNC))
			h.flags |= VHU_RF_CTRUNC;
		if (last && io->moved < io->asked)
			h.flags |= VHU_RF_SHORT;
		if (first)
			h.nfds = (uint8_t)(nfds > 255 ? 255 : nfds);
		h.orig_len = piece;
		if (rec == small) {
			vhu_rec_begin(&b, small, sizeof(small), &h);
			add_seq_item(&b, seq++);
			if (first)
				add_fd_items(&b, io->msg, nfds, kind_only, sizeof(kind_only));
		} else {
			vhu_rec_begin(&b, big->rec, sizeof(big->rec), &h);
			add_seq_item(&b, seq++);
			add_fd_items(&b, io->msg, nfds, big->name, sizeof(big->name));
		}
		vhu_rec_add_data_ref(&b, piece);
		len = vhu_rec_end(&b);
		if (len)
			vhu_out_record(p2p_dir(io->event), rec, len, io->iov, io->iovcnt, off,
				       piece, piece, ts);
		off += piece;
	} while (off < io->moved);
	fd_rec_buf_give(big);
}

/* The first bytes of a candidate, moved by calls before the one that
 * completed its 12-byte header: one record so the stream stays whole. */
static void emit_pending(const struct vhu_io *io, const struct vhu_slot *s,
			 const uint8_t *bytes, size_t len, int event)
{
	struct iovec iov = { (void *)bytes, len };
	struct vhu_io early = {
		.fd = io->fd, .event = event, .call = io->call,
		.iov = &iov, .iovcnt = 1, .moved = len, .asked = len,
	};

	emit_data(&early, s, 0);
}

/* Path of a unix socket address; an abstract name is shown as "@name". */
static size_t unix_path(const struct sockaddr_un *sun, socklen_t salen, char *out)
{
	size_t max = salen > offsetof(struct sockaddr_un, sun_path) ?
		     salen - offsetof(struct sockaddr_un, sun_path) : 0;
	size_t n;

	if (max > sizeof(sun->sun_path))
		max = sizeof(sun->sun_path);
	if (!max)
		return 0;
	if (sun->sun_path[0] == 0) {
		out[0] = '@';
		memcpy(out + 1, sun->sun_path + 1, max - 1);
		return max;
	}
	n = strnlen(sun->sun_path, max);
	memcpy(out, sun->sun_path, n);
	return n;
}

/* The socket path of a connection: the peer's (the listener we reached)
 * for connect, our own (the listener that accepted) for accept. */
static size_t conn_path(int fd, int event, char *out)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	int r;

	memset(&sun, 0, sizeof(sun));
	if (event == VHU_EV_CONNECT)
		r = getpeername(fd, (struct sockaddr *)&sun, &len);
	else
		r = getsockname(fd, (struct sockaddr *)&sun, &len);
	if (r < 0 || sun.sun_family != AF_UNIX)
		return 0;
	return unix_path(&sun, len, out);
}

/* Path and peer credentials of a connection just made: the calls are the
 * socket calls the program is making itself at this moment. */
static void read_open_info(int fd, int event, struct vhu_open_info *info)
{
	char path[VHU_SUN_PATH_MAX + 1];
	struct ucred cred;
	socklen_t clen = sizeof(cred);

	info->path_len = (uint8_t)conn_path(fd, event, path);
	memcpy(info->path, path, info->path_len);
	info->has_cred = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0;
	if (info->has_cred) {
		info->cred[0] = (uint32_t)cred.pid;
		info->cred[1] = cred.uid;
		info->cred[2] = cred.gid;
	}
}

/* The CONNECT/ACCEPT record, from what was known at connect/accept time
 * (info may be NULL): no system call but the capture write. */
static void emit_open(int fd, const struct vhu_slot *s, const struct vhu_open_info *info)
{
	uint8_t buf[VHU_REC_HDR_LEN + 2 * VHU_REC_ITEM_HDR + VHU_SUN_PATH_MAX + 12];
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	size_t len;

	hdr_init(&h, s->open_event, s->open_call, fd, s);
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	if (info && info->path_len)
		vhu_rec_add_item(&b, VHU_IT_PATH, info->path, info->path_len);
	if (info && info->has_cred) {
		uint8_t pc[12];

		vhu_put_le32(pc, info->cred[0]);
		vhu_put_le32(pc + 4, info->cred[1]);
		vhu_put_le32(pc + 8, info->cred[2]);
		vhu_rec_add_item(&b, VHU_IT_PEERCRED, pc, sizeof(pc));
	}
	len = vhu_rec_end(&b);
	if (len)
		vhu_out_record(-1, buf, len, NULL, 0, 0, 0, 0, s->open_ts);
}

/* Decides on a candidate once 12 bytes went one way: tracked if they are a
 * plausible vhost-user request, dropped otherwise.  Returns the state. */
__attribute__((noinline)) static uint8_t check_candidate(const struct vhu_io *io)
{
	struct vhu_slot *s = vhu_slot(io->fd), snap;
	struct vhu_open_info info, *known;
	bool peek = io->call_flags & MSG_PEEK;
	uint8_t first[VHU_HDR_SIZE];
	size_t have, take;
	uint8_t st;

	if (!io->moved)
		return VHU_SLOT_CANDIDATE;
	vhu_slot_lock(s);
	st = atomic_load(&s->state);
	if (st != VHU_SLOT_CANDIDATE)
		goto out;
	/* Peeked bytes come again: test them but do not keep them. */
	have = peek ? 0 : s->pend_len;
	if (have && s->pend_dir != io->event) {
		st = VHU_SLOT_DROPPED;	/* both sides talked first: not us */
		goto set;
	}
	memcpy(first, s->pend, have);
	take = gather(io, first + have, sizeof(first) - have);
	if (have + take < sizeof(first)) {
		if (!peek) {
			memcpy(s->pend + have, first + have, take);
			s->pend_len = (uint8_t)(have + take);
			s->pend_dir = (uint8_t)io->event;
		}
		goto out;
	}
	if (!vhu_hdr_plausible(first, sizeof(first))) {
		st = VHU_SLOT_DROPPED;
		goto set;
	}
	/* The front-end speaks first: whoever sent these bytes is it. */
	s->role = io->event == VHU_EV_DATA_SENT ? VHU_ROLE_FRONTEND : VHU_ROLE_BACKEND;
	s->pend_len = 0;
	st = VHU_SLOT_TRACKED;
	memcpy(&snap, s, sizeof(snap));
	known = vhu_open_info_at(s->open_info);
	if (known)
		memcpy(&info, known, sizeof(info));
	vhu_slot_drop_open_info(s);
	atomic_store(&s->state, st);
	vhu_slot_unlock(s);
	emit_open(io->fd, &snap, known ? &info : NULL);
	if (have)
		emit_pending(io, &snap, first, have, io->event);
	return st;
set:
	s->pend_len = 0;
	vhu_slot_drop_open_info(s);
	atomic_store(&s->state, st);
out:
	vhu_slot_unlock(s);
	return st;
}

static void emit_adopt(int fd, uint16_t call, const struct vhu_slot *s, uint64_t link)
{
	uint8_t buf[128], lk[8];
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	size_t len;

	hdr_init(&h, VHU_EV_ADOPT, call, fd, s);
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	vhu_put_le64(lk, link);
	vhu_rec_add_item(&b, VHU_IT_LINK, lk, sizeof(lk));
	len = vhu_rec_end(&b);
	if (len)
		vhu_out_record(-1, buf, len, NULL, 0, 0, 0, 0, vhu_now_ns());
}

/* fd becomes a tracked connection of channel chan. */
static void adopt(int fd, uint16_t call, uint8_t chan, uint8_t role, uint64_t link)
{
	struct vhu_slot *s = vhu_slot(fd), snap;

	if (!s)
		return;
	vhu_slot_lock(s);
	s->conn_id = vhu_new_conn_id();
	atomic_store_explicit(&s->seq, 0, memory_order_relaxed);
	s->channel = chan;
	s->role = role;
	s->pend_len = 0;
	s->partner = -1;
	vhu_slot_drop_open_info(s);
	memcpy(&snap, s, sizeof(snap));
	atomic_store(&s->state, VHU_SLOT_TRACKED);
	vhu_slot_unlock(s);
	emit_adopt(fd, call, &snap, link);
}

/* Is fd a socket, of which inode?  In a sandbox it is not asked: the
 * message that carries it says it is one (id 21/33), the inode is 0. */
static bool is_socket(int fd, uint64_t *ino)
{
	struct stat st;

	*ino = 0;
	if (vhu_sandboxed())
		return true;
	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	*ino = st.st_ino;
	return true;
}

/*
 * The kept end of the socketpair whose other end is fd (a socket of inode
 * ino), or -1.  fd may be a dup of the end socketpair() returned (a sender
 * that keeps a copy until the message leaves, and closes the original):
 * the ends are matched by the inodes taken at socketpair(), not by
 * number.  Outside a sandbox both numbers are checked against the kernel
 * too, in case one was reused behind our back; in a sandbox the table is
 * all there is.
 */
static int pair_partner(int fd, uint64_t ino)
{
	struct vhu_slot *s = vhu_slot(fd), *p;
	bool ask = !vhu_sandboxed();
	uint64_t kept_ino;
	int partner;

	if (!s || atomic_load(&s->state) != VHU_SLOT_PAIR || (ask && s->ino != ino))
		return -1;
	partner = s->partner;
	p = vhu_slot(partner);
	if (!p || atomic_load(&p->state) != VHU_SLOT_PAIR || p->partner_ino != s->ino)
		return -1;
	if (ask && (!is_socket(partner, &kept_ino) || kept_ino != p->ino))
		return -1;
	return partner;
}

/* The channel a main-channel message opens with the socket it carries:
 * SET_BACKEND_REQ_FD (21) or GPU_SET_SOCKET (33), 0 for any other. */
static uint8_t channel_opened_by(const uint8_t *hdr)
{
	uint32_t request = vhu_get_le32(hdr), flags = vhu_get_le32(hdr + 4);

	if (flags & VHU_FLAG_REPLY)
		return 0;
	if (request == VHU_SET_BACKEND_REQ_FD)
		return VHU_CHAN_BACKEND;
	if (request == VHU_GPU_SET_SOCKET)
		return VHU_CHAN_GPU;
	return 0;
}

/* Headers looked at in one call's bytes (coalesced messages). */
#define ADOPT_SCAN_MAX 64

/*
 * Which channel the fds of this call open, 0 if none.  The fds ride on
 * the call's first byte, which is normally the start of the message they
 * belong to; a sender that coalesces messages may put the 21/33 after
 * others in one buffer, so every header of the call's bytes is looked at.
 */
static uint8_t channel_of_call(const struct vhu_io *io)
{
	size_t off = 0, moved = io->moved;
	uint8_t hdr[VHU_HDR_SIZE];
	int n;

	for (n = 0; n < ADOPT_SCAN_MAX && moved - off >= VHU_HDR_SIZE; n++) {
		uint8_t chan;
		uint32_t size;

		if (!gather_at(io, off, hdr, sizeof(hdr)))
			break;
		chan = channel_opened_by(hdr);
		if (chan)
			return chan;
		size = vhu_get_le32(hdr + 8);
		if (size > moved - off - VHU_HDR_SIZE)
			break;
		off += VHU_HDR_SIZE + size;
	}
	return 0;
}

/*
 * A message on a main channel that carries a socket in SET_BACKEND_REQ_FD
 * (21) or GPU_SET_SOCKET (33) opens the back-end or the GPU channel.  The
 * receiver tracks the socket it got; the sender tracks the socketpair end
 * it kept (and the sent end, until it closes it).
 */
__attribute__((noinline)) static void maybe_adopt(const struct vhu_io *io,
						  const struct vhu_slot *conn, int nfds)
{
	uint8_t chan, role;
	int i;

	if (conn->channel != VHU_CHAN_MAIN || !nfds)
		return;
	chan = channel_of_call(io);
	if (!chan)
		return;
	role = io->event == VHU_EV_DATA_SENT ? VHU_ROLE_FRONTEND : VHU_ROLE_BACKEND;
	for (i = 0; i < nfds; i++) {
		uint64_t ino;
		int partner = -1;

		int fd = fd_at(io->msg, i);

		if (!is_socket(fd, &ino))
			continue;
		if (io->event == VHU_EV_DATA_SENT)
			partner = pair_partner(fd, ino);
		adopt(fd, io->call, chan, role, conn->conn_id);
		if (partner >= 0)
			adopt(partner, io->call, chan, role, conn->conn_id);
	}
}

void vhu_on_io(const struct vhu_io *io)
{
	struct vhu_slot *s = vhu_slot(io->fd), snap;
	int nfds, i;
	uint8_t st = vhu_slot_state(io->fd);

	if (st == VHU_SLOT_CANDIDATE)
		st = check_candidate(io);
	if (st != VHU_SLOT_TRACKED)
		return;
	vhu_slot_lock(s);
	memcpy(&snap, s, sizeof(snap));
	vhu_slot_unlock(s);
	nfds = count_fds(io->msg);
	/* Received fds are new numbers here: forget what they used to be. */
	if (io->event == VHU_EV_DATA_RECV)
		for (i = 0; i < nfds; i++)
			vhu_slot_clear(fd_at(io->msg, i), NULL);
	emit_data(io, &snap, nfds);
	if (nfds)
		maybe_adopt(io, &snap, nfds);
}

static bool is_unix_stream(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0 || v != AF_UNIX)
		return false;
	len = sizeof(v);
	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_STREAM;
}

/* --sockets: does the connection's path match the pattern? */
static bool path_selected(const struct vhu_open_info *info)
{
	char path[VHU_SUN_PATH_MAX + 1];

	memcpy(path, info->path, info->path_len);
	path[info->path_len] = 0;
	return info->path_len && fnmatch(vhu_cfg.glob, path, 0) == 0;
}

/*
 * fd is a new unix stream connection, info what is known of it: it
 * becomes a candidate (the first bytes decide), or is recorded at once
 * when the options select it.
 */
static void track_opened(int fd, int event, uint16_t call, const struct vhu_open_info *info)
{
	struct vhu_slot *s = vhu_slot(fd), snap;
	struct vhu_open_info *kept;
	uint8_t st = VHU_SLOT_CANDIDATE;
	uint16_t idx = 0;

	if (vhu_cfg.have_glob)
		st = path_selected(info) ? VHU_SLOT_TRACKED : VHU_SLOT_NONE;
	else if (vhu_cfg.all_unix)
		st = VHU_SLOT_TRACKED;
	if (st == VHU_SLOT_CANDIDATE) {
		idx = vhu_open_info_get();
		kept = vhu_open_info_at(idx);
		if (kept) {
			kept->path_len = info->path_len;
			kept->has_cred = info->has_cred;
			memcpy(kept->cred, info->cred, sizeof(kept->cred));
			memcpy(kept->path, info->path, info->path_len);
		}
	}
	vhu_slot_lock(s);
	vhu_slot_drop_open_info(s);
	s->open_info = idx;
	s->conn_id = vhu_new_conn_id();
	atomic_store_explicit(&s->seq, 0, memory_order_relaxed);
	s->channel = VHU_CHAN_MAIN;
	s->role = VHU_ROLE_UNKNOWN;
	s->open_event = (uint8_t)event;
	s->open_call = (uint8_t)call;
	s->open_ts = vhu_now_ns();
	s->pend_len = 0;
	s->partner = -1;
	memcpy(&snap, s, sizeof(snap));
	atomic_store(&s->state, st);
	vhu_slot_unlock(s);
	if (st == VHU_SLOT_TRACKED)
		emit_open(fd, &snap, info);
}

/*
 * What a connection just made is, asked of the kernel now, while the
 * program makes its own socket calls (outside a sandbox only).  False if
 * it is not a unix stream socket.
 */
static bool ask_open_info(int fd, int event, struct vhu_open_info *info)
{
	if (!is_unix_stream(fd))
		return false;
	read_open_info(fd, event, info);
	return true;
}

static bool is_unix_addr(const struct sockaddr *addr, socklen_t len)
{
	return addr && len >= sizeof(sa_family_t) && addr->sa_family == AF_UNIX;
}

/* In a sandbox, the path is the address connect() was given; the peer
 * credentials are unknown. */
void vhu_on_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct vhu_open_info info = { .path_len = 0 };

	if (!vhu_slot(fd))
		return;
	if (vhu_sandboxed()) {
		if (!is_unix_addr(addr, len)) {
			vhu_slot_clear(fd, NULL);
			return;
		}
		info.path_len = (uint8_t)unix_path((const struct sockaddr_un *)addr, len,
						   info.path);
	} else if (!ask_open_info(fd, VHU_EV_CONNECT, &info)) {
		vhu_slot_clear(fd, NULL);
		return;
	}
	track_opened(fd, VHU_EV_CONNECT, VHU_CALL_CONNECT, &info);
}

/* The path a listener was bound to (bind() seen), copied into info. */
static void listener_path(int listener, struct vhu_open_info *info)
{
	struct vhu_slot *l = vhu_slot(listener);
	struct vhu_open_info *known;

	if (!l)
		return;
	vhu_slot_lock(l);
	known = atomic_load(&l->state) == VHU_SLOT_LISTENER ? vhu_open_info_at(l->open_info) :
							      NULL;
	if (known) {
		info->path_len = known->path_len;
		memcpy(info->path, known->path, known->path_len);
	}
	vhu_slot_unlock(l);
}

/* In a sandbox, the path is the one the listener was bound to (if the
 * program bound it under the shim), the peer credentials are unknown, and
 * an address accept() filled in tells a socket of another family. */
void vhu_on_accept(int fd, int listener, uint16_t call, const struct sockaddr *peer,
		   const socklen_t *peer_len)
{
	struct vhu_open_info info = { .path_len = 0 };

	if (!vhu_slot(fd))
		return;
	if (vhu_sandboxed()) {
		if (peer && peer_len && !is_unix_addr(peer, *peer_len) &&
		    *peer_len >= sizeof(sa_family_t)) {
			vhu_slot_clear(fd, NULL);
			return;
		}
		listener_path(listener, &info);
	} else if (!ask_open_info(fd, VHU_EV_ACCEPT, &info)) {
		vhu_slot_clear(fd, NULL);
		return;
	}
	track_opened(fd, VHU_EV_ACCEPT, call, &info);
}

/* A unix socket bound to a path: what its accepted connections are
 * reached by, remembered without a system call for a sandbox to come. */
void vhu_on_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct vhu_slot *s = vhu_slot(fd);
	struct vhu_open_info *info;
	uint16_t idx;

	if (!s)
		return;
	if (!is_unix_addr(addr, len) || !(idx = vhu_open_info_get())) {
		vhu_slot_clear(fd, NULL);
		return;
	}
	info = vhu_open_info_at(idx);
	info->has_cred = false;
	info->path_len = (uint8_t)unix_path((const struct sockaddr_un *)addr, len, info->path);
	vhu_slot_lock(s);
	vhu_slot_drop_open_info(s);
	s->open_info = idx;
	s->pend_len = 0;
	s->partner = -1;
	atomic_store(&s->state, VHU_SLOT_LISTENER);
	vhu_slot_unlock(s);
}

void vhu_on_close(int fd, uint16_t call)
{
	struct vhu_slot old;
	uint8_t buf[64];
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	size_t len;

	if (!vhu_slot(fd))
		return;
	vhu_slot_clear(fd, &old);
	if (atomic_load(&old.state) != VHU_SLOT_TRACKED)
		return;
	hdr_init(&h, VHU_EV_CLOSE, call, fd, &old);
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	len = vhu_rec_end(&b);
	if (len)
		vhu_out_record(-1, buf, len, NULL, 0, 0, 0, 0, vhu_now_ns());
}

void vhu_on_socketpair(const int sv[2])
{
	uint64_t ino[2] = { 0, 0 };
	int i;

	for (i = 0; i < 2; i++)
		is_socket(sv[i], &ino[i]);
	for (i = 0; i < 2; i++) {
		struct vhu_slot *s = vhu_slot(sv[i]);

		if (!s)
			continue;
		vhu_slot_lock(s);
		vhu_slot_drop_open_info(s);
		s->partner = sv[1 - i];
		s->ino = ino[i];
		s->partner_ino = ino[1 - i];
		s->pend_len = 0;
		s->conn_id = 0;
		atomic_store(&s->state, vhu_slot(sv[1 - i]) ? VHU_SLOT_PAIR : VHU_SLOT_NONE);
		vhu_slot_unlock(s);
	}
}

/* Reads a small /proc file with raw syscalls (our read hook stays out). */
static size_t read_proc(const char *path, uint8_t *buf, size_t cap)
{
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return 0;
	while (got < cap) {
		long n = syscall(SYS_read, fd, buf + got, cap - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	syscall(SYS_close, fd);
	return got;
}

/*
 * What the start record says of the process: ppid, name, command line.
 * Kept for the records of its fork children, which in a sandbox take it
 * from here instead of asking (a fork keeps the command line and the
 * name).  Static, not on the stack: a process starts, or a fork child
 * runs its atfork handler, on one thread.
 */
static uint8_t start_proc[VHU_REC_PROC_LEN], start_cmdline[VHU_REC_MAX_CMDLINE];
static size_t start_cmdline_len;
static uint8_t start_rec[VHU_REC_HDR_LEN + 2 * VHU_REC_ITEM_HDR + VHU_REC_PROC_LEN +
			 VHU_REC_MAX_CMDLINE];

/*
 * getppid, or in a sandboxed fork child the pid its parent knew itself by
 * (the child then asks nothing).  The first process of a new pid
 * namespace, pid 1, has its parent outside: ppid 0, as getppid says.
 */
static uint32_t parent_pid(uint16_t call, uint32_t pid, uint32_t forker)
{
	if (call != VHU_CALL_FORK || !vhu_sandboxed() || !forker)
		return (uint32_t)getppid();
	return pid == 1 ? 0 : forker;
}

void vhu_emit_process_start(uint16_t call)
{
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	uint32_t forker = vhu_last_pid();	/* before this process asks */
	size_t len;
	int saved = errno;

	vhu_busy++;
	hdr_init(&h, VHU_EV_PROCESS_START, call, -1, NULL);
	if (call == VHU_CALL_START || !vhu_sandboxed()) {
		char comm[17] = "";

		prctl(PR_GET_NAME, comm, 0, 0, 0);
		memcpy(start_proc + 4, comm, 16);
		start_cmdline_len = read_proc("/proc/self/cmdline", start_cmdline,
					      sizeof(start_cmdline));
	}
	vhu_put_le32(start_proc, parent_pid(call, h.pid, forker));
	vhu_rec_begin(&b, start_rec, sizeof(start_rec), &h);
	vhu_rec_add_item(&b, VHU_IT_PROC, start_proc, sizeof(start_proc));
	vhu_rec_add_item(&b, VHU_IT_CMDLINE, start_cmdline, (uint32_t)start_cmdline_len);
	len = vhu_rec_end(&b);
	if (len)
		vhu_out_record(-1, start_rec, len, NULL, 0, 0, 0, 0, vhu_now_ns());
	vhu_busy--;
	errno = saved;
}
