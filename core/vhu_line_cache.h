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

struct vhu_line_cache;

struct vhu_line_cache *vhu_line_cache_new(void);
void vhu_line_cache_free(struct vhu_line_cache *c);

/* The line vhu_format_uint_id(out, cap, id, v) writes: the one remembered
 * for this field and value when there is one, else written in out and
 * remembered.  *line is set to where the line is (valid until the next
 * call); returns its length, 0 when id is no field. */
size_t vhu_line_cache_uint(struct vhu_line_cache *c, int id, uint64_t v, char *out,
			   size_t cap, const char **line);

/* The lines of a field that depend on a number alone without being its
 * value (a connection's text from its id), kept by that key: find gives
 * the line kept for field id and key (its length, 0 and *line untouched
 * when none is kept), keep remembers one (valid until the next call). A
 * field's lines are kept by value or by key, never both. */
size_t vhu_line_cache_find(struct vhu_line_cache *c, int id, uint64_t key, const char **line);
void vhu_line_cache_keep(struct vhu_line_cache *c, int id, uint64_t key, const char *line,
			 size_t len);

#ifdef __cplusplus
}
#endif
#endif
