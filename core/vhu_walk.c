/* SPDX-License-Identifier: MIT */
/*
 * \summary: the walker: one vhost-user message -> tree + notes + summary
 *
 * Reads are bounded by the message: a read past the payload stops the
 * layout (the message is then short, and says so) instead of trusting the
 * size field.  Texts are formatted here, once, for every emitter.
 */
#include "vhu_walk.h"
#include "vhu_diag.h"
#include "vhu_format.h"
#include "vhu_le.h"
#include "vhu_line_cache.h"
#include "vhu_msgs.h"
#include "vhu_proto.h"
#include "vhu_size_limits.h"
#include "vhu_sum_cache.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/*
 * A summary keeps at most SUM_MAX bytes.  Its buffer has SUM_PIECE_MAX
 * bytes of room beyond them, so that a piece no longer than that, appended
 * while the summary is still short of SUM_MAX, is copied without a check
 * of its own: a summary is a dozen pieces, and measuring the room left
 * for each was a visible share of one-line decoding.  sum_end() cuts what
 * ran past SUM_MAX, where one formatted whole would have been cut.
 */
#define SUM_MAX 511
#define SUM_PIECE_MAX 64
_Static_assert(SUM_MAX + 1 + SUM_PIECE_MAX >= VHU_SUMMARY_READ, "the emitter may read so many");

struct walker {
	const struct vhu_emitter *e;
	void *ctx;
	const struct vhu_msg *m;
	const struct vhu_msg_info *mi;
	const uint8_t *pl;	/* payload */
	uint32_t plen;		/* payload bytes present */
	uint32_t limit;		/* payload size limit of the reassembler */
	bool no_tree;		/* summary_only: nodes are neither formatted nor emitted */
	bool no_text;		/* values_only: nodes are emitted with an empty text */
	struct vhu_line_cache *lines;	/* the emitter's, or NULL */
	unsigned notes;		/* placed by note(): a summary is kept only without */
	size_t slen;		/* may pass SUM_MAX by a piece: see sum_mem() */
	char sum[SUM_MAX + 1 + SUM_PIECE_MAX];	/* last: walker_init() leaves it uncleared */
};

/* Zeroes the walker but its summary buffer, which only ever holds slen
 * bytes (and a NUL from sum_end()): clearing it per message was a visible
 * share of one-line decoding. */
static void walker_init(struct walker *w)
{
	memset(w, 0, offsetof(struct walker, sum));
}

/* The emitter's line cache, where lines are formatted and it keeps one. */
static void walker_lines(struct walker *w)
{
	if (!w->no_tree && !w->no_text && w->e->line_cache)
		w->lines = w->e->line_cache(w->ctx);
}

/* ---- summary ------------------------------------------------------------ */

static void sum_add(struct walker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sum_add(struct walker *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->slen >= SUM_MAX)
		return;
	va_start(ap, fmt);
	n = vhu_vsnprintf(w->sum + w->slen, SUM_MAX + 1 - w->slen, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->slen += (size_t)n < SUM_MAX - w->slen ? (size_t)n : SUM_MAX - w->slen;
}

/*
 * The pieces that come on most messages (names, numbers) are appended
 * directly: formatting each through vhu_vsnprintf (parsing its format,
 * a va_list, a padded number buffer) was most of a one-line summary's
 * cost.  Appending piece by piece truncates at the same byte as one
 * formatted whole would.
 */
static inline void sum_mem(struct walker *w, const char *s, size_t len)
{
	if (w->slen >= SUM_MAX)
		return;
	if (len > SUM_PIECE_MAX && len > SUM_MAX - w->slen)
		len = SUM_MAX - w->slen;
	memcpy(w->sum + w->slen, s, len);
	w->slen += len;
}

/* Forced inline where a piece is most often a string literal: its length
 * is then known when compiling, and its copy a few moves. */
#define SUM_INLINE static inline __attribute__((always_inline))

/* A piece of text as it is (most pieces of a summary are names). */
SUM_INLINE void sum_str(struct walker *w, const char *str)
{
	sum_mem(w, str, strlen(str));
}

/* The summary, cut at SUM_MAX and terminated, handed to the emitter with
 * its length. */
static void sum_end(struct walker *w)
{
	if (w->slen > SUM_MAX)
		w->slen = SUM_MAX;
	w->sum[w->slen] = 0;
	w->e->summary(w->ctx, w->sum, w->slen);
}

/* v in decimal, as %u / PRIu64 writes it: its 20 digits at most fit a
 * piece's room, so they are written in place. */
static void sum_dec(struct walker *w, uint64_t v)
{
	_Static_assert(20 <= SUM_PIECE_MAX, "a number is a piece");
	if (w->slen >= SUM_MAX)
		return;
	w->slen = (size_t)(vhu_write_dec(w->sum + w->slen, v) - w->sum);
}

/* v in lower-case hex without a prefix, as %x / PRIx64 writes it: its 16
 * digits at most fit a piece's room, so they are written in place. */
static void sum_hex(struct walker *w, uint64_t v)
{
	unsigned digits = (unsigned)(67 - __builtin_clzll(v | 1)) / 4;
	char *p;

	_Static_assert(16 <= SUM_PIECE_MAX, "a number is a piece");
	if (w->slen >= SUM_MAX)
		return;
	w->slen += digits;
	p = w->sum + w->slen;
	do {
		*--p = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
}

/* " name=" and v in decimal. */
SUM_INLINE void sum_name_dec(struct walker *w, const char *name, uint64_t v)
{
	sum_str(w, name);
	sum_dec(w, v);
}

/* " name=0x" and v in hex. */
SUM_INLINE void sum_name_hex(struct walker *w, const char *name, uint64_t v)
{
	sum_str(w, name);
	sum_hex(w, v);
}

/* ---- nodes ---------------------------------------------------------------- */

static void node_init(struct vhu_node *n, int field, uint32_t off, uint32_t len)
{
	memset(n, 0, sizeof(*n));
	n->field = field;
	n->ett = -1;
	n->off = off;
	n->len = len;
}

static void emit(struct walker *w, struct vhu_node *n, int ett)
{
	if (w->no_tree)
		return;
	if (ett >= 0) {
		n->ett = ett;
		w->e->push(w->ctx, n);
	} else {
		w->e->item(w->ctx, n);
	}
}

static void pop(struct walker *w)
{
	if (!w->no_tree)
		w->e->pop(w->ctx);
}

static void note(struct walker *w, int id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct walker *w, int id, const char *fmt, ...)
{
	char text[VHU_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vhu_vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	w->notes++;
	w->e->note(w->ctx, id, text);
}

/* A note whose text is made already: passed on as it is (a finding's
 * text, shorter than VHU_TEXT_MAX, is what note(w, id, "%s", text) gave). */
_Static_assert(VHU_FINDING_TEXT <= VHU_TEXT_MAX, "a finding's text fits a note");

static void note_text(struct walker *w, int id, const char *text)
{
	w->e->note(w->ctx, id, text);
}

/* A text-only node (subtree label). */
static void text_node(struct walker *w, int field, uint32_t off, uint32_t len, int ett,
		      const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void text_node(struct walker *w, int field, uint32_t off, uint32_t len, int ett,
		      const char *fmt, ...)
{
	char text[VHU_TEXT_MAX];
	struct vhu_node n;
	va_list ap;

	if (w->no_tree)
		return;
	text[0] = 0;
	if (!w->no_text) {
		va_start(ap, fmt);
		vhu_vsnprintf(text, sizeof(text), fmt, ap);
		va_end(ap);
	}
	node_init(&n, field, off, len);
	n.text = text;
	emit(w, &n, ett);
}

/*
 * The first line of each tree and the fd lines are written in place: their
 * pieces are names of the tables and numbers, each bounded, so a line
 * needs no check per piece (the bounded builder's calls were most of its
 * cost, for every message and every record).
 */

/* The most of a table's name a first line holds: the longest request
 * name is 39 characters (every one is in the walk golden test's lines). */
#define LINE_NAME_MAX 48

static inline char *put_mem(char *p, const char *s, size_t len)
{
	memcpy(p, s, len);
	return p + len;
}

#define put_lit(p, lit) put_mem((p), "" lit, sizeof(lit) - 1)

static inline char *put_name(char *p, const char *name)
{
	return put_mem(p, name, strnlen(name, LINE_NAME_MAX));
}

/* v in decimal at p, as %d writes it; the end. */
static char *put_int(char *p, int32_t v)
{
	if (v < 0)
		*p++ = '-';
	return vhu_write_dec(p, v < 0 ? 0 - (uint64_t)(int64_t)v : (uint64_t)v);
}

/* The subtree line of a passed fd: "<what><fd>: <kind> <name>", the name
 * (escaped, name_len bytes) cut where a line ends. */
static void fd_node(struct walker *w, int field, const char *what, int fd, unsigned kind,
		    const char *name, size_t name_len)
{
	char text[VHU_TEXT_MAX];
	struct vhu_node n;
	char *p = text;
	size_t room;

	if (w->no_tree)
		return;
	node_init(&n, field, 0, 0);
	text[0] = 0;
	if (!w->no_text) {
		_Static_assert(2 * LINE_NAME_MAX + 11 + sizeof(":  ") < VHU_TEXT_MAX,
			       "an fd line's words fit a line");
		p = put_name(p, what);
		p = put_int(p, fd);
		p = put_lit(p, ": ");
		p = put_name(p, vhu_fd_kind_name(kind));
		p = put_lit(p, " ");
		room = (size_t)(text + sizeof(text) - 1 - p);
		p = put_mem(p, name, name_len < room ? name_len : room);
		*p = 0;
		n.text_len = (size_t)(p - text);
	}
	n.text = text;
	emit(w, &n, field == VHU_F_FD ? VHU_ETT_FD : VHU_ETT_REC_FD);
}

/* The line of an integer field in text (VHU_TEXT_MAX bytes), or the same
 * line from the emitter's cache; its length, 0 when field is none. */
static size_t uint_line(struct walker *w, int field, uint64_t v, char *text, const char **line)
{
	if (w->lines)
		return vhu_line_cache_uint(w->lines, field, v, text, VHU_TEXT_MAX, line);
	*line = text;
	return vhu_format_uint_id(text, VHU_TEXT_MAX, field, v);
}

/* An integer node with the value given (offsets are message offsets). */
static void uint_node_add(struct walker *w, int field, uint32_t off, uint32_t len,
			  uint64_t v, int ett, bool generated)
{
	char text[VHU_TEXT_MAX];
	struct vhu_node n;

	node_init(&n, field, off, len);
	if (w->no_text) {
		if (!vhu_field_get(field))
			return;
		text[0] = 0;
		n.text = text;
	} else {
		/* the formatter looks the field up, and gives 0 for none */
		n.text_len = uint_line(w, field, v, text, &n.text);
		if (!n.text_len)
			return;
	}
	n.value = v;
	n.generated = generated;
	emit(w, &n, ett);
}

/* Without a tree, no node: checked where it is called, as a call per
 * field was a visible share of a summary. */
static inline void uint_node(struct walker *w, int field, uint32_t off, uint32_t len,
			     uint64_t v, int ett, bool generated)
{
	if (!w->no_tree)
		uint_node_add(w, field, off, len, v, ett, generated);
}

/* A string node whose line is made already (line_len 0: not measured). */
static void string_node_line(struct walker *w, int field, uint32_t off, uint32_t len,
			     const char *s, size_t slen, bool generated, const char *line,
			     size_t line_len)
{
	struct vhu_node n;

	node_init(&n, field, off, len);
	n.text_len = line_len;
	n.bytes = (const uint8_t *)s;
	n.blen = (uint32_t)slen;
	n.generated = generated;
	n.text = line;
	emit(w, &n, -1);
}

static void string_node(struct walker *w, int field, uint32_t off, uint32_t len,
			const char *s, size_t slen, bool generated)
{
	char text[VHU_TEXT_MAX];
	size_t text_len = 0;

	if (w->no_tree || !vhu_field_get(field))
		return;
	text[0] = 0;
	if (!w->no_text)
		text_len = vhu_format_string_id(text, sizeof(text), field, s, slen);
	string_node_line(w, field, off, len, s, slen, generated, text, text_len);
}

static void bytes_node(struct walker *w, int field, uint32_t off, const uint8_t *p, uint32_t len)
{
	char text[VHU_TEXT_MAX];
	struct vhu_node n;

	if (w->no_tree)
		return;
	text[0] = 0;
	if (!w->no_text)
		vhu_format_bytes(text, sizeof(text), vhu_field_get(field), p, len);
	node_init(&n, field, off, len);
	n.bytes = p;
	n.blen = len;
	n.text = text;
	emit(w, &n, -1);
}

/* ---- bounded payload reads ------------------------------------------------ */

#define PL_OFF(o) (VHU_HDR_SIZE + (uint32_t)(o))

static bool have(struct walker *w, uint32_t off, uint32_t len)
{
	return off <= w->plen && len <= w->plen - off;
}

static uint64_t get_le(const uint8_t *p, unsigned width)
{
	switch (width) {
	case 1: return p[0];
	case 2: return vhu_get_le16(p);
	case 4: return vhu_get_le32(p);
	default: return vhu_get_le64(p);
	}
}

/* Bytes of each static field's integer, from the field list itself (0:
 * not an integer, or a flag bit, whose width is its parent word's):
 * pl_uint reads one for every field of every payload. */
#define FIELD_BYTES_NONE 0
#define FIELD_BYTES_PROTOCOL 0
#define FIELD_BYTES_U8 1
#define FIELD_BYTES_U16 2
#define FIELD_BYTES_U32 4
#define FIELD_BYTES_U64 8
#define FIELD_BYTES_I32 4
#define FIELD_BYTES_I64 8
#define FIELD_BYTES_BOOL 0
#define FIELD_BYTES_BYTES 0
#define FIELD_BYTES_STRING 0
#define FIELD_BYTES_FRAME_REQ 0
#define FIELD_BYTES_FRAME_RESP 0
#define FIELD_BYTES_RELTIME 0
#define FIELD_BYTES_ROW(id, ab, lb, ty, ba, va, ma) [VHU_F_##id] = FIELD_BYTES_##ty,

static const uint8_t field_bytes[VHU_F__STATIC_COUNT] = {
	VHU_FIELD_LIST(FIELD_BYTES_ROW)
};

/* The width of a field the table does not give, from its registration. */
static unsigned field_width_registered(int field)
{
	const struct vhu_field *f = vhu_field_get(field);
	unsigned bits = f ? vhu_field_bits(f) : 0;

	return bits ? bits / 8 : 0;
}

static inline unsigned field_width(int field)
{
	if (field >= 0 && field < VHU_F__STATIC_COUNT && field_bytes[field])
		return field_bytes[field];
	return field_width_registered(field);
}

/* Reads field `field` (its width from the table) at payload offset off and
 * adds it.  Returns false (and adds nothing) when the payload is too short.
 * Forced inline: every caller names its field, so the width, the read and
 * the bounds check fold into a few instructions, where a call per field
 * was a visible share of a summary. */
static inline __attribute__((always_inline)) bool pl_uint(struct walker *w, int field,
							  uint32_t off, uint64_t *out, int ett)
{
	unsigned width = field_width(field);
	uint64_t v;

	if (out)
		*out = 0;
	if (!width || !have(w, off, width))
		return false;
	v = get_le(w->pl + off, width);
	uint_node(w, field, PL_OFF(off), width, v, ett, false);
	if (out)
		*out = v;
	return true;
}

/* Same as pl_uint for a masked sub-field of a word already read. */
static void sub_uint(struct walker *w, int field, uint32_t off, unsigned width, uint64_t v)
{
	uint_node(w, field, PL_OFF(off), width, v, -1, false);
}

static bool pl_bytes(struct walker *w, int field, uint32_t off, uint32_t len)
{
	if (len == 0)
		return true;
	if (!have(w, off, len)) {
		if (off < w->plen)
			bytes_node(w, field, PL_OFF(off), w->pl + off, w->plen - off);
		return false;
	}
	bytes_node(w, field, PL_OFF(off), w->pl + off, len);
	return true;
}

/* ---- flag words ----------------------------------------------------------- */

/* Adds the set bits of a word: named ones as their boolean field, others as
 * "unnamed bit" items.  names is appended to the summary when sum. */
static void bits_items(struct walker *w, uint32_t off, unsigned width, uint64_t v,
		       const struct vhu_bit *t1, const struct vhu_bit *t2, int unknown_field,
		       bool sum)
{
	uint64_t left = width < 8 ? v & (((uint64_t)1 << (width * 8)) - 1) : v;
	bool first = true;

	for (; left; left &= left - 1) {
		unsigned bit = (unsigned)__builtin_ctzll(left);
		const char *short_name = NULL;
		int id = -1;

		if (t1)
			id = vhu_bit_field_short(t1, bit, &short_name);
		if (id < 0 && t2)
			id = vhu_bit_field_short(t2, bit, &short_name);
		if (id >= 0) {
			uint_node(w, id, PL_OFF(off), width, v, -1, false);
			if (sum) {
				sum_str(w, first ? " <" : ",");
				sum_str(w, short_name ? short_name
						 : vhu_short_feature(vhu_field_get(id)->label));
				first = false;
			}
		} else if (unknown_field >= 0) {
			if (!w->no_tree) {
				char text[VHU_TEXT_MAX];
				struct vhu_node n;

				vhu_snprintf(text, sizeof(text), "Bit %u: set (%s)", bit,
					 bit < 24 && t2 == NULL ? "device-specific, device type unknown"
								: "unnamed");
				node_init(&n, unknown_field, PL_OFF(off), width);
				n.value = bit;
				n.text = text;
				emit(w, &n, -1);
			}
			if (sum) {
				sum_str(w, first ? " <bit" : ",bit");
				sum_dec(w, bit);
				first = false;
			}
		}
	}
	if (sum && !first)
		sum_str(w, ">");
}

/* ---- payload layouts ------------------------------------------------------ */

static void lay_features(struct walker *w, int field, const struct vhu_bit *t1,
			 const struct vhu_bit *t2, int unknown_field, int ett, const char *what)
{
	uint64_t v;

	if (!pl_uint(w, field, 0, &v, ett))
		return;
	sum_str(w, " ");
	sum_str(w, what);
	sum_name_hex(w, "=0x", v);
	bits_items(w, 0, 8, v, t1, t2, unknown_field, true);
	pop(w);
}

static void lay_vring_state(struct walker *w, int num_field)
{
	uint64_t idx, num;

	if (pl_uint(w, VHU_F_VRING_INDEX, 0, &idx, -1))
		sum_name_dec(w, " idx=", idx);
	if (pl_uint(w, num_field, 4, &num, -1)) {
		if (num_field == VHU_F_VRING_ENABLE)
			sum_str(w, num == 1 ? " enable" : num == 0 ? " disable" : " enable=?");
		else if (num_field == VHU_F_VRING_NUM)
			sum_name_dec(w, " num=", num);
		else if (num_field == VHU_F_VRING_ENDIAN)
			sum_str(w, num ? " big-endian" : " little-endian");
		else if (num)
			sum_name_dec(w, " num=", num);
	}
}

static bool packed_ring(const struct vhu_msg_info *mi)
{
	return mi->features_set && (mi->features & VHU_BIT(VHU_VIRTIO_F_RING_PACKED));
}

static void lay_vring_base(struct walker *w)
{
	uint64_t idx, num;

	if (pl_uint(w, VHU_F_VRING_INDEX, 0, &idx, -1))
		sum_name_dec(w, " idx=", idx);
	if (!have(w, 4, 4))
		return;
	num = vhu_get_le32(w->pl + 4);
	if (packed_ring(w->mi)) {
		uint_node(w, VHU_F_VRING_STATE_NUM, PL_OFF(4), 4, num, VHU_ETT_VRING_STATE, false);
		sub_uint(w, VHU_F_VRING_AVAIL_IDX, 4, 4, num);
		sub_uint(w, VHU_F_VRING_AVAIL_WRAP, 4, 4, num);
		sub_uint(w, VHU_F_VRING_USED_IDX, 4, 4, num);
		sub_uint(w, VHU_F_VRING_USED_WRAP, 4, 4, num);
		pop(w);
		sum_name_dec(w, " avail=", num & 0x7fff);
		sum_str(w, (num & 0x8000) ? "w used=" : " used=");
		sum_dec(w, (num >> 16) & 0x7fff);
		if (num & 0x80000000u)
			sum_str(w, "w");
	} else {
		uint_node(w, VHU_F_VRING_BASE, PL_OFF(4), 4, num, -1, false);
		sum_name_dec(w, " base=", num);
	}
}

static void lay_vring_addr(struct walker *w)
{
	uint64_t idx, fl, desc, used, avail, log;

	if (pl_uint(w, VHU_F_VRING_INDEX, 0, &idx, -1))
		sum_name_dec(w, " idx=", idx);
	if (pl_uint(w, VHU_F_VRING_FLAGS, 4, &fl, VHU_ETT_VRING_FLAGS)) {
		sub_uint(w, VHU_F_VRING_FLAG_LOG, 4, 4, fl);
		pop(w);
		if (fl & 1)
			sum_str(w, " log");
	}
	if (pl_uint(w, VHU_F_VRING_DESC, 8, &desc, -1))
		sum_name_hex(w, " desc=0x", desc);
	if (pl_uint(w, VHU_F_VRING_USED, 16, &used, -1))
		sum_name_hex(w, " used=0x", used);
	if (pl_uint(w, VHU_F_VRING_AVAIL, 24, &avail, -1))
		sum_name_hex(w, " avail=0x", avail);
	if (pl_uint(w, VHU_F_VRING_LOG, 32, &log, -1) && (fl & 1))
		sum_name_hex(w, " log=0x", log);
}

/* u64 with a vring index in bits 0-7 and the NOFD flag in bit 8. */
static void vring_file_word(struct walker *w, int word, int idx_f, int nofd_f, int ett)
{
	uint64_t v;

	if (!pl_uint(w, word, 0, &v, ett))
		return;
	sub_uint(w, idx_f, 0, 8, v);
	sub_uint(w, nofd_f, 0, 8, v);
	if (word == VHU_F_VRING_FILE && (v & 0xfffffffffffffe00ull))
		sub_uint(w, VHU_F_VRING_FILE_RESERVED, 0, 8, v);
	pop(w);
	sum_name_dec(w, " idx=", v & 0xff);
	if (v & VHU_VRING_NOFD_MASK)
		sum_str(w, " nofd");
}

static bool xen_regions(const struct vhu_msg_info *mi)
{
	return mi->pfeatures_set && (mi->pfeatures & VHU_BIT(VHU_PF_XEN_MMAP));
}

static void region(struct walker *w, uint32_t off, uint32_t stride, int index)
{
	uint64_t gpa = 0, size = 0;

	if (!have(w, off, 32)) {
		pl_bytes(w, VHU_F_TRAILING, off, stride);
		return;
	}
	gpa = vhu_get_le64(w->pl + off);
	size = vhu_get_le64(w->pl + off + 8);
	if (index >= 0)
		text_node(w, VHU_F_MEM_REGION, PL_OFF(off), stride, VHU_ETT_REGION,
			  "Region %d: guest 0x%" PRIx64 ", size 0x%" PRIx64, index, gpa, size);
	else
		text_node(w, VHU_F_MEM_REGION, PL_OFF(off), stride, VHU_ETT_REGION,
			  "Region: guest 0x%" PRIx64 ", size 0x%" PRIx64, gpa, size);
	pl_uint(w, VHU_F_MEM_GPA, off, NULL, -1);
	pl_uint(w, VHU_F_MEM_SIZE, off + 8, NULL, -1);
	pl_uint(w, VHU_F_MEM_UADDR, off + 16, NULL, -1);
	pl_uint(w, VHU_F_MEM_MMAP_OFFSET, off + 24, NULL, -1);
	if (stride == 40) {
		pl_uint(w, VHU_F_MEM_XEN_FLAGS, off + 32, NULL, -1);
		pl_uint(w, VHU_F_MEM_XEN_DOMID, off + 36, NULL, -1);
	}
	pop(w);
}

#define MAX_REGIONS_SHOWN 512

static void lay_mem_table(struct walker *w)
{
	uint64_t n;
	uint32_t stride = xen_regions(w->mi) ? 40 : 32;
	uint32_t i, fit;

	if (!pl_uint(w, VHU_F_MEM_NREGIONS, 0, &n, -1))
		return;
	pl_uint(w, VHU_F_MEM_PADDING, 4, NULL, -1);
	sum_name_dec(w, " ", n);
	sum_str(w, n == 1 ? " region" : " regions");
	fit = w->plen >= 8 ? (w->plen - 8) / stride : 0;
	if (n > fit)
		note(w, VHU_N_MALFORMED, "%" PRIu64 " regions announced, the payload holds %u", n, fit);
	/* a region is only items: nothing to read without a tree */
	for (i = 0; !w->no_tree && i < n && i < fit && i < MAX_REGIONS_SHOWN; i++)
		region(w, 8 + i * stride, stride, (int)i);
}

static void lay_mem_region(struct walker *w)
{
	uint32_t stride = xen_regions(w->mi) ? 40 : 32;
	uint64_t gpa, size;

	pl_uint(w, VHU_F_MEM_REG_PADDING, 0, NULL, -1);
	if (have(w, 8, 16)) {
		gpa = vhu_get_le64(w->pl + 8);
		size = vhu_get_le64(w->pl + 16);
		sum_name_hex(w, " guest=0x", gpa);
		sum_name_hex(w, " size=0x", size);
	}
	region(w, 8, stride, -1);
}

static void lay_log(struct walker *w)
{
	uint64_t size, off;

	if (w->plen == 8) {
		pl_uint(w, VHU_F_U64, 0, NULL, -1);
		return;
	}
	if (pl_uint(w, VHU_F_LOG_MMAP_SIZE, 0, &size, -1))
		sum_name_hex(w, " size=0x", size);
	if (pl_uint(w, VHU_F_LOG_MMAP_OFFSET, 8, &off, -1) && off)
		sum_name_hex(w, " offset=0x", off);
}

static void lay_iotlb(struct walker *w)
{
	uint64_t iova, size, uaddr, perm, type;

	pl_uint(w, VHU_F_IOTLB_IOVA, 0, &iova, -1);
	pl_uint(w, VHU_F_IOTLB_SIZE, 8, &size, -1);
	pl_uint(w, VHU_F_IOTLB_UADDR, 16, &uaddr, -1);
	pl_uint(w, VHU_F_IOTLB_PERM, 24, &perm, -1);
	if (pl_uint(w, VHU_F_IOTLB_TYPE, 25, &type, -1)) {
		const char *t = vhu_val_name(vhu_vals_iotlb_type, type);

		sum_str(w, " ");
		sum_str(w, t ? t + 12 : "?");
		sum_name_hex(w, " iova=0x", iova);
		sum_name_hex(w, " size=0x", size);
	}
	pl_bytes(w, VHU_F_IOTLB_PADDING, 26, 6);
}

static void lay_config(struct walker *w)
{
	uint64_t off, size, fl;

	pl_uint(w, VHU_F_CONFIG_OFFSET, 0, &off, -1);
	if (!pl_uint(w, VHU_F_CONFIG_SIZE, 4, &size, -1))
		return;
	pl_uint(w, VHU_F_CONFIG_FLAGS, 8, &fl, -1);
	sum_name_dec(w, " offset=", off);
	sum_name_dec(w, " size=", size);
	if (12 + size != w->plen)
		note(w, VHU_N_BAD_SIZE, "Config size %" PRIu64 " but %u payload bytes follow the config header",
		     size, w->plen >= 12 ? w->plen - 12 : 0);
	if (w->plen > 12)
		pl_bytes(w, VHU_F_CONFIG_DATA, 12, size < w->plen - 12 ? (uint32_t)size : w->plen - 12);
}

static void crypto_sym(struct walker *w, uint32_t base)
{
	pl_uint(w, VHU_F_CRYPTO_CIPHER_ALG, base, NULL, -1);
	pl_uint(w, VHU_F_CRYPTO_KEY_LEN, base + 4, NULL, -1);
	pl_uint(w, VHU_F_CRYPTO_HASH_ALG, base + 8, NULL, -1);
	pl_uint(w, VHU_F_CRYPTO_HASH_RESULT_LEN, base + 12, NULL, -1);
	pl_uint(w, VHU_F_CRYPTO_AUTH_KEY_LEN, base + 16, NULL, -1);
	pl_uint(w, VHU_F_CRYPTO_ADD_LEN, base + 20, NULL, -1);
	pl_uint(w, VHU_F_CRYPTO_OP_TYPE, base + 24, NULL, -1);
	pl_uint(w, VHU_F_CRYPTO_DIRECTION, base + 25, NULL, -1);
	pl_uint(w, VHU_F_CRYPTO_HASH_MODE, base + 26, NULL, -1);
	pl_uint(w, VHU_F_CRYPTO_CHAIN_ORDER, base + 27, NULL, -1);
	pl_uint(w, VHU_F_CRYPTO_HOST_PTR, base + 32, NULL, -1);
	pl_uint(w, VHU_F_CRYPTO_HOST_PTR, base + 40, NULL, -1);
	pl_bytes(w, VHU_F_CRYPTO_KEY, base + 48, 64);
	pl_bytes(w, VHU_F_CRYPTO_AUTH_KEY, base + 112, 512);
}

/* Two layouts, told apart by size: QEMU 2.12-8.0 (632 bytes, session id
 * first) and QEMU 8.1+ (1072 bytes, op code first, session id last). */
static void lay_crypto(struct walker *w)
{
	uint64_t id, op;

	if (w->plen == 632) {
		if (pl_uint(w, VHU_F_CRYPTO_SESSION_ID, 0, &id, -1))
			sum_add(w, " session=%" PRId64, (int64_t)id);
		text_node(w, VHU_F_NONE, PL_OFF(8), 624, VHU_ETT_CRYPTO, "Symmetric session (QEMU 2.12-8.0 layout)");
		crypto_sym(w, 8);
		pop(w);
		return;
	}
	if (w->plen != 1072) {
		/* the size check after the layout flags it */
		pl_bytes(w, VHU_F_PAYLOAD, 0, w->plen);
		return;
	}
	pl_uint(w, VHU_F_CRYPTO_OP_CODE, 0, &op, -1);
	if ((op >> 8) == 4) {
		text_node(w, VHU_F_NONE, PL_OFF(8), 1056, VHU_ETT_CRYPTO, "Asymmetric session");
		pl_uint(w, VHU_F_CRYPTO_ASYM_ALGO, 8, NULL, -1);
		pl_uint(w, VHU_F_CRYPTO_ASYM_KEYTYPE, 12, NULL, -1);
		pl_uint(w, VHU_F_CRYPTO_ASYM_KEYLEN, 16, NULL, -1);
		pl_uint(w, VHU_F_CRYPTO_HOST_PTR, 24, NULL, -1);
		pl_uint(w, VHU_F_CRYPTO_ASYM_RSA_PADDING, 32, NULL, -1);
		pl_uint(w, VHU_F_CRYPTO_ASYM_RSA_HASH, 36, NULL, -1);
		pl_bytes(w, VHU_F_CRYPTO_KEY, 40, 1024);
	} else {
		text_node(w, VHU_F_NONE, PL_OFF(8), 624, VHU_ETT_CRYPTO, "Symmetric session");
		crypto_sym(w, 8);
	}
	pop(w);
	if (pl_uint(w, VHU_F_CRYPTO_SESSION_ID, 1064, &id, -1))
		sum_add(w, " op=0x%04" PRIx64 " session=%" PRId64, op, (int64_t)id);
}

static void lay_inflight(struct walker *w)
{
	uint64_t size, nq, qs;

	if (pl_uint(w, VHU_F_INFLIGHT_MMAP_SIZE, 0, &size, -1) && size)
		sum_name_dec(w, " mmap_size=", size);
	pl_uint(w, VHU_F_INFLIGHT_MMAP_OFFSET, 8, NULL, -1);
	if (pl_uint(w, VHU_F_INFLIGHT_NUM_QUEUES, 16, &nq, -1) &&
	    pl_uint(w, VHU_F_INFLIGHT_QUEUE_SIZE, 18, &qs, -1)) {
		sum_name_dec(w, " queues=", nq);
		sum_name_dec(w, " queue_size=", qs);
	}
	/* 20 bytes of fields, 24 on the wire (struct padding) */
	if (w->plen >= 24)
		pl_uint(w, VHU_F_INFLIGHT_PADDING, 20, NULL, -1);
}

static void lay_shared_object(struct walker *w)
{
	char uuid[40];
	const uint8_t *u;

	if (!have(w, 0, 16))
		return;
	u = w->pl;
	vhu_snprintf(uuid, sizeof(uuid),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
	string_node(w, VHU_F_UUID, PL_OFF(0), 16, uuid, strlen(uuid), false);
	sum_add(w, " uuid=%s", uuid);
}

static void lay_device_state(struct walker *w)
{
	uint64_t dir, phase;

	if (pl_uint(w, VHU_F_DS_DIRECTION, 0, &dir, -1))
		sum_add(w, " %s", dir == 0 ? "SAVE" : dir == 1 ? "LOAD" : "direction=?");
	if (pl_uint(w, VHU_F_DS_PHASE, 4, &phase, -1) && phase)
		sum_add(w, " phase=%" PRIu64, phase);
}

static void lay_device_state_reply(struct walker *w)
{
	uint64_t v;

	if (!pl_uint(w, VHU_F_DS_REPLY, 0, &v, VHU_ETT_DEVSTATE))
		return;
	sub_uint(w, VHU_F_DS_RESULT, 0, 8, v);
	sub_uint(w, VHU_F_DS_NOFD, 0, 8, v);
	pop(w);
	sum_add(w, " result=%u%s", (unsigned)(v & 0xff), (v & 0x100) ? " nofd" : "");
	if (v & 0xff)
		note(w, VHU_N_ACK_FAILURE, "Back-end reports failure %u", (unsigned)(v & 0xff));
}

static void lay_shmem_map(struct walker *w)
{
	uint64_t id, fdoff, shmoff, len, fl;

	pl_uint(w, VHU_F_SHMEM_SHMID, 0, &id, -1);
	pl_bytes(w, VHU_F_SHMEM_PADDING, 1, 7);
	pl_uint(w, VHU_F_SHMEM_FD_OFFSET, 8, &fdoff, -1);
	pl_uint(w, VHU_F_SHMEM_SHM_OFFSET, 16, &shmoff, -1);
	pl_uint(w, VHU_F_SHMEM_LEN, 24, &len, -1);
	if (pl_uint(w, VHU_F_SHMEM_FLAGS, 32, &fl, VHU_ETT_SHMEM)) {
		sub_uint(w, VHU_F_SHMEM_FLAG_RW, 32, 8, fl);
		pop(w);
		sum_add(w, " shmid=%" PRIu64 " offset=0x%" PRIx64 " len=0x%" PRIx64 "%s", id, shmoff,
			len, (fl & 1) ? " rw" : " ro");
	}
}

static void lay_shmem_config(struct walker *w)
{
	uint64_t n, i, max;

	if (!pl_uint(w, VHU_F_SHMEM_NREGIONS, 0, &n, -1))
		return;
	pl_bytes(w, VHU_F_PADDING, 4, 4);
	sum_add(w, " %" PRIu64 " regions", n);
	max = w->plen >= 8 ? (w->plen - 8) / 8 : 0;
	if (n > max || n > 256)
		note(w, VHU_N_MALFORMED, "%" PRIu64 " shared memory regions announced, at most %" PRIu64 " fit",
		     n, max < 256 ? max : 256);
	for (i = 0; i < n && i < max && i < 256; i++)
		pl_uint(w, VHU_F_SHMEM_REGION_SIZE, 8 + (uint32_t)i * 8, NULL, -1);
}

static void lay_u64_named(struct walker *w, int field, const char *what)
{
	uint64_t v;

	if (pl_uint(w, field, 0, &v, -1)) {
		sum_str(w, " ");
		sum_str(w, what);
		sum_name_dec(w, "=", v);
	}
}

static void lay_status(struct walker *w)
{
	uint64_t v;

	if (!pl_uint(w, VHU_F_STATUS, 0, &v, VHU_ETT_STATUS))
		return;
	sum_name_hex(w, " status=0x", v);
	bits_items(w, 0, 8, v, vhu_bits_status, NULL, VHU_F_FEATURE_UNKNOWN, true);
	pop(w);
}

static void lay_rarp(struct walker *w)
{
	char mac[24];
	const uint8_t *p;

	if (!have(w, 0, 6))
		return;
	p = w->pl;
	vhu_snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3], p[4], p[5]);
	string_node(w, VHU_F_RARP_MAC, PL_OFF(0), 6, mac, strlen(mac), false);
	sum_add(w, " mac=%s", mac);
	pl_bytes(w, VHU_F_PADDING, 6, w->plen > 6 ? w->plen - 6 : 0);
}

static void lay_ack(struct walker *w)
{
	char text[VHU_TEXT_MAX];
	struct vhu_node n;
	uint64_t v;

	if (!have(w, 0, 8))
		return;
	v = vhu_get_le64(w->pl);
	if (v == 0) {
		pl_uint(w, VHU_F_ACK, 0, NULL, -1);
	} else {
		/* any non-zero value is a failure: QEMU sends 1, rust-vmm a
		 * negated errno */
		vhu_snprintf(text, sizeof(text), "%s: failure (%" PRIu64 ")", vhu_field_get(VHU_F_ACK)->label, v);
		node_init(&n, VHU_F_ACK, PL_OFF(0), 8);
		n.value = v;
		n.text = text;
		emit(w, &n, -1);
	}
	if (v) {
		sum_name_dec(w, " FAILED(", v);
		sum_str(w, ")");
		note(w, VHU_N_ACK_FAILURE, "The peer reports failure (%" PRIu64 ")", v);
	} else {
		sum_str(w, " ok");
	}
}

static void gpu_pos(struct walker *w, uint32_t off)
{
	uint64_t id, x, y;

	pl_uint(w, VHU_F_GPU_SCANOUT_ID, off, &id, -1);
	pl_uint(w, VHU_F_GPU_X, off + 4, &x, -1);
	if (pl_uint(w, VHU_F_GPU_Y, off + 8, &y, -1))
		sum_add(w, " scanout=%" PRIu64 " x=%" PRIu64 " y=%" PRIu64, id, x, y);
}

static void gpu_rect(struct walker *w)
{
	uint64_t id, x, y, wd, ht;

	pl_uint(w, VHU_F_GPU_SCANOUT_ID, 0, &id, -1);
	pl_uint(w, VHU_F_GPU_X, 4, &x, -1);
	pl_uint(w, VHU_F_GPU_Y, 8, &y, -1);
	pl_uint(w, VHU_F_GPU_WIDTH, 12, &wd, -1);
	if (pl_uint(w, VHU_F_GPU_HEIGHT, 16, &ht, -1))
		sum_add(w, " scanout=%" PRIu64 " %" PRIu64 "x%" PRIu64 "+%" PRIu64 "+%" PRIu64, id, wd, ht, x, y);
}

static void gpu_dmabuf(struct walker *w, bool v2)
{
	gpu_rect(w);
	pl_uint(w, VHU_F_GPU_FD_WIDTH, 20, NULL, -1);
	pl_uint(w, VHU_F_GPU_FD_HEIGHT, 24, NULL, -1);
	pl_uint(w, VHU_F_GPU_FD_STRIDE, 28, NULL, -1);
	pl_uint(w, VHU_F_GPU_FD_FLAGS, 32, NULL, -1);
	pl_uint(w, VHU_F_GPU_FD_FOURCC, 36, NULL, -1);
	if (v2)
		pl_uint(w, VHU_F_GPU_MODIFIER, 40, NULL, -1);
}

static void gpu_ctrl_hdr(struct walker *w)
{
	pl_uint(w, VHU_F_GPU_HDR_TYPE, 0, NULL, -1);
	pl_uint(w, VHU_F_GPU_HDR_FLAGS, 4, NULL, -1);
	pl_uint(w, VHU_F_GPU_HDR_FENCE, 8, NULL, -1);
	pl_uint(w, VHU_F_GPU_HDR_CTX, 16, NULL, -1);
	pl_uint(w, VHU_F_GPU_HDR_RING, 20, NULL, -1);
	pl_bytes(w, VHU_F_PADDING, 21, 3);
}

static void lay_gpu_display_info(struct walker *w)
{
	uint32_t i, enabled = 0;

	gpu_ctrl_hdr(w);
	for (i = 0; i < 16; i++) {
		uint32_t off = 24 + i * 24;

		if (!have(w, off, 24))
			break;
		if (!vhu_get_le32(w->pl + off + 16) && !vhu_get_le32(w->pl + off + 8))
			continue; /* disabled and empty: not worth a subtree */
		enabled++;
		text_node(w, VHU_F_GPU_PMODE, PL_OFF(off), 24, VHU_ETT_GPU, "Display %u: %ux%u+%u+%u", i,
			  vhu_get_le32(w->pl + off + 8), vhu_get_le32(w->pl + off + 12),
			  vhu_get_le32(w->pl + off), vhu_get_le32(w->pl + off + 4));
		pl_uint(w, VHU_F_GPU_X, off, NULL, -1);
		pl_uint(w, VHU_F_GPU_Y, off + 4, NULL, -1);
		pl_uint(w, VHU_F_GPU_WIDTH, off + 8, NULL, -1);
		pl_uint(w, VHU_F_GPU_HEIGHT, off + 12, NULL, -1);
		pl_uint(w, VHU_F_GPU_PMODE_ENABLED, off + 16, NULL, -1);
		pl_uint(w, VHU_F_GPU_PMODE_FLAGS, off + 20, NULL, -1);
		pop(w);
	}
	sum_add(w, " %u display%s", enabled, enabled == 1 ? "" : "s");
}

static void lay_gpu_edid(struct walker *w)
{
	uint64_t size;

	gpu_ctrl_hdr(w);
	if (!pl_uint(w, VHU_F_GPU_EDID_SIZE, 24, &size, -1))
		return;
	pl_bytes(w, VHU_F_PADDING, 28, 4);
	pl_bytes(w, VHU_F_GPU_EDID, 32, size < 1024 ? (uint32_t)size : 1024);
	sum_add(w, " edid=%" PRIu64 " bytes", size);
}

/* ---- the layout table ----------------------------------------------------- */

/* Layouts that are one of the walkers above with their own fields. */
static void lay_nothing(struct walker *w)
{
	(void)w;	/* no payload: nothing to read */
}

static void lay_virtio_features(struct walker *w)
{
	const struct vhu_msg_info *mi = w->mi;

	lay_features(w, VHU_F_FEATURES, vhu_bits_transport, mi->device ? vhu_device_bits(mi->device) : NULL,
		     VHU_F_FEATURE_UNKNOWN, VHU_ETT_FEATURES, "features");
}

static void lay_protocol_features(struct walker *w)
{
	lay_features(w, VHU_F_PROTOCOL_FEATURES, vhu_bits_protocol, NULL,
		     VHU_F_PROTOCOL_FEATURE_UNKNOWN, VHU_ETT_PROTOCOL_FEATURES, "protocol_features");
}

static void lay_gpu_protocol_features(struct walker *w)
{
	lay_features(w, VHU_F_GPU_PROTOCOL_FEATURES, vhu_bits_gpu_protocol, NULL,
		     VHU_F_PROTOCOL_FEATURE_UNKNOWN, VHU_ETT_PROTOCOL_FEATURES, "gpu_features");
}

static void lay_vring_state_num(struct walker *w)
{
	lay_vring_state(w, VHU_F_VRING_STATE_NUM);
}

static void lay_vring_num(struct walker *w)
{
	lay_vring_state(w, VHU_F_VRING_NUM);
}

static void lay_vring_enable(struct walker *w)
{
	lay_vring_state(w, VHU_F_VRING_ENABLE);
}

static void lay_vring_endian(struct walker *w)
{
	lay_vring_state(w, VHU_F_VRING_ENDIAN);
}

static void lay_vring_file(struct walker *w)
{
	vring_file_word(w, VHU_F_VRING_FILE, VHU_F_VRING_FILE_INDEX, VHU_F_VRING_FILE_NOFD, VHU_ETT_VRING_FILE);
}

static void lay_vring_area(struct walker *w)
{
	vring_file_word(w, VHU_F_AREA_U64, VHU_F_AREA_INDEX, VHU_F_AREA_NOFD, VHU_ETT_AREA);
	pl_uint(w, VHU_F_AREA_SIZE, 8, NULL, -1);
	pl_uint(w, VHU_F_AREA_OFFSET, 16, NULL, -1);
}

/* SET_LOG_BASE's reply: empty, a u64, or the log description echoed. */
static void lay_log_reply(struct walker *w)
{
	if (w->plen == 16)
		lay_log(w);
	else if (w->plen == 8)
		lay_u64_named(w, VHU_F_U64, "value");
}

static void lay_session_id(struct walker *w)
{
	uint64_t id;

	if (pl_uint(w, VHU_F_CRYPTO_SESSION_ID, 0, &id, -1))
		sum_add(w, " session=%" PRId64, (int64_t)id);
}

static void lay_queue_num(struct walker *w)
{
	lay_u64_named(w, VHU_F_QUEUE_NUM, "queues");
}

static void lay_max_mem_slots(struct walker *w)
{
	lay_u64_named(w, VHU_F_MAX_MEM_SLOTS, "slots");
}

static void lay_mtu(struct walker *w)
{
	lay_u64_named(w, VHU_F_MTU, "mtu");
}

static void lay_gpu_cursor_pos(struct walker *w)
{
	gpu_pos(w, 0);
}

static void lay_gpu_cursor_update(struct walker *w)
{
	gpu_pos(w, 0);
	pl_uint(w, VHU_F_GPU_HOT_X, 12, NULL, -1);
	pl_uint(w, VHU_F_GPU_HOT_Y, 16, NULL, -1);
	pl_bytes(w, VHU_F_GPU_DATA, 20, 16384);
}

static void lay_gpu_scanout(struct walker *w)
{
	uint64_t id, wd, ht;

	pl_uint(w, VHU_F_GPU_SCANOUT_ID, 0, &id, -1);
	pl_uint(w, VHU_F_GPU_WIDTH, 4, &wd, -1);
	if (pl_uint(w, VHU_F_GPU_HEIGHT, 8, &ht, -1))
		sum_add(w, " scanout=%" PRIu64 " %" PRIu64 "x%" PRIu64, id, wd, ht);
}

static void lay_gpu_update(struct walker *w)
{
	gpu_rect(w);
	if (w->plen > 20)
		pl_bytes(w, VHU_F_GPU_DATA, 20, w->plen - 20);
}

static void lay_gpu_dmabuf_scanout(struct walker *w)
{
	gpu_dmabuf(w, false);
}

static void lay_gpu_dmabuf_scanout2(struct walker *w)
{
	gpu_dmabuf(w, true);
}

static void lay_gpu_edid_request(struct walker *w)
{
	lay_u64_named(w, VHU_F_GPU_SCANOUT_ID, "scanout");
}

/* How long a layout's payload is: tcpdump's REQ_FIXLEN / REQ_MINLEN, and
 * the few layouts that come in more than one size. */
enum size_rule {
	SIZE_MISSING = 0,	/* a layout left out of the table: the table test fails */
	SIZE_ANY,		/* no rule: whatever comes */
	SIZE_FIXED,		/* exactly size[0] bytes */
	SIZE_AT_LEAST,		/* size[0] bytes or more */
	SIZE_ONE_OF,		/* one of the n sizes in size[] */
	SIZE_REGION		/* a memory region: size[0], 8 more with XEN_MMAP */
};

struct layout {
	void (*walk)(struct walker *w);
	enum size_rule rule;
	unsigned n;
	uint32_t size[3];
	uint32_t max;		/* a payload limit of its own above the default, or 0 */
};

/* A config space is at most 4 KiB (rust-vmm checks offset + size against
 * 0x1000; QEMU's limit is 256), behind 12 bytes of offset, size and flags. */
#define CONFIG_SPACE_MAX 4096u
/* An UPDATE carries a rectangle of 32-bit pixels behind 20 bytes of scanout
 * and geometry; Linux's virtio-gpu driver offers displays of at most
 * 8192x8192. */
#define GPU_RECT_MAX (8192u * 8192u * 4u)

#define ROW(fn, r, k, ...) { .walk = fn, .rule = r, .n = k, .size = { __VA_ARGS__ } }
#define ANY(fn) ROW(fn, SIZE_ANY, 0, 0)
#define FIXED(fn, s) ROW(fn, SIZE_FIXED, 1, s)
#define AT_LEAST(fn, s) ROW(fn, SIZE_AT_LEAST, 1, s)
#define AT_LEAST_UP_TO(fn, s, m) \
	{ .walk = fn, .rule = SIZE_AT_LEAST, .n = 1, .size = { s }, .max = m }
#define ONE_OF(fn, n, ...) ROW(fn, SIZE_ONE_OF, n, __VA_ARGS__)
#define REGION(fn, s) ROW(fn, SIZE_REGION, 1, s)

static const struct layout layouts[VHU_L__COUNT] = {
	[VHU_L_NONE] = ANY(lay_nothing),
	[VHU_L_EMPTY] = FIXED(lay_nothing, 0),
	[VHU_L_FEATURES] = FIXED(lay_virtio_features, 8),
	[VHU_L_PROTOCOL_FEATURES] = FIXED(lay_protocol_features, 8),
	[VHU_L_VRING_STATE] = FIXED(lay_vring_state_num, 8),
	[VHU_L_VRING_NUM] = FIXED(lay_vring_num, 8),
	[VHU_L_VRING_ENABLE] = FIXED(lay_vring_enable, 8),
	[VHU_L_VRING_ENDIAN] = FIXED(lay_vring_endian, 8),
	[VHU_L_VRING_BASE] = FIXED(lay_vring_base, 8),
	[VHU_L_VRING_ADDR] = FIXED(lay_vring_addr, 40),
	[VHU_L_VRING_FILE] = FIXED(lay_vring_file, 8),
	[VHU_L_MEM_TABLE] = AT_LEAST(lay_mem_table, 8),
	[VHU_L_MEM_REGION] = REGION(lay_mem_region, 40),
	[VHU_L_LOG] = ONE_OF(lay_log, 2, 8, 16),
	[VHU_L_LOG_REPLY] = ONE_OF(lay_log_reply, 3, 0, 8, 16),
	[VHU_L_IOTLB] = FIXED(lay_iotlb, 32),
	[VHU_L_CONFIG] = AT_LEAST_UP_TO(lay_config, 12, 12 + CONFIG_SPACE_MAX),
	[VHU_L_CRYPTO_SESSION] = ONE_OF(lay_crypto, 2, 632, 1072),
	[VHU_L_VRING_AREA] = FIXED(lay_vring_area, 24),
	[VHU_L_INFLIGHT] = ONE_OF(lay_inflight, 2, 24, 20),
	[VHU_L_SHARED_OBJECT] = FIXED(lay_shared_object, 16),
	[VHU_L_DEVICE_STATE] = FIXED(lay_device_state, 8),
	[VHU_L_DEVICE_STATE_REPLY] = FIXED(lay_device_state_reply, 8),
	[VHU_L_SHMEM_MAP] = FIXED(lay_shmem_map, 40),
	[VHU_L_SHMEM_CONFIG] = FIXED(lay_shmem_config, 2056),
	[VHU_L_STATUS] = FIXED(lay_status, 8),
	[VHU_L_QUEUE_NUM] = FIXED(lay_queue_num, 8),
	[VHU_L_MAX_MEM_SLOTS] = FIXED(lay_max_mem_slots, 8),
	[VHU_L_MTU] = FIXED(lay_mtu, 8),
	[VHU_L_RARP] = FIXED(lay_rarp, 8),
	[VHU_L_ACK] = FIXED(lay_ack, 8),
	[VHU_L_SESSION_ID] = FIXED(lay_session_id, 8),
	[VHU_L_GPU_PROTOCOL_FEATURES] = FIXED(lay_gpu_protocol_features, 8),
	[VHU_L_GPU_CURSOR_POS] = FIXED(lay_gpu_cursor_pos, 12),
	[VHU_L_GPU_CURSOR_UPDATE] = FIXED(lay_gpu_cursor_update, 16404),
	[VHU_L_GPU_SCANOUT] = FIXED(lay_gpu_scanout, 12),
	[VHU_L_GPU_UPDATE] = AT_LEAST_UP_TO(lay_gpu_update, 20, 20 + GPU_RECT_MAX),
	[VHU_L_GPU_DMABUF_SCANOUT] = FIXED(lay_gpu_dmabuf_scanout, 40),
	[VHU_L_GPU_DMABUF_SCANOUT2] = FIXED(lay_gpu_dmabuf_scanout2, 48),
	[VHU_L_GPU_EDID_REQUEST] = FIXED(lay_gpu_edid_request, 4),
	[VHU_L_GPU_DISPLAY_INFO] = FIXED(lay_gpu_display_info, 408),
	[VHU_L_GPU_EDID] = FIXED(lay_gpu_edid, 1056),
};

static const struct layout *layout_of(enum vhu_layout l)
{
	return (unsigned)l < VHU_L__COUNT ? &layouts[l] : &layouts[VHU_L_NONE];
}

bool vhu_layout_described(enum vhu_layout l)
{
	return (unsigned)l < VHU_L__COUNT && layouts[l].walk && layouts[l].rule != SIZE_MISSING;
}

long vhu_layout_size(enum vhu_layout l, const struct vhu_msg_info *mi)
{
	const struct layout *t = layout_of(l);

	switch (t->rule) {
	case SIZE_FIXED:
		return t->size[0];
	case SIZE_REGION:
		return t->size[0] + (xen_regions(mi) ? 8 : 0);
	default:
		return -1;
	}
}

/* The payload limit of a layout, 0 for the default one. */
static uint32_t layout_max(enum vhu_layout l)
{
	return layout_of(l)->max;
}

/* The larger of the two layouts' limits of a row, 0 for no row. */
static uint32_t row_size_limit(unsigned channel, uint32_t request)
{
	const struct vhu_msg_desc *d = vhu_msg_lookup(channel, request);
	uint32_t req, reply;

	if (!d)
		return 0;
	req = layout_max(d->req);
	reply = layout_max(d->reply);
	return req > reply ? req : reply;
}

/* row_size_limit() of every channel and id, made once (vhu_size_limits.h). */
uint32_t vhu_size_limits[VHU_CHAN_GPU + 1][VHU_FE_REQ_MAX + 1];
atomic_bool vhu_size_limits_made;
static pthread_once_t size_limits_once = PTHREAD_ONCE_INIT;

static void make_size_limits(void)
{
	unsigned c;
	uint32_t id;

	for (c = 0; c <= VHU_CHAN_GPU; c++)
		for (id = 0; id <= VHU_FE_REQ_MAX; id++)
			vhu_size_limits[c][id] = row_size_limit(c, id);
	atomic_store_explicit(&vhu_size_limits_made, true, memory_order_release);
}

/* A call apart, so that the reading needs no stack. */
__attribute__((noinline, cold)) uint32_t vhu_size_limit_first(unsigned channel, uint32_t request)
{
	pthread_once(&size_limits_once, make_size_limits);
	return vhu_size_limit(channel, request);
}

uint32_t vhu_msg_size_limit(unsigned channel, uint32_t request)
{
	return vhu_size_limit(channel, request);
}

bool vhu_layout_size_ok(enum vhu_layout l, const struct vhu_msg_info *mi, uint32_t plen)
{
	const struct layout *t = layout_of(l);
	unsigned i;

	switch (t->rule) {
	case SIZE_FIXED:
		return plen == t->size[0];	/* as vhu_layout_size(), without the call */
	case SIZE_REGION:
		return (long)plen == vhu_layout_size(l, mi);
	case SIZE_AT_LEAST:
		return plen >= t->size[0];
	case SIZE_ONE_OF:
		for (i = 0; i < t->n; i++)
			if (plen == t->size[i])
				return true;
		return false;
	case SIZE_ANY:
	case SIZE_MISSING:
		break;
	}
	return true;
}

static void walk_layout(struct walker *w, enum vhu_layout l)
{
	const struct layout *t = layout_of(l);

	if (t->walk)
		t->walk(w);
}

/* The layout of this message, given request or reply and the state. */
static enum vhu_layout pick_layout(const struct vhu_msg_desc *d, const struct vhu_msg *m,
				   const struct vhu_msg_info *mi, uint32_t plen)
{
	if (!mi->is_reply) {
		/* After POSTCOPY_LISTEN the front-end acknowledges the back-end's
		 * table with a SET_MEM_TABLE carrying a u64 0, not a table. */
		if (m->request == VHU_SET_MEM_TABLE && mi->channel == VHU_CHAN_MAIN && mi->postcopy && plen == 8)
			return VHU_L_ACK;
		return d->req;
	}
	if (mi->reply_is_ack)
		return VHU_L_ACK;
	/* A reply nobody waited for (its request was malformed, or came
	 * before the capture): 8 bytes where the reply layout is not 8 bytes
	 * long is a NEED_REPLY ack. */
	if (!mi->matched && plen == 8 && vhu_layout_size(d->reply, mi) != 8)
		return VHU_L_ACK;
	/* ADD_MEM_REG: 8 bytes is a NEED_REPLY ack, 40/48 the old postcopy echo */
	if (d->reply == VHU_L_MEM_REGION && plen == 8)
		return VHU_L_ACK;
	if (d->reply == VHU_L_NONE)
		return plen == 8 ? VHU_L_ACK : VHU_L_EMPTY;
	return d->reply;
}

/* How many fds the message should carry, or -1 if any count is fine. */
static int expected_fds(const struct vhu_msg_desc *d, enum vhu_layout l, const struct vhu_msg *m,
			const struct vhu_msg_info *mi, const uint8_t *pl, uint32_t plen)
{
	enum vhu_fd_rule r = mi->is_reply ? d->reply_fds : d->req_fds;

	/* a NEED_REPLY ack carries no fd; a reply that is a u64 by nature
	 * follows its row (SHARED_OBJECT_LOOKUP's brings the dma-buf) */
	if (l == VHU_L_ACK && (!mi->is_reply || d->reply != VHU_L_ACK))
		return 0;
	switch (r) {
	case VHU_FDS_NONE: return 0;
	case VHU_FDS_ONE: return 1;
	case VHU_FDS_ONE_UNLESS_NOFD:
		if (plen < 8)
			return -1;
		return (vhu_get_le64(pl) & VHU_VRING_NOFD_MASK) ? 0 : 1;
	case VHU_FDS_PER_REGION:
		if (plen < 4)
			return -1;
		return vhu_get_le32(pl) > 255 ? -1 : (int)vhu_get_le32(pl);
	case VHU_FDS_ONE_WITH_LOG_SHMFD:
		if (!mi->pfeatures_set)
			return -1;
		return (mi->pfeatures & VHU_BIT(VHU_PF_LOG_SHMFD)) ? 1 : 0;
	case VHU_FDS_ZERO_OR_ONE:
		if (l == VHU_L_DEVICE_STATE_REPLY && plen >= 8)
			return (vhu_get_le64(pl) & 0x100) ? 0 : 1;
		return m->nfds <= 1 ? (int)m->nfds : 1;
	case VHU_FDS_ANY: return -1;
	}
	return -1;
}

/* One passed fd's subtree (a tree only: its escaped name is a summary's
 * largest cost otherwise). */
static void fd_subtree(struct walker *w, const struct vhu_fdinfo *fd)
{
	char name[4 * VHU_FD_NAME_MAX];
	size_t name_len = vhu_escape(name, sizeof(name), fd->name, sizeof(fd->name));

	fd_node(w, VHU_F_FD, "fd ", fd->fd, fd->kind, name, name_len);
	uint_node(w, VHU_F_FD_KIND, 0, 0, fd->kind, -1, true);
	string_node(w, VHU_F_FD_NAME, 0, 0, fd->name, strlen(fd->name), true);
	uint_node(w, VHU_F_FD_INO, 0, 0, fd->ino, -1, true);
	pop(w);
}

/* The fds a summary names by kind; more are "...". */
#define SUM_FD_KINDS 4
_Static_assert(SUM_FD_KINDS <= 4, "sum_key() keeps their kinds in the key's upper half");

static void walk_fds(struct walker *w)
{
	const struct vhu_msg *m = w->m;
	uint32_t i, shown = m->nfd_info;

	if (!m->nfds)
		return;
	uint_node(w, VHU_F_NFDS, 0, 0, m->nfds, VHU_ETT_FDS, true);
	sum_name_dec(w, " fds=", m->nfds);
	sum_str(w, "(");
	for (i = 0; i < shown; i++) {
		const struct vhu_fdinfo *fd = &m->fds[i];

		if (!w->no_tree)
			fd_subtree(w, fd);
		if (i < SUM_FD_KINDS) {
			if (i)
				sum_str(w, ",");
			sum_str(w, vhu_fd_kind_name(fd->kind));
		}
	}
	if (shown < m->nfds)
		note(w, VHU_N_FDS_UNDESCRIBED, "%u fds came with the message, %u are described",
		     m->nfds, shown);
	sum_str(w, m->nfds > SUM_FD_KINDS ? ",...)" : ")");
	pop(w);
}

/* The flags word and its bits (the subtree is left open for a note). */
static void flags_items(struct walker *w)
{
	const struct vhu_msg *m = w->m;
	uint8_t channel = w->mi->channel;

	uint_node(w, VHU_F_FLAGS, 4, 4, m->flags, VHU_ETT_FLAGS, false);
	if (channel != VHU_CHAN_GPU)
		uint_node(w, VHU_F_FLAGS_VERSION, 4, 4, m->flags, -1, false);
	uint_node(w, VHU_F_FLAGS_REPLY, 4, 4, m->flags, -1, false);
	if (channel != VHU_CHAN_GPU)
		uint_node(w, VHU_F_FLAGS_NEED_REPLY, 4, 4, m->flags, -1, false);
	if (m->flags & VHU_FLAG_RESERVED_MASK)
		uint_node(w, VHU_F_FLAGS_RESERVED, 4, 4, m->flags, -1, false);
}

/* The header's items are drawn only in a tree; its notes always come. */
static void walk_header(struct walker *w, const struct vhu_msg_desc *d)
{
	const struct vhu_msg *m = w->m;
	const struct vhu_msg_info *mi = w->mi;
	int req_field = mi->channel == VHU_CHAN_BACKEND ? VHU_F_BACKEND_REQUEST :
			mi->channel == VHU_CHAN_GPU ? VHU_F_GPU_REQUEST : VHU_F_REQUEST;

	uint_node(w, req_field, 0, 4, m->request, -1, false);
	if (!d)
		note(w, VHU_N_UNKNOWN_REQUEST, "Unknown %s request %u",
		     vhu_channel_side(mi->channel), m->request);
	if (!w->no_tree)
		flags_items(w);
	if (m->flags & VHU_FLAG_RESERVED_MASK)
		note(w, VHU_N_RESERVED_FLAGS, "Reserved flag bits 0x%08x set", m->flags & VHU_FLAG_RESERVED_MASK);
	pop(w);
	uint_node(w, VHU_F_SIZE, 8, 4, m->size, -1, false);
	if (m->status == VHU_MSG_OVERSIZE)
		note(w, VHU_N_OVERSIZE, "Payload size %u exceeds the limit of %u bytes: not decoded",
		     m->size, m->limit ? m->limit : w->limit);
}

static void walk_links(struct walker *w)
{
	const struct vhu_msg_info *mi = w->mi;

	if (!mi->is_reply && mi->reply_frame)
		uint_node(w, VHU_F_RESPONSE_IN, 0, 0, mi->reply_frame, -1, true);
	if (mi->is_reply && mi->matched && !w->no_tree) {
		char text[VHU_TEXT_MAX];
		struct vhu_text t = { text, sizeof(text), 0 };
		struct vhu_node n;

		uint_node(w, VHU_F_RESPONSE_TO, 0, 0, mi->request_frame, -1, true);
		node_init(&n, VHU_F_TIME, 0, 0);
		vhu_text_str(&t, vhu_field_get(VHU_F_TIME)->label);
		vhu_text_put(&t, ": ", 2);
		vhu_text_u64(&t, mi->latency_ns / 1000000000u, 0, false);
		vhu_text_put(&t, ".", 1);
		vhu_text_u64(&t, mi->latency_ns % 1000000000u, 9, true);
		vhu_text_put(&t, " seconds", 8);
		n.text_len = vhu_text_end(&t);
		n.value = mi->latency_ns;
		n.generated = 1;
		n.text = text;
		emit(w, &n, -1);
	}
}

static void walk_finding(struct walker *w, const struct vhu_finding *f)
{
	const struct vhu_rule *r = vhu_rule_get(f->rule);

	if (!r)
		return;
	if (!w->no_tree)
		string_node(w, VHU_F_FINDING, 0, 0, r->id, strlen(r->id), true);
	note_text(w, VHU_NOTE_OF_RULE(f->rule), f->text);
	sum_str(w, " [!");
	sum_str(w, r->id);
	sum_str(w, "]");
}

/* The rules' findings (the session decided them; they are only placed). */
static void walk_findings(struct walker *w)
{
	const struct vhu_msg_info *mi = w->mi;
	unsigned i;

	for (i = 0; mi->findings && i < mi->nfindings; i++)
		walk_finding(w, &mi->findings[i]);
	if (mi->late)
		walk_finding(w, mi->late);
}

/* " (reply to #N, M ns)" (or us, ms) after a matched reply's summary,
 * written as one piece: a check and two numbers in place, where piece by
 * piece it was five checks and two calls, on every reply. */
#define SUM_LATENCY_MAX (sizeof(" (reply to #, ") - 1 + 2 * 20 + sizeof(" ns)") - 1)
_Static_assert(SUM_LATENCY_MAX <= SUM_PIECE_MAX, "the reply's latency is a piece");

static void sum_latency(struct walker *w)
{
	const struct vhu_msg_info *mi = w->mi;
	uint64_t ns = mi->latency_ns;
	char *p = w->sum + w->slen;

	if (!mi->is_reply || !mi->matched || w->slen >= SUM_MAX)
		return;
	p = put_lit(p, " (reply to #");
	p = vhu_write_dec(p, mi->request_frame);
	p = put_lit(p, ", ");
	if (ns < 10000) {
		p = vhu_write_dec(p, ns);
		p = put_lit(p, " ns)");
	} else if (ns < 10000000) {
		p = vhu_write_dec(p, ns / 1000);
		p = put_lit(p, " us)");
	} else {
		p = vhu_write_dec(p, ns / 1000000);
		p = put_lit(p, " ms)");
	}
	w->slen = (size_t)(p - w->sum);
}

/* Read with its layout, without a walker set up (clearing one was most of
 * what this cost). */
int vhu_walk_expected_fds_by_layout(const struct vhu_msg_desc *d, const struct vhu_msg *m,
				    const struct vhu_msg_info *mi)
{
	const uint8_t *pl = NULL;
	uint32_t plen = 0;

	if (m->len > VHU_HDR_SIZE) {
		pl = m->bytes + VHU_HDR_SIZE;
		plen = m->len - VHU_HDR_SIZE < m->size ? m->len - VHU_HDR_SIZE : m->size;
	}
	return expected_fds(d, pick_layout(d, m, mi, plen), m, mi, pl, plen);
}

/* "vhost-user, NAME[ reply][ (channel)], <side> to <side>"; its length. */
static size_t message_root(char out[VHU_TEXT_MAX], const char *name, const struct vhu_msg_info *mi)
{
	const char *tag = vhu_channel_tag(mi->channel);
	char *p = out;

	_Static_assert(sizeof(VHU_PROTO_NAME ", ") + 4 * LINE_NAME_MAX +
		       sizeof(" reply (), ") + sizeof(" to ") <= VHU_TEXT_MAX,
		       "a message's first line fits a line");
	p = put_lit(p, VHU_PROTO_NAME ", ");
	p = put_name(p, name ? name : "Unknown request");
	if (mi->is_reply)
		p = put_lit(p, " reply");
	if (*tag) {
		p = put_lit(p, " (");
		p = put_name(p, tag);
		p = put_lit(p, ")");
	}
	p = put_lit(p, ", ");
	p = put_name(p, vhu_side_name(mi->sender));
	p = put_lit(p, " to ");
	p = put_name(p, vhu_side_name(mi->sender == VHU_ROLE_BACKEND ? VHU_ROLE_FRONTEND
								   : VHU_ROLE_BACKEND));
	*p = 0;
	return (size_t)(p - out);
}

/* The root item (no line to format without texts).  Inline: a call of
 * its own for every message cost -V more than the copy of it. */
static inline void walk_root(struct walker *w, const char *name)
{
	const struct vhu_msg *m = w->m;
	char root[VHU_TEXT_MAX];
	struct vhu_node n;

	if (w->no_tree)
		return;
	root[0] = 0;
	node_init(&n, VHU_F_NONE, 0, m->len);
	if (!w->no_text && m->len >= VHU_HDR_SIZE)
		n.text_len = message_root(root, name, w->mi);
	else if (!w->no_text)
		vhu_snprintf(root, sizeof(root), "%s, incomplete header (%u bytes)", VHU_PROTO_NAME, m->len);
	n.text = root;
	emit(w, &n, VHU_ETT_ROOT);
}

/* The bytes skipped before the message, told (inline, as walk_root()). */
static inline void note_skipped(struct walker *w)
{
	const struct vhu_msg *m = w->m;

	if (m->skipped && m->started_inside)
		note(w, VHU_N_MIDSTREAM,
		     "Capture started inside a message: its last %u bytes were skipped", m->skipped);
	else if (m->skipped)
		note(w, VHU_N_RESYNC, "%u bytes before this message were skipped to find a header", m->skipped);
}

/* A message cut inside its header: its bytes, and what is missing. */
static void walk_short_message(struct walker *w)
{
	const struct vhu_msg *m = w->m;

	sum_add(w, "[%u bytes, incomplete header]", m->len);
	walk_root(w, NULL);
	note_skipped(w);
	bytes_node(w, VHU_F_TRAILING, 0, m->bytes, m->len);
	note(w, VHU_N_TRUNCATED, "Only %u of 12 header bytes were captured", m->len);
	pop(w);
	sum_end(w);
}

/* What a message's bytes and state decide (d: its row, or NULL): the
 * summary's name, marks, payload and fds, the header's, payload's and
 * fds' nodes and their notes; the rest of the walk (links, findings,
 * latency) follows from the session. */
static void walk_body(struct walker *w, const struct vhu_msg_desc *d,
		      const struct vhu_walk_opts *o)
{
	const struct vhu_msg *m = w->m;
	const struct vhu_msg_info *mi = w->mi;
	bool decodable;

	if (d)
		sum_str(w, d->summary_name);
	else
		sum_add(w, "UNKNOWN(%u)", m->request);
	if (mi->is_reply)
		sum_str(w, " reply");
	if (mi->channel != VHU_CHAN_GPU && (m->flags & VHU_FLAG_NEED_REPLY))
		sum_str(w, " [NEED_REPLY]");

	walk_root(w, d ? d->name : NULL);
	note_skipped(w);
	walk_header(w, d);
	decodable = m->status != VHU_MSG_OVERSIZE && !m->big_endian;
	if (m->big_endian)
		note(w, VHU_N_BIG_ENDIAN, "Recorded on a big-endian host: the payload is in big-endian "
		     "byte order and is not decoded");
	if (d && decodable) {
		enum vhu_layout l = pick_layout(d, m, mi, w->plen);
		long want;

		walk_layout(w, l);
		want = vhu_layout_size(l, mi);
		if (m->status == VHU_MSG_OK && !vhu_layout_size_ok(l, mi, m->size)) {
			if (want >= 0)
				note(w, VHU_N_BAD_SIZE, "Payload size %u, expected %ld", m->size, want);
			else
				note(w, VHU_N_BAD_SIZE, "Payload size %u does not fit the layout", m->size);
		}
		/* bytes beyond what the layout read */
		if (want >= 0 && w->plen > (uint32_t)want)
			pl_bytes(w, VHU_F_TRAILING, (uint32_t)want, w->plen - (uint32_t)want);
	} else if ((decodable || m->big_endian) && w->plen) {
		pl_bytes(w, VHU_F_PAYLOAD, 0, w->plen);
	}
	if (o && o->show_payload && d && decodable && w->plen)
		bytes_node(w, VHU_F_PAYLOAD, VHU_HDR_SIZE, w->pl, w->plen);

	if (m->status == VHU_MSG_TRUNCATED)
		note(w, VHU_N_TRUNCATED, "%u of %u payload bytes were captured", w->plen, m->size);

	walk_fds(w);
}

/* Where a summary-only walk's summary is kept in the emitter's cache: its
 * slot (NULL without one), key and hash. */
struct sum_place {
	struct vhu_sum_slot *s;
	struct vhu_sum_key k;
	uint64_t hash;
};

/* The state's small fields that walk_body() reads, and pfeatures_unknown
 * between them, lie together in struct vhu_msg_info: the key takes them
 * as one word (packing them a byte at a time was a fifth of a found
 * summary's cost). */
#define SUM_STATE_FIRST features_set
_Static_assert(offsetof(struct vhu_msg_info, pfeatures_set) - offsetof(struct vhu_msg_info, SUM_STATE_FIRST) == 1 &&
	       offsetof(struct vhu_msg_info, pfeatures_unknown) - offsetof(struct vhu_msg_info, SUM_STATE_FIRST) == 2 &&
	       offsetof(struct vhu_msg_info, postcopy) - offsetof(struct vhu_msg_info, SUM_STATE_FIRST) == 3 &&
	       offsetof(struct vhu_msg_info, device) - offsetof(struct vhu_msg_info, SUM_STATE_FIRST) == 4 &&
	       offsetof(struct vhu_msg_info, is_reply) - offsetof(struct vhu_msg_info, SUM_STATE_FIRST) == 5 &&
	       offsetof(struct vhu_msg_info, reply_is_ack) - offsetof(struct vhu_msg_info, SUM_STATE_FIRST) == 6 &&
	       offsetof(struct vhu_msg_info, matched) - offsetof(struct vhu_msg_info, SUM_STATE_FIRST) == 7 &&
	       sizeof(bool) == 1, "the state's small fields are eight bytes in a row");

/* Every field of the state that walk_body() reads (pick_layout(), the
 * layouts' packed_ring(), xen_regions() and device bits, the channel),
 * and the fds walk_fds() names.  A layout that reads another field adds
 * it here. */
static inline void sum_key(const struct walker *w, struct vhu_sum_key *k)
{
	const struct vhu_msg *m = w->m;
	const struct vhu_msg_info *mi = w->mi;
	uint32_t i;

	k->features = mi->features;
	k->pfeatures = mi->pfeatures;
	memcpy(&k->state, &mi->SUM_STATE_FIRST, sizeof(k->state));
	/* the counts (sum_found() looks up none above 8 bits), the channel
	 * and a byte a kind */
	k->fds = m->nfds | m->nfd_info << 8 | (uint32_t)mi->channel << 16;
	for (i = 0; i < m->nfd_info && i < SUM_FD_KINDS; i++)
		k->fds |= (uint64_t)m->fds[i].kind << (32 + 8 * i);
}

/* A summary-only walk's body taken from the emitter's summary cache: true
 * when found there (the summary in w->sum), else false, with p->s the
 * slot to keep it in or NULL.  Only a message whose body its bytes and
 * key decide is looked up: what else would be noted (skipped bytes, a
 * cut, an oversize or big-endian payload) is not in them.  A message
 * without a row is never kept, so one found has a row. */
static inline bool sum_found(struct walker *w, struct sum_place *p)
{
	const struct vhu_msg *m = w->m;
	struct vhu_sum_cache *c;

	_Static_assert(VHU_SUM_CACHE_TEXT_MAX <= SUM_MAX, "a kept summary is copied whole");
	p->s = NULL;
	/* the length from VHU_HDR_SIZE to VHU_SUM_CACHE_MSG_MAX: one compare */
	if (!w->no_tree || !w->e->summary_cache || m->status != VHU_MSG_OK || m->skipped ||
	    m->big_endian || m->len - VHU_HDR_SIZE > VHU_SUM_CACHE_MSG_MAX - VHU_HDR_SIZE ||
	    (m->nfds | m->nfd_info) > 0xff || !(c = w->e->summary_cache(w->ctx)))
		return false;
	sum_key(w, &p->k);
	p->hash = vhu_sum_cache_hash(&p->k, m->bytes, m->len);
	p->s = vhu_sum_cache_slot(c, p->hash);
	w->slen = vhu_sum_slot_take(p->s, p->hash, &p->k, m->bytes, m->len, w->sum);
	return w->slen != 0;
}

/* Sets up what a walk of the message's bytes reads (a found summary
 * reads none of it). */
static void walker_message(struct walker *w, const struct vhu_walk_opts *o)
{
	const struct vhu_msg *m = w->m;

	w->limit = o && o->max_payload ? o->max_payload : VHU_DEFAULT_MAX_PAYLOAD;
	w->no_text = o && o->values_only;
	walker_lines(w);
	if (m->len > VHU_HDR_SIZE) {
		w->pl = m->bytes + VHU_HDR_SIZE;
		w->plen = m->len - VHU_HDR_SIZE;
		if (w->plen > m->size)
			w->plen = m->size;
	}
}

/* What follows the body from the session: links, notes, findings, the
 * reply's latency, and the summary handed on.  Inline in both of its
 * places: a found summary's walk is little more than this. */
static inline __attribute__((always_inline)) void walk_session(struct walker *w)
{
	const struct vhu_msg_info *mi = w->mi;

	if (!w->no_tree)	/* links are nodes only */
		walk_links(w);
	if (mi->is_reply && !mi->matched && mi->request_before_capture) {
		const struct vhu_msg_desc *d = vhu_msg_lookup(mi->channel, w->m->request);

		note(w, VHU_N_MIDSTREAM, "Reply to %s, whose request came before the capture started",
		     d ? d->name : "an unknown request");
	}
	if (mi->nfindings || mi->late)	/* checked here: most messages have none */
		walk_findings(w);
	pop(w);

	if (mi->is_reply && mi->matched)
		sum_latency(w);
	sum_end(w);
}

/* The walk of the message's bytes, where no summary was found for it, to
 * its end.  A call of its own: the walk of a found summary then saves
 * none of the registers this needs. */
static __attribute__((noinline)) void walk_bytes(struct walker *w, const struct vhu_walk_opts *o,
						 const struct sum_place *p)
{
	const struct vhu_msg *m = w->m;
	const struct vhu_msg_desc *d;

	walker_message(w, o);
	if (m->len < VHU_HDR_SIZE) {
		walk_short_message(w);
		return;
	}
	d = vhu_msg_lookup(w->mi->channel, m->request);
	walk_body(w, d, o);	/* one call: inlined, as the walk was */
	if (p->s && d && !w->notes)
		vhu_sum_slot_keep(p->s, p->hash, &p->k, m->bytes, m->len, w->sum, w->slen);
	walk_session(w);
}

void vhu_walk_message(const struct vhu_msg *m, const struct vhu_msg_info *mi,
		      const struct vhu_walk_opts *o, const struct vhu_emitter *e, void *ctx)
{
	struct walker w;
	struct sum_place p;

	walker_init(&w);
	w.e = e;
	w.ctx = ctx;
	w.m = m;
	w.mi = mi;
	w.no_tree = o && o->summary_only;
	if (sum_found(&w, &p))
		walk_session(&w);
	else
		walk_bytes(&w, o, &p);
}

/* ---- capture records ------------------------------------------------------- */

static void rec_uint(struct walker *w, int field, uint32_t off, uint32_t len, uint64_t v)
{
	uint_node(w, field, off, len, v, -1, false);
}

/* A record whose number is not the next one of its fd. */
static void note_seq(struct walker *w, const struct vhu_seq_check *k)
{
	if (k->state == VHU_SEQ_GAP)
		note(w, VHU_N_OUT_OF_SEQUENCE,
		     "Record %u of this fd where %u was expected: %u records missing before it, or written later",
		     k->seq, k->expected, k->seq - k->expected);
	else if (k->state == VHU_SEQ_BEHIND)
		note(w, VHU_N_OUT_OF_SEQUENCE,
		     "Record %u of this fd after record %u: written after a later record of the fd",
		     k->seq, k->expected - 1);
}

/* The record's connection, whose line depends on its id alone: from the
 * emitter's cache when it keeps the line. */
static void conn_node(struct walker *w, uint64_t conn_id, const char *conn, size_t conn_len)
{
	char text[VHU_TEXT_MAX];
	const char *line;
	size_t len;

	if (!w->lines) {
		string_node(w, VHU_F_REC_CONN, 16, 8, conn, conn_len, false);
		return;
	}
	len = vhu_line_cache_find(w->lines, VHU_F_REC_CONN, conn_id, &line);
	if (!len) {
		len = vhu_format_string_id(text, sizeof(text), VHU_F_REC_CONN, conn, conn_len);
		vhu_line_cache_keep(w->lines, VHU_F_REC_CONN, conn_id, text, len);
		line = text;
	}
	string_node_line(w, VHU_F_REC_CONN, 16, 8, conn, conn_len, false, line, len);
}

/* The escaped process name of a record's first line. */
#define ROOT_COMM_MAX (4 * 17)

/* "vhost-user capture record, <event>, <comm>[<pid>], conn <conn>, fd <fd>"
 * in out, comm escaped and conn a connection's text; its length. */
static size_t record_root(char out[VHU_TEXT_MAX], const struct vhu_rec_hdr *h,
			  const char *comm, size_t comm_len, const char *conn, size_t conn_len)
{
	char *p = out;

	/* the words, the names, a u32 and an i32 */
	_Static_assert(sizeof(VHU_REC_PROTO_NAME ", ") + LINE_NAME_MAX + ROOT_COMM_MAX +
		       VHU_CONN_TEXT_MAX + sizeof(", [], conn , fd ") + 10 + 11 <= VHU_TEXT_MAX,
		       "a record's first line fits a line");
	p = put_lit(p, VHU_REC_PROTO_NAME ", ");
	p = put_name(p, vhu_event_name(h->event));
	p = put_lit(p, ", ");
	p = put_mem(p, comm, comm_len);
	p = put_lit(p, "[");
	p = vhu_write_dec(p, h->pid);
	p = put_lit(p, "], conn ");
	p = put_mem(p, conn, conn_len);
	p = put_lit(p, ", fd ");
	p = put_int(p, h->fd);
	*p = 0;
	return (size_t)(p - out);
}

/* no_text: every node with its value and an empty text (values_only). */
static void walk_record(const struct vhu_record *r, const char *comm,
			const struct vhu_seq_check *seq, bool no_text,
			const struct vhu_emitter *e, void *ctx)
{
	const struct vhu_rec_hdr *h = &r->h;
	struct walker w;
	struct vhu_node n;
	char text[VHU_TEXT_MAX], conn[VHU_CONN_TEXT_MAX], name[ROOT_COMM_MAX], fdname[VHU_TEXT_MAX];
	size_t conn_len;
	unsigned i;

	walker_init(&w);
	w.e = e;
	w.ctx = ctx;
	w.no_text = no_text;
	walker_lines(&w);
	vhu_format_conn(conn, sizeof(conn), h->conn_id);
	conn_len = strlen(conn);
	text[0] = 0;
	fdname[0] = 0;
	node_init(&n, VHU_F_NONE, 0, h->hdr_len);
	if (!no_text) {
		size_t name_len = vhu_escape(name, sizeof(name), comm && *comm ? comm : "?",
					     VHU_TEXT_MAX);

		n.text_len = record_root(text, h, name, name_len, conn, conn_len);
	}
	n.text = text;
	emit(&w, &n, VHU_ETT_REC);

	rec_uint(&w, VHU_F_REC_EVENT, 3, 1, h->event);
	rec_uint(&w, VHU_F_REC_CALL, 6, 2, h->call);
	rec_uint(&w, VHU_F_REC_PID, 8, 4, h->pid);
	rec_uint(&w, VHU_F_REC_TID, 12, 4, h->tid);
	if (comm && *comm)
		string_node(&w, VHU_F_REC_COMM, 0, 0, comm, strlen(comm), true);
	conn_node(&w, h->conn_id, conn, conn_len);
	rec_uint(&w, VHU_F_REC_CONN_ID, 16, 8, h->conn_id);
	rec_uint(&w, VHU_F_REC_FD, 24, 4, (uint64_t)(int64_t)h->fd);
	uint_node(&w, VHU_F_REC_FLAGS, 28, 2, h->flags, VHU_ETT_REC_FLAGS, false);
	rec_uint(&w, VHU_F_REC_FLAG_PEEK, 28, 2, h->flags);
	rec_uint(&w, VHU_F_REC_FLAG_TRUNC, 28, 2, h->flags);
	rec_uint(&w, VHU_F_REC_FLAG_CTRUNC, 28, 2, h->flags);
	rec_uint(&w, VHU_F_REC_FLAG_SHORT, 28, 2, h->flags);
	rec_uint(&w, VHU_F_REC_FLAG_CUT, 28, 2, h->flags);
	rec_uint(&w, VHU_F_REC_FLAG_LOST, 28, 2, h->flags);
	pop(&w);
	rec_uint(&w, VHU_F_REC_CHANNEL, 30, 1, h->channel);
	rec_uint(&w, VHU_F_REC_ROLE, 31, 1, h->role);
	rec_uint(&w, VHU_F_REC_BYTE_ORDER, 32, 1, h->byte_order);
	rec_uint(&w, VHU_F_REC_NFDS, 33, 1, h->nfds);
	if (h->event == VHU_EV_DATA_SENT || h->event == VHU_EV_DATA_RECV) {
		rec_uint(&w, VHU_F_REC_ORIG_LEN, 36, 4, h->orig_len);
		uint_node(&w, VHU_F_REC_DATA_LEN, 0, 0, r->data_len, -1, true);
	}
	if (r->has_seq)
		rec_uint(&w, VHU_F_REC_SEQ, 0, 0, r->seq);
	for (i = 0; i < r->nfd_items; i++) {
		const struct vhu_rec_fd *fd = &r->fds[i];
		size_t fdname_len = 0;

		if (!no_text)
			fdname_len = vhu_escape(fdname, sizeof(fdname), fd->name, fd->name_len);
		fd_node(&w, VHU_F_REC_FDINFO, "Passed fd ", fd->fd, fd->kind, fdname, fdname_len);
		rec_uint(&w, VHU_F_REC_FD_NUM, 0, 0, (uint64_t)(int64_t)fd->fd);
		rec_uint(&w, VHU_F_REC_FD_KIND, 0, 0, fd->kind);
		string_node(&w, VHU_F_REC_FD_NAME, 0, 0, fd->name, fd->name_len, false);
		rec_uint(&w, VHU_F_REC_FD_DEV, 0, 0, fd->dev);
		rec_uint(&w, VHU_F_REC_FD_INO, 0, 0, fd->ino);
		rec_uint(&w, VHU_F_REC_FD_SIZE, 0, 0, fd->size);
		rec_uint(&w, VHU_F_REC_FD_MODE, 0, 0, fd->mode);
		pop(&w);
	}
	if (r->path)
		string_node(&w, VHU_F_REC_PATH, 0, 0, r->path, r->path_len, false);
	if (r->has_peercred) {
		rec_uint(&w, VHU_F_REC_PEER_PID, 0, 0, r->peer_pid);
		rec_uint(&w, VHU_F_REC_PEER_UID, 0, 0, r->peer_uid);
		rec_uint(&w, VHU_F_REC_PEER_GID, 0, 0, r->peer_gid);
	}
	if (r->has_proc)
		rec_uint(&w, VHU_F_REC_PPID, 0, 0, r->ppid);
	if (r->cmdline) {
		char cmd[VHU_TEXT_MAX];
		uint32_t k, len = r->cmdline_len < sizeof(cmd) - 1 ? r->cmdline_len : (uint32_t)sizeof(cmd) - 1;

		for (k = 0; k < len; k++)
			cmd[k] = r->cmdline[k] ? (char)r->cmdline[k] : ' ';
		while (len && cmd[len - 1] == ' ')
			len--;
		string_node(&w, VHU_F_REC_CMDLINE, 0, 0, cmd, len, false);
	}
	if (r->has_link) {
		vhu_format_conn(conn, sizeof(conn), r->link_conn);
		string_node(&w, VHU_F_REC_LINK, 0, 0, conn, strlen(conn), false);
	}
	if (r->origin)
		rec_uint(&w, VHU_F_REC_ORIGIN, 0, 0, r->origin);
	if (h->flags & VHU_RF_LOST)
		note(&w, VHU_N_BAD_RECORD, "The shim lost records before this one");
	if (seq)
		note_seq(&w, seq);
	pop(&w);
}

void vhu_walk_record(const struct vhu_record *r, const char *comm,
		     const struct vhu_seq_check *seq, const struct vhu_emitter *e, void *ctx)
{
	walk_record(r, comm, seq, false, e, ctx);
}

void vhu_walk_record_values(const struct vhu_record *r, const char *comm,
			    const struct vhu_seq_check *seq, const struct vhu_emitter *e,
			    void *ctx)
{
	walk_record(r, comm, seq, true, e, ctx);
}

void vhu_walk_bad_record(enum vhu_rec_status st, uint32_t len,
			 const struct vhu_emitter *e, void *ctx)
{
	struct walker w;
	struct vhu_node n;
	char text[VHU_TEXT_MAX];
	const char *why = vhu_rec_status_str(st);

	_Static_assert(VHU_TEXT_MAX >= VHU_SUMMARY_READ, "the emitter may read so many");

	walker_init(&w);
	w.e = e;
	w.ctx = ctx;
	vhu_snprintf(text, sizeof(text), "%s, malformed (%s)", VHU_REC_PROTO_NAME, why);
	node_init(&n, VHU_F_NONE, 0, len);
	n.text = text;
	emit(&w, &n, VHU_ETT_REC);
	string_node(&w, VHU_F_REC_MALFORMED, 0, len, why, strlen(why), false);
	note(&w, VHU_N_BAD_RECORD, "Malformed capture record: %s", why);
	pop(&w);
	vhu_snprintf(text, sizeof(text), "[malformed capture record: %s]", why);
	e->summary(ctx, text, strlen(text));
}

void vhu_record_summary(const struct vhu_record *r, const char *comm, char *buf, size_t cap)
{
	const struct vhu_rec_hdr *h = &r->h;
	char conn[VHU_CONN_TEXT_MAX], text[VHU_TEXT_MAX];
	int n;

	vhu_format_conn(conn, sizeof(conn), h->conn_id);
	switch (h->event) {
	case VHU_EV_CONNECT:
	case VHU_EV_ACCEPT:
		vhu_escape(text, sizeof(text), r->path, r->path_len);
		n = vhu_snprintf(buf, cap, "%s %s fd=%d path=%s", h->event == VHU_EV_CONNECT ? "CONNECT" : "ACCEPT",
			     conn, h->fd, text);
		if (r->has_peercred && n > 0 && (size_t)n < cap)
			vhu_snprintf(buf + n, cap - (size_t)n, " peer pid=%u uid=%u", r->peer_pid, r->peer_uid);
		break;
	case VHU_EV_ADOPT:
		if (r->has_link) {
			char link[VHU_CONN_TEXT_MAX];

			vhu_format_conn(link, sizeof(link), r->link_conn);
			vhu_snprintf(buf, cap, "ADOPT %s fd=%d %s channel, arrived over %s", conn, h->fd,
				 vhu_channel_name(h->channel), link);
		} else {
			vhu_snprintf(buf, cap, "ADOPT %s fd=%d %s channel", conn, h->fd, vhu_channel_name(h->channel));
		}
		break;
	case VHU_EV_CLOSE:
		vhu_snprintf(buf, cap, "CLOSE %s fd=%d", conn, h->fd);
		break;
	case VHU_EV_PROCESS_START: {
		char cmd[160], ecmd[4 * sizeof(cmd)];
		uint32_t k, len = r->cmdline_len < sizeof(cmd) - 1 ? r->cmdline_len : (uint32_t)sizeof(cmd) - 1;

		for (k = 0; k < len; k++)
			cmd[k] = r->cmdline && r->cmdline[k] ? (char)r->cmdline[k] : ' ';
		while (len && cmd[len - 1] == ' ')
			len--;
		vhu_escape(ecmd, sizeof(ecmd), cmd, len);
		vhu_escape(text, sizeof(text), comm && *comm ? comm : r->comm, VHU_TEXT_MAX);
		vhu_snprintf(buf, cap, "PROCESS %s[%u] ppid=%u %s%s", text, h->pid, r->ppid,
			 h->call == VHU_CALL_FORK ? "(fork) " : h->call == VHU_CALL_EXEC ? "(exec) " : "",
			 ecmd);
		break;
	}
	case VHU_EV_DATA_SENT:
	case VHU_EV_DATA_RECV:
		vhu_snprintf(buf, cap, "%s %s %u bytes", h->event == VHU_EV_DATA_SENT ? "SENT" : "RECV", conn, r->data_len);
		break;
	default:
		vhu_snprintf(buf, cap, "event %u (unknown to this version)", h->event);
		break;
	}
}
