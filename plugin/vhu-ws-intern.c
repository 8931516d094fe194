/* SPDX-License-Identifier: MIT */
/*
 * vhu-ws-intern.c - byte strings stored once: what thousands of messages
 * of a capture have in common (a connection's negotiated state, the same
 * passed fds round after round, endpoint names) is kept one time and
 * referred to by a 32-bit index.
 *
 * Callers zero a value before filling it, so padding never makes two
 * equal values differ.
 */
#include "vhu-ws.h"

#include <string.h>

/* Stored key and lookup key alike: the bytes, their length and hash. */
struct blob {
	const void *p;
	size_t n;
	guint hash;
};

/* Eight bytes a step (values are structs of a few dozen words): a
 * multiply and a rotation each, the rest folded in at the end. */
static guint hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0x9e3779b97f4a7c15u ^ n, w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h = (h << 29) | (h >> 35);
	}
	for (; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3u;
	h ^= h >> 32;
	return (guint)h;
}

static guint blob_hash(gconstpointer k)
{
	return ((const struct blob *)k)->hash;
}

static gboolean blob_equal(gconstpointer a, gconstpointer b)
{
	const struct blob *x = a, *y = b;

	return x->n == y->n && memcmp(x->p, y->p, x->n) == 0;
}

void vhu_ws_interned_init(struct vhu_ws_interned *t)
{
	unsigned i;

	/* the keys own their bytes (one allocation each) */
	t->set = g_hash_table_new_full(blob_hash, blob_equal, g_free, NULL);
	t->all = g_ptr_array_new();
	for (i = 0; i < G_N_ELEMENTS(t->recent); i++)
		t->recent[i] = UINT32_MAX;
	memset(t->hinted, 0, sizeof(t->hinted));
}

void vhu_ws_interned_free(struct vhu_ws_interned *t)
{
	if (t->set)
		g_hash_table_destroy(t->set);
	if (t->all)
		g_ptr_array_free(t->all, TRUE);
	memset(t, 0, sizeof(*t));
}

/* Makes index i (n bytes) the first of the recent ones, the others
 * moving down from slot `from` (the last slot: a new one, dropping what
 * was used longest ago). */
static void to_front(struct vhu_ws_interned *t, unsigned from, uint32_t i, size_t n)
{
	for (; from > 0; from--) {
		t->recent[from] = t->recent[from - 1];
		t->recent_n[from] = t->recent_n[from - 1];
	}
	t->recent[0] = i;
	t->recent_n[0] = n;
}

/* The few values a session alternates between (two directions, two
 * states) are compared before the hash table is asked, the most recently
 * used first: a value and the one before it cost one or two compares. */
static uint32_t recently(struct vhu_ws_interned *t, const void *p, size_t n)
{
	unsigned k;

	for (k = 0; k < G_N_ELEMENTS(t->recent) && t->recent[k] != UINT32_MAX; k++) {
		uint32_t i = t->recent[k];

		if (t->recent_n[k] == n && memcmp(g_ptr_array_index(t->all, i), p, n) == 0) {
			if (k)
				to_front(t, k, i, n);
			return i;
		}
	}
	return UINT32_MAX;
}

static uint32_t store(struct vhu_ws_interned *t, const void *p, size_t n, guint hash)
{
	struct blob *stored = g_malloc(sizeof(*stored) + (n ? n : 1));
	uint8_t *copy = (uint8_t *)(stored + 1);
	uint32_t i = t->all->len;

	memcpy(copy, p, n);
	stored->p = copy;
	stored->n = n;
	stored->hash = hash;
	g_ptr_array_add(t->all, copy);
	g_hash_table_insert(t->set, stored, GUINT_TO_POINTER(i + 1));
	return i;
}

uint32_t vhu_ws_intern(struct vhu_ws_interned *t, const void *p, size_t n)
{
	struct blob key;
	gpointer found;
	uint32_t i = recently(t, p, n);

	if (i != UINT32_MAX)
		return i;
	key.p = p;
	key.n = n;
	key.hash = hash_bytes(p, n);
	if (g_hash_table_lookup_extended(t->set, &key, NULL, &found))
		i = GPOINTER_TO_UINT(found) - 1;
	else
		i = store(t, p, n, key.hash);
	to_front(t, G_N_ELEMENTS(t->recent) - 1, i, n);
	return i;
}

/* Values interned with a hint are looked for in one slot of many, picked
 * by the hint: the recent values alone are too few for a capture whose
 * connections interleave (a mix of dozens missed them nearly always and
 * paid for hashing a 200-byte context and a table lookup a message). */
static unsigned hint_slot(uint64_t hint)
{
	return (unsigned)((hint * 0x9e3779b97f4a7c15u) >> 56) % VHU_WS_HINT_SLOTS;
}

/* Whether index i holds the n bytes at p. */
static bool holds(const struct vhu_ws_interned *t, uint32_t i, const void *p, size_t n)
{
	/* store() put the bytes right after their key */
	const struct blob *b = (const struct blob *)g_ptr_array_index(t->all, i) - 1;

	return b->n == n && memcmp(b->p, p, n) == 0;
}

uint32_t vhu_ws_intern_hinted(struct vhu_ws_interned *t, const void *p, size_t n, uint64_t hint)
{
	uint32_t *ways = t->hinted[hint_slot(hint)];
	uint32_t i;

	if (ways[0] && holds(t, ways[0] - 1, p, n))
		return ways[0] - 1;
	if (ways[1] && holds(t, ways[1] - 1, p, n)) {
		i = ways[1];
		ways[1] = ways[0];
		ways[0] = i;
		return i - 1;
	}
	i = vhu_ws_intern(t, p, n);
	ways[1] = ways[0];
	ways[0] = i + 1;
	return i;
}

const void *vhu_ws_interned_at(const struct vhu_ws_interned *t, uint32_t i)
{
	return g_ptr_array_index(t->all, i);
}
