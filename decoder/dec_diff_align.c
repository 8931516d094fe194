/* dec_diff_align.c - aligns two message sequences the way diff(1) aligns
 * lines, in bounded memory. */
#include "dec_diff.h"

/*
 * Equal messages are paired as long as both sides agree.  At a divergence
 * the longest common subsequence of the next DIFF_WINDOW messages of each
 * side is computed (a suffix table, so that it can be followed forwards),
 * and followed up to its first pair: what lies before it on each side is
 * deleted or added.  Then the sides agree again.  A message that is extra,
 * missing or moved costs one window, and a table of window^2 entries is all
 * the memory there is: two captures of a million messages never need a
 * table of a million squared.  When the windows have nothing in common,
 * both are given up as deleted and added, which bounds the time by
 * (na + nb) * window.
 */

struct aligner {
	const uint64_t *a, *b;
	size_t na, nb;
	size_t i, j;		/* next message of each side */
	uint16_t *lcs;		/* (DIFF_WINDOW + 1)^2 */
	diff_put_fn fn;
	void *ctx;
};

#define W1 (DIFF_WINDOW + 1)

static void put(struct aligner *al, uint8_t kind)
{
	struct diff_op op = { (uint32_t)al->i, (uint32_t)al->j, kind };

	al->fn(al->ctx, &op);
	if (kind != DIFF_ADD)
		al->i++;
	if (kind != DIFF_DEL)
		al->j++;
}

/* lcs[x * W1 + y]: longest common subsequence of a[i+x..i+wa), b[j+y..j+wb). */
static void fill_table(struct aligner *al, size_t wa, size_t wb)
{
	uint16_t *t = al->lcs;
	size_t x, y;

	for (y = 0; y <= wb; y++)
		t[wa * W1 + y] = 0;
	for (x = wa; x-- > 0;) {
		t[x * W1 + wb] = 0;
		for (y = wb; y-- > 0;) {
			uint16_t down = t[(x + 1) * W1 + y], right = t[x * W1 + y + 1];

			if (al->a[al->i + x] == al->b[al->j + y])
				t[x * W1 + y] = (uint16_t)(t[(x + 1) * W1 + y + 1] + 1);
			else
				t[x * W1 + y] = down >= right ? down : right;
		}
	}
}

/* From a divergence to the next pair of equal messages. */
static void resync(struct aligner *al)
{
	size_t wa = al->na - al->i, wb = al->nb - al->j, x = 0, y = 0;
	const uint16_t *t = al->lcs;

	if (wa > DIFF_WINDOW)
		wa = DIFF_WINDOW;
	if (wb > DIFF_WINDOW)
		wb = DIFF_WINDOW;
	fill_table(al, wa, wb);
	if (t[0] == 0) {
		while (x++ < wa)
			put(al, DIFF_DEL);
		while (y++ < wb)
			put(al, DIFF_ADD);
		return;
	}
	/* deletions first, as diff prints them */
	while (x < wa && y < wb) {
		if (al->a[al->i] == al->b[al->j] && t[x * W1 + y] == t[(x + 1) * W1 + y + 1] + 1)
			return;
		if (t[(x + 1) * W1 + y] >= t[x * W1 + y + 1]) {
			put(al, DIFF_DEL);
			x++;
		} else {
			put(al, DIFF_ADD);
			y++;
		}
	}
}

void diff_align(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, diff_put_fn fn,
		void *ctx)
{
	struct aligner al = { a, b, na, nb, 0, 0, NULL, fn, ctx };

	while (al.i < na && al.j < nb) {
		if (a[al.i] == b[al.j]) {
			put(&al, DIFF_SAME);
			continue;
		}
		if (!al.lcs)
			al.lcs = g_new(uint16_t, (size_t)W1 * W1);
		resync(&al);
	}
	while (al.i < na)
		put(&al, DIFF_DEL);
	while (al.j < nb)
		put(&al, DIFF_ADD);
	g_free(al.lcs);
}
