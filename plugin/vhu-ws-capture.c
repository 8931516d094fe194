/* SPDX-License-Identifier: MIT */
/*
 * vhu-ws-capture.c - capture-wide first-pass state (not a Wireshark
 * conversation: one session for the whole capture, whatever the
 * connections): the core session fed with records in frame order, and
 * what it says about every frame kept in file scope so that later passes
 * (tshark -2, clicks in the GUI) draw the same tree.
 */
#include "vhu-ws.h"

#include <string.h>

#include "vhu_format.h"
#include "vhu_proto.h"
#include "vhu_line_cache.h"
#include "vhu_sum_cache.h"

struct vhu_ws_opts vhu_ws_opts = {
	.max_payload = 0,
	.show_payload = false,
};

/*
 * An array that grows by chunks that never move: pointers into it stay
 * valid (the session's cookies are message pointers), and growing it
 * copies nothing.
 */
#define CHUNK_SHIFT 12
#define CHUNK_LEN (1u << CHUNK_SHIFT)

struct chunked {
	GPtrArray *chunks;
	size_t elem;
	uint32_t len;		/* elements in use */
};

static void chunked_init(struct chunked *c, size_t elem)
{
	c->chunks = g_ptr_array_new_with_free_func(g_free);
	c->elem = elem;
	c->len = 0;
}

static void chunked_free(struct chunked *c)
{
	if (c->chunks)
		g_ptr_array_free(c->chunks, TRUE);
	memset(c, 0, sizeof(*c));
}

static void *chunked_at(const struct chunked *c, uint32_t i)
{
	return (uint8_t *)g_ptr_array_index(c->chunks, i >> CHUNK_SHIFT) +
	       (size_t)(i & (CHUNK_LEN - 1)) * c->elem;
}

/* Makes elements [0, n) exist; new ones are zero. */
static void chunked_reserve(struct chunked *c, uint32_t n)
{
	while ((uint64_t)c->chunks->len * CHUNK_LEN < n)
		g_ptr_array_add(c->chunks, g_malloc0(CHUNK_LEN * c->elem));
	if (n > c->len)
		c->len = n;
}

/* A process name as the session gave it, and interned. */
struct name_seen {
	uint32_t pid;
	const char *src;	/* vhu_session_comm()'s answer */
	const char *name;	/* interned */
};

static struct {
	struct vhu_session *s;
	struct chunked frames;	/* frame number -> struct vhu_ws_frame */
	struct chunked msgs;	/* struct vhu_ws_msg, in the order they came */
	GPtrArray *more;	/* struct vhu_ws_frame_more (file scope) */
	struct vhu_ws_interned ctxs, extras, fdsets, findings, ends;
	GArray *ctx_ends;	/* ctx index -> its ends index */
	GHashTable *late;	/* struct vhu_ws_msg * -> its no-reply finding (file scope) */
	wmem_map_t *peers;	/* conn id -> peer pid (from peer credentials) */
	uint64_t peer_conn;	/* the connection peer_pid() answered last */
	uint32_t peer;		/* and its answer */
	bool peer_known;
	struct vhu_ws_interned recs;	/* what a record's endpoints follow from */
	GArray *rec_ends;	/* recs index -> its ends index */
	GStringChunk *strings;	/* interned names and endpoints */
	const char *recent[8];	/* names interned last, the latest first */
	struct name_seen names[8];	/* the session's process names, interned */
	uint32_t nnames, names_gen;	/* valid while vhu_session_procs_gen says so */
	GHashTable *endpoints;	/* (pid, role) -> struct endpoint_cache */
	GHashTable *open;	/* stream id -> id of its split message in progress */
	GHashTable *npieces;	/* id of a split message in progress -> its pieces so far */
	GHashTable *whole;	/* ids of split messages kept whole (too many pieces) */
	uint32_t next_frag_id;
	uint32_t last_fed;
	bool finished;
	GArray *pieces;		/* pieces of the record being fed (reused) */
	uint32_t head_bytes;
	struct vhu_sum_cache *sums;	/* summaries of messages alike, every pass */
	struct vhu_line_cache *lines;	/* tree lines of fields and values alike */
} cap;

/* The same few names (processes, their endpoints) come with every record:
 * the last answers are checked before the string chunk's hash table, the
 * latest first (a record asks for two names in turn, and so does a
 * message). */
static const char *intern(const char *s)
{
	const char *found = NULL;
	unsigned k;

	if (!s)
		s = "";
	for (k = 0; k < G_N_ELEMENTS(cap.recent) && cap.recent[k]; k++)
		if (strcmp(cap.recent[k], s) == 0) {
			found = cap.recent[k];
			break;
		}
	if (!found) {
		found = g_string_chunk_insert_const(cap.strings, s);
		k = G_N_ELEMENTS(cap.recent) - 1;
	}
	for (; k > 0; k--)
		cap.recent[k] = cap.recent[k - 1];
	cap.recent[0] = found;
	return found;
}

/* The names of the processes of a record and its peer are asked for
 * every record and every message: the session's answers are kept, with
 * their interned copies, until its process table changes (a process
 * started or a new one came), so that neither the table nor the
 * interning is asked again. */
static const struct name_seen *name_seen(uint32_t pid)
{
	uint32_t gen = vhu_session_procs_gen(cap.s);
	struct name_seen *n;
	unsigned k;

	if (gen != cap.names_gen) {
		cap.names_gen = gen;
		cap.nnames = 0;
	}
	for (k = 0; k < cap.nnames; k++)
		if (cap.names[k].pid == pid)
			return &cap.names[k];
	n = cap.nnames < G_N_ELEMENTS(cap.names) ? &cap.names[cap.nnames++] :
						  &cap.names[pid % G_N_ELEMENTS(cap.names)];
	n->pid = pid;
	n->src = vhu_session_comm(cap.s, pid);
	n->name = intern(n->src);
	return n;
}

/* The interned name of process pid. */
static const char *comm_of(uint32_t pid)
{
	return name_seen(pid)->name;
}

/* The interned name of a message's process: the session's own answer
 * for its pid, unless the text is another one. */
static const char *msg_comm(const struct vhu_msg_info *mi)
{
	const struct name_seen *n = name_seen(mi->pid);

	return n->src == mi->comm ? n->name : intern(mi->comm);
}

static struct vhu_ws_frame *frame_slot(uint32_t num)
{
	if (num >= cap.frames.len)
		chunked_reserve(&cap.frames, num + 1);
	return chunked_at(&cap.frames, num);
}

const struct vhu_ws_frame *vhu_ws_frame_get(uint32_t frame)
{
	const struct vhu_ws_frame *fr;

	if (!cap.frames.chunks || frame >= cap.frames.len)
		return NULL;
	fr = chunked_at(&cap.frames, frame);
	return fr->ends ? fr : NULL;
}

const struct vhu_ws_ends *vhu_ws_frame_ends(const struct vhu_ws_frame *fr)
{
	return vhu_ws_interned_at(&cap.ends, fr->ends - 1);
}

const struct vhu_ws_frame_more *vhu_ws_frame_more(const struct vhu_ws_frame *fr)
{
	return fr->more ? g_ptr_array_index(cap.more, fr->more - 1) : NULL;
}

static struct vhu_ws_frame_more *frame_more(struct vhu_ws_frame *fr)
{
	if (!fr->more) {
		g_ptr_array_add(cap.more, wmem_new0(wmem_file_scope(), struct vhu_ws_frame_more));
		fr->more = cap.more->len;
	}
	return g_ptr_array_index(cap.more, fr->more - 1);
}

const struct vhu_ws_msg *vhu_ws_msg_at(uint32_t i)
{
	return chunked_at(&cap.msgs, i);
}

const struct vhu_ws_ends *vhu_ws_msg_ends(const struct vhu_ws_msg *wm)
{
	return vhu_ws_interned_at(&cap.ends, g_array_index(cap.ctx_ends, uint32_t, wm->ctx));
}

/* ---- endpoints ---- */

/* Asked for every message and record: the last answer is kept (a new
 * peer forgets it). */
static uint32_t peer_pid(uint64_t conn_id)
{
	uint32_t *p;

	if (cap.peer_known && cap.peer_conn == conn_id)
		return cap.peer;
	p = wmem_map_lookup(cap.peers, &conn_id);
	cap.peer_known = true;
	cap.peer_conn = conn_id;
	cap.peer = p ? *p : 0;
	return cap.peer;
}

static unsigned other_role(unsigned role)
{
	if (role == VHU_ROLE_FRONTEND)
		return VHU_ROLE_BACKEND;
	if (role == VHU_ROLE_BACKEND)
		return VHU_ROLE_FRONTEND;
	return VHU_ROLE_UNKNOWN;
}

struct endpoint_cache {
	const char *name;	/* the process name it was made with */
	const char *text;
};

/* "name[pid]" for the flow graph; the role when nothing else is known.
 * Every record asks for two: the answers are cached per pid and role, and
 * rebuilt when the process got another name (exec). */
static const char *endpoint(uint32_t pid, const char *comm, unsigned role)
{
	const char *name = pid ? vhu_session_comm(cap.s, pid) : "";
	guint64 key = ((guint64)pid << 8) | role;
	struct endpoint_cache *c;
	char buf[VHU_TEXT_MAX];

	if (!name[0] && comm)
		name = comm;
	if (!name[0])
		name = role == VHU_ROLE_UNKNOWN ? "peer" : vhu_role_name(role);
	c = g_hash_table_lookup(cap.endpoints, &key);
	if (c && strcmp(c->name, name) == 0)
		return c->text;
	name = intern(name);
	if (!c) {
		guint64 *k = g_new(guint64, 1);

		*k = key;
		c = g_new(struct endpoint_cache, 1);
		g_hash_table_insert(cap.endpoints, k, c);
	}
	c->name = name;
	/* the flow graph and the columns show it: no control characters */
	vhu_escape(buf, sizeof(buf), name, sizeof(buf));
	if (pid) {
		size_t n = strlen(buf);

		g_snprintf(buf + n, sizeof(buf) - n, "[%u]", pid);
	}
	c->text = intern(buf);
	return c->text;
}

static uint32_t ends_of(const char *comm, const char *src, const char *dst)
{
	struct vhu_ws_ends e;

	memset(&e, 0, sizeof(e));
	e.comm = comm;
	e.src = src;
	e.dst = dst;
	return vhu_ws_intern(&cap.ends, &e, sizeof(e));
}

/* A message's endpoints, made once per context: who sent it and who
 * received it, by the recording process's role and the peer it names. */
static uint32_t message_ends(const struct vhu_ws_ctx *c)
{
	const struct vhu_msg_info *mi = &c->mi;
	bool sent = mi->event == VHU_EV_DATA_SENT;
	unsigned self_role = sent ? mi->sender : other_role(mi->sender);
	const char *self = endpoint(mi->pid, mi->comm, self_role);
	const char *peer = endpoint(c->peer_pid, NULL, other_role(self_role));

	return ends_of(mi->comm, sent ? self : peer, sent ? peer : self);
}

/* ---- what a message keeps ---- */

/* What a message's context and a record's endpoints belong to: one
 * direction of a connection as one process sees it.  They change only at
 * a boundary, so the value interned last for the same owner is tried
 * first (vhu_ws_intern_hinted). */
static uint64_t owner_hint(uint64_t conn_id, uint32_t pid, uint8_t event)
{
	return conn_id ^ ((uint64_t)pid << 20) ^ ((uint64_t)event << 56);
}

/* The interned context of a message: its info without what is its own. */
static uint32_t ctx_of(const struct vhu_msg_info *mi)
{
	struct vhu_ws_ctx c;
	uint32_t i;

	memset(&c, 0, sizeof(c));
	c.mi.conn_id = mi->conn_id;
	c.mi.pid = mi->pid;
	c.mi.comm = msg_comm(mi);
	c.mi.event = mi->event;
	c.mi.channel = mi->channel;
	c.mi.sender = mi->sender;
	c.mi.rec_flags = mi->rec_flags;
	c.mi.features = mi->features;
	c.mi.pfeatures = mi->pfeatures;
	c.mi.offered_features = mi->offered_features;
	c.mi.offered_pfeatures = mi->offered_pfeatures;
	c.mi.features_set = mi->features_set;
	c.mi.pfeatures_set = mi->pfeatures_set;
	c.mi.pfeatures_unknown = mi->pfeatures_unknown;
	c.mi.postcopy = mi->postcopy;
	c.mi.device = mi->device;
	c.mi.is_reply = mi->is_reply;
	c.mi.reply_is_ack = mi->reply_is_ack;
	c.mi.matched = mi->matched;
	c.mi.request_before_capture = mi->request_before_capture;
	c.peer_pid = peer_pid(mi->conn_id);
	c.peer_comm = c.peer_pid ? comm_of(c.peer_pid) : "";

	i = vhu_ws_intern_hinted(&cap.ctxs, &c, sizeof(c), owner_hint(mi->conn_id, mi->pid, mi->event));
	if (i == cap.ctx_ends->len) {
		uint32_t e = message_ends(vhu_ws_interned_at(&cap.ctxs, i));

		g_array_append_val(cap.ctx_ends, e);
	}
	return i;
}

/* fds and findings, interned: their unused bytes are zeroed first. */
static const struct vhu_fdinfo *fds_of(const struct vhu_fdinfo *fds, uint32_t n)
{
	struct vhu_fdinfo tmp[VHU_MSG_MAX_FDS];
	uint32_t i;

	memset(tmp, 0, n * sizeof(*tmp));
	for (i = 0; i < n; i++) {
		tmp[i].fd = fds[i].fd;
		tmp[i].kind = fds[i].kind;
		tmp[i].ino = fds[i].ino;
		tmp[i].size = fds[i].size;
		memcpy(tmp[i].name, fds[i].name, strnlen(fds[i].name, VHU_FD_NAME_MAX - 1));
	}
	return vhu_ws_interned_at(&cap.fdsets, vhu_ws_intern(&cap.fdsets, tmp, n * sizeof(*tmp)));
}

/* A finding is kept as it is drawn (its rule and text, with the request
 * it is about): its frames and connection, which no later pass reads
 * from a kept message, are left out, so that the same finding on every
 * round of a session is stored once instead of once a message. */
static const struct vhu_finding *findings_of(const struct vhu_finding *f, uint32_t n)
{
	struct vhu_finding *tmp = g_new0(struct vhu_finding, n);
	const struct vhu_finding *kept;
	uint32_t i;

	for (i = 0; i < n; i++) {
		tmp[i].rule = f[i].rule;
		tmp[i].channel = f[i].channel;
		tmp[i].request = f[i].request;
		memcpy(tmp[i].text, f[i].text, strnlen(f[i].text, sizeof(tmp[i].text) - 1));
	}
	kept = vhu_ws_interned_at(&cap.findings, vhu_ws_intern(&cap.findings, tmp, n * sizeof(*tmp)));
	g_free(tmp);
	return kept;
}

/* 0, or 1 + the index of what this message has that most have not. */
static uint32_t extra_of(const struct vhu_msg *m, const struct vhu_msg_info *mi, const uint8_t *copy)
{
	struct vhu_ws_extra x;
	uint32_t nfd = m->fds && m->nfd_info <= VHU_MSG_MAX_FDS ? m->nfd_info : 0;

	if (!nfd && !m->nfds && !mi->nfindings && !copy && m->first_frame == mi->frame &&
	    m->nrecords == 1 && !m->skipped && !m->started_inside && !m->big_endian)
		return 0;
	memset(&x, 0, sizeof(x));
	x.nfd_info = nfd;
	x.fds = nfd ? fds_of(m->fds, nfd) : NULL;
	x.nfindings = mi->findings ? mi->nfindings : 0;
	x.findings = x.nfindings ? findings_of(mi->findings, x.nfindings) : NULL;
	x.copy = copy;
	x.frames_back = mi->frame - m->first_frame;
	x.nfds = m->nfds;
	x.nrecords = m->nrecords;
	x.skipped = m->skipped;
	x.started_inside = m->started_inside;
	x.big_endian = m->big_endian;
	return 1 + vhu_ws_intern(&cap.extras, &x, sizeof(x));
}

void vhu_ws_msg_expand(const struct vhu_ws_msg *wm, uint32_t frame, uint32_t index,
		       uint64_t ts_ns, struct vhu_msg *m, struct vhu_msg_info *mi)
{
	const struct vhu_ws_ctx *c = vhu_ws_interned_at(&cap.ctxs, wm->ctx);
	const struct vhu_ws_extra *x = wm->extra ?
		vhu_ws_interned_at(&cap.extras, wm->extra - 1) : NULL;

	memset(m, 0, sizeof(*m));
	m->len = wm->len;
	m->request = wm->request;
	m->flags = wm->flags;
	m->size = wm->size;
	m->limit = wm->limit;
	m->status = (enum vhu_msg_status)wm->status;
	m->in_record = wm->where == VHU_WS_IN_RECORD;
	m->rec_off = m->in_record ? wm->loc : 0;
	m->nrecords = 1;
	m->first_frame = frame;
	if (x) {
		m->bytes = x->copy;
		m->nfds = x->nfds;
		m->nfd_info = x->nfd_info;
		m->fds = x->fds;
		m->nrecords = x->nrecords;
		m->first_frame = frame - x->frames_back;
		m->skipped = x->skipped;
		m->started_inside = x->started_inside;
		m->big_endian = x->big_endian;
	}

	*mi = c->mi;
	mi->frame = frame;
	mi->index = index;
	mi->ts_ns = ts_ns;
	if (mi->is_reply)
		mi->request_frame = wm->pair_frame;
	else
		mi->reply_frame = wm->pair_frame;
	mi->latency_ns = wm->latency_ns;
	mi->unanswered = wm->unanswered;
	if (x) {
		mi->findings = x->findings;
		mi->nfindings = x->nfindings;
	}
	mi->late = wm->late ? g_hash_table_lookup(cap.late, wm) : NULL;
}

/* ---- session callbacks ---- */

/* The split message of a stream whose pieces came so far (0: none); it
 * ends with the stream's next message. */
static uint32_t take_split(uint64_t stream_id)
{
	guint64 key = stream_id;
	uint32_t id;

	/* most messages come whole, with no split message open anywhere */
	if (!g_hash_table_size(cap.open))
		return 0;
	id = GPOINTER_TO_UINT(g_hash_table_lookup(cap.open, &key));

	if (id) {
		g_hash_table_remove(cap.open, &key);
		g_hash_table_remove(cap.npieces, GUINT_TO_POINTER(id));
	}
	return id;
}

/* Where the message's bytes will be found again: inside the record being
 * fed, in the fragment table (split across records), or (cut by the end of
 * the capture: no last piece; or in too many pieces for the table) nowhere
 * but in a copy, which it returns. */
static const uint8_t *place_bytes(struct vhu_ws_msg *wm, const struct vhu_msg *m,
				  const struct vhu_msg_info *mi)
{
	uint32_t split = take_split(mi->conn_id * 2 + (mi->event == VHU_EV_DATA_RECV));

	if (m->in_record) {
		wm->where = VHU_WS_IN_RECORD;
		wm->loc = m->rec_off;
	} else if (split && m->status != VHU_MSG_TRUNCATED && !vhu_ws_frag_kept_whole(split)) {
		wm->where = VHU_WS_REASSEMBLED;
		wm->loc = split;
	} else {
		wm->where = VHU_WS_COPIED;
		if (m->len && m->bytes)
			return wmem_memdup(wmem_file_scope(), m->bytes, m->len);
	}
	return NULL;
}

/* Messages go to their frame's run; one the end of the capture adds to an
 * earlier frame goes to that frame's late list. */
static void add_to_frame(uint32_t frame, uint32_t i)
{
	struct vhu_ws_frame *fr = frame_slot(frame);
	struct vhu_ws_frame_more *more;

	if (!fr->nmsgs || fr->first_msg + fr->nmsgs == i) {
		if (!fr->nmsgs)
			fr->first_msg = i;
		fr->nmsgs++;
		return;
	}
	more = frame_more(fr);
	if (!more->late_msgs)
		more->late_msgs = wmem_array_new(wmem_file_scope(), sizeof(uint32_t));
	wmem_array_append_one(more->late_msgs, i);
}

static void *on_message(void *ctx _U_, const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	uint32_t i = cap.msgs.len;
	struct vhu_ws_msg *wm;
	const uint8_t *copy;

	chunked_reserve(&cap.msgs, i + 1);
	wm = chunked_at(&cap.msgs, i);
	copy = place_bytes(wm, m, mi);
	wm->ctx = ctx_of(mi);
	wm->extra = extra_of(m, mi, copy);
	wm->len = m->len;
	wm->request = m->request;
	wm->flags = m->flags;
	wm->size = m->size;
	wm->limit = m->limit;
	wm->status = (uint8_t)m->status;
	wm->pair_frame = mi->is_reply ? (uint32_t)mi->request_frame : (uint32_t)mi->reply_frame;
	wm->latency_ns = mi->latency_ns;
	wm->unanswered = mi->unanswered;

	/* end-of-capture leftovers come with their connection's last frame */
	add_to_frame((uint32_t)mi->frame, i);
	return wm;
}

static void on_reply_seen(void *ctx _U_, void *cookie, const struct vhu_msg_info *reply)
{
	struct vhu_ws_msg *req = cookie;

	if (req)
		req->pair_frame = (uint32_t)reply->frame;
}

static void on_unanswered(void *ctx _U_, void *cookie)
{
	struct vhu_ws_msg *req = cookie;

	if (req)
		req->unanswered = true;
}

/* The request's no-reply finding, drawn on it by -2 and the GUI. */
static void on_finding(void *ctx _U_, void *cookie, const struct vhu_finding *f)
{
	struct vhu_ws_msg *req = cookie;

	if (!req)
		return;
	g_hash_table_insert(cap.late, req, wmem_memdup(wmem_file_scope(), f, sizeof(*f)));
	req->late = true;
}

/*
 * Only the pieces of split messages are kept: they go to the fragment
 * table on every pass.  Consecutive pieces of one message in one record
 * (a header completed, then payload) are one fragment.
 */
/*
 * Wireshark's fragment table walks a message's fragment list on every
 * addition: a message in thousands of pieces (a 64 KiB message read one
 * byte per call) would cost their square.  Past this many pieces a message
 * leaves the table: the first pass keeps it whole, like a cut message, and
 * its pieces are no longer fragments.
 */
#define MAX_FRAGMENTS 64

bool vhu_ws_frag_kept_whole(uint32_t frag_id)
{
	return cap.whole && g_hash_table_contains(cap.whole, GUINT_TO_POINTER(frag_id));
}

/* Counts a piece of split message id; returns its pieces so far.  Past
 * MAX_FRAGMENTS the message is kept whole from then on. */
static uint32_t count_piece(uint32_t id)
{
	uint32_t n = GPOINTER_TO_UINT(g_hash_table_lookup(cap.npieces, GUINT_TO_POINTER(id))) + 1;

	g_hash_table_insert(cap.npieces, GUINT_TO_POINTER(id), GUINT_TO_POINTER(n));
	if (n == MAX_FRAGMENTS + 1)
		g_hash_table_add(cap.whole, GUINT_TO_POINTER(id));
	return n;
}

static void on_piece(void *ctx _U_, uint64_t stream_id, uint64_t msg_seq _U_, uint32_t rec_off,
		     uint32_t len, uint32_t msg_off, bool last)
{
	struct vhu_ws_piece *prev = cap.pieces->len ?
		&g_array_index(cap.pieces, struct vhu_ws_piece, cap.pieces->len - 1) : NULL;
	struct vhu_ws_piece p;
	guint64 key = stream_id;
	uint32_t id;

	if (last && msg_off == 0)
		return;	/* the whole message is in this record: no fragment */
	if (msg_off == 0) {
		guint64 *k = g_new(guint64, 1);

		*k = key;
		id = ++cap.next_frag_id;
		g_hash_table_insert(cap.open, k, GUINT_TO_POINTER(id));
	} else {
		id = GPOINTER_TO_UINT(g_hash_table_lookup(cap.open, &key));
		if (!id)
			return;
	}
	if (!last)
		cap.head_bytes += len;
	if (count_piece(id) > MAX_FRAGMENTS)
		return;
	if (prev && prev->frag_id == id && prev->rec_off + prev->len == rec_off) {
		prev->len += len;
		prev->last = last;
		return;
	}
	p.frag_id = id;
	p.rec_off = rec_off;
	p.len = len;
	p.msg_off = msg_off;
	p.last = last;
	g_array_append_val(cap.pieces, p);
}

static const struct vhu_session_cbs session_cbs = {
	.message = on_message,
	.reply_seen = on_reply_seen,
	.unanswered = on_unanswered,
	.piece = on_piece,
	.finding = on_finding,
};

/* ---- lifetime ---- */

void vhu_ws_capture_init(void)
{
	struct vhu_options o;

	memset(&o, 0, sizeof(o));
	o.max_payload = vhu_ws_opts.max_payload;
	o.device = VHU_DEV_UNKNOWN;
	cap.s = vhu_session_new(&o, &session_cbs, NULL);
	chunked_init(&cap.frames, sizeof(struct vhu_ws_frame));
	chunked_init(&cap.msgs, sizeof(struct vhu_ws_msg));
	cap.more = g_ptr_array_new();
	vhu_ws_interned_init(&cap.ctxs);
	vhu_ws_interned_init(&cap.extras);
	vhu_ws_interned_init(&cap.fdsets);
	vhu_ws_interned_init(&cap.findings);
	vhu_ws_interned_init(&cap.ends);
	cap.ctx_ends = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	vhu_ws_interned_init(&cap.recs);
	cap.rec_ends = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	cap.peer_known = false;
	cap.nnames = 0;
	cap.names_gen = 0;	/* the session's start from 1 */
	cap.late = g_hash_table_new(g_direct_hash, g_direct_equal);
	cap.peers = wmem_map_new(wmem_file_scope(), g_int64_hash, g_int64_equal);
	cap.strings = g_string_chunk_new(4096);
	cap.endpoints = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	cap.open = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	cap.npieces = g_hash_table_new(g_direct_hash, g_direct_equal);
	cap.whole = g_hash_table_new(g_direct_hash, g_direct_equal);
	cap.pieces = g_array_new(FALSE, FALSE, sizeof(struct vhu_ws_piece));
	cap.next_frag_id = 0;
	cap.last_fed = 0;
	cap.finished = false;
}

void vhu_ws_capture_cleanup(void)
{
	if (cap.s)
		vhu_session_free(cap.s);
	chunked_free(&cap.frames);
	chunked_free(&cap.msgs);
	if (cap.more)
		g_ptr_array_free(cap.more, TRUE);
	vhu_ws_interned_free(&cap.ctxs);
	vhu_ws_interned_free(&cap.extras);
	vhu_ws_interned_free(&cap.fdsets);
	vhu_ws_interned_free(&cap.findings);
	vhu_ws_interned_free(&cap.ends);
	if (cap.ctx_ends)
		g_array_free(cap.ctx_ends, TRUE);
	vhu_ws_interned_free(&cap.recs);
	if (cap.rec_ends)
		g_array_free(cap.rec_ends, TRUE);
	if (cap.late)
		g_hash_table_destroy(cap.late);
	if (cap.strings)
		g_string_chunk_free(cap.strings);
	if (cap.endpoints)
		g_hash_table_destroy(cap.endpoints);
	if (cap.open)
		g_hash_table_destroy(cap.open);
	if (cap.npieces)
		g_hash_table_destroy(cap.npieces);
	if (cap.whole)
		g_hash_table_destroy(cap.whole);
	if (cap.pieces)
		g_array_free(cap.pieces, TRUE);
	vhu_sum_cache_free(cap.sums);
	vhu_line_cache_free(cap.lines);
	memset(&cap, 0, sizeof(cap));
}

/* Made on first use: runs with trees (-V, filters) never use the first,
 * one-pass summaries never the second. */
struct vhu_sum_cache *vhu_ws_capture_sums(void)
{
	if (!cap.sums)
		cap.sums = vhu_sum_cache_new();
	return cap.sums;
}

struct vhu_line_cache *vhu_ws_capture_lines(void)
{
	if (!cap.lines)
		cap.lines = vhu_line_cache_new();
	return cap.lines;
}

void vhu_ws_capture_finish(void)
{
	if (!cap.s || cap.finished)
		return;
	cap.finished = true;
	vhu_session_finish(cap.s);
}

/* ---- feeding ---- */

static void note_peer(const struct vhu_record *r)
{
	uint64_t *k;
	uint32_t *v;

	if (!r->has_peercred || !r->peer_pid)
		return;
	k = wmem_new(wmem_file_scope(), uint64_t);
	v = wmem_new(wmem_file_scope(), uint32_t);
	*k = r->h.conn_id;
	*v = r->peer_pid;
	wmem_map_insert(cap.peers, k, v);
	cap.peer_known = false;
}

/* What a record's endpoints follow from. */
struct rec_key {
	uint64_t conn_id;
	uint32_t pid, peer_pid;
	const char *comm, *peer_comm;	/* interned */
	uint8_t role, event;
};

static uint32_t make_record_ends(const struct rec_key *k)
{
	const char *self = endpoint(k->pid, k->comm, k->role);
	const char *peer = endpoint(k->peer_pid, NULL, other_role(k->role));

	/* a process start is not on a connection: no arrow to draw */
	if (k->event == VHU_EV_PROCESS_START)
		return ends_of(k->comm, NULL, NULL);
	if (k->event == VHU_EV_DATA_RECV)
		return ends_of(k->comm, peer, self);
	return ends_of(k->comm, self, peer);
}

/* The same few keys come again and again: each is made into endpoints
 * once. */
static uint32_t record_ends(const struct vhu_record *r)
{
	struct rec_key k;
	uint32_t i;

	memset(&k, 0, sizeof(k));
	k.conn_id = r->h.conn_id;
	k.pid = r->h.pid;
	k.peer_pid = peer_pid(r->h.conn_id);
	k.comm = comm_of(r->h.pid);
	k.peer_comm = k.peer_pid ? comm_of(k.peer_pid) : "";
	k.role = r->h.role;
	k.event = r->h.event == VHU_EV_PROCESS_START || r->h.event == VHU_EV_DATA_RECV ?
		  r->h.event : VHU_EV_DATA_SENT;
	i = vhu_ws_intern_hinted(&cap.recs, &k, sizeof(k), owner_hint(k.conn_id, k.pid, k.event));
	if (i == cap.rec_ends->len) {
		uint32_t e = make_record_ends(&k);

		g_array_append_val(cap.rec_ends, e);
	}
	return g_array_index(cap.rec_ends, uint32_t, i);
}

void vhu_ws_capture_feed(packet_info *pinfo, const struct vhu_record *r)
{
	struct vhu_ws_frame *fr;
	struct vhu_seq_check seq;
	uint64_t ts_ns;

	if (!cap.s || pinfo->num <= cap.last_fed)
		return;
	cap.last_fed = pinfo->num;
	cap.head_bytes = 0;
	g_array_set_size(cap.pieces, 0);

	note_peer(r);
	ts_ns = (uint64_t)pinfo->abs_ts.secs * 1000000000u + (uint64_t)pinfo->abs_ts.nsecs;
	seq = vhu_session_record(cap.s, pinfo->num, ts_ns, r);
	fr = frame_slot(pinfo->num);
	fr->ends = 1 + record_ends(r);
	if (seq.state > VHU_SEQ_NEXT)
		frame_more(fr)->seq = seq;

	if (cap.head_bytes || cap.pieces->len) {
		struct vhu_ws_frame_more *more = frame_more(fr);

		more->head_bytes = cap.head_bytes;
		more->npieces = cap.pieces->len;
		more->pieces = cap.pieces->len ?
			wmem_memdup(wmem_file_scope(), cap.pieces->data,
				    cap.pieces->len * sizeof(struct vhu_ws_piece)) : NULL;
	}
}
