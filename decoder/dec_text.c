/* dec_text.c - appending formatted text to the output, without printf. */
#include <stdarg.h>
#include <string.h>

#include "dec.h"
#include "vhu_format.h"

/*
 * Every output line is built in a GString.  g_string_append_printf goes
 * through g_vasprintf (a malloc, a FILE set up by vasprintf, the locale's
 * printf machinery and a free) for each piece: two thirds of the time of
 * one-line decoding (bench/decoder/RESULTS.md).  The core's formatter
 * writes the same text straight into the string's free space; only a
 * piece that does not fit grows the string and is formatted again.
 */
void dec_appendf(GString *s, const char *fmt, ...)
{
	size_t room = s->allocated_len - s->len;
	size_t len = s->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vhu_vsnprintf(s->str + len, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		s->str[len] = 0;
		return;
	}
	if ((size_t)n < room) {
		s->len = len + (size_t)n;
		return;
	}
	g_string_set_size(s, len + (size_t)n);
	va_start(ap, fmt);
	vhu_vsnprintf(s->str + len, (size_t)n + 1, fmt, ap);
	va_end(ap);
}

/*
 * The line's numbers (frame, time, pid) are written for every message:
 * through the core's general formatter (base, sign, width, bounds of its
 * builder) they were a fifth of one-line decoding (bench/decoder/RESULTS.md).
 * These write their digits straight to where they go, with the core's
 * inline decimal writer.
 */
char *dec_write_u64(char *p, uint64_t v, unsigned width, char pad)
{
	unsigned n = vhu_dec_len(v);

	if (width > n) {
		/* a line's columns are narrow: one 8-byte store, the bytes
		 * past the padding are the digits' or past the end */
		if (width <= 8)
			memset(p, pad, 8);
		else
			memset(p, pad, width - n);
		p += width - n;
	}
	vhu_write_dec_back(p + n, v, n);
	return p + n;
}

void dec_counter_move(struct dec_counter *c, uint64_t v)
{
	char *end = c->text + sizeof(c->text), *d = end - 1;

	if (c->len && v - 1 == c->v && v) {
		while (*d == '9')
			*d-- = '0';
		if (*d == ' ') {	/* 9..9 + 1: one digit more */
			*d = '1';
			c->len++;
		} else {
			(*d)++;
		}
		c->v = v;
		return;
	}
	c->v = v;
	c->len = vhu_dec_len(v);
	memset(c->text, ' ', sizeof(c->text) - c->len);
	vhu_write_dec_back(end, v, c->len);
}

void dec_append_u64(GString *s, uint64_t v)
{
	dec_append_u64_width(s, v, 0, ' ');
}

/* v in decimal, right-aligned in width columns with pad ' ' or '0'
 * ("%7lu", "%09u"); at most DEC_U64_WIDTH_MAX columns of padding. */
void dec_append_u64_width(GString *s, uint64_t v, unsigned width, char pad)
{
	if (width > DEC_U64_WIDTH_MAX)
		width = DEC_U64_WIDTH_MAX;
	dec_commit(s, dec_write_u64(dec_reserve(s, DEC_U64_TEXT_MAX + DEC_U64_WIDTH_MAX), v,
				    width, pad));
}

/* str left-aligned in width columns ("%-11s"). */
void dec_append_padded(GString *s, const char *str, unsigned width)
{
	static const char spaces[] = "                ";
	size_t len = strlen(str);

	dec_put(s, str, len);
	while (len < width) {
		size_t pad = width - len < sizeof(spaces) - 1 ? width - len : sizeof(spaces) - 1;

		dec_put(s, spaces, pad);
		len += pad;
	}
}
