/* SPDX-License-Identifier: MIT */
/*
 * test_emit.h - an emitter for the core tests: it writes every node as one
 * line of text ("depth abbrev=value | text"), every note as "! abbrev: text"
 * and the summary as "= text", and checks that pushes and pops balance.
 */
#ifndef TEST_EMIT_H
#define TEST_EMIT_H

#include <stdio.h>

#include "vhu_emit.h"

struct test_emit {
	FILE *out;
	int depth;
	int max_depth;
	int nodes;
	int notes[VHU_N__COUNT];
	int errors;		/* unbalanced pops, bad field ids, long texts */
	char summary[512];
};

extern const struct vhu_emitter test_emitter;
void test_emit_reset(struct test_emit *t, FILE *out);

#define CHECK(cond)                                                               \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                               \
		}                                                                 \
	} while (0)

#endif
