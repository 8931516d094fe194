/* SPDX-License-Identifier: MIT */
/*
 * vhu_line_cache.h - the lines a context formatted lately, by field and
 * value (integer fields) or key.
 *
 * A record tree repeats its lines from record to record (event, call,
 * process, connection, flags, channel, role), and a message tree those of
 * its type (request, flags, sizes, indexes): formatting each of them again
 * was a third of a tree's cost.  An emitter that keeps a cache gives it to
 * the walker (vhu_emitter.line_cache); it belongs to that emitter's context,
 * as the plugin and the decoder each run the same walker.
 */
#ifndef VHU_LINE_CACHE_H
#define VHU_LINE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Room for the lines of one capture's fields and values in use at a time:
 * a record's two dozen and those of a few dozen message types.  Longer
 * lines (bit patterns of 64-bit words) are not kept. */
#define VHU_LINE_CACHE_SLOTS_LOG2 9
#define VHU_LINE_CACHE_LINE_MAX 87

/* The layout is here so that a lookup is inlined where lines are made (a
 * call per line was a third of the cache's cost); only vhu_line_cache.c
 * writes it. */
struct vhu_line_slot {
	uint64_t value;		/* the field's value, or the line's key */
	int32_t field;
	uint8_t len;		/* 0: empty (a field's line is never empty) */
	char text[VHU_LINE_CACHE_LINE_MAX + 1];
};

struct vhu_line_cache {
	struct vhu_line_slot slot[1u << VHU_LINE_CACHE_SLOTS_LOG2];
};

struct vhu_line_cache *vhu_line_cache_new(void);
void vhu_line_cache_free(struct vhu_line_cache *c);

/* One slot per field and value (a later pair that maps there replaces it):
 * the multiplications spread the small field ids and values over the top
 * bits, which pick the slot. */
static inline struct vhu_line_slot *vhu_line_slot(struct vhu_line_cache *c, int id, uint64_t v)
{
	uint64_t h = ((uint64_t)(uint32_t)id * 0x9e3779b97f4a7c15ull + v) * 0xff51afd7ed558ccdull;

	return &c->slot[h >> (64 - VHU_LINE_CACHE_SLOTS_LOG2)];
}

/* The line of slot s when it holds field id's line for v (its length),
 * else 0. */
static inline size_t vhu_line_slot_holds(const struct vhu_line_slot *s, int id, uint64_t v)
{
	return s->field == id && s->value == v ? s->len : 0;
}

/* vhu_line_cache_uint's line not kept: formatted in out and kept in s. */
size_t vhu_line_cache_format_uint(struct vhu_line_slot *s, int id, uint64_t v, char *out,
				  size_t cap, const char **line);

/* The line vhu_format_uint_id(out, cap, id, v) writes: the one remembered
 * for this field and value when there is one, else written in out and
 * remembered.  *line is set to where the line is (valid until the next
 * call); returns its length, 0 when id is no field. */
static inline size_t vhu_line_cache_uint(struct vhu_line_cache *c, int id, uint64_t v,
					 char *out, size_t cap, const char **line)
{
	struct vhu_line_slot *s = vhu_line_slot(c, id, v);
	size_t len = vhu_line_slot_holds(s, id, v);

	if (len && len < cap) {
		*line = s->text;
		return len;
	}
	return vhu_line_cache_format_uint(s, id, v, out, cap, line);
}

/* The lines of a field that depend on a number alone without being its
 * value (a connection's text from its id), kept by that key: find gives
 * the line kept for field id and key (its length, 0 and *line untouched
 * when none is kept), keep remembers one (valid until the next call). A
 * field's lines are kept by value or by key, never both. */
static inline size_t vhu_line_cache_find(struct vhu_line_cache *c, int id, uint64_t key,
					 const char **line)
{
	struct vhu_line_slot *s = vhu_line_slot(c, id, key);
	size_t len = vhu_line_slot_holds(s, id, key);

	if (len)
		*line = s->text;
	return len;
}

void vhu_line_cache_keep(struct vhu_line_cache *c, int id, uint64_t key, const char *line,
			 size_t len);

#ifdef __cplusplus
}
#endif
#endif
