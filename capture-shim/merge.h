/* SPDX-License-Identifier: MIT */
/*
 * merge.h - the launcher's side of the spools (spool.h): find them, take
 * the blocks their writers committed, and hand them out in time order.
 */
#ifndef VHU_MERGE_H
#define VHU_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Receives each block, in the order of the capture; pid is the recording
 * process's (from the record).  Returns false to stop being called. */
typedef bool (*vhu_merge_sink)(void *ctx, uint32_t pid, const uint8_t *block, size_t len);

struct vhu_merge_stats {
	uint64_t records;	/* blocks handed to the sink */
	uint64_t lost;		/* records the writers could not spool (full) */
	uint64_t torn;		/* chunks that ended in a block cut by a kill */
	uint64_t bad;		/* chunks with a block that is not one: skipped */
	unsigned spools;
	unsigned empty;		/* spool files their process never finished making */
};

struct vhu_merge;

/* A merger of the spools in dir (NULL: only those added by file).
 * readonly: take blocks without marking them taken or freeing chunks
 * (--merge of leftover spools; a spool still being written is not). */
struct vhu_merge *vhu_merge_new(const char *dir, bool readonly, vhu_merge_sink sink, void *ctx);
/* Adds one spool file; returns 0 or -errno (and prints why). */
int vhu_merge_add_file(struct vhu_merge *m, const char *path);
/* Looks for new spools in the directory, takes what was committed and
 * hands out the blocks older than holdback_ns (all of them if final).
 * Returns the bytes taken from the spools. */
size_t vhu_merge_poll(struct vhu_merge *m, uint64_t holdback_ns, bool final);
/* Does a process that may still write to one of the spools live? */
bool vhu_merge_writers_alive(struct vhu_merge *m);
/* Final counts; unmaps; with remove, deletes the spools that are read to
 * the end and written by no live process, and the directory if empty. */
void vhu_merge_end(struct vhu_merge *m, bool remove, struct vhu_merge_stats *st);

#endif
