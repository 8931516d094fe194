/* SPDX-License-Identifier: MIT */
/*
 * \summary: session state: connections, negotiated features, who sent what,
 * and request/reply matching.
 *
 * vhost-user has no request ids: replies pair with requests by order on a
 * connection.  Each connection keeps a FIFO of requests that wait for an
 * answer; a reply takes the oldest waiting request of the same id, and the
 * requests queued before that one are known never to be answered.
 */
#include "vhu_session.h"
#include "vhu_le.h"
#include "vhu_msgs.h"
#include "vhu_proto.h"
#include "vhu_reasm.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Requests of one connection waiting for an answer: peers wait for each
 * answer, so more than a few means the answers were lost. */
#define MAX_PENDING 64

struct pending {
	uint32_t request;
	uint64_t frame;
	uint64_t ts_ns;
	uint64_t arg;		/* first u64 of the payload (a ring index) */
	bool ack;		/* the answer is a u64 ack */
	bool required;		/* the spec demands the answer (not a NEED_REPLY
				 * without REPLY_ACK) */
	void *cookie;
};

/*
 * A connection keeps only small state for its whole life; what a message
 * in progress or a waiting request needs is allocated while it lives and
 * freed when the connection closes, so memory follows the live state, not
 * the length of the capture.
 */
struct conn {
	uint64_t id;
	uint32_t pid;
	uint8_t channel;
	uint8_t role;		/* the recording process's role, from the records */
	uint64_t link;
	bool has_link;
	uint32_t peer_pid;
	/* the negotiated state and the device, in the fields a message's info
	 * has for them (from features to device, NEG_FIRST to NEG_END; the
	 * others unused): copied into each message in one go, not field by
	 * field.  Its pfeatures_unknown is midstream && !pfeatures_set. */
	struct vhu_msg_info neg;
	uint64_t messages;
	uint64_t last_frame, last_ts;	/* last record of this connection */
	struct pending *q;	/* ring of qcap entries, allocated on demand */
	unsigned qcap, qhead, qlen;
	struct vhu_diag_conn *diag;	/* state of the rules, main channel only */
	uint64_t path_key;	/* socket path and side, for the rules (0: unknown) */
	bool ctrunc;		/* a received record lost fds (MSG_CTRUNC): the
				 * next message received holds its first byte */
	struct vhu_stream st[2];	/* [0] sent by this process, [1] received */
	bool midstream;		/* recording began while it was in use (attach) */
	bool request_seen;	/* a request went over it since the capture began */
	/* numbered data records (VHU_IT_SEQ) of one fd of one process: the
	 * last (pid, fd) seen, and the number expected next from it */
	bool seq_known;
	uint32_t seq_pid;
	int32_t seq_fd;
	uint32_t seq_next;
	/* the process table's answers for this connection's last record,
	 * good while the table's generation stays proc_gen: its device
	 * guess, asked for every record until one is known, and its
	 * process name, asked for every message */
	uint32_t dev_gen, dev_pid, dev_peer;
	uint8_t dev_found;
	uint32_t comm_gen, comm_pid;
	const char *comm;
	struct conn *next_minted;	/* next connection whose id the same pid made */
	struct conn *next_retired;
};

struct proc {
	uint32_t pid;
	char comm[17];
	uint8_t device;
	struct conn *minted;	/* live connections whose id this pid made */
};

struct vhu_session {
	struct vhu_options opt;
	struct vhu_session_cbs cbs;
	void *ctx;
	struct conn **conns;	/* open addressing by id */
	uint32_t conn_cap, nconns;
	struct conn *retired;	/* earlier lives of reused pids, for statistics */
	struct conn *last_conn;	/* the one conn_get() gave last: a connection's
				 * records mostly come one after another */
	struct proc *procs;	/* open addressing by pid */
	uint32_t proc_cap, nprocs;
	uint32_t proc_gen;	/* changes with any process's entry, name or device
				 * (from 1: a connection's 0 is "never asked") */
	/* messages completed in one frame are numbered from 0 */
	uint64_t index_frame;
	uint32_t next_index;
	uint64_t last_ts;	/* of the last record fed */
	struct vhu_diag_paths *paths;	/* the rules' memory across connections */
	struct vhu_findings findings;	/* of the message being delivered */
};

/* Where the bytes handed to a stream came from.  The reassembler passes it
 * back to its callbacks, so a message learns its connection, frame and
 * sender from its argument, not from state left in the session. */
struct origin {
	struct vhu_session *s;
	struct conn *c;
	uint64_t frame, ts_ns;
	uint32_t pid;
	uint8_t event;		/* VHU_EV_DATA_SENT or RECV: the stream's direction */
	uint16_t rec_flags;
};

/* The fields of a message's info that its connection's state gives: from
 * features to device, with nothing between them that the session sets
 * otherwise. */
#define NEG_FIRST offsetof(struct vhu_msg_info, features)
#define NEG_END (offsetof(struct vhu_msg_info, device) + sizeof(((struct vhu_msg_info *)0)->device))
_Static_assert(NEG_END == offsetof(struct vhu_msg_info, is_reply),
	       "the negotiated state's fields end where is_reply starts");

/* ---- processes ------------------------------------------------------------ */

static struct proc *proc_find(struct proc *t, uint32_t cap, uint32_t pid)
{
	uint32_t h = (pid * 2654435761u) & (cap - 1);

	while (t[h].pid && t[h].pid != pid)
		h = (h + 1) & (cap - 1);
	return &t[h];
}

static bool proc_grow(struct vhu_session *s)
{
	uint32_t i, ncap = s->proc_cap ? s->proc_cap * 2 : 64;
	struct proc *n = calloc(ncap, sizeof(*n));

	if (!n)
		return false;
	for (i = 0; i < s->proc_cap; i++)
		if (s->procs[i].pid)
			*proc_find(n, ncap, s->procs[i].pid) = s->procs[i];
	free(s->procs);
	s->procs = n;
	s->proc_cap = ncap;
	return true;
}

/* pid 0 is no process: never stored. */
static struct proc *proc_slot(struct vhu_session *s, uint32_t pid, bool create)
{
	struct proc *p;

	if (!pid)
		return NULL;
	if (s->proc_cap) {
		p = proc_find(s->procs, s->proc_cap, pid);
		if (p->pid || !create)
			return p->pid ? p : NULL;
	}
	if (!create)
		return NULL;
	if ((s->nprocs + 1) * 2 > s->proc_cap && !proc_grow(s))
		return NULL;
	p = proc_find(s->procs, s->proc_cap, pid);
	p->pid = pid;
	s->nprocs++;
	s->proc_gen++;
	return p;
}

const char *vhu_session_comm(const struct vhu_session *s, uint32_t pid)
{
	struct proc *p = proc_slot((struct vhu_session *)s, pid, false);

	return p ? p->comm : "";
}

uint32_t vhu_session_procs_gen(const struct vhu_session *s)
{
	return s->proc_gen;
}

/* Guesses the device type from a command line: the front-end names its
 * vhost-user device, back-ends are usually known by their program name. */
static uint8_t device_from_cmdline(const uint8_t *cmd, uint32_t len)
{
	static const struct { const char *word; uint8_t dev; } words[] = {
		{ "vhost-user-blk", VHU_DEV_BLK }, { "qemu-storage-daemon", VHU_DEV_BLK },
		{ "vhost-user-fs", VHU_DEV_FS }, { "virtiofsd", VHU_DEV_FS },
		{ "vhost-user-vsock", VHU_DEV_VSOCK }, { "vhost-device-vsock", VHU_DEV_VSOCK },
		{ "vhost-user-gpu", VHU_DEV_GPU }, { "vhost-user-input", VHU_DEV_INPUT },
		{ "vhost-user-scsi", VHU_DEV_SCSI }, { "vhost-user-crypto", VHU_DEV_CRYPTO },
		{ "vhost-user-i2c", VHU_DEV_I2C }, { "vhost-device-i2c", VHU_DEV_I2C },
		{ "vhost-user-gpio", VHU_DEV_GPIO }, { "vhost-device-gpio", VHU_DEV_GPIO },
		{ "vhost-user-rng", VHU_DEV_RNG }, { "vhost-device-rng", VHU_DEV_RNG },
		{ "vhost-user-snd", VHU_DEV_SOUND }, { "vhost-device-sound", VHU_DEV_SOUND },
		{ "vhost-user-scmi", VHU_DEV_SCMI }, { "vhost-device-scmi", VHU_DEV_SCMI },
		{ "virtio-net", VHU_DEV_NET }, { "net_vhost", VHU_DEV_NET },
		{ "virtio_user", VHU_DEV_NET }, { "ovs-vswitchd", VHU_DEV_NET },
		{ "testpmd", VHU_DEV_NET },
	};
	char buf[4096];
	uint32_t i, n = len < sizeof(buf) - 1 ? len : (uint32_t)sizeof(buf) - 1;
	uint8_t found = VHU_DEV_UNKNOWN;

	for (i = 0; i < n; i++)
		buf[i] = cmd[i] ? (char)cmd[i] : ' ';
	buf[n] = 0;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (!strstr(buf, words[i].word))
			continue;
		if (found != VHU_DEV_UNKNOWN && found != words[i].dev)
			return VHU_DEV_UNKNOWN; /* several kinds: do not guess */
		found = words[i].dev;
	}
	return found;
}

/* ---- connections ---------------------------------------------------------- */

static uint32_t conn_hash(uint64_t id, uint32_t cap)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	return (uint32_t)(id & (cap - 1));
}

static bool conn_grow(struct vhu_session *s)
{
	uint32_t i, ncap = s->conn_cap ? s->conn_cap * 2 : 64;
	struct conn **n = calloc(ncap, sizeof(*n));

	if (!n)
		return false;
	for (i = 0; i < s->conn_cap; i++) {
		struct conn *c = s->conns[i];
		uint32_t h;

		if (!c)
			continue;
		for (h = conn_hash(c->id, ncap); n[h]; h = (h + 1) & (ncap - 1))
			;
		n[h] = c;
	}
	free(s->conns);
	s->conns = n;
	s->conn_cap = ncap;
	return true;
}

/* A new connection of this id, in the table. */
static __attribute__((noinline)) struct conn *conn_create(struct vhu_session *s, uint64_t id)
{
	struct conn *c;
	uint32_t h;

	if ((s->nconns + 1) * 2 > s->conn_cap && !conn_grow(s))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->id = id;
	c->channel = VHU_CHAN_MAIN;
	vhu_stream_init(&c->st[0], s->opt.max_payload);
	vhu_stream_init(&c->st[1], s->opt.max_payload);
	c->st[0].general_only = c->st[1].general_only = s->opt.general_reassembly;
	for (h = conn_hash(id, s->conn_cap); s->conns[h]; h = (h + 1) & (s->conn_cap - 1))
		;
	s->conns[h] = c;
	s->nconns++;
	{
		struct proc *p = proc_slot(s, (uint32_t)(id >> 32), true);

		if (p) {
			c->next_minted = p->minted;
			p->minted = c;
		}
	}
	return s->last_conn = c;
}

/* conn_get() by the table; remembers what it gives.  The creation is a
 * call apart (a tail call): a lookup then saves no registers, which was
 * half of what it cost. */
static struct conn *conn_find(struct vhu_session *s, uint64_t id, bool create)
{
	uint32_t h;

	if (s->conn_cap) {
		for (h = conn_hash(id, s->conn_cap); s->conns[h]; h = (h + 1) & (s->conn_cap - 1))
			if (s->conns[h]->id == id)
				return s->last_conn = s->conns[h];
	}
	return create ? conn_create(s, id) : NULL;
}

/* The connection of this id; a new one if create.  The one found last is
 * asked first, inline: a connection's records mostly come in a run. */
static inline struct conn *conn_get(struct vhu_session *s, uint64_t id, bool create)
{
	if (s->last_conn && s->last_conn->id == id)
		return s->last_conn;
	return conn_find(s, id, create);
}

/* Takes c out of the table (linear probing: the entries after it move up
 * to where a lookup will find them). */
static void conn_unlink(struct vhu_session *s, const struct conn *c)
{
	uint32_t mask = s->conn_cap - 1, i, j, k;

	if (s->last_conn == c)
		s->last_conn = NULL;
	for (i = conn_hash(c->id, s->conn_cap); s->conns[i] != c; i = (i + 1) & mask)
		;
	s->conns[i] = NULL;
	for (j = (i + 1) & mask; s->conns[j]; j = (j + 1) & mask) {
		k = conn_hash(s->conns[j]->id, s->conn_cap);
		/* the entry at j may fill the hole at i if its home k does
		 * not lie cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		s->conns[i] = s->conns[j];
		s->conns[j] = NULL;
		i = j;
	}
	s->nconns--;
}

/* ---- public --------------------------------------------------------------- */

struct vhu_session *vhu_session_new(const struct vhu_options *opt,
				    const struct vhu_session_cbs *cbs, void *ctx)
{
	struct vhu_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (opt)
		s->opt = *opt;
	if (s->opt.max_payload > VHU_ABSOLUTE_MAX_PAYLOAD)
		s->opt.max_payload = VHU_ABSOLUTE_MAX_PAYLOAD;
	s->cbs = *cbs;
	s->ctx = ctx;
	s->proc_gen = 1;
	s->findings.no_text = s->opt.finding_ids_only;
	s->paths = vhu_diag_paths_new();	/* without it, that one rule rests */
	return s;
}

/* qcap is a power of two (4, then doubled): an index wraps with a mask,
 * not a division. */
static struct pending *pending_at(const struct conn *c, unsigned i)
{
	return &c->q[(c->qhead + i) & (c->qcap - 1)];
}

static void pending_pop(struct conn *c)
{
	c->qhead = (c->qhead + 1) & (c->qcap - 1);
	c->qlen--;
}

/* The oldest n requests of c will not be answered: why, and when that
 * became known. */
static void drop_pending(struct vhu_session *s, struct conn *c, unsigned n, uint64_t now_ns,
			 enum vhu_unanswered_why why, uint64_t why_frame)
{
	while (n-- && c->qlen) {
		const struct pending *p = pending_at(c, 0);

		if (s->cbs.unanswered)
			s->cbs.unanswered(s->ctx, p->cookie);
		if (s->cbs.finding && p->required && why != VHU_UNANSWERED_FLOOD) {
			struct vhu_finding f;

			vhu_diag_no_reply(&f, c->id, c->channel, p->request, p->frame,
					  now_ns >= p->ts_ns ? now_ns - p->ts_ns : 0, why, why_frame);
			s->cbs.finding(s->ctx, p->cookie, &f);
		}
		pending_pop(c);
	}
}

/* Room for one more request in a full queue; false without memory.  A
 * call apart: taken a few times a connection. */
static __attribute__((noinline)) bool pending_grow(struct conn *c)
{
	unsigned i, ncap = c->qcap ? c->qcap * 2 : 4;
	struct pending *n = malloc(ncap * sizeof(*n));

	if (!n)
		return false;
	for (i = 0; i < c->qlen; i++)
		n[i] = *pending_at(c, i);
	free(c->q);
	c->q = n;
	c->qcap = ncap;
	c->qhead = 0;
	return true;
}

/* A free entry at the tail of the queue (the oldest is given up when
 * MAX_PENDING wait), or NULL without memory.  Inline: a request that
 * waits for its answer takes one. */
static inline __attribute__((always_inline)) struct pending *pending_push(struct vhu_session *s,
									  struct conn *c)
{
	if (c->qlen == MAX_PENDING)
		drop_pending(s, c, 1, 0, VHU_UNANSWERED_FLOOD, 0);
	if (c->qlen == c->qcap && !pending_grow(c))
		return NULL;
	c->qlen++;
	return pending_at(c, c->qlen - 1);
}

/* What only a live connection needs. */
static void conn_free_live(struct conn *c)
{
	vhu_stream_free(&c->st[0]);
	vhu_stream_free(&c->st[1]);
	free(c->q);
	c->q = NULL;
	c->qcap = c->qhead = c->qlen = 0;
	vhu_diag_conn_free(c->diag);
	c->diag = NULL;
}

void vhu_session_free(struct vhu_session *s)
{
	uint32_t i;

	if (!s)
		return;
	for (i = 0; i < s->conn_cap; i++) {
		struct conn *c = s->conns[i];

		if (!c)
			continue;
		conn_free_live(c);
		free(c);
	}
	while (s->retired) {
		struct conn *c = s->retired;

		s->retired = c->next_retired;
		free(c);
	}
	free(s->conns);
	free(s->procs);
	vhu_diag_paths_free(s->paths);
	free(s);
}

static uint8_t other_role(uint8_t role)
{
	return role == VHU_ROLE_FRONTEND ? VHU_ROLE_BACKEND : VHU_ROLE_FRONTEND;
}

/* Who sends the requests of a channel. */
static uint8_t requester(uint8_t channel)
{
	return channel == VHU_CHAN_BACKEND || channel == VHU_CHAN_GPU ? VHU_ROLE_BACKEND
								      : VHU_ROLE_FRONTEND;
}

/*
 * Who sent a message comes from the record: sent or received, by a process
 * whose role the shim recorded.  The REPLY bit is the peer's word and not
 * always right (vhost-user-gpu sends its UPDATEs with flags 0x5); it is
 * only the fallback for a connection whose role nobody recorded.
 */
static inline __attribute__((always_inline)) uint8_t
sender_of(const struct conn *c, uint8_t event, const struct vhu_msg *m)
{
	bool reply = m->len >= VHU_HDR_SIZE && (m->flags & VHU_FLAG_REPLY);

	if (c->role != VHU_ROLE_UNKNOWN)
		return event == VHU_EV_DATA_SENT ? c->role : other_role(c->role);
	return reply ? other_role(requester(c->channel)) : requester(c->channel);
}

/* The state a message is read against: its own connection's, or for a
 * back-end channel or GPU socket, that of the main connection it came over. */
static const struct conn *state_conn(struct vhu_session *s, const struct conn *c)
{
	if (c->has_link && !c->neg.features_set && !c->neg.pfeatures_set) {
		const struct conn *m = conn_get(s, c->link, false);

		if (m)
			return m;
	}
	return c;
}

/* Does this request wait for an answer, and is the answer an ack? */
static inline __attribute__((always_inline)) bool
expects_reply(const struct conn *st, const struct vhu_msg_desc *d, const struct vhu_msg *m,
	      bool *ack)
{
	bool need = (m->flags & VHU_FLAG_NEED_REPLY) != 0;

	*ack = true;
	if (!d)
		return need;
	switch (d->reply_rule) {
	case VHU_R_ALWAYS:
		*ack = d->reply == VHU_L_ACK;
		return true;
	case VHU_R_NEVER:
		return false;
	case VHU_R_POSTCOPY:
		if (st->neg.postcopy) {
			/* the u64 acknowledgement of the back-end's table */
			if (d->req == VHU_L_MEM_TABLE && m->size == 8)
				return false;
			*ack = false;
			return true;
		}
		return need;
	case VHU_R_LOG_SHMFD:
		if ((st->neg.pfeatures_set && (st->neg.pfeatures & VHU_BIT(VHU_PF_LOG_SHMFD))) ||
		    (!st->neg.pfeatures_set && m->size == 16)) {
			*ack = false;
			return true;
		}
		return need;
	case VHU_R_NEED_REPLY:
		return need;
	}
	return need;
}

/* A reply asked for with NEED_REPLY is owed only once REPLY_ACK is
 * negotiated; every other expected reply is owed by the message's rule. */
static bool reply_required(const struct conn *st, const struct vhu_msg_desc *d,
			   const struct vhu_msg *m, bool ack)
{
	bool by_flag = ack && (m->flags & VHU_FLAG_NEED_REPLY) && (!d || d->reply_rule != VHU_R_ALWAYS);

	return !by_flag ||
	       (st->neg.pfeatures_set && (st->neg.pfeatures & VHU_BIT(VHU_PF_REPLY_ACK)));
}

static uint64_t payload_u64(const struct vhu_msg *m)
{
	return m->len >= VHU_HDR_SIZE + 8 && m->size >= 8 ? vhu_get_le64(m->bytes + VHU_HDR_SIZE) : 0;
}

static inline __attribute__((always_inline)) void
update_state(struct conn *c, uint8_t channel, const struct vhu_msg *m, bool reply)
{
	/* read only for the four requests that keep it */
	bool has_u64 = m->len >= VHU_HDR_SIZE + 8 && m->size >= 8 && m->status == VHU_MSG_OK;

	if (channel != VHU_CHAN_MAIN)
		return;
	switch (m->request) {
	case VHU_SET_FEATURES:
		if (!reply && has_u64) {
			c->neg.features = payload_u64(m);
			c->neg.features_set = true;
		}
		break;
	case VHU_GET_FEATURES:
		if (reply && has_u64)
			c->neg.offered_features = payload_u64(m);
		break;
	case VHU_SET_PROTOCOL_FEATURES:
		if (!reply && has_u64) {
			c->neg.pfeatures = payload_u64(m);
			c->neg.pfeatures_set = true;
			c->neg.pfeatures_unknown = false;
		}
		break;
	case VHU_GET_PROTOCOL_FEATURES:
		if (reply && has_u64)
			c->neg.offered_pfeatures = payload_u64(m);
		break;
	case VHU_POSTCOPY_LISTEN:
		if (!reply)
			c->neg.postcopy = true;
		break;
	case VHU_POSTCOPY_END:
		if (!reply)
			c->neg.postcopy = false;
		break;
	case VHU_NET_SET_MTU:
	case VHU_SEND_RARP:
		if (c->neg.device == VHU_DEV_UNKNOWN)
			c->neg.device = VHU_DEV_NET;
		break;
	default:
		break;
	}
}

/* The name of the process that recorded a message of c, or "". */
static const char *conn_comm(struct vhu_session *s, struct conn *c, uint32_t pid)
{
	if (c->comm_gen != s->proc_gen || c->comm_pid != pid) {
		struct proc *p = proc_slot(s, pid, false);

		c->comm = p ? p->comm : "";
		c->comm_gen = s->proc_gen;
		c->comm_pid = pid;
	}
	return c->comm;
}

/* A message out of one of c's streams.  Inline in the data records' path,
 * which delivers most messages without the reassembler calling back; the
 * small helpers it uses are always inline too (in that large function the
 * compiler made calls of them, which cost more than the call saved). */
static inline __attribute__((always_inline)) void session_message(const struct origin *o,
								  const struct vhu_msg *m)
{
	struct vhu_session *s = o->s;
	struct conn *c = o->c;
	const struct conn *st = state_conn(s, c);
	const struct vhu_msg_desc *d;
	struct vhu_msg_info mi;
	void *cookie;
	bool ack = true, expects = false, header = m->len >= VHU_HDR_SIZE;
	uint64_t req_arg = 0;

	/* everything up to is_reply is set here: only the rest is cleared
	 * (clearing all of it was a tenth of this function) */
	memset(&mi.is_reply, 0, sizeof(mi) - offsetof(struct vhu_msg_info, is_reply));
	mi.frame = o->frame;
	mi.index = s->next_index++;
	mi.ts_ns = o->ts_ns;
	mi.conn_id = c->id;
	mi.pid = o->pid;
	mi.comm = conn_comm(s, c, o->pid);
	mi.event = o->event;
	mi.channel = c->channel;
	mi.rec_flags = o->rec_flags;
	if (c->ctrunc && o->event == VHU_EV_DATA_RECV) {
		mi.rec_flags |= VHU_RF_CTRUNC;
		c->ctrunc = false;
	}
	mi.sender = sender_of(c, o->event, m);
	mi.is_reply = header && mi.sender != requester(c->channel);

	memcpy((char *)&mi + NEG_FIRST, (const char *)&st->neg + NEG_FIRST, NEG_END - NEG_FIRST);
	/* unknown also when this connection (not the one it reads) was
	 * recorded from its middle */
	if (c != st && c->midstream && !st->neg.pfeatures_set)
		mi.pfeatures_unknown = true;
	if (s->opt.device)
		mi.device = s->opt.device;

	d = header ? vhu_msg_lookup(c->channel, m->request) : NULL;
	if (header && m->status != VHU_MSG_OVERSIZE) {
		if (mi.is_reply) {
			unsigned i;

			for (i = 0; i < c->qlen; i++)
				if (pending_at(c, i)->request == m->request)
					break;
			if (i < c->qlen) {
				struct pending *q;

				/* answered out of order: never (most replies
				 * answer the oldest, and call nothing) */
				if (i)
					drop_pending(s, c, i, o->ts_ns, VHU_UNANSWERED_LATER,
						     o->frame);
				q = pending_at(c, 0);
				req_arg = q->arg;
				mi.matched = true;
				mi.request_frame = q->frame;
				mi.latency_ns = o->ts_ns >= q->ts_ns ? o->ts_ns - q->ts_ns : 0;
				mi.reply_is_ack = q->ack;
			} else {
				mi.request_before_capture = c->midstream && !c->request_seen;
			}
		} else {
			c->request_seen = true;
			expects = expects_reply(st, d, m, &ack);
		}
	}
	if (header && c->channel == VHU_CHAN_MAIN && !c->diag)
		c->diag = vhu_diag_conn_new(s->paths, c->path_key);
	vhu_diag_message(c->channel == VHU_CHAN_MAIN ? c->diag : NULL, m, &mi, d, req_arg,
			 &s->findings);
	mi.findings = s->findings.f;
	mi.nfindings = (uint8_t)s->findings.n;
	if (header && m->status == VHU_MSG_OK && !m->big_endian)
		update_state(c, c->channel, m, mi.is_reply);
	c->messages++;

	cookie = s->cbs.message ? s->cbs.message(s->ctx, m, &mi) : NULL;

	if (mi.matched) {
		void *req_cookie = pending_at(c, 0)->cookie;

		pending_pop(c);
		if (s->cbs.reply_seen)
			s->cbs.reply_seen(s->ctx, req_cookie, &mi);
	}
	if (expects) {
		struct pending *q = pending_push(s, c);

		if (!q)
			return;
		q->request = m->request;
		q->frame = o->frame;
		q->ts_ns = o->ts_ns;
		q->arg = payload_u64(m);
		q->ack = ack;
		q->required = reply_required(st, d, m, ack);
		q->cookie = cookie;
	}
}

/* session_message() for the reassembler's callback. */
static void on_message(void *arg, const struct vhu_msg *m)
{
	session_message(arg, m);
}

static void on_piece(void *arg, uint64_t seq, uint32_t rec_off, uint32_t len, uint32_t msg_off, bool last)
{
	const struct origin *o = arg;
	struct vhu_session *s = o->s;

	s->cbs.piece(s->ctx, o->c->id * 2 + (o->event == VHU_EV_DATA_RECV), seq, rec_off, len,
		     msg_off, last);
}

/* Messages are numbered within their frame: a new frame starts at 0. */
static void enter_frame(struct vhu_session *s, uint64_t frame)
{
	if (frame != s->index_frame) {
		s->index_frame = frame;
		s->next_index = 0;
	}
}

static struct origin record_origin(struct vhu_session *s, struct conn *c, uint64_t frame,
				   uint64_t ts_ns, const struct vhu_rec_hdr *h)
{
	struct origin o = { s, c, frame, ts_ns, h->pid, h->event, h->flags };

	return o;
}

static uint8_t conn_device(struct vhu_session *s, uint32_t pid, uint32_t peer_pid)
{
	struct proc *p = proc_slot(s, pid, false);

	if (p && p->device)
		return p->device;
	p = peer_pid ? proc_slot(s, peer_pid, false) : NULL;
	return p ? p->device : VHU_DEV_UNKNOWN;
}

/* conn_device() for a data record of c, asked again only when the
 * process table or the pids changed since c's last record. */
static uint8_t conn_device_cached(struct vhu_session *s, struct conn *c, uint32_t pid)
{
	if (c->dev_gen != s->proc_gen || c->dev_pid != pid || c->dev_peer != c->peer_pid) {
		c->dev_found = conn_device(s, pid, c->peer_pid);
		c->dev_gen = s->proc_gen;
		c->dev_pid = pid;
		c->dev_peer = c->peer_pid;
	}
	return c->dev_found;
}

/*
 * The end of a connection (closed, its process gone, the capture over):
 * a message still being assembled comes out truncated, shown in frame,
 * requests still waiting are unanswered, and what only a live connection
 * needs is freed.
 */
static void conn_end(struct vhu_session *s, struct conn *c, uint64_t frame, uint64_t ts_ns,
		     enum vhu_unanswered_why why, uint64_t now_ns)
{
	struct origin o = { s, c, frame, ts_ns, c->pid, VHU_EV_DATA_SENT, 0 };

	enter_frame(s, frame);
	vhu_stream_flush(&c->st[0], on_message, &o);
	o.event = VHU_EV_DATA_RECV;
	vhu_stream_flush(&c->st[1], on_message, &o);
	drop_pending(s, c, c->qlen, now_ns, why, why == VHU_UNANSWERED_END ? 0 : frame);
	conn_free_live(c);
}

/*
 * A process started: a pid seen before belongs to an earlier process (pids
 * are reused; two runs appended to one file repeat them).  Its connections
 * end here, and the ids it made may be made again by the new one.
 */
static void proc_new_life(struct vhu_session *s, struct proc *p, uint64_t frame, uint64_t ts_ns)
{
	while (p->minted) {
		struct conn *c = p->minted;

		p->minted = c->next_minted;
		conn_end(s, c, frame, ts_ns, VHU_UNANSWERED_CLOSED, ts_ns);
		conn_unlink(s, c);
		c->next_retired = s->retired;
		s->retired = c;
	}
	p->comm[0] = 0;
	p->device = VHU_DEV_UNKNOWN;
}

/*
 * Checks a data record's number against the records of its fd before it.
 * A connection is numbered per fd and process: records of another (pid,
 * fd) of the same connection (a fork child, a dup) start over, and their
 * numbers are not compared with each other's.  A number past the next
 * one moves the expectation on; one below it does not.
 */
static struct vhu_seq_check seq_check(struct conn *c, const struct vhu_record *r)
{
	struct vhu_seq_check k = { VHU_SEQ_NONE, r->seq, 0 };
	uint32_t ahead;

	if (!r->has_seq)
		return k;
	if (!c->seq_known || c->seq_pid != r->h.pid || c->seq_fd != r->h.fd) {
		c->seq_known = true;
		c->seq_pid = r->h.pid;
		c->seq_fd = r->h.fd;
		c->seq_next = r->seq + 1;
		return k;
	}
	k.expected = c->seq_next;
	ahead = r->seq - c->seq_next;	/* modulo 2^32: the numbers wrap */
	if (ahead == 0) {
		k.state = VHU_SEQ_NEXT;
	} else if (ahead < 0x80000000u) {
		k.state = VHU_SEQ_GAP;
	} else {
		k.state = VHU_SEQ_BEHIND;
		return k;
	}
	c->seq_next = r->seq + 1;
	return k;
}

/* A record that carries no data: a process started, a connection opened or
 * closed.  A call apart from the data records' path, which saves no
 * registers for it. */
static __attribute__((noinline)) void event_record(struct vhu_session *s, uint64_t frame,
						  uint64_t ts_ns, const struct vhu_record *r)
{
	const struct vhu_rec_hdr *h = &r->h;
	struct conn *c;

	switch (h->event) {
	case VHU_EV_PROCESS_START: {
		struct proc *p = proc_slot(s, h->pid, true);

		if (p) {
			proc_new_life(s, p, frame, ts_ns);
			if (r->has_proc)
				memcpy(p->comm, r->comm, sizeof(p->comm));
			if (r->cmdline)
				p->device = device_from_cmdline(r->cmdline, r->cmdline_len);
			s->proc_gen++;
		}
		return;
	}
	case VHU_EV_CONNECT:
	case VHU_EV_ACCEPT:
	case VHU_EV_ADOPT:
		c = conn_get(s, h->conn_id, true);
		if (!c)
			return;
		c->pid = h->pid;
		if (h->channel != VHU_CHAN_UNKNOWN)
			c->channel = h->channel;
		if (r->has_link) {
			c->has_link = true;
			c->link = r->link_conn;
		}
		if (r->has_peercred)
			c->peer_pid = r->peer_pid;
		if (h->event != VHU_EV_ADOPT)
			c->path_key = vhu_diag_path_key(r->path, r->path_len, h->event == VHU_EV_CONNECT);
		if (!c->neg.device)
			c->neg.device = conn_device(s, h->pid, c->peer_pid);
		return;
	case VHU_EV_CLOSE:
		c = conn_get(s, h->conn_id, false);
		if (c)
			conn_end(s, c, frame, ts_ns, VHU_UNANSWERED_CLOSED, ts_ns);
		return;
	default:
		return; /* unknown events are skipped (forward compatibility) */
	}
}

struct vhu_seq_check vhu_session_record(struct vhu_session *s, uint64_t frame, uint64_t ts_ns,
					const struct vhu_record *r)
{
	const struct vhu_rec_hdr *h = &r->h;
	struct vhu_seq_check seq = { VHU_SEQ_NONE, r->seq, 0 };
	struct origin o;
	struct conn *c;
	int dir;

	enter_frame(s, frame);
	s->last_ts = ts_ns;
	if (h->event != VHU_EV_DATA_SENT && h->event != VHU_EV_DATA_RECV) {
		event_record(s, frame, ts_ns, r);
		return seq;
	}

	/* PEEKed bytes stay in the socket and will be read again: only their
	 * number counts. */
	c = conn_get(s, h->conn_id, !(h->flags & VHU_RF_PEEK));
	if (c)
		seq = seq_check(c, r);
	if (!c || (h->flags & VHU_RF_PEEK))
		return seq;
	if (!c->pid)
		c->pid = h->pid;
	if (h->channel != VHU_CHAN_UNKNOWN)
		c->channel = h->channel;
	if (!c->neg.device)
		c->neg.device = conn_device_cached(s, c, h->pid);
	if (h->role != VHU_ROLE_UNKNOWN)
		c->role = h->role;
	dir = h->event == VHU_EV_DATA_RECV;
	if (h->flags & VHU_RF_MIDSTREAM) {
		c->midstream = true;
		c->neg.pfeatures_unknown = !c->neg.pfeatures_set;
	}
	if (dir && (h->flags & VHU_RF_CTRUNC))
		c->ctrunc = true;
	c->last_frame = frame;
	c->last_ts = ts_ns;
	o = record_origin(s, c, frame, ts_ns, h);
	c->st[dir].channel = c->channel;
	c->st[dir].big_endian = h->byte_order == 1;	/* 0 little, 1 big */
	if (r->data_len) {
		/* no pieces asked for: none passed on (a call a message) */
		vhu_stream_piece_fn piece = s->cbs.piece ? on_piece : NULL;
		struct vhu_msg m;

		if (vhu_stream_whole(&c->st[dir], frame, r, piece, &o, &m))
			session_message(&o, &m);
		else
			vhu_stream_feed(&c->st[dir], frame, r->data, r->data_len, r, on_message,
					piece, &o);
	}
	/* A record cut by the shim leaves a hole: what was assembled so far
	 * cannot be completed. */
	if (h->flags & VHU_RF_CUT)
		vhu_stream_flush(&c->st[dir], on_message, &o);
	return seq;
}

void vhu_session_finish(struct vhu_session *s)
{
	uint32_t i;

	/* what is still buffered is reported in the connection's last
	 * frame: the capture ended there */
	for (i = 0; i < s->conn_cap; i++)
		if (s->conns[i])
			conn_end(s, s->conns[i], s->conns[i]->last_frame, s->conns[i]->last_ts,
				 VHU_UNANSWERED_END, s->last_ts);
}

void vhu_session_each_conn(const struct vhu_session *s,
			   void (*fn)(void *arg, const struct vhu_conn_summary *c), void *arg)
{
	const struct conn *c = s->retired;
	uint32_t i = 0;

	for (;;) {
		struct vhu_conn_summary sum;

		if (!c) {
			while (i < s->conn_cap && !s->conns[i])
				i++;
			if (i == s->conn_cap)
				break;
			c = s->conns[i++];
		}
		memset(&sum, 0, sizeof(sum));
		sum.conn_id = c->id;
		sum.pid = c->pid;
		sum.channel = c->channel;
		sum.device = c->neg.device;
		sum.features = c->neg.features;
		sum.offered_features = c->neg.offered_features;
		sum.pfeatures = c->neg.pfeatures;
		sum.offered_pfeatures = c->neg.offered_pfeatures;
		sum.features_set = c->neg.features_set;
		sum.pfeatures_set = c->neg.pfeatures_set;
		sum.messages = c->messages;
		fn(arg, &sum);
		c = c->next_retired;
	}
}
