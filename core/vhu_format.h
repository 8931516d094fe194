/* SPDX-License-Identifier: MIT */
/*
 * vhu_format.h - the text of one tree line, from a field and its value.
 *
 * The walker formats every line here, so the plugin and the decoder show
 * the same words.  The layout imitates Wireshark's: "Label: value",
 * value-string names as "NAME (value)", masked bits as a bit pattern.
 */
#ifndef VHU_FORMAT_H
#define VHU_FORMAT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vhu_fields.h"

/* Bits of the field's type (8, 16, 32, 64), or 0 for non-integers. */
unsigned vhu_field_bits(const struct vhu_field *f);
/* "Label: value" for an integer or boolean field; returns the length of
 * the text in out. */
size_t vhu_format_uint(char *out, size_t cap, const struct vhu_field *f, uint64_t v);
/* Writes every field's fixed text (label, pattern) once, for
 * vhu_format_uint_id(); vhu_fields_init() calls it. */
void vhu_format_init(void);
/* vhu_format_uint() of field id, from its fixed text when there is one;
 * returns the length of the text, 0 (and "") only when id is no field. */
size_t vhu_format_uint_id(char *out, size_t cap, int id, uint64_t v);
/* "Label: 0011aabb…" (at most 36 bytes shown, then an ellipsis). */
void vhu_format_bytes(char *out, size_t cap, const struct vhu_field *f,
		      const uint8_t *p, uint32_t len);
/* Copies at most len bytes of s (up to a NUL) into out with control
 * characters written as \xNN, so that names from a capture (process
 * names, paths, fd names, command lines) cannot move the cursor or fake
 * lines on a terminal.  Returns the length written. */
size_t vhu_escape(char *out, size_t cap, const char *s, size_t len);
/* "Label: string" with control characters escaped; returns the length of
 * the text in out. */
size_t vhu_format_string(char *out, size_t cap, const struct vhu_field *f,
			 const char *s, size_t len);
/* vhu_format_string() of field id, from its fixed text. */
size_t vhu_format_string_id(char *out, size_t cap, int id, const char *s, size_t len);
/* ".... .1.." style pattern of the bits of mask in value, width bits. */
void vhu_format_bitpattern(char *out, size_t cap, uint64_t mask, uint64_t value,
			   unsigned width);
/*
 * Decimal numbers are written two digits at a time, from the last: the
 * digits of n (0..99) are at vhu_dec_pairs + 2 * n (200 digits, then the
 * string's NUL), and vhu_pow10[k] is 10^k.  The writers are inline
 * because the summaries and the decoder's lines write several numbers
 * every message.
 */
extern const char vhu_dec_pairs[201];
extern const uint64_t vhu_pow10[20];

/* The number of decimal digits of v: from its bit length, then one
 * comparison. */
static inline unsigned vhu_dec_len(uint64_t v)
{
	uint64_t w = v | 1;	/* as many digits as v: 10^k - 1 is odd */
	unsigned t = (unsigned)(64 - __builtin_clzll(w)) * 1233 >> 12;	/* * log10(2) */

	return t + (w >= vhu_pow10[t]);
}

/* v in exactly ndigits (>= 1) decimal digits, with leading zeros when it
 * has fewer (it must not have more), ending just before end; returns
 * where they start.  Most numbers have one or two digits: they cost two
 * comparisons.  Nine digits or fewer are below 2^32, written with 32-bit
 * divisions (a multiplication and a shift, where 64 bits take a 128-bit
 * product and three shifts).  The loops test how far they are from the
 * start, not a count: gcc then does not work out their trip count first,
 * which cost more than the loops on short numbers. */
static inline char *vhu_write_dec_back(char *end, uint64_t v, unsigned ndigits)
{
	char *start = end - ndigits;
	uint32_t v32 = (uint32_t)v;

	if (ndigits > 2) {
		for (; end - start > 9; v /= 100) {
			end -= 2;
			memcpy(end, vhu_dec_pairs + 2 * (v % 100), 2);
		}
		for (v32 = (uint32_t)v; end - start > 2; v32 /= 100) {
			end -= 2;
			memcpy(end, vhu_dec_pairs + 2 * (v32 % 100), 2);
		}
	}
	if (end - start == 2)
		memcpy(start, vhu_dec_pairs + 2 * v32, 2);
	else
		*start = (char)('0' + v32);
	return start;
}

/* v in decimal from p, with as many digits as it has (as %u writes it);
 * returns the end.  The loops run on the value, not on a place: a number
 * without leading zeros ends when the value is below 100, one comparison
 * a pair (vhu_write_dec_back()'s test of the place left cost more). */
static inline char *vhu_write_dec(char *p, uint64_t v)
{
	char *end = p + vhu_dec_len(v), *q = end;
	uint32_t v32;

	for (; v >= 1000000000u; v /= 100) {
		q -= 2;
		memcpy(q, vhu_dec_pairs + 2 * (v % 100), 2);
	}
	for (v32 = (uint32_t)v; v32 >= 100; v32 /= 100) {
		q -= 2;
		memcpy(q, vhu_dec_pairs + 2 * (v32 % 100), 2);
	}
	if (v32 >= 10)
		memcpy(q - 2, vhu_dec_pairs + 2 * v32, 2);
	else
		q[-1] = (char)('0' + v32);
	return end;
}

/* A connection id as users see and type it: "<pid>.<n>", the recording
 * process and its connection counter. */
#define VHU_CONN_TEXT_MAX 24
void vhu_format_conn(char *out, size_t cap, uint64_t conn);
/* Shortens a feature name for summaries: "VIRTIO_NET_F_MRG_RXBUF" ->
 * "MRG_RXBUF". */
const char *vhu_short_feature(const char *name);

/*
 * A bounded text builder, for lines made of several names and numbers
 * (the first line of a tree), at a fraction of what parsing a format
 * costs.  Like snprintf it keeps the first cap - 1 bytes and counts every
 * byte it was given; vhu_text_end() NUL-terminates and returns the length
 * of the text in p.
 */
struct vhu_text {
	char *p;
	size_t cap, n;
};
void vhu_text_put(struct vhu_text *t, const char *s, size_t len);
void vhu_text_str(struct vhu_text *t, const char *s);
/* v in decimal, right-aligned in width columns (0: as long as it is),
 * padded with zeros or spaces */
void vhu_text_u64(struct vhu_text *t, uint64_t v, unsigned width, bool zero);
size_t vhu_text_end(struct vhu_text *t);

/*
 * vsnprintf for the summaries, which are built from many small pieces on
 * every message (tshark's Info column, the decoder's one-line output):
 * %s %c %u %d %x %X with the 0 or - flag, a width and the h/l/ll/z length
 * modifiers are formatted here, anything else by vsnprintf.  Same result,
 * same return value as vsnprintf.
 */
int vhu_vsnprintf(char *out, size_t cap, const char *fmt, va_list ap);
int vhu_snprintf(char *out, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
