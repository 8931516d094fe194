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

struct vhu_ws_opts vhu_ws_opts = {
	.max_payload = 0,
	.show_payload = false,
};

static struct {
	struct vhu_session *s;
	GPtrArray *frames;	/* frame number -> struct vhu_ws_frame */
	wmem_map_t *peers;	/* conn id -> peer pid (from peer credentials) */
	GStringChunk *strings;	/* interned names and endpoints */
	const char *recent[2];	/* names interned last */
	GHashTable *endpoints;	/* (pid, role) -> struct endpoint_cache */
	GHashTable *open;	/* stream id -> id of its split message in progress */
	GHashTable *npieces;	/* id of a split message in progress -> its pieces so far */
	GHashTable *whole;	/* ids of split messages kept whole (too many pieces) */
	uint32_t next_frag_id;
	uint32_t last_fed;
	bool finished;
	GArray *pieces;		/* pieces of the record being fed (reused) */
	uint32_t head_bytes;
} cap;

/* The same few names come with every record: the last two answers are
 * checked before the string chunk's hash table. */
static const char *intern(const char *s)
{
	unsigned i;

	if (!s)
		s = "";
	for (i = 0; i < G_N_ELEMENTS(cap.recent); i++)
		if (cap.recent[i] && strcmp(cap.recent[i], s) == 0)
			return cap.recent[i];
	cap.recent[1] = cap.recent[0];
	cap.recent[0] = g_string_chunk_insert_const(cap.strings, s);
	return cap.recent[0];
}

static struct vhu_ws_frame *frame_get_or_new(uint32_t num)
{
	struct vhu_ws_frame *fr = vhu_ws_frame_get(num);

	if (!fr) {
		fr = wmem_new0(wmem_file_scope(), struct vhu_ws_frame);
		fr->comm = "";
		if (num >= cap.frames->len)
			g_ptr_array_set_size(cap.frames, num + 1);
		g_ptr_array_index(cap.frames, num) = fr;
	}
	return fr;
}

struct vhu_ws_frame *vhu_ws_frame_get(uint32_t frame)
{
	if (!cap.frames || frame >= cap.frames->len)
		return NULL;
	return g_ptr_array_index(cap.frames, frame);
}

/* ---- endpoints ---- */

static uint32_t peer_pid(uint64_t conn_id)
{
	uint32_t *p = wmem_map_lookup(cap.peers, &conn_id);

	return p ? *p : 0;
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

static void message_endpoints(struct vhu_ws_msg *wm)
{
	const struct vhu_msg_info *mi = &wm->mi;
	bool sent = mi->event == VHU_EV_DATA_SENT;
	unsigned self_role = sent ? mi->sender : other_role(mi->sender);
	const char *self = endpoint(mi->pid, mi->comm, self_role);
	const char *peer = endpoint(peer_pid(mi->conn_id), NULL, other_role(self_role));

	wm->src = sent ? self : peer;
	wm->dst = sent ? peer : self;
}

/* ---- session callbacks ---- */

/* The split message of a stream whose pieces came so far (0: none); it
 * ends with the stream's next message. */
static uint32_t take_split(uint64_t stream_id)
{
	guint64 key = stream_id;
	uint32_t id = GPOINTER_TO_UINT(g_hash_table_lookup(cap.open, &key));

	if (id) {
		g_hash_table_remove(cap.open, &key);
		g_hash_table_remove(cap.npieces, GUINT_TO_POINTER(id));
	}
	return id;
}

/* Where the message's bytes will be found again: inside the record being
 * fed, in the fragment table (split across records), or (cut by the end of
 * the capture: no last piece; or in too many pieces for the table) nowhere
 * but in a copy. */
static void place_bytes(struct vhu_ws_msg *wm, const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	uint32_t split = take_split(mi->conn_id * 2 + (mi->event == VHU_EV_DATA_RECV));

	wm->m.bytes = NULL;
	if (m->in_record) {
		wm->where = VHU_WS_IN_RECORD;
		wm->rec_off = m->rec_off;
	} else if (split && m->status != VHU_MSG_TRUNCATED && !vhu_ws_frag_kept_whole(split)) {
		wm->where = VHU_WS_REASSEMBLED;
		wm->frag_id = split;
	} else {
		wm->where = VHU_WS_COPIED;
		if (m->len && m->bytes)
			wm->m.bytes = wmem_memdup(wmem_file_scope(), m->bytes, m->len);
	}
}

static void *on_message(void *ctx _U_, const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	wmem_allocator_t *scope = wmem_file_scope();
	struct vhu_ws_msg *wm = wmem_new0(scope, struct vhu_ws_msg), **tail;
	uint32_t nfds = m->nfd_info;
	struct vhu_ws_frame *fr;

	wm->m = *m;
	place_bytes(wm, m, mi);
	wm->m.fds = nfds && m->fds ? wmem_memdup(scope, m->fds, nfds * sizeof(*m->fds)) : NULL;
	wm->mi = *mi;
	wm->mi.comm = intern(mi->comm);
	wm->mi.findings = mi->nfindings ?
		wmem_memdup(scope, mi->findings, mi->nfindings * sizeof(*mi->findings)) : NULL;
	message_endpoints(wm);

	/* end-of-capture leftovers come with their connection's last frame */
	fr = frame_get_or_new((uint32_t)wm->mi.frame);
	for (tail = &fr->msgs; *tail; tail = &(*tail)->next)
		;
	*tail = wm;
	return wm;
}

static void on_reply_seen(void *ctx _U_, void *cookie, const struct vhu_msg_info *reply)
{
	struct vhu_ws_msg *req = cookie;

	if (req)
		req->mi.reply_frame = reply->frame;
}

static void on_unanswered(void *ctx _U_, void *cookie)
{
	struct vhu_ws_msg *req = cookie;

	if (req)
		req->mi.unanswered = true;
}

/* The request's no-reply finding, drawn on it by -2 and the GUI. */
static void on_finding(void *ctx _U_, void *cookie, const struct vhu_finding *f)
{
	struct vhu_ws_msg *req = cookie;

	if (req)
		req->mi.late = wmem_memdup(wmem_file_scope(), f, sizeof(*f));
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
	cap.frames = g_ptr_array_new();
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
	if (cap.frames)
		g_ptr_array_free(cap.frames, TRUE);
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
	memset(&cap, 0, sizeof(cap));
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
}

static void record_endpoints(struct vhu_ws_frame *fr, const struct vhu_record *r)
{
	unsigned role = r->h.role;

	fr->comm = intern(vhu_session_comm(cap.s, r->h.pid));
	fr->src = endpoint(r->h.pid, fr->comm, role);
	fr->dst = endpoint(peer_pid(r->h.conn_id), NULL, other_role(role));
	if (r->h.event == VHU_EV_PROCESS_START) {
		/* not on a connection: no arrow to draw */
		fr->src = fr->dst = NULL;
		return;
	}
	if (r->h.event == VHU_EV_DATA_RECV) {
		const char *t = fr->src;

		fr->src = fr->dst;
		fr->dst = t;
	}
}

void vhu_ws_capture_feed(packet_info *pinfo, const struct vhu_record *r)
{
	struct vhu_ws_frame *fr;
	uint64_t ts_ns;

	if (!cap.s || pinfo->num <= cap.last_fed)
		return;
	cap.last_fed = pinfo->num;
	cap.head_bytes = 0;
	g_array_set_size(cap.pieces, 0);

	note_peer(r);
	ts_ns = (uint64_t)pinfo->abs_ts.secs * 1000000000u + (uint64_t)pinfo->abs_ts.nsecs;
	fr = frame_get_or_new(pinfo->num);
	vhu_session_record(cap.s, pinfo->num, ts_ns, r);
	record_endpoints(fr, r);

	fr->head_bytes = cap.head_bytes;
	if (cap.pieces->len) {
		fr->npieces = cap.pieces->len;
		fr->pieces = wmem_memdup(wmem_file_scope(), cap.pieces->data,
					 cap.pieces->len * sizeof(struct vhu_ws_piece));
	}
}
