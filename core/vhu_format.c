/* SPDX-License-Identifier: MIT */
/* \summary: tree-line text for fields (shared by the plugin and the decoder) */
#include "vhu_format.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

void vhu_format_bitpattern(char *out, size_t cap, uint64_t mask, uint64_t value,
			   unsigned width)
{
	size_t n = 0;
	unsigned i;

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
	snprintf(out, cap, "%u.%u", (unsigned)(conn >> 32), (unsigned)(conn & 0xffffffffu));
}

/* The value part, without the label. */
static void format_value(char *out, size_t cap, const struct vhu_field *f, uint64_t v)
{
	unsigned digits = vhu_field_bits(f) / 4;
	const char *name = vhu_val_name(f->vals, v);
	char num[64];

	if (f->type == VHU_FT_I32 && f->base != VHU_BASE_HEX)
		snprintf(num, sizeof(num), "%" PRId32, (int32_t)v);
	else if (f->type == VHU_FT_I32)
		snprintf(num, sizeof(num), "0x%08" PRIx32, (uint32_t)v);
	else if (f->type == VHU_FT_I64)
		snprintf(num, sizeof(num), "%" PRId64, (int64_t)v);
	else
		switch (f->base) {
		case VHU_BASE_HEX:
			snprintf(num, sizeof(num), "0x%0*" PRIx64, (int)digits, v);
			break;
		case VHU_BASE_DEC_HEX:
			snprintf(num, sizeof(num), "%" PRIu64 " (0x%0*" PRIx64 ")", v, (int)digits, v);
			break;
		case VHU_BASE_HEX_DEC:
			snprintf(num, sizeof(num), "0x%0*" PRIx64 " (%" PRIu64 ")", (int)digits, v, v);
			break;
		default:
			snprintf(num, sizeof(num), "%" PRIu64, v);
			break;
		}
	if (f->vals)
		snprintf(out, cap, "%s (%s)", name ? name : "Unknown", num);
	else
		snprintf(out, cap, "%s", num);
}

void vhu_format_uint(char *out, size_t cap, const struct vhu_field *f, uint64_t v)
{
	char val[128], pat[96];

	if (f->type == VHU_FT_BOOL) {
		vhu_format_bitpattern(pat, sizeof(pat), f->mask, v, vhu_field_bits(f));
		snprintf(out, cap, "%s = %s: %s", pat, f->label, (v & f->mask) ? "Set" : "Not set");
		return;
	}
	if (f->mask) {
		vhu_format_bitpattern(pat, sizeof(pat), f->mask, v, vhu_field_bits(f));
		format_value(val, sizeof(val), f, vhu_field_value(f, v));
		snprintf(out, cap, "%s = %s: %s", pat, f->label, val);
		return;
	}
	format_value(val, sizeof(val), f, v);
	snprintf(out, cap, "%s: %s", f->label, val);
}

void vhu_format_bytes(char *out, size_t cap, const struct vhu_field *f,
		      const uint8_t *p, uint32_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint32_t max_show = 36;
	size_t n;
	uint32_t i;

	n = (size_t)snprintf(out, cap, "%s: ", f->label);
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

	n = (size_t)snprintf(out, cap, "%s: ", f->label);
	if (n >= cap)
		return;
	vhu_escape(out + n, cap - n, s, len);
}

const char *vhu_short_feature(const char *name)
{
	const char *p = strstr(name, "_F_");

	return p ? p + 3 : name;
}

/* ---- summaries ------------------------------------------------------------ */

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
	char buf[24];
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
		put(o, zero ? "0" : " ", 1);
		width--;
	}
	put(o, buf + i, sizeof(buf) - i);
}

/* One conversion at *fmt (after '%'); false if it is not one of ours. */
static bool convert(struct fmt_out *o, const char **fmt, va_list *ap)
{
	const char *f = *fmt;
	bool zero = false;
	unsigned width = 0, lng = 0;
	uint64_t u;
	int64_t d;

	if (*f == '%') {
		put(o, "%", 1);
		*fmt = f + 1;
		return true;
	}
	if (*f == '0') {
		zero = true;
		f++;
	}
	while (*f >= '0' && *f <= '9' && width < 64)
		width = width * 10 + (unsigned)(*f++ - '0');
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
