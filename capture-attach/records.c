/* SPDX-License-Identifier: MIT */
/* \summary: attach mode: kernel events become capture records */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "collector.h"
#include "vhu_le.h"
#include "vhu_pcapng.h"
#include "vhu_proto.h"
#include "vhu_record.h"

/*
 * What the collector knows about a socket of a process: the connection it
 * records as (conn_id, channel, role), and whether each direction still
 * waits for its first record (which then says the capture may start inside
 * a message).  Keyed by (process, struct sock): a socket shared by two
 * processes is a connection of each, as the shim records it.
 */
struct conn {
	uint32_t pid;
	uint64_t sk;
	uint64_t conn_id;
	uint8_t channel, role;
	bool announced;		/* its CONNECT/ACCEPT/ADOPT record is written */
	bool opened;		/* connect/accept seen: starts at a boundary */
	bool first_done[2];	/* sent, received */
	bool dropped;		/* --sockets: path does not match */
	uint8_t open_kind;	/* VHU_EV_CONNECT/ACCEPT, or 0 */
	uint16_t open_call;
	uint8_t path_len;
	char path[VHU_ATT_PATH_MAX];
	bool has_cred;
	uint32_t cred[3];
	/* a socket that arrived over (or was sent on) a main channel */
	uint8_t adopt_channel, adopt_role;
	uint64_t adopt_link;
};

/* Open addressing, power of two; a full table recycles the slot a new
 * key lands on (oldest knowledge lost first is not worth the code). */
#define CONN_SLOTS 16384u
static struct conn conns[CONN_SLOTS];

/* Processes whose start record is written, and their connection counters. */
struct proc {
	uint32_t pid;
	uint32_t seq;
};
#define PROC_SLOTS 4096u
static struct proc procs[PROC_SLOTS];

static struct collector_cfg cfg;
static struct collector_stats stats;

void collector_init(const struct collector_cfg *c)
{
	cfg = *c;
}

const struct collector_stats *collector_stats(void)
{
	return &stats;
}

static uint32_t hash64(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return (uint32_t)v;
}

static struct conn *conn_find(uint32_t pid, uint64_t sk, bool create)
{
	uint32_t h = hash64(sk ^ ((uint64_t)pid << 40)), i;

	for (i = 0; i < 64; i++) {
		struct conn *c = &conns[(h + i) & (CONN_SLOTS - 1)];

		if (c->sk == sk && c->pid == pid)
			return c;
		if (!c->sk) {
			if (!create)
				return NULL;
			memset(c, 0, sizeof(*c));
			c->pid = pid;
			c->sk = sk;
			return c;
		}
	}
	if (!create)
		return NULL;
	/* crowded: reuse the home slot */
	memset(&conns[h & (CONN_SLOTS - 1)], 0, sizeof(struct conn));
	conns[h & (CONN_SLOTS - 1)].pid = pid;
	conns[h & (CONN_SLOTS - 1)].sk = sk;
	return &conns[h & (CONN_SLOTS - 1)];
}

/* Removes c keeping the probe chains of the others intact. */
static void conn_forget(struct conn *c)
{
	uint32_t i = (uint32_t)(c - conns), j;

	memset(c, 0, sizeof(*c));
	for (j = (i + 1) & (CONN_SLOTS - 1); conns[j].sk; j = (j + 1) & (CONN_SLOTS - 1)) {
		struct conn moved = conns[j];

		memset(&conns[j], 0, sizeof(conns[j]));
		*conn_find(moved.pid, moved.sk, true) = moved;
	}
}

static struct proc *proc_find(uint32_t pid, bool *fresh)
{
	uint32_t h = hash64(pid), i;

	*fresh = false;
	for (i = 0; i < PROC_SLOTS; i++) {
		struct proc *p = &procs[(h + i) & (PROC_SLOTS - 1)];

		if (p->pid == pid)
			return p;
		if (!p->pid) {
			p->pid = pid;
			p->seq = 0;
			*fresh = true;
			return p;
		}
	}
	return NULL;
}

/* ---- writing ------------------------------------------------------------ */

/*
 * Blocks are gathered here and written together at the end of each poll
 * round (or when full): one write per round, not one per record, and
 * always whole blocks, so a file cut at any moment is readable up to its
 * last block and other writers of the file never cut into one.
 */
#define OUT_BUF (1024u * 1024u)
#define BLOCK_MAX (VHU_PCAPNG_EPB_HEAD + VHU_EXP_PDU_MAX + 16384u + VHU_ATT_DATA_MAX + \
		   VHU_PCAPNG_EPB_TAIL_MAX)
static uint8_t out[OUT_BUF];
static size_t out_len;

void collector_flush(void)
{
	const uint8_t *p = out;
	size_t n = out_len;

	while (n) {
		ssize_t w = write(cfg.out_fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			stats.write_errors++;
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	out_len = 0;
}

static void write_record(int p2p_dir, const uint8_t *rec, size_t rec_len,
			 const uint8_t *data, uint32_t data_len, uint32_t orig_len, uint64_t ts)
{
	uint32_t epb_flags = p2p_dir == 0 ? VHU_EPB_OUTBOUND : p2p_dir == 1 ? VHU_EPB_INBOUND : 0;
	size_t n = VHU_PCAPNG_EPB_HEAD, caplen;
	uint8_t *b;

	if (rec_len + data_len > BLOCK_MAX - VHU_PCAPNG_EPB_HEAD - VHU_EXP_PDU_MAX - VHU_PCAPNG_EPB_TAIL_MAX)
		return;
	if (out_len + BLOCK_MAX > sizeof(out))
		collector_flush();
	b = out + out_len;
	n += vhu_exp_pdu_write(b + n, p2p_dir);
	memcpy(b + n, rec, rec_len);
	n += rec_len;
	if (data_len)
		memcpy(b + n, data, data_len);
	n += data_len;
	caplen = n - VHU_PCAPNG_EPB_HEAD;
	vhu_pcapng_epb_head(b, ts, (uint32_t)caplen, (uint32_t)(caplen - data_len + orig_len));
	n += vhu_pcapng_epb_tail(b + n, (uint32_t)caplen, epb_flags);
	out_len += n;
	stats.records++;
}

static uint64_t realtime(uint64_t mono)
{
	return (uint64_t)((int64_t)mono + cfg.clock_offset);
}

static void hdr_init(struct vhu_rec_hdr *h, const struct vhu_att_event *ev, unsigned event,
		     const struct conn *c)
{
	memset(h, 0, sizeof(*h));
	h->version = VHU_REC_VERSION;
	h->event = (uint8_t)event;
	h->hdr_len = VHU_REC_HDR_LEN;
	h->call = (uint16_t)ev->call;
	h->pid = ev->tgid;
	h->tid = ev->tid;
	h->fd = ev->fd;
	h->flags = ev->flags & VHU_RF_LOST;
	if (c) {
		h->conn_id = c->conn_id;
		h->channel = c->channel;
		h->role = c->role;
	}
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, cap);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

/* ppid and comm of a process, from /proc/PID/stat: "pid (comm) S ppid". */
static void proc_stat(uint32_t pid, uint32_t *ppid, char comm[16])
{
	char path[64], buf[512], *open_paren, *close_paren;
	size_t n, len;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	n = read_file(path, (uint8_t *)buf, sizeof(buf) - 1);
	buf[n] = 0;
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren)
		return;
	len = (size_t)(close_paren - open_paren - 1);
	memcpy(comm, open_paren + 1, len < 16 ? len : 16);
	if (sscanf(close_paren + 1, " %*c %u", ppid) != 1)
		*ppid = 0;
}

/* PROCESS_START: the command line at the attach (or when the process was
 * first seen), and the item that says the capture was made by attaching. */
static void write_process(uint32_t pid, const struct vhu_att_event *ev)
{
	static uint8_t buf[VHU_REC_MAX_CMDLINE + 256];
	uint8_t cmdline[VHU_REC_MAX_CMDLINE], proc[VHU_REC_PROC_LEN], origin[4] = { VHU_ORIGIN_ATTACH };
	struct vhu_att_event none;
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	char path[64];
	uint32_t ppid = 0;
	size_t n, len;

	if (!ev) {
		memset(&none, 0, sizeof(none));
		none.tgid = none.tid = pid;
		none.ts = 0;
		ev = &none;
	}
	hdr_init(&h, ev, VHU_EV_PROCESS_START, NULL);
	h.call = VHU_CALL_START;
	h.fd = -1;
	memset(proc, 0, sizeof(proc));
	if (ev != &none) {
		ppid = ev->ppid;
		memcpy(proc + 4, ev->comm, 16);
	} else {
		proc_stat(pid, &ppid, (char *)proc + 4);
	}
	vhu_put_le32(proc, ppid);
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	n = read_file(path, cmdline, sizeof(cmdline));
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	vhu_rec_add_item(&b, VHU_IT_PROC, proc, sizeof(proc));
	vhu_rec_add_item(&b, VHU_IT_CMDLINE, cmdline, (uint32_t)n);
	vhu_rec_add_item(&b, VHU_IT_ORIGIN, origin, sizeof(origin));
	len = vhu_rec_end(&b);
	if (len)
		write_record(-1, buf, len, NULL, 0, 0, ev->ts ? realtime(ev->ts) : realtime(0) + 0);
}

void collector_process(uint32_t pid)
{
	bool fresh;

	if (proc_find(pid, &fresh) && fresh)
		write_process(pid, NULL);
}

/* The process of an event: its start record once, its next conn id. */
static uint64_t next_conn_id(const struct vhu_att_event *ev)
{
	bool fresh;
	struct proc *p = proc_find(ev->tgid, &fresh);

	if (!p)
		return (uint64_t)ev->tgid << 32;
	if (fresh)
		write_process(ev->tgid, ev);
	return ((uint64_t)ev->tgid << 32) | ++p->seq;
}

/* ---- fds ------------------------------------------------------------------ */

#define ANON_INODE_FS_MAGIC 0x09041934u
#define SOCKFS_MAGIC 0x534F434Bu
#define PIPEFS_MAGIC 0x50495045u

/* The name /proc/PID/fd would show for a passed fd, from what the kernel
 * told at the call: memfds and regular files by their dentry name only. */
static void describe_fd(const struct vhu_att_fd *k, struct vhu_rec_fd *d, char *name)
{
	size_t n = k->name_len < VHU_ATT_NAME_MAX ? k->name_len : VHU_ATT_NAME_MAX;
	int len = 0;

	memset(d, 0, sizeof(*d));
	d->fd = k->fd;
	d->mode = k->mode;
	/* kernel dev_t (major << 20 | minor) to the st_dev encoding */
	d->dev = makedev((unsigned)(k->dev >> 20), (unsigned)(k->dev & 0xfffff));
	d->ino = k->ino;
	d->size = k->size;
	if (k->magic == ANON_INODE_FS_MAGIC) {
		len = snprintf(name, VHU_REC_MAX_NAME, "anon_inode:%.*s", (int)n, k->name);
		d->kind = strncmp(k->name, "[eventfd]", n) == 0 && n == 9 ? VHU_FDK_EVENTFD
									   : VHU_FDK_OTHER;
	} else if (S_ISSOCK(k->mode)) {
		len = snprintf(name, VHU_REC_MAX_NAME, "socket:[%llu]", (unsigned long long)k->ino);
		d->kind = VHU_FDK_SOCKET;
	} else if (S_ISFIFO(k->mode)) {
		len = snprintf(name, VHU_REC_MAX_NAME, "pipe:[%llu]", (unsigned long long)k->ino);
		d->kind = VHU_FDK_PIPE;
	} else if (n >= 6 && memcmp(k->name, "memfd:", 6) == 0) {
		len = snprintf(name, VHU_REC_MAX_NAME, "/%.*s (deleted)", (int)n, k->name);
		d->kind = VHU_FDK_MEMFD;
	} else {
		len = snprintf(name, VHU_REC_MAX_NAME, "%.*s", (int)n, k->name);
		d->kind = S_ISREG(k->mode) ? VHU_FDK_REGULAR : VHU_FDK_OTHER;
	}
	d->name = name;
	if (len < 0)
		len = 0;
	if (len >= (int)VHU_REC_MAX_NAME)
		len = (int)VHU_REC_MAX_NAME - 1;
	d->name_len = (uint16_t)len;
}

/* ---- connections ---------------------------------------------------------- */

static bool path_selected(const struct conn *c)
{
	char path[VHU_ATT_PATH_MAX + 1];

	if (!cfg.sockets)
		return true;
	memcpy(path, c->path, c->path_len);
	path[c->path_len] = 0;
	return c->path_len && fnmatch(cfg.sockets, path, 0) == 0;
}

static void set_path(struct conn *c, const struct vhu_att_event *ev)
{
	size_t n = ev->path_len < VHU_ATT_PATH_MAX ? ev->path_len : VHU_ATT_PATH_MAX;

	if (!n || c->path_len)
		return;
	/* an abstract name is shown as "@name", as the shim does */
	memcpy(c->path, ev->path, n);
	if (c->path[0] == 0)
		c->path[0] = '@';
	else
		n = strnlen(c->path, n);
	c->path_len = (uint8_t)n;
}

/* The record that introduces a connection: CONNECT/ACCEPT when the attach
 * saw it opened, ADOPT otherwise (a socket passed over a main channel, or
 * one that was in use before the attach and found on its first bytes). */
static void announce(struct conn *c, const struct vhu_att_event *ev)
{
	uint8_t buf[512], v[12];
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	size_t len;

	c->announced = true;
	stats.connections++;
	hdr_init(&h, ev, c->open_kind ? c->open_kind : VHU_EV_ADOPT, c);
	h.flags = 0;
	if (c->open_kind)
		h.call = c->open_call;
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	if (c->path_len)
		vhu_rec_add_item(&b, VHU_IT_PATH, c->path, c->path_len);
	if (c->open_kind && c->has_cred) {
		vhu_put_le32(v, c->cred[0]);
		vhu_put_le32(v + 4, c->cred[1]);
		vhu_put_le32(v + 8, c->cred[2]);
		vhu_rec_add_item(&b, VHU_IT_PEERCRED, v, 12);
	}
	if (!c->open_kind && c->adopt_link) {
		vhu_put_le64(v, c->adopt_link);
		vhu_rec_add_item(&b, VHU_IT_LINK, v, 8);
	}
	len = vhu_rec_end(&b);
	if (len)
		write_record(-1, buf, len, NULL, 0, 0, realtime(ev->ts));
}

/* A connection's identity, channel and role are fixed by its first
 * recorded data: the front-end sends the first request on a main channel. */
static void start_conn(struct conn *c, const struct vhu_att_event *ev, const uint8_t *data)
{
	bool sent = ev->kind == VHU_ATT_DATA_SENT;

	c->conn_id = next_conn_id(ev);
	if (c->adopt_channel) {
		c->channel = c->adopt_channel;
		c->role = c->adopt_role;
		return;
	}
	c->channel = VHU_CHAN_MAIN;
	if (ev->data_len >= VHU_HDR_SIZE) {
		bool reply = vhu_get_le32(data + 4) & VHU_FLAG_REPLY;

		c->role = sent != reply ? VHU_ROLE_FRONTEND : VHU_ROLE_BACKEND;
	}
}

/* SET_BACKEND_REQ_FD or GPU_SET_SOCKET on a main channel: the sockets it
 * carries become the back-end or GPU channel, in the sender (the end it
 * sent and the end it kept) and in the receiver. */
static void maybe_adopt(const struct conn *c, const struct vhu_att_event *ev,
			const struct vhu_att_fd *fds, const uint8_t *data)
{
	uint32_t req, flags;
	uint8_t chan, role;
	unsigned i;

	if (c->channel != VHU_CHAN_MAIN || !ev->nfd_items || ev->data_len < VHU_HDR_SIZE)
		return;
	req = vhu_get_le32(data);
	flags = vhu_get_le32(data + 4);
	if (flags & VHU_FLAG_REPLY)
		return;
	if (req == VHU_SET_BACKEND_REQ_FD)
		chan = VHU_CHAN_BACKEND;
	else if (req == VHU_GPU_SET_SOCKET)
		chan = VHU_CHAN_GPU;
	else
		return;
	role = ev->kind == VHU_ATT_DATA_SENT ? VHU_ROLE_FRONTEND : VHU_ROLE_BACKEND;
	for (i = 0; i < ev->nfd_items && i < VHU_ATT_MAX_FDS; i++) {
		uint64_t sks[2] = { fds[i].sk, ev->kind == VHU_ATT_DATA_SENT ? fds[i].peer_sk : 0 };
		unsigned k;

		for (k = 0; k < 2; k++) {
			struct conn *a;

			if (!sks[k])
				continue;
			a = conn_find(ev->tgid, sks[k], true);
			if (a->announced)
				continue;
			a->adopt_channel = chan;
			a->adopt_role = role;
			a->adopt_link = c->conn_id;
			a->opened = true;	/* new channel: starts at its first message */
			cfg.set_sock_state(sks[k], VHU_ATT_TRACKED);
		}
	}
}

static int p2p_dir(unsigned kind)
{
	return kind == VHU_ATT_DATA_SENT ? 0 : 1;
}

static void on_data(const struct vhu_att_event *ev, const struct vhu_att_fd *fds,
		    const uint8_t *data)
{
	static uint8_t buf[16384];
	char names[VHU_ATT_MAX_FDS][VHU_REC_MAX_NAME];
	struct conn *c = conn_find(ev->tgid, ev->sk, true);
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	unsigned dir = ev->kind == VHU_ATT_DATA_RECV, i;
	size_t len;

	if (c->dropped)
		return;
	if (!c->announced) {
		set_path(c, ev);
		if (!c->adopt_channel && !path_selected(c)) {
			c->dropped = true;
			cfg.set_sock_state(ev->sk, VHU_ATT_DROPPED);
			return;
		}
		if (ev->opened)
			c->opened = true;
		start_conn(c, ev, data);
		announce(c, ev);
	}
	hdr_init(&h, ev, ev->kind == VHU_ATT_DATA_SENT ? VHU_EV_DATA_SENT : VHU_EV_DATA_RECV, c);
	h.flags = ev->flags;
	if (ev->data_len < ev->moved && !(h.flags & VHU_RF_CUT))
		h.flags |= VHU_RF_CUT;
	/* the kernel gives what moved, never what was asked: no short flag */
	if (!c->first_done[dir] && !(h.flags & VHU_RF_PEEK)) {
		c->first_done[dir] = true;
		if (!c->opened)
			h.flags |= VHU_RF_MIDSTREAM;
	}
	h.nfds = ev->nfds;
	h.orig_len = ev->moved;
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	for (i = 0; i < ev->nfd_items && i < VHU_ATT_MAX_FDS; i++) {
		struct vhu_rec_fd d;

		describe_fd(&fds[i], &d, names[i]);
		vhu_rec_add_fd(&b, &d);
	}
	vhu_rec_add_data_ref(&b, ev->data_len);
	len = vhu_rec_end(&b);
	if (len)
		write_record(p2p_dir(ev->kind), buf, len, data, ev->data_len, ev->moved,
			     realtime(ev->ts));
	maybe_adopt(c, ev, fds, data);
}

static void on_open(const struct vhu_att_event *ev)
{
	struct conn *c = conn_find(ev->tgid, ev->sk, true);

	if (c->announced) {
		/* the struct sock was freed and reused since */
		conn_forget(c);
		c = conn_find(ev->tgid, ev->sk, true);
	}
	c->opened = true;
	c->open_kind = ev->kind == VHU_ATT_CONNECT ? VHU_EV_CONNECT : VHU_EV_ACCEPT;
	c->open_call = (uint16_t)ev->call;
	set_path(c, ev);
	c->has_cred = ev->has_cred;
	c->cred[0] = ev->peer_pid;
	c->cred[1] = ev->peer_uid;
	c->cred[2] = ev->peer_gid;
}

static void on_close(const struct vhu_att_event *ev)
{
	uint8_t buf[64];
	struct conn *c = conn_find(ev->tgid, ev->sk, false);
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	size_t len;

	if (!c)
		return;
	if (c->announced) {
		hdr_init(&h, ev, VHU_EV_CLOSE, c);
		vhu_rec_begin(&b, buf, sizeof(buf), &h);
		len = vhu_rec_end(&b);
		if (len)
			write_record(-1, buf, len, NULL, 0, 0, realtime(ev->ts));
	}
	conn_forget(c);
}

int collector_event(const void *raw, size_t len)
{
	const struct vhu_att_event *ev = raw;
	const struct vhu_att_fd *fds = (const void *)(ev + 1);
	const uint8_t *data;
	size_t fds_len;

	if (len < sizeof(*ev) || ev->nfd_items > VHU_ATT_MAX_FDS)
		return 0;	/* not ours: ignore rather than trust */
	fds_len = ev->nfd_items * sizeof(*fds);
	if (len - sizeof(*ev) < fds_len + ev->data_len)
		return 0;
	data = (const uint8_t *)(fds + ev->nfd_items);
	switch (ev->kind) {
	case VHU_ATT_DATA_SENT:
	case VHU_ATT_DATA_RECV:
		on_data(ev, fds, data);
		break;
	case VHU_ATT_CONNECT:
	case VHU_ATT_ACCEPT:
		on_open(ev);
		break;
	case VHU_ATT_CLOSE:
		on_close(ev);
		break;
	default:
		break;
	}
	return 0;
}
