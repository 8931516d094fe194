/* dec_diff.c - vhost-user-decode --diff: pairs the connections of two
 * captures, aligns their messages and prints what differs. */
#include <string.h>

#include "dec_diff.h"

#include "vhu_format.h"
#include "vhu_msgs.h"

struct diff_hunk {
	guint start, end;	/* ops [start, end) */
};

struct diff_pair {
	int a, b;		/* connection indices */
	int follows;		/* pair of the main connection, or -1 */
	GArray *ops;		/* struct diff_op: the hunks' only */
	GArray *hunks;		/* struct diff_hunk */
	unsigned changed, deleted, added;
};

/* Cuts the stream of ops of a pair into hunks as it comes, keeping only
 * the ops of the hunks: equal messages far from any difference are
 * counted and forgotten. */
struct hunker {
	struct diff_run *r;
	struct diff_pair *p;
	const struct diff_conn *ka, *kb;
	guint ctx;
	GArray *before;		/* the last ctx equal ops, while no hunk is open */
	bool open;
	guint start;		/* of the open hunk, in p->ops */
	guint last;		/* one past its last differing op */
};

struct diff_run {
	const struct dec_opts *o;
	struct diff_cfg cfg;
	struct diff_capture ca, cb;
	GArray *pairs;		/* struct diff_pair */
	unsigned differences;
	bool json;
	FILE *out;
	GString *s;
	const char *mk_del, *mk_add, *mk_hunk, *mk_off;	/* marker colours */
};

/* --compare pid (or --strict): the processes that recorded a pair of
 * connections are a difference of their own, counted once per pair. */
static bool pids_differ(const struct diff_run *r, const struct diff_conn *ka,
			const struct diff_conn *kb)
{
	return r->cfg.compare_pid && ka->pid != kb->pid;
}

/* ---- pairing ------------------------------------------------------------ */

static void add_pair(struct diff_run *r, int a, int b, int follows)
{
	struct diff_pair p;

	memset(&p, 0, sizeof(p));
	p.a = a;
	p.b = b;
	p.follows = follows;
	p.ops = g_array_new(FALSE, FALSE, sizeof(struct diff_op));
	p.hunks = g_array_new(FALSE, FALSE, sizeof(struct diff_hunk));
	g_array_append_val(r->pairs, p);
	diff_conn_at(&r->ca, (guint)a)->pair = (int)r->pairs->len - 1;
	diff_conn_at(&r->cb, (guint)b)->pair = (int)r->pairs->len - 1;
}

/* The next unpaired connection of c after index *from that is a main one
 * (no link) of this channel and, unless view is 0, of this view. */
static int next_main(const struct diff_capture *c, guint *from, uint8_t channel, uint8_t view)
{
	for (; *from < c->conns->len; (*from)++) {
		const struct diff_conn *k = diff_conn_at(c, *from);

		if (k->pair < 0 && !k->has_link && k->channel == channel &&
		    (!view || k->view == view))
			return (int)(*from)++;
	}
	return -1;
}

/* k-th with k-th, for one channel and view (0: any view). */
static void pair_in_order(struct diff_run *r, uint8_t channel, uint8_t view)
{
	guint ia = 0, ib = 0;
	int a, b;

	while ((a = next_main(&r->ca, &ia, channel, view)) >= 0 &&
	       (b = next_main(&r->cb, &ib, channel, view)) >= 0)
		add_pair(r, a, b, -1);
}

/* Back-end channels and GPU sockets that came over a paired connection. */
static void pair_followers(struct diff_run *r, int pair)
{
	const struct diff_pair *p = &g_array_index(r->pairs, struct diff_pair, pair);
	uint64_t ida = diff_conn_at(&r->ca, (guint)p->a)->id;
	uint64_t idb = diff_conn_at(&r->cb, (guint)p->b)->id;
	uint8_t ch;

	for (ch = VHU_CHAN_MAIN; ch <= VHU_CHAN_GPU; ch++) {
		guint ia = 0, ib = 0;

		for (;;) {
			const struct diff_conn *ka = NULL, *kb = NULL;

			for (; ia < r->ca.conns->len; ia++) {
				ka = diff_conn_at(&r->ca, ia);
				if (ka->pair < 0 && ka->has_link && ka->link == ida && ka->channel == ch)
					break;
			}
			for (; ib < r->cb.conns->len; ib++) {
				kb = diff_conn_at(&r->cb, ib);
				if (kb->pair < 0 && kb->has_link && kb->link == idb && kb->channel == ch)
					break;
			}
			if (ia >= r->ca.conns->len || ib >= r->cb.conns->len)
				break;
			add_pair(r, (int)ia, (int)ib, pair);
		}
	}
}

static int conn_by_id(const struct diff_capture *c, uint64_t id)
{
	gpointer v = g_hash_table_lookup(c->conn_index, &id);

	return v ? (int)GPOINTER_TO_UINT(v) - 1 : -1;
}

static bool pair_connections(struct diff_run *r)
{
	const struct dec_diff_opts *d = &r->o->diff;
	guint mains, i;
	uint8_t ch;

	if (d->by_conn_a || d->by_conn_b) {
		int a = d->by_conn_a ? conn_by_id(&r->ca, d->conn_a) : next_main(&r->ca, &(guint){ 0 }, VHU_CHAN_MAIN, 0);
		int b = d->by_conn_b ? conn_by_id(&r->cb, d->conn_b) : next_main(&r->cb, &(guint){ 0 }, VHU_CHAN_MAIN, 0);

		if (a < 0 || b < 0) {
			char conn[VHU_CONN_TEXT_MAX];

			vhu_format_conn(conn, sizeof(conn), a < 0 ? d->conn_a : d->conn_b);
			fprintf(stderr, "vhost-user-decode: --conn: no messages of connection %s in %s\n",
				conn, a < 0 ? r->ca.path : r->cb.path);
			return false;
		}
		add_pair(r, a, b, -1);
	} else {
		/* same channel and same view first, then across views: a
		 * front-end's record can be compared with a back-end's */
		for (ch = VHU_CHAN_MAIN; ch <= VHU_CHAN_GPU; ch++) {
			pair_in_order(r, ch, VHU_ROLE_FRONTEND);
			pair_in_order(r, ch, VHU_ROLE_BACKEND);
			pair_in_order(r, ch, 0);
		}
	}
	mains = r->pairs->len;
	for (i = 0; i < mains; i++)
		pair_followers(r, (int)i);
	return true;
}

/* ---- alignment and hunks ------------------------------------------------ */

static void mark(const struct diff_conn *k, guint pos, uint8_t show)
{
	g_array_index(k->show, uint8_t, pos) |= show;
}

static void close_hunk(struct hunker *h)
{
	struct diff_pair *p = h->p;
	struct diff_hunk hunk = { h->start, MIN(p->ops->len, h->last + h->ctx) };
	guint i;

	/* the equal ops after the context lead the next hunk */
	for (i = hunk.end; i < p->ops->len; i++)
		g_array_append_val(h->before, g_array_index(p->ops, struct diff_op, i));
	if (h->before->len > h->ctx)
		g_array_remove_range(h->before, 0, h->before->len - h->ctx);
	g_array_set_size(p->ops, hunk.end);
	g_array_append_val(p->hunks, hunk);
	h->open = false;
}

static void take_op(void *ctx, const struct diff_op *in)
{
	struct hunker *h = ctx;
	struct diff_pair *p = h->p;
	struct diff_op op = *in;

	if (op.kind == DIFF_SAME && g_array_index(h->ka->hash, uint64_t, op.a) !=
				    g_array_index(h->kb->hash, uint64_t, op.b))
		op.kind = DIFF_CHANGED;
	p->changed += op.kind == DIFF_CHANGED;
	p->deleted += op.kind == DIFF_DEL;
	p->added += op.kind == DIFF_ADD;
	if (op.kind == DIFF_SAME) {
		if (!h->open) {
			g_array_append_val(h->before, op);
			if (h->before->len > h->ctx)
				g_array_remove_index(h->before, 0);
			return;
		}
		g_array_append_val(p->ops, op);
		/* far enough from the last difference: runs closer than twice
		 * the context stay one hunk, as in diff -u */
		if (p->ops->len - h->last > 2 * h->ctx)
			close_hunk(h);
		return;
	}
	if (!h->open) {
		h->open = true;
		h->start = p->ops->len;
		g_array_append_vals(p->ops, h->before->data, h->before->len);
		g_array_set_size(h->before, 0);
	}
	g_array_append_val(p->ops, op);
	h->last = p->ops->len;
}

/* What the second pass must format for the hunks. */
static void mark_hunks(const struct diff_pair *p, const struct diff_conn *ka,
		       const struct diff_conn *kb)
{
	guint i;

	for (i = 0; i < p->ops->len; i++) {
		const struct diff_op *op = &g_array_index(p->ops, struct diff_op, i);

		switch (op->kind) {
		case DIFF_SAME:
		case DIFF_DEL:
			mark(ka, op->a, DIFF_SHOW_LINE);
			break;
		case DIFF_ADD:
			mark(kb, op->b, DIFF_SHOW_LINE);
			break;
		case DIFF_CHANGED:
			mark(ka, op->a, DIFF_SHOW_LINE | DIFF_SHOW_FIELDS);
			mark(kb, op->b, DIFF_SHOW_LINE | DIFF_SHOW_FIELDS);
			break;
		}
	}
}

static void compare_pair(struct diff_run *r, struct diff_pair *p)
{
	struct hunker h = {
		.r = r, .p = p,
		.ka = diff_conn_at(&r->ca, (guint)p->a), .kb = diff_conn_at(&r->cb, (guint)p->b),
		.ctx = (guint)r->o->diff.context,
		.before = g_array_new(FALSE, FALSE, sizeof(struct diff_op)),
	};

	diff_align((const uint64_t *)(void *)h.ka->ident->data, h.ka->ident->len,
		   (const uint64_t *)(void *)h.kb->ident->data, h.kb->ident->len, take_op, &h);
	if (h.open)
		close_hunk(&h);
	g_array_free(h.before, TRUE);
	r->differences += p->changed + p->deleted + p->added + pids_differ(r, h.ka, h.kb);
	mark_hunks(p, h.ka, h.kb);
}

/* ---- output: pairs ------------------------------------------------------- */

static const char *view_name(uint8_t view)
{
	switch (view) {
	case VHU_ROLE_FRONTEND: return "front-end view";
	case VHU_ROLE_BACKEND: return "back-end view";
	default: return "unknown view";
	}
}

static void text_conn(GString *s, const struct diff_conn *k)
{
	char conn[VHU_CONN_TEXT_MAX];

	vhu_format_conn(conn, sizeof(conn), k->id);
	g_string_append_printf(s, "%s %s, %s[%u], %u messages", conn, view_name(k->view),
			       *k->comm ? k->comm : "?", k->pid, k->ident->len);
}

static void json_conn(GString *s, const struct diff_conn *k)
{
	g_string_append(s, "{\"conn\":");
	dec_json_conn(s, k->id);
	g_string_append_printf(s, ",\"channel\":\"%s\",\"view\":\"%s\",\"pid\":%u,\"comm\":",
			       vhu_channel_name(k->channel), vhu_role_name(k->view), k->pid);
	dec_json_string(s, k->comm, (size_t)-1);
	g_string_append_printf(s, ",\"messages\":%u}", k->ident->len);
}

/* One negotiated word of both sides. */
struct nego_row {
	const char *name, *key;
	uint64_t a, b;
	bool has_a, has_b;
	bool protocol;		/* protocol feature bits, else device feature bits */
};

static void nego_rows(const struct diff_conn *ka, const struct diff_conn *kb, struct nego_row *rows)
{
	const struct vhu_conn_summary *a = &ka->sum, *b = &kb->sum;
	/* GET_FEATURES answered is not recorded; an offer of 0 is no offer */
	struct nego_row v[4] = {
		{ "features offered", "features_offered", a->offered_features, b->offered_features,
		  a->offered_features != 0, b->offered_features != 0, false },
		{ "features acked", "features_acked", a->features, b->features,
		  a->features_set, b->features_set, false },
		{ "protocol features offered", "protocol_features_offered", a->offered_pfeatures,
		  b->offered_pfeatures, a->offered_pfeatures != 0, b->offered_pfeatures != 0, true },
		{ "protocol features acked", "protocol_features_acked", a->pfeatures, b->pfeatures,
		  a->pfeatures_set, b->pfeatures_set, true },
	};

	memcpy(rows, v, sizeof(v));
}

static bool row_differs(const struct nego_row *w)
{
	return w->has_a != w->has_b || (w->has_a && w->a != w->b);
}

static const char *bit_name(const struct nego_row *w, uint8_t device, unsigned bit,
			    char *buf, size_t cap)
{
	const char *name = w->protocol ? vhu_pfeature_name(bit) : vhu_feature_name(device, bit);

	if (name)
		return name;
	snprintf(buf, cap, "bit %u", bit);
	return buf;
}

/* The names of the bits set in v: "A, B" or a JSON array body. */
static void bit_names(GString *s, const struct nego_row *w, uint8_t device, uint64_t v, bool json)
{
	char buf[16];
	bool first = true;

	for (; v; v &= v - 1) {
		const char *name = bit_name(w, device, (unsigned)__builtin_ctzll(v), buf, sizeof(buf));

		if (!first)
			g_string_append(s, json ? "," : ", ");
		if (json)
			dec_json_string(s, name, (size_t)-1);
		else
			g_string_append(s, name);
		first = false;
	}
}

static void text_word(GString *s, bool has, uint64_t v)
{
	if (has)
		g_string_append_printf(s, "  0x%016" G_GINT64_MODIFIER "x", v);
	else
		g_string_append_printf(s, "  %-18s", "-");
}

static void text_negotiation(struct diff_run *r, int pair, const struct diff_conn *ka,
			     const struct diff_conn *kb)
{
	struct nego_row rows[4];
	unsigned i;

	nego_rows(ka, kb, rows);
	g_string_append_printf(r->s, "negotiation of pair %d%*s  %-18s  %-18s\n", pair + 1,
			       pair + 1 < 10 ? 9 : 8, "", "A", "B");
	for (i = 0; i < 4; i++) {
		const struct nego_row *w = &rows[i];

		g_string_append_printf(r->s, "  %-26s", w->name);
		text_word(r->s, w->has_a, w->a);
		text_word(r->s, w->has_b, w->b);
		if (row_differs(w)) {
			uint64_t only_a = w->has_b ? w->a & ~w->b : w->a;
			uint64_t only_b = w->has_a ? w->b & ~w->a : w->b;

			r->differences++;
			g_string_append_printf(r->s, "  %s!%s", r->mk_del, r->mk_off);
			if (!w->has_a || !w->has_b)
				g_string_append_printf(r->s, " not in %s", w->has_a ? "B" : "A");
			if (w->has_a && only_a) {
				g_string_append(r->s, " A only: ");
				bit_names(r->s, w, ka->sum.device, only_a, false);
			}
			if (w->has_b && only_b) {
				g_string_append(r->s, w->has_a && only_a ? ";" : "");
				g_string_append(r->s, " B only: ");
				bit_names(r->s, w, kb->sum.device, only_b, false);
			}
		}
		g_string_append_c(r->s, '\n');
	}
}

static void json_negotiation(struct diff_run *r, const struct diff_conn *ka,
			     const struct diff_conn *kb)
{
	struct nego_row rows[4];
	unsigned i;

	nego_rows(ka, kb, rows);
	g_string_append(r->s, ",\"negotiation\":{");
	for (i = 0; i < 4; i++) {
		const struct nego_row *w = &rows[i];

		if (row_differs(w))
			r->differences++;
		g_string_append_printf(r->s, "%s\"%s\":{\"a\":", i ? "," : "", w->key);
		if (w->has_a)
			dec_json_u64(r->s, w->a);
		else
			g_string_append(r->s, "null");
		g_string_append(r->s, ",\"b\":");
		if (w->has_b)
			dec_json_u64(r->s, w->b);
		else
			g_string_append(r->s, "null");
		g_string_append(r->s, ",\"only_a\":[");
		bit_names(r->s, w, ka->sum.device, w->has_a && w->has_b ? w->a & ~w->b : 0, true);
		g_string_append(r->s, "],\"only_b\":[");
		bit_names(r->s, w, kb->sum.device, w->has_a && w->has_b ? w->b & ~w->a : 0, true);
		g_string_append(r->s, "]}");
	}
	g_string_append_c(r->s, '}');
}

static void put(struct diff_run *r)
{
	fputs(r->s->str, r->out);
	g_string_truncate(r->s, 0);
}

static void print_pair(struct diff_run *r, int i)
{
	const struct diff_pair *p = &g_array_index(r->pairs, struct diff_pair, i);
	const struct diff_conn *ka = diff_conn_at(&r->ca, (guint)p->a);
	const struct diff_conn *kb = diff_conn_at(&r->cb, (guint)p->b);

	if (r->json) {
		g_string_append_printf(r->s, "{\"type\":\"pair\",\"pair\":%d,\"channel\":\"%s\",\"follows\":",
				       i + 1, vhu_channel_name(ka->channel));
		if (p->follows >= 0)
			g_string_append_printf(r->s, "%d", p->follows + 1);
		else
			g_string_append(r->s, "null");
		g_string_append(r->s, ",\"a\":");
		json_conn(r->s, ka);
		g_string_append(r->s, ",\"b\":");
		json_conn(r->s, kb);
		g_string_append_printf(r->s, ",\"changed\":%u,\"only_a\":%u,\"only_b\":%u",
				       p->changed, p->deleted, p->added);
		if (pids_differ(r, ka, kb))
			g_string_append(r->s, ",\"pid_differs\":true");
		if (p->follows < 0)
			json_negotiation(r, ka, kb);
		g_string_append(r->s, "}\n");
		return;
	}
	g_string_append_printf(r->s, "pair %d: %s", i + 1, vhu_channel_name(ka->channel));
	if (p->follows >= 0)
		g_string_append_printf(r->s, " (over pair %d)", p->follows + 1);
	g_string_append(r->s, "\n  A ");
	text_conn(r->s, ka);
	g_string_append(r->s, "\n  B ");
	text_conn(r->s, kb);
	g_string_append_printf(r->s, "\n  %u changed, %u only in A, %u only in B\n", p->changed,
			       p->deleted, p->added);
	if (pids_differ(r, ka, kb))
		g_string_append_printf(r->s, "  differs: pid (A %u, B %u)\n", ka->pid, kb->pid);
}

static void print_unpaired(struct diff_run *r, const struct diff_capture *c)
{
	guint i;

	for (i = 0; i < c->conns->len; i++) {
		const struct diff_conn *k = diff_conn_at(c, i);

		if (k->pair >= 0)
			continue;
		r->differences++;
		if (r->json) {
			g_string_append_printf(r->s, "{\"type\":\"unpaired\",\"side\":\"%s\",\"conn\":",
					       c->tag);
			json_conn(r->s, k);
			g_string_append(r->s, "}\n");
		} else {
			g_string_append_printf(r->s, "only in %s: %s ", c->tag,
					       vhu_channel_name(k->channel));
			text_conn(r->s, k);
			g_string_append_c(r->s, '\n');
		}
	}
}

/* ---- output: hunks ------------------------------------------------------ */

/* The fields of two versions of a message that differ, aligned by field
 * like the messages themselves: fn gets both nodes, or one of them. */
typedef void (*field_fn)(struct diff_run *r, const struct diff_text *ta, const struct diff_node *a,
			 const struct diff_text *tb, const struct diff_node *b);

static void append_op(void *ctx, const struct diff_op *op)
{
	g_array_append_val((GArray *)ctx, *op);
}

static void each_field_difference(struct diff_run *r, const struct diff_text *ta,
				  const struct diff_text *tb, field_fn fn)
{
	guint na = ta && ta->nodes ? ta->nodes->len : 0, nb = tb && tb->nodes ? tb->nodes->len : 0;
	uint64_t *fa = g_new(uint64_t, na + 1), *fb = g_new(uint64_t, nb + 1);
	GArray *ops = g_array_new(FALSE, FALSE, sizeof(struct diff_op));
	guint i;

	for (i = 0; i < na; i++)
		fa[i] = (uint64_t)g_array_index(ta->nodes, struct diff_node, i).field;
	for (i = 0; i < nb; i++)
		fb[i] = (uint64_t)g_array_index(tb->nodes, struct diff_node, i).field;
	diff_align(fa, na, fb, nb, append_op, ops);
	for (i = 0; i < ops->len; i++) {
		const struct diff_op *op = &g_array_index(ops, struct diff_op, i);
		const struct diff_node *a = op->kind != DIFF_ADD ?
			&g_array_index(ta->nodes, struct diff_node, op->a) : NULL;
		const struct diff_node *b = op->kind != DIFF_DEL ?
			&g_array_index(tb->nodes, struct diff_node, op->b) : NULL;

		if (!a || !b || a->key != b->key)
			fn(r, ta, a, tb, b);
	}
	g_array_free(ops, TRUE);
	g_free(fa);
	g_free(fb);
}

/* -V: the fields that differ, as tree lines. */
static void text_field(struct diff_run *r, const struct diff_text *ta, const struct diff_node *a,
		       const struct diff_text *tb, const struct diff_node *b)
{
	if (a)
		g_string_append_printf(r->s, "%s-%s%*s%s\n", r->mk_del, r->mk_off,
				       4 * (a->depth + 1), "", ta->strings->str + a->text);
	if (b)
		g_string_append_printf(r->s, "%s+%s%*s%s\n", r->mk_add, r->mk_off,
				       4 * (b->depth + 1), "", tb->strings->str + b->text);
}

/* Without -V: their filter names, on one line. */
static void text_field_name(struct diff_run *r, const struct diff_text *ta, const struct diff_node *a,
			    const struct diff_text *tb, const struct diff_node *b)
{
	char name[128];

	(void)ta;
	(void)tb;
	g_string_append_printf(r->s, " %s", dec_field_filter_name(a ? a->field : b->field, name,
								   sizeof(name)));
}

static void json_field(struct diff_run *r, const struct diff_text *ta, const struct diff_node *a,
		       const struct diff_text *tb, const struct diff_node *b)
{
	char name[128];

	if (r->s->str[r->s->len - 1] != '[')
		g_string_append_c(r->s, ',');
	g_string_append(r->s, "{\"field\":");
	dec_json_string(r->s, dec_field_filter_name(a ? a->field : b->field, name, sizeof(name)),
			(size_t)-1);
	g_string_append(r->s, ",\"a\":");
	if (a)
		dec_json_string(r->s, ta->strings->str + a->text, (size_t)-1);
	else
		g_string_append(r->s, "null");
	g_string_append(r->s, ",\"b\":");
	if (b)
		dec_json_string(r->s, tb->strings->str + b->text, (size_t)-1);
	else
		g_string_append(r->s, "null");
	g_string_append_c(r->s, '}');
}

static const char *line_of(const struct diff_text *t)
{
	return t ? t->line : "?\n";
}

static void text_op(struct diff_run *r, const struct diff_op *op, const struct diff_text *ta,
		    const struct diff_text *tb, uint64_t fb)
{
	const char *line;
	size_t len;

	switch (op->kind) {
	case DIFF_SAME:
		/* one line, A's, with B's frame at the end */
		line = line_of(ta);
		len = strlen(line);
		g_string_append_c(r->s, ' ');
		g_string_append_len(r->s, line, len && line[len - 1] == '\n' ? (gssize)len - 1 : (gssize)len);
		g_string_append_printf(r->s, "  (B #%" G_GUINT64_FORMAT ")\n", fb);
		break;
	case DIFF_DEL:
		g_string_append_printf(r->s, "%s-%s%s", r->mk_del, r->mk_off, line_of(ta));
		break;
	case DIFF_ADD:
		g_string_append_printf(r->s, "%s+%s%s", r->mk_add, r->mk_off, line_of(tb));
		break;
	case DIFF_CHANGED:
		g_string_append_printf(r->s, "%s-%s%s", r->mk_del, r->mk_off, line_of(ta));
		g_string_append_printf(r->s, "%s+%s%s", r->mk_add, r->mk_off, line_of(tb));
		if (r->o->format == DEC_FMT_TREE) {
			each_field_difference(r, ta, tb, text_field);
		} else {
			g_string_append(r->s, "  differs:");
			each_field_difference(r, ta, tb, text_field_name);
			g_string_append_c(r->s, '\n');
		}
		break;
	}
}

static void json_op(struct diff_run *r, const struct diff_op *op, const struct diff_text *ta,
		    const struct diff_text *tb, uint64_t fa, uint64_t fb, bool first)
{
	static const char *const kinds[] = { "same", "changed", "only_a", "only_b" };

	g_string_append_printf(r->s, "%s{\"op\":\"%s\"", first ? "" : ",", kinds[op->kind]);
	if (op->kind != DIFF_ADD)
		g_string_append_printf(r->s, ",\"a_frame\":%" G_GUINT64_FORMAT, fa);
	if (op->kind == DIFF_SAME || op->kind == DIFF_CHANGED)
		g_string_append_printf(r->s, ",\"b_frame\":%" G_GUINT64_FORMAT, fb);
	if (op->kind == DIFF_ADD)
		g_string_append_printf(r->s, ",\"b_frame\":%" G_GUINT64_FORMAT, fb);
	if (op->kind != DIFF_ADD) {
		g_string_append(r->s, ",\"a\":");
		dec_json_string(r->s, ta ? ta->summary : "", (size_t)-1);
	}
	if (op->kind == DIFF_ADD || op->kind == DIFF_CHANGED) {
		g_string_append(r->s, ",\"b\":");
		dec_json_string(r->s, tb ? tb->summary : "", (size_t)-1);
	}
	if (op->kind == DIFF_CHANGED) {
		g_string_append(r->s, ",\"fields\":[");
		each_field_difference(r, ta, tb, json_field);
		g_string_append_c(r->s, ']');
	}
	g_string_append_c(r->s, '}');
}

/* First and last frame of one side in a hunk (0 if the side has none). */
static void hunk_frames(struct diff_run *r, const struct diff_pair *p, const struct diff_hunk *h,
			bool side_a, uint64_t *first, uint64_t *last)
{
	const struct diff_capture *c = side_a ? &r->ca : &r->cb;
	const struct diff_conn *k = diff_conn_at(c, (guint)(side_a ? p->a : p->b));
	guint i;

	*first = *last = 0;
	for (i = h->start; i < h->end; i++) {
		const struct diff_op *op = &g_array_index(p->ops, struct diff_op, i);
		uint64_t f;

		if (op->kind == (side_a ? DIFF_ADD : DIFF_DEL))
			continue;
		f = diff_frame_at(k, side_a ? op->a : op->b);
		if (!*first)
			*first = f;
		*last = f;
	}
}

/* "#12-20", or "none" when the hunk has no message of that side. */
static void frame_range(GString *s, uint64_t first, uint64_t last, bool json)
{
	if (!first)
		g_string_append(s, json ? "null" : "none");
	else if (json)
		g_string_append_printf(s, "[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]", first, last);
	else
		g_string_append_printf(s, "#%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, first, last);
}

static void print_hunk(struct diff_run *r, int pair, const struct diff_hunk *h)
{
	const struct diff_pair *p = &g_array_index(r->pairs, struct diff_pair, pair);
	const struct diff_conn *ka = diff_conn_at(&r->ca, (guint)p->a);
	const struct diff_conn *kb = diff_conn_at(&r->cb, (guint)p->b);
	uint64_t a0, a1, b0, b1;
	guint i;

	hunk_frames(r, p, h, true, &a0, &a1);
	hunk_frames(r, p, h, false, &b0, &b1);
	if (r->json) {
		g_string_append_printf(r->s, "{\"type\":\"hunk\",\"pair\":%d,\"a_frames\":", pair + 1);
		frame_range(r->s, a0, a1, true);
		g_string_append(r->s, ",\"b_frames\":");
		frame_range(r->s, b0, b1, true);
		g_string_append(r->s, ",\"lines\":[");
	} else {
		g_string_append_printf(r->s, "%s@@ pair %d %s: A ", r->mk_hunk, pair + 1,
				       vhu_channel_name(ka->channel));
		frame_range(r->s, a0, a1, false);
		g_string_append(r->s, ", B ");
		frame_range(r->s, b0, b1, false);
		g_string_append_printf(r->s, " @@%s\n", r->mk_off);
	}
	for (i = h->start; i < h->end; i++) {
		const struct diff_op *op = &g_array_index(p->ops, struct diff_op, i);
		const struct diff_text *ta = NULL, *tb = NULL;
		uint64_t fa = 0, fb = 0;

		if (op->kind != DIFF_ADD) {
			ta = diff_text_of(&r->ca, ka, op->a);
			fa = diff_frame_at(ka, op->a);
		}
		if (op->kind != DIFF_DEL) {
			tb = diff_text_of(&r->cb, kb, op->b);
			fb = diff_frame_at(kb, op->b);
		}
		if (r->json)
			json_op(r, op, ta, tb, fa, fb, i == h->start);
		else
			text_op(r, op, ta, tb, fb);
	}
	g_string_append(r->s, r->json ? "]}\n" : "");
	put(r);
}

static void print_header(struct diff_run *r)
{
	const struct diff_capture *c[2] = { &r->ca, &r->cb };
	int i;

	for (i = 0; i < 2 && !r->json; i++)
		g_string_append_printf(r->s, "%s %s: %s (%" G_GUINT64_FORMAT " messages, %u connections)\n",
				       i ? "+++" : "---", c[i]->tag, c[i]->path, c[i]->messages,
				       c[i]->conns->len);
	for (i = 0; i < (int)r->pairs->len; i++)
		print_pair(r, i);
	/* --conn chose what to compare: the rest is not missing */
	if (!r->o->diff.by_conn_a && !r->o->diff.by_conn_b) {
		print_unpaired(r, &r->ca);
		print_unpaired(r, &r->cb);
	}
	for (i = 0; i < (int)r->pairs->len && !r->json; i++) {
		const struct diff_pair *p = &g_array_index(r->pairs, struct diff_pair, i);

		if (p->follows < 0)
			text_negotiation(r, i, diff_conn_at(&r->ca, (guint)p->a),
					 diff_conn_at(&r->cb, (guint)p->b));
	}
	put(r);
}

/* ---- the run -------------------------------------------------------------- */

static bool parse_compare(struct diff_run *r, const char *list)
{
	gchar **names = g_strsplit(list, ",", -1);
	int n = vhu_field_count(), i, f;
	bool ok = true;

	for (i = 0; names[i] && ok; i++) {
		const char *name = g_strstrip(names[i]);

		if (!*name)
			continue;
		if (!strcmp(name, "pid") || !strcmp(name, "vhost_user_rec.pid")) {
			r->cfg.compare_pid = true;
			continue;
		}
		if (g_str_has_prefix(name, VHU_PROTO_FILTER "."))
			name += strlen(VHU_PROTO_FILTER ".");
		for (f = 0; f < n; f++) {
			const struct vhu_field *fd = vhu_field_get(f);

			if (fd && fd->abbrev && !strcmp(fd->abbrev, name))
				break;
		}
		if (f < n) {
			r->cfg.ignore[f] = false;
			if (diff_is_vring_state(f))
				r->cfg.ignore_get_base_num = false;
		} else {
			fprintf(stderr, "vhost-user-decode: --compare: unknown field '%s'\n", names[i]);
			ok = false;
		}
	}
	g_strfreev(names);
	return ok;
}

static bool setup(struct diff_run *r, const struct dec_opts *o)
{
	int n = vhu_field_count(), f;

	memset(r, 0, sizeof(*r));
	r->o = o;
	r->out = stdout;
	r->json = o->format == DEC_FMT_JSON;
	r->s = g_string_sized_new(8192);
	r->pairs = g_array_new(FALSE, FALSE, sizeof(struct diff_pair));
	r->cfg.o = o;
	r->cfg.col = dec_colors(o->color && !r->json);
	r->cfg.ignore = g_new0(bool, (gsize)n);
	for (f = 0; f < n && !o->diff.strict; f++)
		r->cfg.ignore[f] = diff_ignored_by_default(f);
	r->cfg.ignore_get_base_num = !o->diff.strict;
	r->cfg.compare_pid = o->diff.strict;
	r->mk_del = o->color && !r->json ? "\033[31m" : "";
	r->mk_add = o->color && !r->json ? "\033[32m" : "";
	r->mk_hunk = o->color && !r->json ? "\033[36m" : "";
	r->mk_off = r->cfg.col->off;
	diff_capture_init(&r->ca, o->input, "A");
	diff_capture_init(&r->cb, o->diff.b, "B");
	return !o->diff.compare || parse_compare(r, o->diff.compare);
}

static void teardown(struct diff_run *r)
{
	guint i;

	for (i = 0; i < r->pairs->len; i++) {
		struct diff_pair *p = &g_array_index(r->pairs, struct diff_pair, i);

		g_array_free(p->ops, TRUE);
		g_array_free(p->hunks, TRUE);
	}
	g_array_free(r->pairs, TRUE);
	diff_capture_free(&r->ca);
	diff_capture_free(&r->cb);
	g_free(r->cfg.ignore);
	g_string_free(r->s, TRUE);
}

/* Malformed input does not stop a comparison, but the user should know. */
static void note_problems(const struct diff_capture *c)
{
	if (c->problems)
		fprintf(stderr, "vhost-user-decode: %s: %" G_GUINT64_FORMAT " unreadable records or "
			"malformed messages (vhost-user-decode %s names them)\n", c->path, c->problems,
			c->path);
}

int dec_diff_run(const struct dec_opts *o)
{
	struct diff_run r;
	int status = DEC_EXIT_USAGE;
	guint i, j;

	if (!setup(&r, o) || !diff_load(&r.ca, &r.cfg, false) || !diff_load(&r.cb, &r.cfg, false) ||
	    !pair_connections(&r))
		goto out;
	note_problems(&r.ca);
	note_problems(&r.cb);
	for (i = 0; i < r.pairs->len; i++)
		compare_pair(&r, &g_array_index(r.pairs, struct diff_pair, i));
	if (!diff_load(&r.ca, &r.cfg, true) || !diff_load(&r.cb, &r.cfg, true))
		goto out;
	print_header(&r);
	for (i = 0; i < r.pairs->len; i++) {
		const struct diff_pair *p = &g_array_index(r.pairs, struct diff_pair, i);

		for (j = 0; j < p->hunks->len; j++)
			print_hunk(&r, (int)i, &g_array_index(p->hunks, struct diff_hunk, j));
	}
	if (!r.json && !r.differences)
		fputs("no differences\n", r.out);
	status = r.differences ? 1 : 0;
	if (fflush(r.out) || ferror(r.out)) {
		perror("vhost-user-decode: writing the output");
		status = DEC_EXIT_USAGE;
	}
out:
	teardown(&r);
	return status;
}
