/* SPDX-License-Identifier: MIT */
/* \summary: test helper: capture records built with the core's writer */
#include "feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capgen.h"
#include "vhu_record.h"

uint32_t build_record(uint8_t *buf, uint32_t cap, uint64_t conn, uint8_t channel, uint8_t event,
		      uint32_t pid, const uint8_t *data, uint32_t len, unsigned nfds, uint8_t kind,
		      uint16_t flags)
{
	static const struct capgen_fd_style style = { .first_fd = 20, .first_ino = 1000 };
	struct vhu_rec_fd fds[VHU_REC_MAX_FDS];
	const struct capgen_side s = { pid, conn, 5, channel, 0 };
	struct vhu_rec_hdr h;

	if (nfds > VHU_REC_MAX_FDS) {
		fprintf(stderr, "feed: %u fds, more than a record holds\n", nfds);
		exit(2);
	}
	capgen_fds_of_kind(fds, nfds, kind, &style);
	capgen_data_hdr(&h, &s, event, len, nfds);
	h.flags = flags;
	return (uint32_t)capgen_data_record(buf, cap, &h, fds, data, len);
}

static void feed_buf(struct feeder *f, const uint8_t *buf, uint32_t n)
{
	static struct vhu_record r;

	if (vhu_rec_parse(buf, n, &r) != VHU_REC_OK) {
		fprintf(stderr, "feed: record does not parse\n");
		exit(2);
	}
	f->frame++;
	f->ts_ns += 1000;
	vhu_session_record(f->s, f->frame, f->ts_ns, &r);
}

void feed_data(struct feeder *f, uint64_t conn, uint8_t channel, uint8_t event, uint32_t pid,
	       const uint8_t *data, uint32_t len, unsigned nfds, uint8_t kind, uint16_t flags)
{
	static uint8_t buf[VHU_REC_MAX_DATA + 65536];
	uint32_t n = build_record(buf, sizeof(buf), conn, channel, event, pid, data, len, nfds, kind, flags);

	buf[31] = f->role;	/* the role byte of the fixed header */
	feed_buf(f, buf, n);
}

void feed_event(struct feeder *f, uint64_t conn, uint8_t channel, uint8_t event, uint32_t pid,
		uint64_t link, const char *comm, const char *cmdline)
{
	static uint8_t buf[8192];
	const struct capgen_side s = { pid, conn, 5, channel, 0 };
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;

	capgen_hdr(&h, &s, event, 0);
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	if (link)
		capgen_add_link(&b, link);
	if (comm)
		capgen_add_proc(&b, 1, comm);
	if (cmdline)
		vhu_rec_add_item(&b, VHU_IT_CMDLINE, cmdline, (uint32_t)strlen(cmdline) + 1);
	feed_buf(f, buf, (uint32_t)capgen_rec_end(&b));
}
