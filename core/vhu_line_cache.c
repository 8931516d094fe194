/* SPDX-License-Identifier: MIT */
/* \summary: a context's recently formatted lines, by field and value or key */
#include "vhu_line_cache.h"
#include "vhu_format.h"

#include <stdlib.h>
#include <string.h>

struct vhu_line_cache *vhu_line_cache_new(void)
{
	return calloc(1, sizeof(struct vhu_line_cache));
}

void vhu_line_cache_free(struct vhu_line_cache *c)
{
	free(c);
}

/* Keeps line in s, when it fits a slot. */
static void keep(struct vhu_line_slot *s, int id, uint64_t v, const char *line, size_t len)
{
	if (len && len <= VHU_LINE_CACHE_LINE_MAX) {
		s->value = v;
		s->field = id;
		s->len = (uint8_t)len;
		memcpy(s->text, line, len);
		s->text[len] = 0;
	}
}

size_t vhu_line_cache_format_uint(struct vhu_line_slot *s, int id, uint64_t v, char *out,
				  size_t cap, const char **line)
{
	size_t len = vhu_format_uint_id(out, cap, id, v);

	*line = out;
	keep(s, id, v, out, len);
	return len;
}

void vhu_line_cache_keep(struct vhu_line_cache *c, int id, uint64_t key, const char *line,
			 size_t len)
{
	keep(vhu_line_slot(c, id, key), id, key, line, len);
}
