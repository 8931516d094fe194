/* SPDX-License-Identifier: MIT */
/* \summary: tree-line text for fields (shared by the plugin and the decoder) */
#include "vhu_format.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
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
struct fmt_out {
	char *p;
	size_t cap, n;		/* n counts every byte, as vsnprintf returns */
};

static void put(struct fmt_out *o, const char *s, size_t len)
{
	if (o->n < o->cap) {
		size_t room = o->cap - o->n;

		memcpy(o->p + o->n, s, len < room ? len : room);
	}
	o->n += len;
}

static void put_num(struct fmt_out *o, uint64_t v, bool neg, unsigned base, bool upper,
		    unsigned width, bool zero)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24 + 64];	/* the digits, a sign and up to 64 columns of padding */
	size_t i = sizeof(buf);

	/* constant divisors: the compiler turns them into shifts/multiplies */
	if (base == 16) {
		do {
			buf[--i] = digits[v & 15];
			v >>= 4;
		} while (v);
	} else {
		do {
			buf[--i] = digits[v % 10];
			v /= 10;
		} while (v);
	}
	if (neg && !zero)
		buf[--i] = '-';
	if (neg && zero) {
		put(o, "-", 1);
		width = width ? width - 1 : 0;
	}
	while (width > sizeof(buf) - i) {
		if (i == 0) {	/* wider than buf: the rest goes first */
			put(o, zero ? "0" : " ", 1);
			width--;
			continue;
		}
		buf[--i] = zero ? '0' : ' ';
	}
	put(o, buf + i, sizeof(buf) - i);
}

static void put_dec(struct fmt_out *o, uint64_t v)
{
	put_num(o, v, false, 10, false, 0, false);
}

static void put_signed(struct fmt_out *o, int64_t v)
{
	put_num(o, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0, 10, false, 0, false);
}

/* Lower-case hex, zero-padded to at least digits digits. */
static void put_hex(struct fmt_out *o, uint64_t v, unsigned digits)
{
	put_num(o, v, false, 16, false, digits, true);
}

static void put_str(struct fmt_out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* NUL-terminates what fits; returns the full length, as snprintf does. */
static size_t put_end(struct fmt_out *o)
{
	if (o->cap)
		o->p[o->n < o->cap ? o->n : o->cap - 1] = 0;
	return o->n;
}

unsigned vhu_field_bits(const struct vhu_field *f)
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

/* The pattern of a width that is a multiple of 4, when out has room for
 * all of it: four characters per nibble, no bound to check per bit. */
static void bitpattern_nibbles(char *out, uint64_t mask, uint64_t value, unsigned width)
{
	unsigned shift = width;
	char *p = out;

	while (shift) {
		unsigned m, v, b;

		shift -= 4;
		m = (unsigned)(mask >> shift) & 15;
		v = (unsigned)(value >> shift) & 15;
		for (b = 8; b; b >>= 1)
			*p++ = (m & b) ? ((v & b) ? '1' : '0') : '.';
		if (shift)
			*p++ = ' ';
	}
	*p = 0;
}

void vhu_format_bitpattern(char *out, size_t cap, uint64_t mask, uint64_t value,
			   unsigned width)
{
	size_t n = 0;
	unsigned i;

	if (width % 4 == 0 && cap > width + width / 4) {
		bitpattern_nibbles(out, mask, value, width);
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

size_t vhu_format_u64(char *out, size_t cap, uint64_t v, unsigned width, bool zero)
{
	struct fmt_out o = { out, cap, 0 };

	put_num(&o, v, false, 10, false, width, zero);
	return put_end(&o);
}

void vhu_format_conn(char *out, size_t cap, uint64_t conn)
{
	struct fmt_out o = { out, cap, 0 };

	put_dec(&o, conn >> 32);
	put(&o, ".", 1);
	put_dec(&o, conn & 0xffffffffu);
	put_end(&o);
}

/* The number of a value, in the field's base. */
static void put_value_number(struct fmt_out *o, const struct vhu_field *f, uint64_t v)
{
	unsigned digits = vhu_field_bits(f) / 4;

	if (f->type == VHU_FT_I32 && f->base != VHU_BASE_HEX) {
		put_signed(o, (int32_t)v);
	} else if (f->type == VHU_FT_I32) {
		put(o, "0x", 2);
		put_hex(o, (uint32_t)v, 8);
	} else if (f->type == VHU_FT_I64) {
		put_signed(o, (int64_t)v);
	} else if (f->base == VHU_BASE_HEX) {
		put(o, "0x", 2);
		put_hex(o, v, digits);
	} else if (f->base == VHU_BASE_DEC_HEX) {
		put_dec(o, v);
		put(o, " (0x", 4);
		put_hex(o, v, digits);
		put(o, ")", 1);
	} else if (f->base == VHU_BASE_HEX_DEC) {
		put(o, "0x", 2);
		put_hex(o, v, digits);
		put(o, " (", 2);
		put_dec(o, v);
		put(o, ")", 1);
	} else {
		put_dec(o, v);
	}
}

/* The value part, without the label: "NAME (number)" or the number. */
static void format_value(char *out, size_t cap, const struct vhu_field *f, uint64_t v)
{
	struct fmt_out o = { out, cap, 0 };

	if (f->vals) {
		const char *name = vhu_val_name(f->vals, v);

		put_str(&o, name ? name : "Unknown");
		put(&o, " (", 2);
		put_value_number(&o, f, v);
		put(&o, ")", 1);
	} else {
		put_value_number(&o, f, v);
	}
	put_end(&o);
}

/* "pattern = Label: " of a masked field. */
static void put_masked_label(struct fmt_out *o, const struct vhu_field *f, uint64_t v)
{
	char pat[96];

	vhu_format_bitpattern(pat, sizeof(pat), f->mask, v, vhu_field_bits(f));
	put_str(o, pat);
	put(o, " = ", 3);
	put_str(o, f->label);
	put(o, ": ", 2);
}

void vhu_format_uint(char *out, size_t cap, const struct vhu_field *f, uint64_t v)
{
	struct fmt_out o = { out, cap, 0 };
	char val[128];

	if (f->type == VHU_FT_BOOL) {
		put_masked_label(&o, f, v);
		put_str(&o, (v & f->mask) ? "Set" : "Not set");
	} else if (f->mask) {
		put_masked_label(&o, f, v);
		format_value(val, sizeof(val), f, vhu_field_value(f, v));
		put_str(&o, val);
	} else {
		put_str(&o, f->label);
		put(&o, ": ", 2);
		format_value(val, sizeof(val), f, v);
		put_str(&o, val);
	}
	put_end(&o);
}

/* "Label: " into out; its length, or cap or more if it did not fit. */
static size_t put_label(char *out, size_t cap, const struct vhu_field *f)
{
	struct fmt_out o = { out, cap, 0 };

	put_str(&o, f->label);
	put(&o, ": ", 2);
	return put_end(&o);
}

void vhu_format_bytes(char *out, size_t cap, const struct vhu_field *f,
		      const uint8_t *p, uint32_t len)
{
	static const char hex[] = "0123456789abcdef";
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
	for (i = 0; i < len && i < max_show && n + 3 < cap; i++) {
		out[n++] = hex[p[i] >> 4];
		out[n++] = hex[p[i] & 15];
	}
	out[n] = 0;
	if (len > max_show && n + 4 < cap)
		snprintf(out + n, cap - n, "\xe2\x80\xa6"); /* U+2026, as Wireshark */
}

size_t vhu_escape(char *out, size_t cap, const char *s, size_t len)
{
	size_t n = 0, i;

	if (!cap)
		return 0;
	for (i = 0; s && i < len && s[i] && n + 5 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = 0;
	return n;
}

void vhu_format_string(char *out, size_t cap, const struct vhu_field *f,
		       const char *s, size_t len)
{
	size_t n;

	n = put_label(out, cap, f);
	if (n >= cap)
		return;
	vhu_escape(out + n, cap - n, s, len);
}

const char *vhu_short_feature(const char *name)
{
	const char *p = strstr(name, "_F_");

	return p ? p + 3 : name;
}

/* One conversion at *fmt (after '%'); false if it is not one of ours. */
static bool convert(struct fmt_out *o, const char **fmt, va_list *ap)
{
	const char *f = *fmt;
	bool zero = false, left = false;
	unsigned width = 0, lng = 0, left_width = 0;
	size_t start = o->n;
	uint64_t u;
	int64_t d;

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
	struct fmt_out o = { out, cap, 0 };
	const char *f = fmt;
	va_list mine, again;

	va_copy(mine, ap);
	va_copy(again, ap);
	while (*f) {
		const char *pct = strchr(f, '%');

		if (!pct) {
			put(&o, f, strlen(f));
			break;
		}
		put(&o, f, (size_t)(pct - f));
		f = pct + 1;
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
