/* SPDX-License-Identifier: MIT */
/* \summary: tree-line text for fields (shared by the plugin and the decoder) */
#include "vhu_format.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a bounded text builder ------------------------------------------------ */

/*
 * Every line of a tree and every summary is built from a label, a few
 * numbers and names.  snprintf parses its format, sets up a FILE and
 * formats through locale-aware code for each of them, which was most of
 * the time of `vhost-user-decode -V` (bench/decoder/RESULTS.md); these
 * pieces are put here directly.  Like snprintf, the builder keeps the
 * first cap - 1 bytes, NUL-terminates and counts every byte it was given.
 */
/* A piece that does not fit whole: what fits is kept, all of it counted. */
static void put_clipped(struct vhu_text *o, const char *s, size_t len)
{
	if (o->n < o->cap) {
		size_t room = o->cap - o->n;

		memcpy(o->p + o->n, s, len < room ? len : room);
	}
	o->n += len;
}

/* Is there room for len more bytes and the NUL? */
static inline bool fits(const struct vhu_text *o, size_t len)
{
	return o->n < o->cap && len < o->cap - o->n;
}

/* Inlined, so that the constant pieces (" = ", ": ") are plain stores. */
static inline void put(struct vhu_text *o, const char *s, size_t len)
{
	if (fits(o, len)) {
		memcpy(o->p + o->n, s, len);
		o->n += len;
	} else {
		put_clipped(o, s, len);
	}
}

static void put_fill(struct vhu_text *o, char c, size_t len)
{
	static const char zeros[] = "0000000000000000", spaces[] = "                ";

	while (len) {
		size_t k = len < sizeof(zeros) - 1 ? len : sizeof(zeros) - 1;

		put(o, c == '0' ? zeros : spaces, k);
		len -= k;
	}
}

/* "00".."99", and "00".."ff": numbers are written two digits at a time. */
#define DEC_ROW(t) t "0" t "1" t "2" t "3" t "4" t "5" t "6" t "7" t "8" t "9"
#define HEX_ROW(t) DEC_ROW(t) t "a" t "b" t "c" t "d" t "e" t "f"
const char vhu_dec_pairs[] = DEC_ROW("0") DEC_ROW("1") DEC_ROW("2") DEC_ROW("3")
	DEC_ROW("4") DEC_ROW("5") DEC_ROW("6") DEC_ROW("7") DEC_ROW("8") DEC_ROW("9");
static const char hex_pairs[] = HEX_ROW("0") HEX_ROW("1") HEX_ROW("2") HEX_ROW("3")
	HEX_ROW("4") HEX_ROW("5") HEX_ROW("6") HEX_ROW("7") HEX_ROW("8") HEX_ROW("9")
	HEX_ROW("a") HEX_ROW("b") HEX_ROW("c") HEX_ROW("d") HEX_ROW("e") HEX_ROW("f");

const uint64_t vhu_pow10[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
	1000000000000ull, 10000000000000ull, 100000000000000ull,
	1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
	1000000000000000000ull, 10000000000000000000ull
};

static inline unsigned hex_len(uint64_t v)
{
	return (unsigned)(67 - __builtin_clzll(v | 1)) / 4;
}

/* The last len hex digits of v (leading zeros if v has fewer), ending
 * just before end. */
static inline void write_hex(char *end, uint64_t v, unsigned len, bool upper)
{
	if (upper) {
		while (len--) {
			*--end = "0123456789ABCDEF"[v & 15];
			v >>= 4;
		}
		return;
	}
	for (; len >= 2; len -= 2) {
		end -= 2;
		memcpy(end, hex_pairs + 2 * (v & 0xff), 2);
		v >>= 8;
	}
	if (len)
		end[-1] = hex_pairs[2 * (v & 15) + 1];
}

/* v (a minus sign before it if neg), right-aligned in width columns,
 * padded with zeros after the sign or with spaces before it. */
static void put_num(struct vhu_text *o, uint64_t v, bool neg, unsigned base, bool upper,
		    unsigned width, bool zero)
{
	unsigned digits = base == 16 ? hex_len(v) : vhu_dec_len(v);
	size_t len = digits + neg, pad = width > len ? width - len : 0;
	char buf[24], *p;

	if (fits(o, pad + len)) {	/* the common case: straight into out */
		p = o->p + o->n;
		o->n += pad + len;
		if (zero && neg)
			*p++ = '-';
		if (zero && base == 16) {	/* the zeros are hex digits of v */
			write_hex(p + pad + digits, v, (unsigned)pad + digits, upper);
			return;
		}
		if (base == 16)
			write_hex(p + pad + len - (zero && neg), v, digits, upper);
		else
			vhu_write_dec_back(p + pad + len - (zero && neg), v, digits);
		if (pad)
			memset(p, zero ? '0' : ' ', pad);
		if (neg && !zero)
			p[pad] = '-';
		return;
	}
	if (neg && zero)
		put(o, "-", 1);
	put_fill(o, zero ? '0' : ' ', pad);
	if (neg && !zero)
		put(o, "-", 1);
	if (base == 16)
		write_hex(buf + digits, v, digits, upper);
	else
		vhu_write_dec_back(buf + digits, v, digits);
	put(o, buf, digits);
}

/* v in decimal, as "%" PRIu64 */
static inline void put_dec(struct vhu_text *o, uint64_t v)
{
	unsigned len = vhu_dec_len(v);

	if (!fits(o, len)) {
		put_num(o, v, false, 10, false, 0, false);
		return;
	}
	o->n = (size_t)(vhu_write_dec(o->p + o->n, v) - o->p);
}

static void put_str(struct vhu_text *o, const char *s)
{
	put(o, s, strlen(s));
}

/* NUL-terminates what fits; returns the full length, as snprintf does. */
static size_t put_end(struct vhu_text *o)
{
	if (o->cap)
		o->p[o->n < o->cap ? o->n : o->cap - 1] = 0;
	return o->n;
}

/* NUL-terminates what fits; returns the length of the text in out. */
static size_t put_end_text(struct vhu_text *o)
{
	put_end(o);
	return o->cap ? (o->n < o->cap ? o->n : o->cap - 1) : 0;
}

static inline unsigned field_bits(const struct vhu_field *f)
{
	switch (f->type) {
	case VHU_FT_U8: return 8;
	case VHU_FT_U16: return 16;
	case VHU_FT_U32: case VHU_FT_I32: return 32;
	case VHU_FT_U64: case VHU_FT_I64: return 64;
	case VHU_FT_BOOL: return (unsigned)f->base;
	default: return 0;
	}
}

unsigned vhu_field_bits(const struct vhu_field *f)
{
	return field_bits(f);
}

/* Length of the pattern of width bits: a space between nibbles. */
static size_t pattern_len(unsigned width)
{
	return width + width / 4 - 1;
}

/*
 * The pattern of a width that is a multiple of 4 (out has room for all of
 * it): the dots of a mask without bits, then the mask's bits filled in.
 * A flag word's line shows one bit, so this is a copy and a store or two.
 */
static void bitpattern_fill(char *out, uint64_t mask, uint64_t value, unsigned width)
{
	static const char dots[] = ".... .... .... .... .... .... .... .... "
				   ".... .... .... .... .... .... .... ....";

	switch (width) {	/* constant sizes: inline copies */
	case 8: memcpy(out, dots, 9); break;
	case 16: memcpy(out, dots, 19); break;
	case 32: memcpy(out, dots, 39); break;
	case 64: memcpy(out, dots, 79); break;
	default: memcpy(out, dots, pattern_len(width)); break;
	}
	if (width < 64)
		mask &= ((uint64_t)1 << width) - 1;
	for (; mask; mask &= mask - 1) {
		unsigned bit = (unsigned)__builtin_ctzll(mask), k = width - 1 - bit;

		out[k + k / 4] = (char)('0' + ((value >> bit) & 1));
	}
}

void vhu_format_bitpattern(char *out, size_t cap, uint64_t mask, uint64_t value,
			   unsigned width)
{
	size_t n = 0;
	unsigned i;

	if (width % 4 == 0 && width <= 64 && cap > width + width / 4) {
		bitpattern_fill(out, mask, value, width);
		out[pattern_len(width)] = 0;
		return;
	}
	for (i = width; i-- > 0;) {
		uint64_t bit = (uint64_t)1 << i;

		if (n + 2 >= cap)
			break;
		out[n++] = (mask & bit) ? ((value & bit) ? '1' : '0') : '.';
		if (i % 4 == 0 && i != 0)
			out[n++] = ' ';
	}
	out[n] = 0;
}

void vhu_format_conn(char *out, size_t cap, uint64_t conn)
{
	struct vhu_text o = { out, cap, 0 };

	put_dec(&o, conn >> 32);
	put(&o, ".", 1);
	put_dec(&o, conn & 0xffffffffu);
	put_end(&o);
}

/* How a field's number is written, from its type and base. */
enum number_kind { NK_DEC, NK_HEX, NK_DEC_HEX, NK_HEX_DEC, NK_I32, NK_HEX32, NK_I64 };

/* The longest number: "0x", 16 digits, " (", 20 digits and ")". */
#define NUMBER_MAX 48

static enum number_kind number_kind(const struct vhu_field *f)
{
	if (f->type == VHU_FT_I32)
		return f->base == VHU_BASE_HEX ? NK_HEX32 : NK_I32;
	if (f->type == VHU_FT_I64)
		return NK_I64;
	switch (f->base) {
	case VHU_BASE_HEX: return NK_HEX;
	case VHU_BASE_DEC_HEX: return NK_DEC_HEX;
	case VHU_BASE_HEX_DEC: return NK_HEX_DEC;
	default: return NK_DEC;
	}
}

static inline char *write_u64(char *p, uint64_t v)
{
	if (v < 10) {	/* most values of a tree: flags, counts, indexes */
		*p = (char)('0' + v);
		return p + 1;
	}
	return vhu_write_dec(p, v);
}

static inline char *write_i64(char *p, int64_t v)
{
	if (v >= 0)
		return write_u64(p, (uint64_t)v);
	*p++ = '-';
	return write_u64(p, (uint64_t)0 - (uint64_t)v);
}

/* "0x" and at least digits hex digits. */
static inline char *write_0x(char *p, uint64_t v, unsigned digits)
{
	unsigned len = hex_len(v);

	if (len < digits)
		len = digits;
	memcpy(p, "0x", 2);
	write_hex(p + 2 + len, v, len, false);
	return p + 2 + len;
}

/* The number of a value as its field shows it (digits: the field's hex
 * digits), at most NUMBER_MAX bytes at p; returns its end. */
static char *write_number(char *p, enum number_kind k, unsigned digits, uint64_t v)
{
	switch (k) {
	case NK_I32:
		return write_i64(p, (int32_t)v);
	case NK_HEX32:
		return write_0x(p, (uint32_t)v, 8);
	case NK_I64:
		return write_i64(p, (int64_t)v);
	case NK_HEX:
		return write_0x(p, v, digits);
	case NK_DEC_HEX:
		p = write_u64(p, v);
		memcpy(p, " (", 2);
		p = write_0x(p + 2, v, digits);
		*p++ = ')';
		return p;
	case NK_HEX_DEC:
		p = write_0x(p, v, digits);
		memcpy(p, " (", 2);
		p = write_u64(p + 2, v);
		*p++ = ')';
		return p;
	case NK_DEC:
		break;
	}
	return write_u64(p, v);
}

static void put_value_number(struct vhu_text *o, const struct vhu_field *f, uint64_t v)
{
	char buf[NUMBER_MAX];

	put(o, buf, (size_t)(write_number(buf, number_kind(f), field_bits(f) / 4, v) - buf));
}

/* The value part, after the label: "NAME (number)" or the number. */
static void put_value(struct vhu_text *o, const struct vhu_field *f, uint64_t v)
{
	if (f->vals) {
		const char *name = vhu_val_name(f->vals, v);

		put_str(o, name ? name : "Unknown");
		put(o, " (", 2);
		put_value_number(o, f, v);
		put(o, ")", 1);
	} else {
		put_value_number(o, f, v);
	}
}

/* "pattern = Label: " of a masked field. */
static void put_masked_label(struct vhu_text *o, const struct vhu_field *f, uint64_t v)
{
	unsigned width = field_bits(f);
	char pat[96];

	if (width % 4 == 0 && width && width <= 64 && fits(o, pattern_len(width))) {
		bitpattern_fill(o->p + o->n, f->mask, v, width);
		o->n += pattern_len(width);
	} else {
		vhu_format_bitpattern(pat, sizeof(pat), f->mask, v, width);
		put_str(o, pat);
	}
	put(o, " = ", 3);
	put_str(o, f->label);
	put(o, ": ", 2);
}

size_t vhu_format_uint(char *out, size_t cap, const struct vhu_field *f, uint64_t v)
{
	struct vhu_text o = { out, cap, 0 };

	if (f->type == VHU_FT_BOOL) {
		put_masked_label(&o, f, v);
		if (v & f->mask)
			put(&o, "Set", 3);
		else
			put(&o, "Not set", 7);
	} else if (f->mask) {
		put_masked_label(&o, f, v);
		put_value(&o, f, vhu_field_value(f, v));
	} else {
		put_str(&o, f->label);
		put(&o, ": ", 2);
		put_value(&o, f, v);
	}
	return put_end_text(&o);
}

void vhu_text_put(struct vhu_text *t, const char *s, size_t len)
{
	put(t, s, len);
}

void vhu_text_str(struct vhu_text *t, const char *s)
{
	put_str(t, s);
}

void vhu_text_u64(struct vhu_text *t, uint64_t v, unsigned width, bool zero)
{
	if (width)
		put_num(t, v, false, 10, false, width, zero);
	else
		put_dec(t, v);
}

size_t vhu_text_end(struct vhu_text *t)
{
	return put_end_text(t);
}

/* ---- the fixed text of each field ------------------------------------------ */

/*
 * What comes before a field's value never changes: "Label: ", or for a
 * masked field its bit pattern with the mask's bits drawn as 0, " = ",
 * the label and ": ".  vhu_format_init() writes it once for every field,
 * so that a line is one copy, the pattern's 1 bits and the value, where
 * it was a pattern drawn, a label measured and five pieces copied.
 */
struct field_text {
	const struct vhu_field *f;
	uint32_t off;		/* in field_texts */
	uint8_t len;		/* 0: none, the line is built a piece at a time */
	uint8_t width;		/* a masked field's pattern width, else 0 */
	uint8_t kind;		/* enum number_kind */
	uint8_t value_max;	/* the longest value part: room to check once */
};

/* The texts are copied 16 bytes at a time (two moves, not a call or a
 * string instruction), up to 15 bytes past their end: the store has that
 * much more, and so must out. */
#define TEXT_BLOCK 16

static inline size_t blocks_len(size_t len)
{
	return (len + TEXT_BLOCK - 1) / TEXT_BLOCK * TEXT_BLOCK;
}

static inline void copy_blocks(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += TEXT_BLOCK)
		memcpy(dst + i, src + i, TEXT_BLOCK);
}

static struct field_text *field_text;	/* by field id */
static char *field_texts;
static int nfield_text;

/* Is the fixed text of this field a pattern (and which width)? */
static unsigned pattern_width(const struct vhu_field *f)
{
	unsigned width = field_bits(f);

	if (f->type != VHU_FT_BOOL && !f->mask)
		return 0;
	return width && width % 4 == 0 && width <= 64 ? width : 0;
}

/* The fixed text of f into out; its length, 0 if it has none. */
static size_t make_field_text(char *out, size_t cap, const struct vhu_field *f)
{
	struct vhu_text o = { out, cap, 0 };
	unsigned width = pattern_width(f);

	if (!width && (f->type == VHU_FT_BOOL || f->mask))
		return 0;	/* a pattern of another width: drawn bit by bit */
	if (width) {
		if (!fits(&o, pattern_len(width)))
			return 0;
		bitpattern_fill(out, f->mask, 0, width);
		o.n = pattern_len(width);
		put(&o, " = ", 3);
	}
	put_str(&o, f->label);
	put(&o, ": ", 2);
	return fits(&o, 0) && o.n <= UINT8_MAX ? o.n : 0;
}

/* The longest value part of f ("Not set", "NAME (number)", the number). */
static size_t value_max(const struct vhu_field *f)
{
	const struct vhu_val *val;
	size_t name = 7;	/* "Unknown", "Not set" */

	if (f->type == VHU_FT_BOOL)
		return name;
	if (!f->vals)
		return NUMBER_MAX;
	for (val = f->vals; val->name; val++)
		if (strlen(val->name) > name)
			name = strlen(val->name);
	return name + 3 + NUMBER_MAX;
}

void vhu_format_init(void)
{
	int id, n = vhu_field_count();
	size_t total = 0, len;
	char buf[256];

	if (field_text)
		return;
	for (id = 0; id < n; id++)
		total += make_field_text(buf, sizeof(buf), vhu_field_get(id));
	field_texts = calloc(total + TEXT_BLOCK, 1);
	field_text = calloc((size_t)n, sizeof(*field_text));
	if (!field_texts || !field_text) {
		free(field_texts);
		free(field_text);
		field_texts = NULL;
		field_text = NULL;
		return;
	}
	total = 0;
	for (id = 0; id < n; id++) {
		const struct vhu_field *f = vhu_field_get(id);

		len = make_field_text(buf, sizeof(buf), f);
		memcpy(field_texts + total, buf, len);
		field_text[id].f = f;
		field_text[id].off = (uint32_t)total;
		field_text[id].len = value_max(f) <= UINT8_MAX ? (uint8_t)len : 0;
		field_text[id].width = (uint8_t)pattern_width(f);
		field_text[id].kind = (uint8_t)number_kind(f);
		field_text[id].value_max = (uint8_t)value_max(f);
		total += len;
	}
	nfield_text = n;
}

/* The line of a field without a fixed text (or without the room to copy
 * it in blocks). */
static size_t format_uint_slowly(char *out, size_t cap, int id, uint64_t v)
{
	const struct vhu_field *f = vhu_field_get(id);

	if (f)
		return vhu_format_uint(out, cap, f, v);
	if (cap)
		out[0] = 0;
	return 0;
}

/* "NAME (number)" or the number, at p; returns its end.  There is room
 * for the field's value_max bytes. */
static char *write_value(char *p, const struct field_text *t, uint64_t v)
{
	const struct vhu_field *f = t->f;
	unsigned digits = field_bits(f) / 4;
	const char *name;
	size_t len;

	if (!f->vals)
		return write_number(p, (enum number_kind)t->kind, digits, v);
	name = vhu_val_name(f->vals, v);
	if (!name)
		name = "Unknown";
	len = strlen(name);
	memcpy(p, name, len);
	p += len;
	memcpy(p, " (", 2);
	p = write_number(p + 2, (enum number_kind)t->kind, digits, v);
	*p++ = ')';
	return p;
}

/*
 * With room for the fixed text (copied in blocks) and the longest value,
 * the line is written without a bound to check per piece.
 */
size_t vhu_format_uint_id(char *out, size_t cap, int id, uint64_t v)
{
	const struct vhu_field *f;
	const struct field_text *t;
	uint64_t ones;
	char *p;

	if (id < 0 || id >= nfield_text || !(t = &field_text[id])->len ||
	    blocks_len(t->len) + t->value_max >= cap)
		return format_uint_slowly(out, cap, id, v);
	f = t->f;
	copy_blocks(out, field_texts + t->off, t->len);
	p = out + t->len;
	if (!t->width) {
		p = write_value(p, t, v);
		*p = 0;
		return (size_t)(p - out);
	}
	ones = v & f->mask;
	if (t->width < 64)
		ones &= ((uint64_t)1 << t->width) - 1;
	for (; ones; ones &= ones - 1) {
		unsigned k = t->width - 1 - (unsigned)__builtin_ctzll(ones);

		out[k + k / 4] = '1';
	}
	if (f->type != VHU_FT_BOOL) {
		p = write_value(p, t, vhu_field_value(f, v));
	} else if (v & f->mask) {
		memcpy(p, "Set", 3);
		p += 3;
	} else {
		memcpy(p, "Not set", 7);
		p += 7;
	}
	*p = 0;
	return (size_t)(p - out);
}

/* "Label: " into out; its length, or cap or more if it did not fit. */
static size_t put_label(char *out, size_t cap, const struct vhu_field *f)
{
	struct vhu_text o = { out, cap, 0 };

	put_str(&o, f->label);
	put(&o, ": ", 2);
	return put_end(&o);
}

void vhu_format_bytes(char *out, size_t cap, const struct vhu_field *f,
		      const uint8_t *p, uint32_t len)
{
	const uint32_t max_show = 36;
	size_t n;
	uint32_t i;

	n = put_label(out, cap, f);
	if (n >= cap)
		return;
	if (len == 0) {
		snprintf(out + n, cap - n, "<MISSING>");
		return;
	}
	for (i = 0; i < len && i < max_show && n + 3 < cap; i++, n += 2)
		memcpy(out + n, hex_pairs + 2 * p[i], 2);
	out[n] = 0;
	if (len > max_show && n + 4 < cap)
		memcpy(out + n, "\xe2\x80\xa6", 4); /* U+2026, as Wireshark, and the NUL */
}

size_t vhu_escape(char *out, size_t cap, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0, i = 0;

	if (!cap)
		return 0;
	/* a character is written while n + 5 < cap: an escape's four bytes
	 * and the NUL always fit */
	while (s && i < len && n + 5 < cap) {
		unsigned char c = (unsigned char)s[i++];

		if (c >= 0x20 && c != 0x7f) {
			out[n++] = (char)c;
		} else if (c) {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		} else {
			break;
		}
	}
	out[n] = 0;
	return n;
}

size_t vhu_format_string(char *out, size_t cap, const struct vhu_field *f,
			 const char *s, size_t len)
{
	size_t n;

	n = put_label(out, cap, f);
	if (n >= cap)
		return cap ? cap - 1 : 0;
	return n + vhu_escape(out + n, cap - n, s, len);
}

size_t vhu_format_string_id(char *out, size_t cap, int id, const char *s, size_t len)
{
	const struct field_text *t;

	if (id < 0 || id >= nfield_text || !(t = &field_text[id])->len || t->width ||
	    blocks_len(t->len) >= cap) {
		const struct vhu_field *f = vhu_field_get(id);

		if (f)
			return vhu_format_string(out, cap, f, s, len);
		if (cap)
			out[0] = 0;
		return 0;
	}
	copy_blocks(out, field_texts + t->off, t->len);
	return t->len + vhu_escape(out + t->len, cap - t->len, s, len);
}

const char *vhu_short_feature(const char *name)
{
	const char *p = strstr(name, "_F_");

	return p ? p + 3 : name;
}

/* One conversion at *fmt (after '%'); false if it is not one of ours. */
static bool convert(struct vhu_text *o, const char **fmt, va_list *ap)
{
	const char *f = *fmt;
	bool zero = false, left = false;
	unsigned width = 0, lng = 0, left_width = 0;
	size_t start = o->n;
	uint64_t u;
	int64_t d;

	if (*f == 's') {	/* the most common one, without flags */
		const char *s = va_arg(*ap, const char *);

		put_str(o, s ? s : "(null)");
		*fmt = f + 1;
		return true;
	}
	if (*f == '%') {
		put(o, "%", 1);
		*fmt = f + 1;
		return true;
	}
	if (*f == '-') {
		left = true;
		f++;
	}
	if (*f == '0') {
		if (left)
			return false;
		zero = true;
		f++;
	}
	while (*f >= '0' && *f <= '9' && width < 64)
		width = width * 10 + (unsigned)(*f++ - '0');
	if (left) {	/* padded with spaces after the conversion */
		left_width = width;
		width = 0;
	}
	if (*f == 'h') {
		f++;
		if (*f == 'h')
			f++;
	} else if (*f == 'l') {
		lng = 1;
		if (*++f == 'l') {
			lng = 2;
			f++;
		}
	} else if (*f == 'z') {
		lng = 3;
		f++;
	}
	switch (*f) {
	case 's': {
		const char *s = va_arg(*ap, const char *);
		size_t len;

		if (zero || lng)
			return false;
		s = s ? s : "(null)";
		len = strlen(s);
		while (width > len) {
			put(o, " ", 1);
			width--;
		}
		put(o, s, len);
		break;
	}
	case 'c': {
		char c = (char)va_arg(*ap, int);

		if (zero || width || lng)
			return false;
		put(o, &c, 1);
		break;
	}
	case 'u':
	case 'x':
	case 'X':
		if (lng == 1)
			u = va_arg(*ap, unsigned long);
		else if (lng == 2)
			u = va_arg(*ap, unsigned long long);
		else if (lng == 3)
			u = va_arg(*ap, size_t);
		else
			u = va_arg(*ap, unsigned int);
		put_num(o, u, false, *f == 'u' ? 10 : 16, *f == 'X', width, zero);
		break;
	case 'd':
	case 'i':
		if (lng == 1)
			d = va_arg(*ap, long);
		else if (lng == 2)
			d = va_arg(*ap, long long);
		else if (lng == 3)
			return false;
		else
			d = va_arg(*ap, int);
		put_num(o, d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d, d < 0, 10, false,
			width, zero);
		break;
	default:
		return false;
	}
	while (o->n - start < left_width)
		put(o, " ", 1);
	*fmt = f + 1;
	return true;
}

int vhu_vsnprintf(char *out, size_t cap, const char *fmt, va_list ap)
{
	struct vhu_text o = { out, cap, 0 };
	const char *f = fmt;
	va_list mine, again;

	va_copy(mine, ap);
	va_copy(again, ap);
	while (*f) {
		const char *lit = f;

		while (*f && *f != '%')	/* pieces are short: no call to strchr */
			f++;
		put(&o, lit, (size_t)(f - lit));
		if (!*f)
			break;
		f++;
		if (!convert(&o, &f, &mine)) {
			int n = vsnprintf(out, cap, fmt, again);

			va_end(mine);
			va_end(again);
			return n;
		}
	}
	va_end(mine);
	va_end(again);
	if (cap)
		out[o.n < cap ? o.n : cap - 1] = 0;
	return o.n > INT32_MAX ? -1 : (int)o.n;
}

int vhu_snprintf(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vhu_vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	return n;
}
