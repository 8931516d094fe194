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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* Room for the different messages of a few devices' rings and tables;
 * a message that maps to a slot in use replaces what it holds. */
#define VHU_SUM_CACHE_SLOTS_LOG2 8

/* The layout is here so that a lookup is inlined where the walker takes
 * summaries (a call was a fifth of a found summary's cost); only
 * vhu_sum_cache.c writes it. */
struct vhu_sum_slot {
	uint64_t hash;
	struct vhu_sum_key key;
	uint32_t len;		/* the message's bytes */
	uint32_t text_len;	/* 0: empty (a summary is never empty) */
	uint8_t msg[VHU_SUM_CACHE_MSG_MAX];
	char text[VHU_SUM_CACHE_TEXT_MAX];
};

struct vhu_sum_cache {
	struct vhu_sum_slot slot[1u << VHU_SUM_CACHE_SLOTS_LOG2];
};

struct vhu_sum_cache *vhu_sum_cache_new(void);
void vhu_sum_cache_free(struct vhu_sum_cache *c);

#define VHU_SUM_CACHE_MIX 0x9e3779b97f4a7c15ull

/* The hash of a message of len bytes (its header and payload: len from 12
 * to VHU_SUM_CACHE_MSG_MAX) with key k: its header (request, flags,
 * size), its payload's first eight bytes and the state's small fields,
 * what tells most messages apart (a ring's index, an address, an IOTLB's
 * iova).  Messages alike in them share a slot, which costs only walks:
 * the whole message is compared. */
static inline uint64_t vhu_sum_cache_hash(const struct vhu_sum_key *k, const uint8_t *msg,
					  uint32_t len)
{
	uint64_t head, first = 0;
	uint32_t size;

	memcpy(&head, msg, 8);
	memcpy(&size, msg + 8, 4);
	if (len >= 20)
		memcpy(&first, msg + 12, 8);
	return ((head * VHU_SUM_CACHE_MIX ^ first ^ k->state) * VHU_SUM_CACHE_MIX ^
		((uint64_t)len << 32 | size)) * VHU_SUM_CACHE_MIX;
}

static inline struct vhu_sum_slot *vhu_sum_cache_slot(struct vhu_sum_cache *c, uint64_t hash)
{
	return &c->slot[hash >> (64 - VHU_SUM_CACHE_SLOTS_LOG2)];
}

/* Are the len bytes (VHU_HDR_SIZE to VHU_SUM_CACHE_MSG_MAX) at a and b the
 * same?  Up to 24 bytes (a header and a u64, as a ping-pong's messages)
 * in three words that overlap, where memcmp's call cost more than they;
 * longer ones by memcmp. */
static inline bool vhu_sum_msg_same(const uint8_t *a, const uint8_t *b, uint32_t len)
{
	uint32_t mid = (len - 8) / 2;	/* the words at 0, mid and len - 8 cover len <= 24 */
	uint64_t a0, a1, a2, b0, b1, b2;

	if (len > 24)
		return memcmp(a, b, len) == 0;
	memcpy(&a0, a, 8);
	memcpy(&b0, b, 8);
	memcpy(&a1, a + mid, 8);
	memcpy(&b1, b + mid, 8);
	memcpy(&a2, a + len - 8, 8);
	memcpy(&b2, b + len - 8, 8);
	return !((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2));
}

/* A kept summary shorter than this is copied in this many bytes. */
#define VHU_SUM_CACHE_TEXT_SHORT 48

/* The summary slot s keeps for the message's len bytes with key k under
 * hash: copied to out, which has room for VHU_SUM_CACHE_TEXT_MAX bytes, and
 * its length returned; 0 when s keeps another.  The copy is of a fixed
 * size, VHU_SUM_CACHE_TEXT_SHORT bytes or all of the room: a few moves. */
static inline size_t vhu_sum_slot_take(const struct vhu_sum_slot *s, uint64_t hash,
				       const struct vhu_sum_key *k, const uint8_t *msg,
				       uint32_t len, char *out)
{
	/* the words compared at once, one branch (an empty slot's len is 0,
	 * no message's) */
	uint64_t differ = (s->hash ^ hash) | (s->len ^ len) |
			  (s->key.features ^ k->features) | (s->key.pfeatures ^ k->pfeatures) |
			  (s->key.state ^ k->state) | (s->key.fds ^ k->fds);

	/* expected to match (most summaries are found): without saying so, gcc
	 * took the copy for a rare path and made it short, a string
	 * instruction */
	if (__builtin_expect(differ || !vhu_sum_msg_same(s->msg, msg, len), 0))
		return 0;
	if (s->text_len < VHU_SUM_CACHE_TEXT_SHORT)
		memcpy(out, s->text, VHU_SUM_CACHE_TEXT_SHORT);
	else
		memcpy(out, s->text, VHU_SUM_CACHE_TEXT_MAX);
	return s->text_len;
}

/* Keeps text (text_len bytes) in s as the summary of the message whose
 * hash picked s; one that does not fit is not kept. */
void vhu_sum_slot_keep(struct vhu_sum_slot *s, uint64_t hash, const struct vhu_sum_key *k,
		       const uint8_t *msg, uint32_t len, const char *text, size_t text_len);

#ifdef __cplusplus
}
#endif
#endif
