/* SPDX-License-Identifier: MIT */
/*
 * sink.h - where the launcher writes the merged capture: one file, one
 * file per process (a name with %p), or stdout.  Blocks are gathered and
 * written whole; a write error stops the capture with one line on stderr,
 * never the run.
 */
#ifndef VHU_SINK_H
#define VHU_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vhu_sink;

/* A sink writing to name (an absolute name, %p expanded per recording
 * process), or to stdout if name is NULL (header already written there).
 * Returns NULL with a message if name cannot be opened. */
struct vhu_sink *vhu_sink_new(const char *name);
/* vhu_merge_sink: takes one block. */
bool vhu_sink_block(void *sink, uint32_t pid, const uint8_t *block, size_t len);
/* Writes what is gathered. */
void vhu_sink_flush(struct vhu_sink *s);
/* Flushes, closes; false if the capture was stopped by an error. */
bool vhu_sink_close(struct vhu_sink *s);

#endif
