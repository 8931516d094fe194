/* SPDX-License-Identifier: MIT */
/* \summary: a context's recently formatted lines, by field and value or key */
#include "vhu_line_cache.h"
#include "vhu_format.h"

#include <stdlib.h>
#include <string.h>

/* Room for the lines of one capture's fields and values in use at a time:
 * a record's two dozen and those of a few dozen message types. */
#define SLOTS_LOG2 9
#define LINE_MAX 87	/* longer lines (bit patterns of 64-bit words) are not kept */

struct slot {
	uint64_t value;
	int32_t field;
	uint8_t len;		/* 0: empty (a field's line is never empty) */
	char text[LINE_MAX + 1];
};

struct vhu_line_cache {
	struct slot slot[1u << SLOTS_LOG2];
};

struct vhu_line_cache *vhu_line_cache_new(void)
{
	return calloc(1, sizeof(struct vhu_line_cache));
}

void vhu_line_cache_free(struct vhu_line_cache *c)
{
	free(c);
}

/* One slot per field and value (a later pair that maps there replaces it):
 * the multiplications spread the small field ids and values over the top
 * bits, which pick the slot. */
static struct slot *slot_of(struct vhu_line_cache *c, int id, uint64_t v)
{
	uint64_t h = ((uint64_t)(uint32_t)id * 0x9e3779b97f4a7c15ull + v) * 0xff51afd7ed558ccdull;

	return &c->slot[h >> (64 - SLOTS_LOG2)];
}

/* Keeps line in s, when it fits a slot. */
static void keep(struct slot *s, int id, uint64_t v, const char *line, size_t len)
{
	if (len && len <= LINE_MAX) {
		s->value = v;
		s->field = id;
		s->len = (uint8_t)len;
		memcpy(s->text, line, len);
		s->text[len] = 0;
	}
}

/* A line not in the cache: formatted, and kept in s.  Out of line, so
 * that a line found costs no more than the compare. */
static __attribute__((noinline)) size_t format_into(struct slot *s, int id, uint64_t v,
						     char *out, size_t cap, const char **line)
{
	size_t len = vhu_format_uint_id(out, cap, id, v);

	*line = out;
	keep(s, id, v, out, len);
	return len;
}

size_t vhu_line_cache_uint(struct vhu_line_cache *c, int id, uint64_t v, char *out,
			   size_t cap, const char **line)
{
	struct slot *s = slot_of(c, id, v);

	if (s->len && s->field == id && s->value == v && s->len < cap) {
		*line = s->text;
		return s->len;
	}
	return format_into(s, id, v, out, cap, line);
}

size_t vhu_line_cache_find(struct vhu_line_cache *c, int id, uint64_t key, const char **line)
{
	struct slot *s = slot_of(c, id, key);

	if (s->len && s->field == id && s->value == key) {
		*line = s->text;
		return s->len;
	}
	return 0;
}

void vhu_line_cache_keep(struct vhu_line_cache *c, int id, uint64_t key, const char *line,
			 size_t len)
{
	keep(slot_of(c, id, key), id, key, line, len);
}
