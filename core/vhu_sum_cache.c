/* SPDX-License-Identifier: MIT */
/* \summary: a context's recently made summaries, by message bytes and state */
#include "vhu_sum_cache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>


/* Room for the different messages of a few devices' rings and tables;
 * a message that maps to a slot in use replaces what it holds. */
#define SLOTS_LOG2 8

struct slot {
	uint64_t hash;
	struct vhu_sum_key key;
	uint32_t len;		/* the message's bytes */
	uint32_t text_len;	/* 0: empty (a summary is never empty) */
	uint8_t msg[VHU_SUM_CACHE_MSG_MAX];
	char text[VHU_SUM_CACHE_TEXT_MAX];
};

struct vhu_sum_cache {
	struct slot slot[1u << SLOTS_LOG2];
};

struct vhu_sum_cache *vhu_sum_cache_new(void)
{
	return calloc(1, sizeof(struct vhu_sum_cache));
}

void vhu_sum_cache_free(struct vhu_sum_cache *c)
{
	free(c);
}

#define MIX 0x9e3779b97f4a7c15ull

/* The header (request, flags, size), the payload's first eight bytes and
 * the state's small fields: what tells most messages apart (a ring's
 * index, an address, an IOTLB's iova).  Messages alike in them share a
 * slot, which costs only walks: the whole message is compared. */
static uint64_t hash_of(const struct vhu_sum_key *k, const uint8_t *msg, uint32_t len)
{
	uint64_t head, first = 0;
	uint32_t size;

	memcpy(&head, msg, 8);
	memcpy(&size, msg + 8, 4);
	if (len >= 20)
		memcpy(&first, msg + 12, 8);
	return ((head * MIX ^ first ^ k->state) * MIX ^ ((uint64_t)len << 32 | size)) * MIX;
}

static bool key_equal(const struct vhu_sum_key *a, const struct vhu_sum_key *b)
{
	return a->features == b->features && a->pfeatures == b->pfeatures &&
	       a->state == b->state && a->fds == b->fds;
}

static struct slot *slot_of(struct vhu_sum_cache *c, uint64_t hash)
{
	return &c->slot[hash >> (64 - SLOTS_LOG2)];
}

size_t vhu_sum_cache_find(struct vhu_sum_cache *c, const struct vhu_sum_key *k,
			  const uint8_t *msg, uint32_t len, uint64_t *hash, char *out)
{
	const struct slot *s;

	*hash = hash_of(k, msg, len);
	s = slot_of(c, *hash);
	if (!s->text_len || s->hash != *hash || s->len != len ||
	    !key_equal(&s->key, k) || memcmp(s->msg, msg, len) != 0)
		return 0;
	memcpy(out, s->text, VHU_SUM_CACHE_TEXT_MAX);
	return s->text_len;
}

void vhu_sum_cache_keep(struct vhu_sum_cache *c, const struct vhu_sum_key *k,
			const uint8_t *msg, uint32_t len, uint64_t hash, const char *text,
			size_t text_len)
{
	struct slot *s = slot_of(c, hash);

	if (!text_len || text_len >= VHU_SUM_CACHE_TEXT_MAX || len > VHU_SUM_CACHE_MSG_MAX)
		return;
	s->hash = hash;
	s->key = *k;
	s->len = len;
	s->text_len = (uint32_t)text_len;
	memcpy(s->msg, msg, len);
	memcpy(s->text, text, text_len);
}
