/* SPDX-License-Identifier: MIT */
/* \summary: a context's recently made summaries, by message bytes and state */
#include "vhu_sum_cache.h"

#include <stdlib.h>
#include <string.h>

struct vhu_sum_cache *vhu_sum_cache_new(void)
{
	return calloc(1, sizeof(struct vhu_sum_cache));
}

void vhu_sum_cache_free(struct vhu_sum_cache *c)
{
	free(c);
}

void vhu_sum_slot_keep(struct vhu_sum_slot *s, uint64_t hash, const struct vhu_sum_key *k,
		       const uint8_t *msg, uint32_t len, const char *text, size_t text_len)
{
	if (!text_len || text_len >= VHU_SUM_CACHE_TEXT_MAX || len > VHU_SUM_CACHE_MSG_MAX)
		return;
	s->hash = hash;
	s->key = *k;
	s->len = len;
	s->text_len = (uint32_t)text_len;
	memcpy(s->msg, msg, len);
	memcpy(s->text, text, text_len);
}
