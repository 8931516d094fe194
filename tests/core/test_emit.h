/* SPDX-License-Identifier: MIT */
/*
 * test_emit.h - an emitter for the core tests: it writes every node as one
 * line of text ("depth abbrev=value | text"), every note as "! abbrev: text"
 * and the summary as "= text", and checks that pushes and pops balance.
 */
#ifndef TEST_EMIT_H
#define TEST_EMIT_H

#include <stdio.h>

#include "vhu_diag.h"
#include "vhu_emit.h"

struct test_emit {
	FILE *out;
	int depth;
	int max_depth;
	int nodes;
	int notes[VHU_NOTE_ID_COUNT];
	int etts[VHU_ETT__COUNT];	/* subtrees opened, by kind */
	int errors;		/* unbalanced pops, bad field ids, long texts */
	char summary[1024];	/* more than a summary may hold: an overlong one shows */
	struct vhu_line_cache *lines;	/* given to the walker, or NULL */
	struct vhu_sum_cache *sums;	/* given to the walker, or NULL */
};

extern const struct vhu_emitter test_emitter;
void test_emit_reset(struct test_emit *t, FILE *out);

struct vhu_msg;
struct vhu_msg_info;
/* Walks m again without a tree (one-line output) and without texts (JSON,
 * an invisible tree): those walks skip what they do not show, and must
 * give the summary and the notes of the full walk, whose emitter is full.
 * Returns the number of differences, each told on stderr. */
int test_walk_shortcuts(const struct vhu_msg *m, const struct vhu_msg_info *mi,
			const struct test_emit *full);
/* Walks m with the line cache c (holding lines of earlier walks) and
 * compares what it writes with want, the output of a walk without one.
 * Returns 1 if they differ, told on stderr. */
int test_walk_cached(const struct vhu_msg *m, const struct vhu_msg_info *mi,
		     struct vhu_line_cache *c, const char *want, size_t want_len);
/* Walks m summary-only without a summary cache, then twice with c (which
 * holds the summaries of earlier walks: the first may keep this one, the
 * second find it); the summaries and notes must be the uncached walk's.
 * Returns the number of differences, told on stderr. */
struct vhu_sum_cache;
int test_walk_summary_cached(const struct vhu_msg *m, const struct vhu_msg_info *mi,
			     struct vhu_sum_cache *c);
/* The same in states changed from mi a field at a time and together, each
 * walked right after m in mi (a key that missed a field the summary
 * depends on would hand mi's summary to the other state), and with
 * another count of fds or kind of fd. */
int test_walk_summary_states(const struct vhu_msg *m, const struct vhu_msg_info *mi,
			     struct vhu_sum_cache *c);
/* The same for a capture record's tree: walked without a cache and with c. */
struct vhu_record;
struct vhu_seq_check;
int test_walk_record_cached(const struct vhu_record *r, const char *comm,
			    const struct vhu_seq_check *seq, struct vhu_line_cache *c);

#define CHECK(cond)                                                               \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                               \
		}                                                                 \
	} while (0)

/* CHECK with the context that makes a failure readable: the loop index,
 * the values compared (printf arguments after the condition). */
#define CHECKF(cond, ...)                                                         \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                             \
			fputc('\n', stderr);                                      \
			failures++;                                               \
		}                                                                 \
	} while (0)

/* Two integers that must be equal; a failure shows both. */
#define CHECK_EQ(a, b)                                                            \
	CHECKF((unsigned long long)(a) == (unsigned long long)(b), "%llu != %llu", \
	       (unsigned long long)(a), (unsigned long long)(b))

#endif
