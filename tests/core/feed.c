/* SPDX-License-Identifier: MIT */
/* \summary: test helper: capture records built with the core's writer */
#include "feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vhu_record.h"

uint32_t build_record(uint8_t *buf, uint32_t cap, uint64_t conn, uint8_t channel, uint8_t event,
		      uint32_t pid, const uint8_t *data, uint32_t len, unsigned nfds, uint8_t kind,
		      uint16_t flags)
{
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	unsigned i;
	uint8_t *p;

	memset(&h, 0, sizeof(h));
	h.event = event;
	h.call = event == VHU_EV_DATA_SENT ? VHU_CALL_SENDMSG : VHU_CALL_RECVMSG;
	h.pid = pid;
	h.tid = pid;
	h.conn_id = conn;
	h.fd = 5;
	h.flags = flags;
	h.channel = channel;
	h.nfds = (uint8_t)nfds;
	h.orig_len = len;
	vhu_rec_begin(&b, buf, cap, &h);
	for (i = 0; i < nfds; i++) {
		struct vhu_rec_fd fd;
		char name[64];

		memset(&fd, 0, sizeof(fd));
		fd.fd = (int32_t)(20 + i);
		fd.kind = kind;
		fd.ino = 1000 + i;
		snprintf(name, sizeof(name), "%s", kind == VHU_FDK_MEMFD ? "/memfd:mem (deleted)" :
			 kind == VHU_FDK_EVENTFD ? "anon_inode:[eventfd]" :
			 kind == VHU_FDK_SOCKET ? "socket:[4242]" : kind == VHU_FDK_PIPE ? "pipe:[77]" : "/dev/null");
		fd.name = name;
		fd.name_len = (uint16_t)strlen(name);
		vhu_rec_add_fd(&b, &fd);
	}
	p = vhu_rec_add_data(&b, len);
	if (p && len)
		memcpy(p, data, len);
	return (uint32_t)vhu_rec_end(&b);
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

	feed_buf(f, buf, n);
}

void feed_event(struct feeder *f, uint64_t conn, uint8_t channel, uint8_t event, uint32_t pid,
		uint64_t link, const char *comm, const char *cmdline)
{
	static uint8_t buf[8192];
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;

	memset(&h, 0, sizeof(h));
	h.event = event;
	h.pid = pid;
	h.tid = pid;
	h.conn_id = conn;
	h.fd = 5;
	h.channel = channel;
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	if (link) {
		uint8_t v[8];

		vhu_put_le64(v, link);
		vhu_rec_add_item(&b, VHU_IT_LINK, v, 8);
	}
	if (comm) {
		uint8_t v[VHU_REC_PROC_LEN] = { 0 };

		vhu_put_le32(v, 1);
		strncpy((char *)v + 4, comm, 15);
		vhu_rec_add_item(&b, VHU_IT_PROC, v, sizeof(v));
	}
	if (cmdline)
		vhu_rec_add_item(&b, VHU_IT_CMDLINE, cmdline, (uint32_t)strlen(cmdline) + 1);
	feed_buf(f, buf, (uint32_t)vhu_rec_end(&b));
}
