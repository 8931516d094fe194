/* SPDX-License-Identifier: MIT */
/*
 * vhu_sum_cache.h - the one-line summaries a context made lately, by the
 * message's bytes and the state its layout reads.
 *
 * A ring's setup, a ping-pong or an IOTLB exchange sends the same messages
 * over and over, and one-line output made the same summary for each: the
 * walker's summary-only pass was a quarter of a line's cost.  An emitter
 * that keeps a cache gives it to the walker (vhu_emitter.summary_cache);
 * it belongs to that emitter's context, as the line cache does.  Only the
 * part of a summary that the message's bytes and state decide is kept
 * (not the findings, the reply's frame and its latency), and only from a
 * walk that placed no note: a summary taken from here places none.
 */
#ifndef VHU_SUM_CACHE_H
#define VHU_SUM_CACHE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Messages up to this many bytes (header and payload) are kept: a vring's
 * address, a two-region memory table, an IOTLB message. */
#define VHU_SUM_CACHE_MSG_MAX 96
/* Summaries shorter than this are kept (a feature word's names run long). */
#define VHU_SUM_CACHE_TEXT_MAX 112

/* What a message's summary depends on beside its bytes: the state its
 * layout is picked and read with and its fds, as vhu_walk.c packs them
 * (four words: they compare at once). */
struct vhu_sum_key {
	uint64_t features, pfeatures;
	uint64_t state;		/* the state's small fields, a byte each */
	uint64_t fds;		/* the fds' counts and the kinds a summary names */
};

struct vhu_sum_cache;

struct vhu_sum_cache *vhu_sum_cache_new(void);
void vhu_sum_cache_free(struct vhu_sum_cache *c);

/* The summary kept for the message's len bytes (its header and payload:
 * len from 12 to VHU_SUM_CACHE_MSG_MAX) with key k: copied to out, which has room for
 * VHU_SUM_CACHE_TEXT_MAX bytes (the copy is of that many: a fixed size is
 * a few moves), and its length returned; 0 when none is kept.  *hash is
 * set for vhu_sum_cache_keep(). */
size_t vhu_sum_cache_find(struct vhu_sum_cache *c, const struct vhu_sum_key *k,
			  const uint8_t *msg, uint32_t len, uint64_t *hash, char *out);
/* Keeps text (text_len bytes) as the summary of the message that
 * vhu_sum_cache_find() did not find under hash; one that does not fit is
 * not kept. */
void vhu_sum_cache_keep(struct vhu_sum_cache *c, const struct vhu_sum_key *k,
			const uint8_t *msg, uint32_t len, uint64_t hash, const char *text,
			size_t text_len);

#ifdef __cplusplus
}
#endif
#endif
