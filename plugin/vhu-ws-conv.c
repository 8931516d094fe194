/* SPDX-License-Identifier: MIT */
/*
 * vhu-ws-conv.c - first-pass state: the core session fed with records in
 * frame order, and what it says about every frame kept in file scope so
 * that later passes (tshark -2, clicks in the GUI) draw the same tree.
 */
#include "vhu-ws.h"

#include <string.h>

#include "vhu_proto.h"

struct vhu_ws_opts vhu_ws_opts = {
	.max_payload = VHU_DEFAULT_MAX_PAYLOAD,
	.show_payload = false,
};

/* A piece of the record being fed (see vhu_session_cbs.piece). */
struct piece {
	uint64_t stream, seq;
	uint32_t rec_off, len, msg_off;
	bool last;
};

struct msg_key {
	uint64_t stream, seq;
};

static struct {
	struct vhu_session *s;
	wmem_map_t *frames;	/* frame number -> struct vhu_ws_frame */
	wmem_map_t *completed;	/* struct msg_key -> frame that completed it */
	wmem_map_t *peers;	/* conn id -> peer pid (from peer credentials) */
	uint32_t last_fed;
	bool finished;
	uint32_t cur_frame;
	GArray *pieces;		/* pieces of the record being fed (reused) */
} cap;

static guint msg_key_hash(gconstpointer k)
{
	const struct msg_key *m = k;

	return g_int64_hash(&m->stream) ^ (g_int64_hash(&m->seq) * 31u);
}

static gboolean msg_key_equal(gconstpointer a, gconstpointer b)
{
	const struct msg_key *x = a, *y = b;

	return x->stream == y->stream && x->seq == y->seq;
}

static struct vhu_ws_frame *frame_get_or_new(uint32_t num)
{
	struct vhu_ws_frame *fr = wmem_map_lookup(cap.frames, GUINT_TO_POINTER(num));

	if (!fr) {
		fr = wmem_new0(wmem_file_scope(), struct vhu_ws_frame);
		fr->msgs = wmem_array_new(wmem_file_scope(), sizeof(struct vhu_ws_msg *));
		fr->comm = "";
		wmem_map_insert(cap.frames, GUINT_TO_POINTER(num), fr);
	}
	return fr;
}

struct vhu_ws_frame *vhu_ws_frame_get(uint32_t frame)
{
	if (!cap.frames)
		return NULL;
	return wmem_map_lookup(cap.frames, GUINT_TO_POINTER(frame));
}

uint32_t vhu_ws_head_completed_in(const struct vhu_ws_frame *fr)
{
	struct msg_key k;

	if (!fr || !fr->has_head || !cap.completed)
		return 0;
	k.stream = fr->head_stream;
	k.seq = fr->head_seq;
	return GPOINTER_TO_UINT(wmem_map_lookup(cap.completed, &k));
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

/* "name[pid]" for the flow graph; the role when nothing else is known. */
static const char *endpoint(uint32_t pid, const char *comm, unsigned role)
{
	const char *name = pid ? vhu_session_comm(cap.s, pid) : "";

	if (!name[0] && comm)
		name = comm;
	if (!name[0])
		name = role == VHU_ROLE_UNKNOWN ? "peer" : vhu_role_name(role);
	if (!pid)
		return wmem_strdup(wmem_file_scope(), name);
	return wmem_strdup_printf(wmem_file_scope(), "%s[%u]", name, pid);
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

static void *on_message(void *ctx _U_, const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	wmem_allocator_t *scope = wmem_file_scope();
	struct vhu_ws_msg *wm = wmem_new0(scope, struct vhu_ws_msg);
	uint32_t nfds = m->nfds < VHU_MSG_MAX_FDS ? m->nfds : VHU_MSG_MAX_FDS;
	struct vhu_ws_frame *fr;

	wm->m = *m;
	wm->m.bytes = m->len && m->bytes ? wmem_memdup(scope, m->bytes, m->len) : NULL;
	wm->m.fds = nfds && m->fds ? wmem_memdup(scope, m->fds, nfds * sizeof(*m->fds)) : NULL;
	wm->mi = *mi;
	wm->mi.comm = wmem_strdup(scope, mi->comm ? mi->comm : "");
	message_endpoints(wm);

	/* end-of-capture leftovers come with their connection's last frame */
	fr = frame_get_or_new((uint32_t)wm->mi.frame);
	wmem_array_append_one(fr->msgs, wm);
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

static void on_piece(void *ctx _U_, uint64_t stream_id, uint64_t msg_seq, uint32_t rec_off,
		     uint32_t len, uint32_t msg_off, bool last)
{
	struct piece p = { stream_id, msg_seq, rec_off, len, msg_off, last };

	g_array_append_val(cap.pieces, p);
	/* only a message that began in an earlier record needs to be found
	 * from there ("reassembled in") */
	if (last && msg_off == 0)
		return;
	if (last) {
		struct msg_key *k = wmem_new(wmem_file_scope(), struct msg_key);

		k->stream = stream_id;
		k->seq = msg_seq;
		wmem_map_insert(cap.completed, k, GUINT_TO_POINTER(cap.cur_frame));
	} else {
		struct vhu_ws_frame *fr = frame_get_or_new(cap.cur_frame);

		fr->has_head = true;
		fr->head_stream = stream_id;
		fr->head_seq = msg_seq;
		fr->head_bytes += len;
	}
}

static const struct vhu_session_cbs session_cbs = {
	.message = on_message,
	.reply_seen = on_reply_seen,
	.unanswered = on_unanswered,
	.piece = on_piece,
};

/* ---- lifetime ---- */

void vhu_ws_capture_init(void)
{
	struct vhu_options o;

	memset(&o, 0, sizeof(o));
	o.max_payload = vhu_ws_opts.max_payload;
	o.device = VHU_DEV_UNKNOWN;
	cap.s = vhu_session_new(&o, &session_cbs, NULL);
	cap.frames = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
	cap.completed = wmem_map_new(wmem_file_scope(), msg_key_hash, msg_key_equal);
	cap.peers = wmem_map_new(wmem_file_scope(), g_int64_hash, g_int64_equal);
	cap.pieces = g_array_new(FALSE, FALSE, sizeof(struct piece));
	cap.last_fed = 0;
	cap.finished = false;
}

void vhu_ws_capture_cleanup(void)
{
	if (cap.s)
		vhu_session_free(cap.s);
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

/*
 * A message that came whole in this record is shown over the record's own
 * bytes; find the piece that carried it (the bytes are compared, so a
 * wrong guess can only fall back to a reassembled data source).
 */
static void locate_in_record(struct vhu_ws_msg *wm, const struct vhu_record *r, guint *cursor)
{
	guint n = cap.pieces->len;

	if (!wm->m.bytes || !r->data)
		return;
	for (; *cursor < n; (*cursor)++) {
		const struct piece *p = &g_array_index(cap.pieces, struct piece, *cursor);

		if (!p->last || p->msg_off != 0 || p->len != wm->m.len)
			continue;
		if ((uint64_t)p->rec_off + p->len > r->data_len)
			continue;
		if (memcmp(r->data + p->rec_off, wm->m.bytes, p->len) != 0)
			continue;
		wm->in_record = true;
		wm->rec_off = p->rec_off;
		(*cursor)++;
		return;
	}
}

static void record_endpoints(struct vhu_ws_frame *fr, const struct vhu_record *r)
{
	unsigned role = r->h.role;

	fr->comm = wmem_strdup(wmem_file_scope(), vhu_session_comm(cap.s, r->h.pid));
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

void vhu_ws_capture_feed(packet_info *pinfo, const struct vhu_record *r,
			 const uint8_t *rec_bytes _U_)
{
	struct vhu_ws_frame *fr;
	uint64_t ts_ns;
	guint i, n, cursor = 0;

	if (!cap.s || pinfo->num <= cap.last_fed)
		return;
	cap.last_fed = pinfo->num;
	cap.cur_frame = pinfo->num;
	g_array_set_size(cap.pieces, 0);

	note_peer(r);
	ts_ns = (uint64_t)pinfo->abs_ts.secs * 1000000000u + (uint64_t)pinfo->abs_ts.nsecs;
	fr = frame_get_or_new(pinfo->num);
	vhu_session_record(cap.s, pinfo->num, ts_ns, r);
	record_endpoints(fr, r);

	n = wmem_array_get_count(fr->msgs);
	for (i = 0; i < n; i++) {
		struct vhu_ws_msg *wm = *(struct vhu_ws_msg **)wmem_array_index(fr->msgs, i);

		locate_in_record(wm, r, &cursor);
	}
}
