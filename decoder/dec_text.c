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

void dec_append_u64(GString *s, uint64_t v)
{
	dec_append_u64_width(s, v, 0, ' ');
}

/* v in decimal, right-aligned in width columns with pad ' ' or '0'
 * ("%7lu", "%09u"), by the core's number formatter. */
void dec_append_u64_width(GString *s, uint64_t v, unsigned width, char pad)
{
	char buf[24 + 64];
	size_t n = vhu_format_u64(buf, sizeof(buf), v, width, pad == '0');

	dec_put(s, buf, n < sizeof(buf) ? n : sizeof(buf) - 1);
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
