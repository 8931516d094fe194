/* SPDX-License-Identifier: MIT */
/*
 * samples.h - a valid example of every message of the core's tables, for
 * the tests: header, payload of the right layout, and how many fds (and of
 * which kind) go with it.
 */
#ifndef SAMPLES_H
#define SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include "vhu_msgs.h"

struct sample {
	uint8_t bytes[20000];
	uint32_t len;
	unsigned nfds;
	uint8_t fd_kind;
};

/* Builds request (reply = 0) or reply (reply = 1) of id on channel.  With
 * need_reply, the request carries NEED_REPLY and its reply is a u64 ack.
 * Returns 0 if the message has no such form. */
int sample_build(struct sample *s, unsigned channel, uint32_t id, int reply, int need_reply);

/* Fills p with a valid payload of layout l (the request's form, or the
 * reply's with reply set); returns its size and sets the fd count and kind.
 * The switch has no default: a layout without a sample does not compile. */
uint32_t sample_payload(enum vhu_layout l, uint8_t *p, unsigned *nfds, uint8_t *kind, int reply);

/* Writes a header. */
void sample_header(uint8_t *p, uint32_t req, uint32_t flags, uint32_t size);

#endif
