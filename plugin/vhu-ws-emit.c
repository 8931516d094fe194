/* SPDX-License-Identifier: MIT */
/*
 * vhu-ws-emit.c - the walker's emitter for Wireshark: every node becomes a
 * proto_tree item that carries the field's hf (so filters see the value)
 * and the walker's text (so the line shown is the line the decoder prints).
 */
#include "vhu-ws.h"


#include <string.h>

/* ---- the Info column ---- */

/* Whether the buffer can stand for the column: only from an empty column
 * (anything before it, such as text before a fence, would need the
 * column's own rules for separators); otherwise the column is written to
 * directly, as it always is without a buffer. */
static bool info_usable(struct vhu_ws_info *info, packet_info *pinfo)
{
	const char *now;

	if (!VHU_WS_INFO_BUFFERED || !info || info->direct)
		return false;
	if (info->buf)
		return true;
	now = pinfo->cinfo ? col_get_text(pinfo->cinfo, COL_INFO) : NULL;
	if (!now || *now) {
		info->direct = true;
		return false;
	}
	info->buf = wmem_alloc(pinfo->pool, COL_MAX_INFO_LEN);
	info->buf[0] = 0;
	info->len = 0;
	return true;
}

/* Appends what g_strlcat would: as much of text as the column holds. */
static void info_add(struct vhu_ws_info *info, const char *text)
{
	size_t n = strlen(text), room = COL_MAX_INFO_LEN - 1 - info->len;

	if (n > room)
		n = room;
	memcpy(info->buf + info->len, text, n);
	info->len += n;
	info->buf[info->len] = 0;
}

/* The buffer lives as long as the packet's columns are read (pinfo->pool).
 * The column was empty, so no fence keeps text before it: col_set_str
 * points the column at the buffer (or, for a column not written to, does
 * nothing, as the appends would), and the column shows every later
 * change of the buffer without being set again. */
static void info_show(struct vhu_ws_info *info, packet_info *pinfo)
{
	if (info->pointed)
		return;
	col_set_str(pinfo->cinfo, COL_INFO, info->buf);
	info->pointed = true;
}

void vhu_ws_info_set(struct vhu_ws_info *info, packet_info *pinfo, const char *text)
{
	if (!info_usable(info, pinfo)) {
		col_add_str(pinfo->cinfo, COL_INFO, text);
		return;
	}
	info->len = 0;
	info_add(info, text);
	info_show(info, pinfo);
}

void vhu_ws_info_append(struct vhu_ws_info *info, packet_info *pinfo, const char *sep,
			const char *text)
{
	if (!info_usable(info, pinfo)) {
		col_append_sep_str(pinfo->cinfo, COL_INFO, sep, text);
		return;
	}
	if (info->len)
		info_add(info, sep);
	info_add(info, text);
	info_show(info, pinfo);
}

/* ---- the emitter ---- */

void vhu_ws_emit_init(struct vhu_ws_emit *e, packet_info *pinfo, struct vhu_ws_info *info,
		      tvbuff_t *tvb, proto_tree *tree)
{
	/* deeper levels are set when they are opened (emit_push) */
	e->pinfo = pinfo;
	e->info = info;
	e->tvb = tvb;
	e->depth = 0;
	e->flattened = 0;
	e->lv[0].tree = tree;
	e->lv[0].item = NULL;
	e->lv[0].last = NULL;
}

/*
 * The walker's offsets are trusted only as far as the bytes we hold: a
 * truncated message may announce fields past its end, and an item outside
 * the tvb would throw and hide the rest of the tree.
 */
static void clamp_span(tvbuff_t *tvb, uint32_t off, uint32_t len, gint *start, gint *length)
{
	guint avail = tvb_captured_length(tvb);

	if (off > avail) {
		off = avail;
		len = 0;
	}
	if (len > avail - off)
		len = avail - off;
	*start = (gint)off;
	*length = (gint)len;
}

static int hf_of(int field)
{
	if (field < 0 || field >= vhu_field_count())
		return -1;
	return vhu_ws_hf[field];
}

/* A node without a field of its own: a plain text line. */
static proto_item *add_text(proto_tree *tree, tvbuff_t *tvb, gint start, gint length,
			    const char *text)
{
	proto_item *pi = NULL;

	proto_tree_add_subtree_format(tree, tvb, start, length, vhu_ws_ett[VHU_ETT_ROOT],
				      &pi, "%s", text);
	return pi;
}

static proto_item *add_protocol(proto_tree *tree, tvbuff_t *tvb, gint start, gint length,
				const struct vhu_node *n)
{
	int proto = n->ett == VHU_ETT_REC ? proto_vhost_user_rec : proto_vhost_user;

	return proto_tree_add_protocol_format(tree, proto, tvb, start, length, "%s", n->text);
}

static proto_item *add_bytes(proto_tree *tree, int hf, tvbuff_t *tvb, gint start,
			     gint length, const struct vhu_node *n)
{
	proto_item *pi;

	if (!n->bytes || n->blen == (uint32_t)length)
		return proto_tree_add_bytes_format(tree, hf, tvb, start, length, n->bytes,
						   "%s", n->text);
	/* the value is not the span (e.g. a cut field): keep both right */
	pi = proto_tree_add_bytes_with_length(tree, hf, tvb, start, length, n->bytes,
					      (gint)n->blen);
	proto_item_set_text(pi, "%s", n->text);
	return pi;
}

static proto_item *add_node(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
			    const struct vhu_node *n)
{
	const struct vhu_field *f = vhu_field_get(n->field);
	int hf = hf_of(n->field);
	gint start, length;
	uint64_t v;
	nstime_t t;
	const char *s;

	clamp_span(tvb, n->off, n->len, &start, &length);
	if (!f || (hf < 0 && f->type != VHU_FT_PROTOCOL)) {
		if (n->ett == VHU_ETT_ROOT || n->ett == VHU_ETT_REC)
			return add_protocol(tree, tvb, start, length, n);
		return add_text(tree, tvb, start, length, n->text);
	}

	v = vhu_field_value(f, n->value);
	switch (f->type) {
	case VHU_FT_PROTOCOL:
		return add_protocol(tree, tvb, start, length, n);
	case VHU_FT_NONE:
		return proto_tree_add_none_format(tree, hf, tvb, start, length, "%s", n->text);
	case VHU_FT_U8:
	case VHU_FT_U16:
	case VHU_FT_U32:
	case VHU_FT_FRAME_REQ:
	case VHU_FT_FRAME_RESP:
		return proto_tree_add_uint_format(tree, hf, tvb, start, length,
						  (guint32)v, "%s", n->text);
	case VHU_FT_U64:
		return proto_tree_add_uint64_format(tree, hf, tvb, start, length, v,
						    "%s", n->text);
	case VHU_FT_I32:
		return proto_tree_add_int_format(tree, hf, tvb, start, length,
						 (gint32)v, "%s", n->text);
	case VHU_FT_I64:
		return proto_tree_add_int64_format(tree, hf, tvb, start, length,
						   (gint64)v, "%s", n->text);
	case VHU_FT_BOOL:
		return proto_tree_add_boolean_format(tree, hf, tvb, start, length,
						     v ? 1 : 0, "%s", n->text);
	case VHU_FT_BYTES:
		return add_bytes(tree, hf, tvb, start, length, n);
	case VHU_FT_STRING:
		s = n->bytes ? wmem_strndup(pinfo->pool, (const char *)n->bytes, n->blen) : "";
		return proto_tree_add_string_format(tree, hf, tvb, start, length, s,
						    "%s", n->text);
	case VHU_FT_RELTIME:
		t.secs = (time_t)(n->value / 1000000000u);
		t.nsecs = (int)(n->value % 1000000000u);
		return proto_tree_add_time_format(tree, hf, tvb, start, length, &t,
						  "%s", n->text);
	}
	return add_text(tree, tvb, start, length, n->text);
}

static proto_item *place(struct vhu_ws_emit *e, const struct vhu_node *n)
{
	struct vhu_ws_level *lv = &e->lv[e->depth];
	proto_item *pi = add_node(lv->tree, e->tvb, e->pinfo, n);

	if (pi && n->generated)
		proto_item_set_generated(pi);
	lv->last = pi;
	return pi;
}

static void emit_item(void *ctx, const struct vhu_node *n)
{
	place(ctx, n);
}

static void emit_push(void *ctx, const struct vhu_node *n)
{
	struct vhu_ws_emit *e = ctx;
	proto_item *pi = place(e, n);
	int ett = n->ett >= 0 && n->ett < VHU_ETT__COUNT ? n->ett : VHU_ETT_ROOT;
	struct vhu_ws_level *next;

	if (e->depth + 1 >= VHU_WS_MAX_DEPTH) {
		/* deeper than any layout the walker knows: flatten */
		e->flattened++;
		return;
	}
	e->depth++;
	next = &e->lv[e->depth];
	next->tree = proto_item_add_subtree(pi, vhu_ws_ett[ett]);
	next->item = pi;
	next->last = NULL;
}

static void emit_pop(void *ctx)
{
	struct vhu_ws_emit *e = ctx;

	if (e->flattened > 0)
		e->flattened--;
	else if (e->depth > 0)
		e->depth--;
}

/* As vhu_emit.h says: on the item added last at this level, or on the
 * item that opened the level if nothing was added in it yet. */
static void emit_note(void *ctx, int note_id, const char *text)
{
	struct vhu_ws_emit *e = ctx;
	struct vhu_ws_level *lv = &e->lv[e->depth];
	proto_item *pi = lv->last ? lv->last : lv->item;

	if (note_id < 0 || note_id >= VHU_NOTE_ID_COUNT)
		return;
	expert_add_info_format(e->pinfo, pi, &vhu_ws_ei[note_id], "%s", text);
}

/* The summary goes straight to the Info column (messages completed in the
 * same record are separated there). */
static void emit_summary(void *ctx, const char *text, size_t len)
{
	struct vhu_ws_emit *e = ctx;

	(void)len;	/* Wireshark's column measures its own */
	vhu_ws_info_append(e->info, e->pinfo, VHU_WS_INFO_SEP, text);
}

/* The walker asks for it only for a walk without a tree (a summary from
 * the cache places no items and no notes, as the walk it was kept from). */
static struct vhu_sum_cache *emit_summary_cache(void *ctx)
{
	(void)ctx;	/* one for the capture, whatever the packet */
	return vhu_ws_capture_sums();
}

/* The walker asks for it only where it formats lines (a visible tree). */
static struct vhu_line_cache *emit_line_cache(void *ctx)
{
	(void)ctx;
	return vhu_ws_capture_lines();
}

const struct vhu_emitter vhu_ws_emitter = {
	.item = emit_item,
	.push = emit_push,
	.pop = emit_pop,
	.note = emit_note,
	.summary = emit_summary,
	.line_cache = emit_line_cache,
	.summary_cache = emit_summary_cache,
};
