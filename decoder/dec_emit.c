/* dec_emit.c - the decoder's emitter: tshark -V text, JSON fields, summary. */
#include <string.h>

#include "dec.h"
#include "vhu_format.h"
#include "vhu_line_cache.h"
#include "vhu_sum_cache.h"

/*
 * The walker hands us every node with its final text.  For -V we print
 * each line as it comes, exactly the way tshark prints a protocol tree:
 * four spaces per level, generated items in [brackets].  Expert notes are
 * children of the item they are attached to, so printing them right away
 * keeps tree order: see note_depth().
 */

/* The line the slow way, a piece at a time (the string grows). */
static void tree_line_growing(GString *s, int depth, const char *text, size_t len,
			      bool generated)
{
	int i;

	for (i = 0; i < depth; i++)
		dec_put(s, "    ", 4);
	if (generated)
		dec_put_c(s, '[');
	dec_put(s, text, len);
	if (generated)
		dec_put_c(s, ']');
	dec_put_c(s, '\n');
}

/* The indentation of the deepest lines written in place (a tree is rarely
 * deeper than 4), copied whole whatever the depth: a loop of four spaces
 * a level was a visible share of a line. */
#define INDENT_MAX_DEPTH 8
static const char indent[] = "                                ";

/* One line of the tree: ~35 a message, so it is written in place when
 * the string has room for all of it and the indentation's copy, as it
 * nearly always has. */
static inline void tree_line(GString *s, int depth, const char *text, size_t len, bool generated)
{
	size_t need;
	char *p;

	_Static_assert(sizeof(indent) - 1 == 4 * INDENT_MAX_DEPTH, "the deepest indentation");
	if (!text)
		text = "";
	if (!len)	/* not measured by the walker */
		len = strlen(text);
	need = (size_t)depth * 4 + len + (generated ? 3 : 1);
	if (depth > INDENT_MAX_DEPTH || s->len + need + sizeof(indent) >= s->allocated_len) {
		tree_line_growing(s, depth, text, len, generated);
		return;
	}
	p = s->str + s->len;
	memcpy(p, indent, sizeof(indent) - 1);
	p += 4 * depth;
	if (generated)
		*p++ = '[';
	memcpy(p, text, len);
	p += len;
	if (generated)
		*p++ = ']';
	*p++ = '\n';
	*p = 0;
	s->len += need;
}

static void json_hex_bytes(GString *s, const uint8_t *p, uint32_t len)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t i;

	dec_put_c(s, '"');
	for (i = 0; i < len; i++) {
		dec_put_c(s, hex[p[i] >> 4]);
		dec_put_c(s, hex[p[i] & 15]);
	}
	dec_put_c(s, '"');
}

/* Appends the JSON value of a node; false if the node carries none. */
static bool json_value(GString *s, const struct vhu_field *f, const struct vhu_node *n)
{
	switch (f->type) {
	case VHU_FT_U8: case VHU_FT_U16: case VHU_FT_U32: case VHU_FT_U64:
	case VHU_FT_FRAME_REQ: case VHU_FT_FRAME_RESP: case VHU_FT_RELTIME:
		dec_json_u64(s, vhu_field_value(f, n->value));
		return true;
	case VHU_FT_I32:
		dec_appendf(s, "%d", (int32_t)n->value);
		return true;
	case VHU_FT_I64:
		dec_appendf(s, "%" G_GINT64_FORMAT, (int64_t)n->value);
		return true;
	case VHU_FT_BOOL:
		dec_put_str(s, vhu_field_value(f, n->value) ? "true" : "false");
		return true;
	case VHU_FT_STRING:
		if (!n->bytes)
			return false;
		dec_json_string(s, (const char *)n->bytes, strnlen((const char *)n->bytes, n->blen));
		return true;
	case VHU_FT_BYTES:
		if (!n->bytes)
			return false;
		json_hex_bytes(s, n->bytes, n->blen);
		return true;
	case VHU_FT_NONE:
	case VHU_FT_PROTOCOL:
		break;
	}
	return false;
}

static void json_node(struct dec_walk *w, const struct vhu_node *n)
{
	const struct vhu_field *f;
	struct dec_jentry e;

	if (n->field < 0 || !(f = vhu_field_get(n->field)))
		return;
	e.field = n->field;
	e.off = (uint32_t)w->jfields->len;
	if (!json_value(w->jfields, f, n))
		return;
	e.len = (uint32_t)(w->jfields->len - e.off);
	g_array_append_val(w->jentries, e);
}

static void mark_added(struct dec_walk *w)
{
	w->added[w->depth] = true;
}

static void emit_item(void *ctx, const struct vhu_node *n)
{
	struct dec_walk *w = ctx;

	if (w->tree)
		tree_line(w->tree, w->depth, n->text, n->text_len, n->generated);
	if (w->jfields)
		json_node(w, n);
	mark_added(w);
}

static void emit_push(void *ctx, const struct vhu_node *n)
{
	struct dec_walk *w = ctx;

	emit_item(ctx, n);
	if (w->depth < DEC_MAX_DEPTH)
		w->depth++;
	w->added[w->depth] = false;
}

static void emit_pop(void *ctx)
{
	struct dec_walk *w = ctx;

	if (w->depth > 0)
		w->depth--;
}

/* A note belongs to the last item of the current level, whose children
 * sit one level deeper; if the level is still empty it belongs to the
 * open subtree's item, whose children are this level. */
static int note_depth(const struct dec_walk *w)
{
	return w->added[w->depth] ? w->depth + 1 : w->depth;
}

/* "<label><value>" as a line of a note. */
static void note_pair(struct dec_walk *w, int depth, const char *label, const char *value)
{
	char line[VHU_TEXT_MAX];
	struct vhu_text t = { line, sizeof(line), 0 };

	vhu_text_str(&t, label);
	vhu_text_str(&t, value);
	tree_line(w->tree, depth, line, vhu_text_end(&t), true);
}

/* Built piece by piece, not by snprintf: a note comes with every finding. */
static void tree_note(struct dec_walk *w, const struct vhu_note_desc *d, const char *text)
{
	const char *sev = vhu_severity_name(d->severity);
	const char *grp = vhu_group_name(d->group);
	int depth = note_depth(w);
	char line[3 * VHU_TEXT_MAX];
	struct vhu_text t = { line, sizeof(line), 0 };

	vhu_text_str(&t, "Expert Info (");
	vhu_text_str(&t, sev);
	vhu_text_put(&t, "/", 1);
	vhu_text_str(&t, grp);
	vhu_text_put(&t, "): ", 3);
	vhu_text_str(&t, text);
	tree_line(w->tree, depth, line, vhu_text_end(&t), true);
	tree_line(w->tree, depth + 1, text, 0, true);
	note_pair(w, depth + 1, "Severity level: ", sev);
	note_pair(w, depth + 1, "Group: ", grp);
}

static void json_note(struct dec_walk *w, const struct vhu_note_desc *d, const char *text)
{
	GString *s = w->jnotes;

	if (s->len)
		dec_put_c(s, ',');
	dec_put_str(s, "{\"note\":\"" VHU_PROTO_FILTER ".");
	dec_put_str(s, d->abbrev);
	dec_put_str(s, "\",\"severity\":");
	dec_json_string(s, vhu_severity_name(d->severity), (size_t)-1);
	dec_put_str(s, ",\"group\":");
	dec_json_string(s, vhu_group_name(d->group), (size_t)-1);
	dec_put_str(s, ",\"text\":");
	dec_json_string(s, text, (size_t)-1);
	dec_put_c(s, '}');
}

/* strlcpy without measuring all of src: only what fits is wanted. */
static void copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

static void emit_note(void *ctx, int note_id, const char *text)
{
	struct dec_walk *w = ctx;
	const struct vhu_note_desc *d = vhu_note_get(note_id);

	if (!d)
		return;
	if (!text || !*text)
		text = d->summary;
	if (w->tree)
		tree_note(w, d, text);
	if (w->jfields)
		json_note(w, d, text);
	if (d->group == VHU_GRP_MALFORMED && d->severity >= VHU_SEV_WARN && !w->malformed[0])
		copy_text(w->malformed, sizeof(w->malformed), text);
}

/* The summary with its length, so that the line copies it unmeasured.
 * Most are shorter than VHU_SUMMARY_READ: copied with its NUL in a fixed
 * size, half of it when that is enough. */
static void emit_summary(void *ctx, const char *text, size_t len)
{
	struct dec_walk *w = ctx;

	_Static_assert(VHU_SUMMARY_READ <= sizeof(w->summary), "a fixed copy fits");
	if (len < VHU_SUMMARY_READ / 2) {
		memcpy(w->summary, text, VHU_SUMMARY_READ / 2);
	} else if (len < VHU_SUMMARY_READ) {
		memcpy(w->summary, text, VHU_SUMMARY_READ);
	} else {
		if (len > sizeof(w->summary) - 1)
			len = sizeof(w->summary) - 1;
		memcpy(w->summary, text, len);
		w->summary[len] = 0;
	}
	w->summary_len = len;
}

/* A tree's lines repeat from record to record and from message to
 * message of a type: the walker takes them from here once formatted. */
static struct vhu_line_cache *emit_line_cache(void *ctx)
{
	struct dec_walk *w = ctx;

	return w->lines;
}

/* One-line output repeats a message's summary for every message alike:
 * a summary-only walk takes it from here once made. */
static struct vhu_sum_cache *emit_summary_cache(void *ctx)
{
	struct dec_walk *w = ctx;

	return w->sums;
}

const struct vhu_emitter dec_emitter = {
	.item = emit_item,
	.push = emit_push,
	.pop = emit_pop,
	.note = emit_note,
	.summary = emit_summary,
	.line_cache = emit_line_cache,
	.summary_cache = emit_summary_cache,
};

void dec_walk_init(struct dec_walk *w, bool tree, bool json)
{
	memset(w, 0, sizeof(*w));
	if (tree) {
		w->tree = g_string_sized_new(4096);
		w->lines = vhu_line_cache_new();
	}
	if (!tree && !json)
		w->sums = vhu_sum_cache_new();	/* a walk for the summary alone */
	if (json) {
		w->jfields = g_string_sized_new(4096);
		w->jentries = g_array_new(FALSE, FALSE, sizeof(struct dec_jentry));
		w->jnotes = g_string_sized_new(256);
	}
}

void dec_walk_reset(struct dec_walk *w)
{
	if (w->tree)
		g_string_truncate(w->tree, 0);
	if (w->jfields) {
		g_string_truncate(w->jfields, 0);
		g_array_set_size(w->jentries, 0);
		g_string_truncate(w->jnotes, 0);
	}
	w->depth = 0;
	w->added[0] = false;
	w->summary[0] = 0;
	w->summary_len = 0;
	w->malformed[0] = 0;
}

void dec_walk_free(struct dec_walk *w)
{
	if (w->tree)
		g_string_free(w->tree, TRUE);
	vhu_line_cache_free(w->lines);
	vhu_sum_cache_free(w->sums);
	if (w->jfields) {
		g_string_free(w->jfields, TRUE);
		g_array_free(w->jentries, TRUE);
		g_string_free(w->jnotes, TRUE);
	}
	memset(w, 0, sizeof(*w));
}
