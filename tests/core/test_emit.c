/* SPDX-License-Identifier: MIT */
/* \summary: a line-per-node emitter used by the core tests */
#include "test_emit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vhu_features.h"
#include "vhu_fields.h"
#include "vhu_proto.h"
#include "vhu_walk.h"

static void line(struct test_emit *t, const struct vhu_node *n, char kind)
{
	const struct vhu_field *f = n->field >= 0 ? vhu_field_get(n->field) : NULL;

	if (n->field >= 0 && !f)
		t->errors++;
	if (!n->text || strlen(n->text) >= VHU_TEXT_MAX)
		t->errors++;
	else if (n->text_len && n->text_len != strlen(n->text))
		t->errors++;	/* a length given must be the text's */
	t->nodes++;
	if (!t->out)
		return;
	fprintf(t->out, "%*s%c %s", t->depth * 2, "", kind, f ? f->abbrev : "-");
	if (f && f->type != VHU_FT_NONE && f->type != VHU_FT_STRING && f->type != VHU_FT_BYTES)
		fprintf(t->out, "=%" PRIu64, n->value);
	fprintf(t->out, " @%u+%u%s | %s\n", n->off, n->len, n->generated ? " gen" : "", n->text ? n->text : "(null)");
}

static void item(void *ctx, const struct vhu_node *n)
{
	line(ctx, n, '-');
}

static void push(void *ctx, const struct vhu_node *n)
{
	struct test_emit *t = ctx;

	if (n->ett < 0 || n->ett >= VHU_ETT__COUNT)
		t->errors++;
	else
		t->etts[n->ett]++;
	line(t, n, '+');
	t->depth++;
	if (t->depth > t->max_depth)
		t->max_depth = t->depth;
}

static void pop(void *ctx)
{
	struct test_emit *t = ctx;

	if (t->depth == 0)
		t->errors++;
	else
		t->depth--;
}

static void note(void *ctx, int id, const char *text)
{
	struct test_emit *t = ctx;
	const struct vhu_note_desc *d = vhu_note_get(id);

	if (!d) {
		t->errors++;
		return;
	}
	t->notes[id]++;
	if (t->out)
		fprintf(t->out, "%*s! %s: %s\n", t->depth * 2, "", d->abbrev, text);
}

static void summary(void *ctx, const char *text, size_t len)
{
	struct test_emit *t = ctx;

	if (len != strlen(text))
		t->errors++;	/* the length handed on is the text's */
	snprintf(t->summary, sizeof(t->summary), "%s", text);
	if (t->out)
		fprintf(t->out, "= %s\n", text);
}

static struct vhu_line_cache *line_cache(void *ctx)
{
	struct test_emit *t = ctx;

	return t->lines;
}

static struct vhu_sum_cache *summary_cache(void *ctx)
{
	struct test_emit *t = ctx;

	return t->sums;
}

const struct vhu_emitter test_emitter = {
	.item = item,
	.push = push,
	.pop = pop,
	.note = note,
	.summary = summary,
	.line_cache = line_cache,
	.summary_cache = summary_cache,
};

void test_emit_reset(struct test_emit *t, FILE *out)
{
	memset(t, 0, sizeof(*t));
	t->out = out;
}

int test_walk_shortcuts(const struct vhu_msg *m, const struct vhu_msg_info *mi,
			const struct test_emit *full)
{
	static const struct vhu_walk_opts shortcuts[] = {
		{ .summary_only = true },
		{ .values_only = true },
	};
	static const char *const names[] = { "summary only", "values only" };
	struct test_emit t;
	int differ = 0;
	size_t i;

	for (i = 0; i < sizeof(shortcuts) / sizeof(shortcuts[0]); i++) {
		test_emit_reset(&t, NULL);
		vhu_walk_message(m, mi, &shortcuts[i], &test_emitter, &t);
		if (strcmp(t.summary, full->summary) != 0) {
			fprintf(stderr, "%s: summary \"%s\", the full walk's \"%s\"\n", names[i],
				t.summary, full->summary);
			differ++;
		}
		if (memcmp(t.notes, full->notes, sizeof(t.notes)) != 0) {
			fprintf(stderr, "%s: other notes than the full walk's (%s)\n", names[i],
				full->summary);
			differ++;
		}
	}
	return differ;
}

/* Differences between a summary-only walk of m in state mi with the
 * summary cache c and one without. */
static int summary_cached_once(const struct vhu_msg *m, const struct vhu_msg_info *mi,
			       struct vhu_sum_cache *c)
{
	static const struct vhu_walk_opts summary_only = { .summary_only = true };
	struct test_emit want, got;
	int differ = 0, walk;

	test_emit_reset(&want, NULL);
	vhu_walk_message(m, mi, &summary_only, &test_emitter, &want);
	for (walk = 0; walk < 2; walk++) {
		test_emit_reset(&got, NULL);
		got.sums = c;
		vhu_walk_message(m, mi, &summary_only, &test_emitter, &got);
		if (strcmp(got.summary, want.summary) != 0) {
			fprintf(stderr, "with the summary cache (walk %d): \"%s\", without: \"%s\"\n",
				walk, got.summary, want.summary);
			differ++;
		}
		if (memcmp(got.notes, want.notes, sizeof(got.notes)) != 0 || got.errors) {
			fprintf(stderr, "with the summary cache (walk %d): other notes than without (%s)\n",
				walk, want.summary);
			differ++;
		}
	}
	return differ;
}

int test_walk_summary_cached(const struct vhu_msg *m, const struct vhu_msg_info *mi,
			     struct vhu_sum_cache *c)
{
	return summary_cached_once(m, mi, c);
}

/* m in state s, right after m in its own state mi: the cache then holds
 * mi's summary, which s's walk must not be handed. */
static int summary_cached_after(const struct vhu_msg *m, const struct vhu_msg_info *mi,
				const struct vhu_msg *other, const struct vhu_msg_info *s,
				struct vhu_sum_cache *c)
{
	return summary_cached_once(m, mi, c) + summary_cached_once(other, s, c);
}

/* The fields of the state a layout is picked and read with, flipped as
 * the bits of combination say (some matter only together: a request's
 * postcopy acknowledgement). */
static void flip_state(struct vhu_msg_info *s, unsigned combination)
{
	if (combination & 1)
		s->is_reply = !s->is_reply;
	if (combination & 2)
		s->matched = !s->matched;
	if (combination & 4)
		s->reply_is_ack = !s->reply_is_ack;
	if (combination & 8)
		s->postcopy = !s->postcopy;
	if (combination & 16) {
		s->features_set = true;
		s->features ^= VHU_BIT(VHU_VIRTIO_F_RING_PACKED);
	}
	if (combination & 32) {
		s->pfeatures_set = true;
		s->pfeatures ^= VHU_BIT(VHU_PF_XEN_MMAP);
	}
}

int test_walk_summary_states(const struct vhu_msg *m, const struct vhu_msg_info *mi,
			     struct vhu_sum_cache *c)
{
	struct vhu_msg_info s, negotiated = *mi;
	struct vhu_msg other;
	int differ = 0;
	unsigned combination;

	for (combination = 0; combination < 64; combination++) {
		s = *mi;
		flip_state(&s, combination);
		differ += summary_cached_after(m, mi, m, &s, c);
	}
	/* the same features, negotiated or not */
	negotiated.features |= VHU_BIT(VHU_VIRTIO_F_RING_PACKED);
	negotiated.pfeatures |= VHU_BIT(VHU_PF_XEN_MMAP);
	s = negotiated;
	s.features_set = !s.features_set;
	differ += summary_cached_after(m, &negotiated, m, &s, c);
	s = negotiated;
	s.pfeatures_set = !s.pfeatures_set;
	differ += summary_cached_after(m, &negotiated, m, &s, c);
	s = *mi;
	s.device = (uint8_t)((s.device + 1) % VHU_DEV__COUNT);
	differ += summary_cached_after(m, mi, m, &s, c);
	s = *mi;
	s.channel = (uint8_t)((s.channel + 1) % (VHU_CHAN_GPU + 1));
	differ += summary_cached_after(m, mi, m, &s, c);
	/* one fd more than came, one fewer described */
	other = *m;
	other.nfds++;
	differ += summary_cached_after(m, mi, &other, mi, c);
	if (m->nfd_info) {
		other = *m;
		other.nfd_info--;
		differ += summary_cached_after(m, mi, &other, mi, c);
	}
	/* and the kind of its first fd */
	if (m->nfd_info && m->nfd_info <= VHU_MSG_MAX_FDS) {
		struct vhu_fdinfo fds[VHU_MSG_MAX_FDS];

		other = *m;
		memcpy(fds, m->fds, m->nfd_info * sizeof(fds[0]));
		fds[0].kind = (uint8_t)(fds[0].kind + 1);
		other.fds = fds;
		differ += summary_cached_after(m, mi, &other, mi, c);
	}
	return differ;
}

/* 1 if got differs from want, both told on stderr. */
static int differ(const char *got, size_t got_len, const char *want, size_t want_len)
{
	if (got_len == want_len && memcmp(got, want, want_len) == 0)
		return 0;
	fprintf(stderr, "with the line cache:\n%.*s\nwithout:\n%.*s\n", (int)got_len, got,
		(int)want_len, want);
	return 1;
}

int test_walk_cached(const struct vhu_msg *m, const struct vhu_msg_info *mi,
		     struct vhu_line_cache *c, const char *want, size_t want_len)
{
	struct test_emit t;
	char *got = NULL;
	size_t got_len = 0;
	FILE *f = open_memstream(&got, &got_len);
	int d;

	test_emit_reset(&t, f);
	t.lines = c;
	vhu_walk_message(m, mi, NULL, &test_emitter, &t);
	fclose(f);
	d = differ(got, got_len, want, want_len);
	free(got);
	return d;
}

int test_walk_record_cached(const struct vhu_record *r, const char *comm,
			    const struct vhu_seq_check *seq, struct vhu_line_cache *c)
{
	struct test_emit t;
	char *text[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 };
	int i, d;

	for (i = 0; i < 2; i++) {
		FILE *f = open_memstream(&text[i], &len[i]);

		test_emit_reset(&t, f);
		t.lines = i ? c : NULL;
		vhu_walk_record(r, comm, seq, &test_emitter, &t);
		fclose(f);
	}
	d = differ(text[1], len[1], text[0], len[0]);
	free(text[0]);
	free(text[1]);
	return d;
}
