/* dec_diff_load.c - reads a capture for --diff: message identities and
 * hashes first, then the texts of the messages the hunks show. */
#include <string.h>

#include <pcap/pcap.h>

#include "dec_diff.h"

/* What always differs between two runs of the same session: addresses in
 * the processes and the guest, offsets into mmapped fds, fd numbers and
 * names (socket names carry inode numbers), inodes, frame links and times,
 * and how the bytes were cut into records. */
bool diff_ignored_by_default(int field)
{
	switch (field) {
	case VHU_F_MEM_GPA: case VHU_F_MEM_UADDR: case VHU_F_MEM_MMAP_OFFSET:
	case VHU_F_LOG_MMAP_OFFSET: case VHU_F_INFLIGHT_MMAP_OFFSET:
	case VHU_F_IOTLB_IOVA: case VHU_F_IOTLB_UADDR:
	case VHU_F_VRING_DESC: case VHU_F_VRING_USED: case VHU_F_VRING_AVAIL:
	case VHU_F_VRING_LOG: case VHU_F_AREA_OFFSET: case VHU_F_SHMEM_FD_OFFSET:
	case VHU_F_CRYPTO_HOST_PTR:
	case VHU_F_FD: case VHU_F_FD_NAME: case VHU_F_FD_INO:
	case VHU_F_RESPONSE_IN: case VHU_F_RESPONSE_TO: case VHU_F_TIME:
		return true;
	default:
		return false;
	}
}

bool diff_is_vring_state(int field)
{
	switch (field) {
	case VHU_F_VRING_STATE_NUM: case VHU_F_VRING_BASE:
	case VHU_F_VRING_AVAIL_IDX: case VHU_F_VRING_AVAIL_WRAP:
	case VHU_F_VRING_USED_IDX: case VHU_F_VRING_USED_WRAP:
		return true;
	default:
		return false;
	}
}

/* Is this field of this message left out of the comparison? */
static bool ignored(const struct diff_cfg *cfg, bool get_base_request, int field)
{
	if (field < 0 || cfg->ignore[field])
		return true;
	return get_base_request && cfg->ignore_get_base_num && diff_is_vring_state(field);
}

static bool is_get_base_request(const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	return mi->channel == VHU_CHAN_MAIN && !mi->is_reply && m->len >= VHU_HDR_SIZE &&
	       m->request == VHU_GET_VRING_BASE;
}

/* ---- hashing the compared fields ------------------------------------ */

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static uint64_t mix_bytes(uint64_t h, const uint8_t *p, uint32_t len)
{
	uint32_t i;

	h = mix(h, len);
	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* The key a node is compared by: its field and its value (a masked field
 * carries the whole word, of which only its bits count). */
static uint64_t node_key(const struct vhu_node *n)
{
	const struct vhu_field *f = vhu_field_get(n->field);
	uint64_t h = mix((uint64_t)n->field, f ? vhu_field_value(f, n->value) : n->value);

	if (n->bytes)
		h = mix_bytes(h, n->bytes, n->blen);
	return h;
}

struct hasher {
	const struct diff_cfg *cfg;
	bool get_base_request;
	uint64_t h;
};

static void hash_item(void *ctx, const struct vhu_node *n)
{
	struct hasher *hs = ctx;

	if (!ignored(hs->cfg, hs->get_base_request, n->field))
		hs->h = mix(hs->h, node_key(n));
}

static void hash_pop(void *ctx)
{
	struct hasher *hs = ctx;

	hs->h = mix(hs->h, 1);	/* the end of a subtree is part of the shape */
}

static void no_note(void *ctx, int note_id, const char *text)
{
	(void)ctx;
	(void)note_id;
	(void)text;
}

static void no_summary(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	(void)text;
	(void)len;
}

static const struct vhu_emitter hash_emitter = {
	.item = hash_item,
	.push = hash_item,
	.pop = hash_pop,
	.note = no_note,
	.summary = no_summary,
};

/* ---- collecting the fields of a shown message ------------------------- */

struct collector {
	const struct diff_cfg *cfg;
	bool get_base_request;
	struct diff_text *t;
	int depth;
};

static void collect_item(void *ctx, const struct vhu_node *n)
{
	struct collector *cl = ctx;
	struct diff_node dn;

	if (ignored(cl->cfg, cl->get_base_request, n->field))
		return;
	dn.field = n->field;
	dn.depth = cl->depth;
	dn.key = node_key(n);
	dn.text = (uint32_t)cl->t->strings->len;
	if (n->generated)
		g_string_append_printf(cl->t->strings, "[%s]", n->text ? n->text : "");
	else
		g_string_append(cl->t->strings, n->text ? n->text : "");
	g_string_append_c(cl->t->strings, 0);
	g_array_append_val(cl->t->nodes, dn);
}

static void collect_push(void *ctx, const struct vhu_node *n)
{
	struct collector *cl = ctx;

	collect_item(ctx, n);
	cl->depth++;
}

static void collect_pop(void *ctx)
{
	struct collector *cl = ctx;

	if (cl->depth > 0)
		cl->depth--;
}

static const struct vhu_emitter collect_emitter = {
	.item = collect_item,
	.push = collect_push,
	.pop = collect_pop,
	.note = no_note,
	.summary = no_summary,
};

/* ---- the capture ------------------------------------------------------ */

struct loader {
	struct diff_capture *c;
	const struct diff_cfg *cfg;
	struct vhu_walk_opts wopts;
	bool texts;		/* second pass */
	struct dec_walk w;
	GString *line;
};

static struct diff_conn *conn_of(struct loader *ld, const struct vhu_msg_info *mi)
{
	struct diff_capture *c = ld->c;
	gpointer v = g_hash_table_lookup(c->conn_index, &mi->conn_id);
	struct diff_conn *k;
	gpointer link;

	if (v)
		return g_ptr_array_index(c->conns, GPOINTER_TO_UINT(v) - 1);
	k = g_new0(struct diff_conn, 1);
	k->id = mi->conn_id;
	k->channel = mi->channel;
	/* the recorder sent it, or it is the other side */
	if (mi->event == VHU_EV_DATA_SENT)
		k->view = mi->sender;
	else
		k->view = mi->sender == VHU_ROLE_FRONTEND ? VHU_ROLE_BACKEND : VHU_ROLE_FRONTEND;
	k->pid = mi->pid;
	g_strlcpy(k->comm, mi->comm ? mi->comm : "", sizeof(k->comm));
	link = g_hash_table_lookup(c->links, &mi->conn_id);
	if (link) {
		k->has_link = true;
		k->link = *(uint64_t *)link;
	}
	k->ident = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	k->hash = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	k->frame = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	k->show = g_array_new(FALSE, TRUE, sizeof(uint8_t));
	k->pair = -1;
	k->index = c->conns->len;
	g_ptr_array_add(c->conns, k);
	g_hash_table_insert(c->conn_index, &k->id, GUINT_TO_POINTER(k->index + 1));
	return k;
}

static uint64_t hash_message(struct loader *ld, const struct vhu_msg *m,
			     const struct vhu_msg_info *mi)
{
	struct hasher hs = { ld->cfg, is_get_base_request(m, mi), 0 };
	struct vhu_walk_opts wo = ld->wopts;
	uint32_t i, n = m->nfds < VHU_MSG_MAX_FDS ? m->nfds : VHU_MSG_MAX_FDS;

	wo.values_only = true;
	vhu_walk_message(m, mi, &wo, &hash_emitter, &hs);
	hs.h = mix(hs.h, m->status);
	if (!ld->cfg->ignore[VHU_F_FD])	/* fd numbers are in no node's value */
		for (i = 0; i < n && m->fds; i++)
			hs.h = mix(hs.h, (uint64_t)(uint32_t)m->fds[i].fd);
	return hs.h;
}

/* What aligns: channel, sender, reply or not, request. */
static uint64_t identity(const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	uint64_t request = m->len >= VHU_HDR_SIZE ? m->request : UINT32_MAX;

	return request | (uint64_t)mi->is_reply << 32 | (uint64_t)mi->sender << 33 |
	       (uint64_t)mi->channel << 36;
}

static void keep_message(struct loader *ld, const struct vhu_msg *m,
			 const struct vhu_msg_info *mi)
{
	struct diff_conn *k = conn_of(ld, mi);
	uint64_t ident = identity(m, mi), hash = hash_message(ld, m, mi);
	uint8_t show = 0;

	g_array_append_val(k->ident, ident);
	g_array_append_val(k->hash, hash);
	g_array_append_val(k->frame, mi->frame);
	g_array_append_val(k->show, show);
	ld->c->messages++;
}

static void free_text(gpointer p)
{
	struct diff_text *t = p;

	g_free(t->line);
	g_free(t->summary);
	if (t->nodes)
		g_array_free(t->nodes, TRUE);
	if (t->strings)
		g_string_free(t->strings, TRUE);
	g_free(t);
}

static void keep_text(struct loader *ld, const struct diff_conn *k, guint pos,
		      const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	uint8_t show = g_array_index(k->show, uint8_t, pos);
	uint64_t *key = g_new(uint64_t, 1);
	struct diff_text *t = g_new0(struct diff_text, 1);
	struct vhu_walk_opts wo = ld->wopts;

	dec_walk_reset(&ld->w);
	wo.summary_only = true;
	vhu_walk_message(m, mi, &wo, &dec_emitter, &ld->w);
	g_string_truncate(ld->line, 0);
	/* the names compared: the captures' sessions come one after the other */
	dec_line_message(ld->line, ld->cfg->col, (int64_t)(mi->ts_ns - ld->c->first_ts), mi,
			 &ld->w, 0);
	t->line = g_strdup(ld->line->str);
	t->summary = g_strdup(ld->w.summary);
	if (show & DIFF_SHOW_FIELDS) {
		struct collector cl = { ld->cfg, is_get_base_request(m, mi), t, 0 };

		t->nodes = g_array_new(FALSE, FALSE, sizeof(struct diff_node));
		t->strings = g_string_new(NULL);
		vhu_walk_message(m, mi, &ld->wopts, &collect_emitter, &cl);
	}
	*key = (uint64_t)k->index << 32 | pos;
	g_hash_table_insert(ld->c->texts, key, t);
}

static void *on_message(void *ctx, const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	struct loader *ld = ctx;
	gpointer v;
	struct diff_conn *k;
	guint pos;

	if (m->status != VHU_MSG_OK)
		ld->c->problems++;
	if (!ld->texts) {
		keep_message(ld, m, mi);
		return NULL;
	}
	/* the second pass meets the same messages in the same order */
	v = g_hash_table_lookup(ld->c->conn_index, &mi->conn_id);
	if (!v)
		return NULL;
	k = diff_conn_at(ld->c, GPOINTER_TO_UINT(v) - 1);
	pos = k->seen++;
	if (pos < k->show->len && g_array_index(k->show, uint8_t, pos))
		keep_text(ld, k, pos, m, mi);
	return NULL;
}

static const struct vhu_session_cbs load_cbs = {
	.message = on_message,
};

/* Adopted sockets name the connection they came over: the back-end
 * channel and the GPU socket follow their main connection. */
static void note_link(struct diff_capture *c, const struct vhu_record *r)
{
	uint64_t *key, *val;

	if (!r->has_link || g_hash_table_contains(c->links, &r->h.conn_id))
		return;
	key = g_new(uint64_t, 1);
	val = g_new(uint64_t, 1);
	*key = r->h.conn_id;
	*val = r->link_conn;
	g_hash_table_insert(c->links, key, val);
}

static void feed(struct loader *ld, struct vhu_session *s, uint64_t frame,
		 const struct pcap_pkthdr *ph, const uint8_t *data)
{
	uint64_t ts_ns = (uint64_t)ph->ts.tv_sec * 1000000000u + (uint64_t)ph->ts.tv_usec;
	struct vhu_record rec;
	int ours = 0;
	long off;

	if (!ld->c->have_first) {
		ld->c->first_ts = ts_ns;
		ld->c->have_first = true;
	}
	off = vhu_exp_pdu_skip(data, ph->caplen, &ours);
	if (off < 0 || !ours ||
	    vhu_rec_parse(data + off, ph->caplen - (size_t)off, &rec) != VHU_REC_OK) {
		ld->c->problems++;
		return;
	}
	if (!ld->texts)
		note_link(ld->c, &rec);
	vhu_session_record(s, frame, ts_ns, &rec);
}

static void keep_summary(void *arg, const struct vhu_conn_summary *cs)
{
	struct diff_capture *c = arg;
	gpointer v = g_hash_table_lookup(c->conn_index, &cs->conn_id);

	if (v)
		diff_conn_at(c, GPOINTER_TO_UINT(v) - 1)->sum = *cs;
}

bool diff_load(struct diff_capture *c, const struct diff_cfg *cfg, bool texts)
{
	struct loader ld;
	struct vhu_session *s;
	struct pcap_pkthdr *ph;
	const u_char *data;
	uint64_t frame = 0;
	pcap_t *p = dec_open_capture(c->path);
	int rc;

	if (!p)
		return false;
	memset(&ld, 0, sizeof(ld));
	ld.c = c;
	ld.cfg = cfg;
	ld.texts = texts;
	ld.wopts.max_payload = cfg->o->vopt.max_payload ? cfg->o->vopt.max_payload
							: VHU_DEFAULT_MAX_PAYLOAD;
	ld.line = g_string_new(NULL);
	dec_walk_init(&ld.w, false, false);
	c->problems = 0;
	c->have_first = false;
	for (guint i = 0; i < c->conns->len; i++)
		diff_conn_at(c, i)->seen = 0;
	s = vhu_session_new(&cfg->o->vopt, &load_cbs, &ld);
	while ((rc = pcap_next_ex(p, &ph, &data)) == 1)
		feed(&ld, s, ++frame, ph, data);
	if (rc == PCAP_ERROR)
		c->problems++;
	pcap_close(p);
	vhu_session_finish(s);
	if (!texts)
		vhu_session_each_conn(s, keep_summary, c);
	vhu_session_free(s);
	dec_walk_free(&ld.w);
	g_string_free(ld.line, TRUE);
	return true;
}

static void free_conn(gpointer p)
{
	struct diff_conn *k = p;

	g_array_free(k->ident, TRUE);
	g_array_free(k->hash, TRUE);
	g_array_free(k->frame, TRUE);
	g_array_free(k->show, TRUE);
	g_free(k);
}

void diff_capture_init(struct diff_capture *c, const char *path, const char *tag)
{
	memset(c, 0, sizeof(*c));
	c->path = path;
	c->tag = tag;
	c->conns = g_ptr_array_new_with_free_func(free_conn);
	c->conn_index = g_hash_table_new(g_int64_hash, g_int64_equal);
	c->links = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	c->texts = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, free_text);
}

void diff_capture_free(struct diff_capture *c)
{
	g_hash_table_destroy(c->texts);
	g_hash_table_destroy(c->links);
	g_hash_table_destroy(c->conn_index);
	g_ptr_array_free(c->conns, TRUE);
}

struct diff_conn *diff_conn_at(const struct diff_capture *c, guint i)
{
	return g_ptr_array_index(c->conns, i);
}

uint64_t diff_frame_at(const struct diff_conn *k, guint pos)
{
	return g_array_index(k->frame, uint64_t, pos);
}

const struct diff_text *diff_text_of(const struct diff_capture *c, const struct diff_conn *k,
				     guint pos)
{
	uint64_t key = (uint64_t)k->index << 32 | pos;

	return g_hash_table_lookup(c->texts, &key);
}
