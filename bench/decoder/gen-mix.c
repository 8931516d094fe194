/* gen-mix.c - writes a large mixed vhost-user capture for the decoder benchmark. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capgen.h"
#include "vhu_proto.h"
#include "vhu_record.h"

/*
 * usage: gen-mix MESSAGES FILE [flood|pingpong]
 *
 * MESSAGES messages over NCONN connections of different processes, taken
 * in turn, as a front-end records them: vring set-up requests, GET_VRING_BASE
 * with its reply, SET_MEM_TABLE with two memfds and a NEED_REPLY ack,
 * kick/call eventfds, IOTLB messages.  One reply in four arrives in two
 * records (header, then payload), as DPDK reads them.  Timestamps advance
 * by 1 us per record.  Built against the core's writers only (through
 * tests/common/capgen.c).
 *
 * flood: every message is a GET_VRING_BASE that is never answered, the
 * worst case for the per-connection state of --check's rules.
 *
 * pingpong: one connection, GET_FEATURES and its reply in turn, the
 * exchange the shim's and the attach benchmarks drive as fast as they can.
 */
#define NCONN 8
#define KINDS 12

struct gen {
	struct capgen_out out;
	uint8_t rec[4096];
};

/* One record of process pid's connection, with nfds fds of fdkind. */
static void record(struct gen *g, uint8_t event, uint32_t pid, const uint8_t *data,
		   uint32_t len, unsigned nfds, uint8_t fdkind)
{
	static const struct capgen_fd_style memfds = {
		.first_fd = 40, .first_ino = 5000, .mode = 0100600,
		.name = "/memfd:pc.ram (deleted)",
	};
	static const struct capgen_fd_style eventfds = {
		.first_fd = 40, .first_ino = 5000, .mode = 0100600,
		.name = "anon_inode:[eventfd]",
	};
	const struct capgen_side s = {
		pid, (uint64_t)pid << 32 | 1, 10, VHU_CHAN_MAIN, VHU_ROLE_FRONTEND
	};
	struct vhu_rec_fd fds[2];
	struct vhu_rec_hdr h;
	int dir = event == VHU_EV_DATA_RECV;

	capgen_fds_of_kind(fds, nfds, fdkind, fdkind == VHU_FDK_MEMFD ? &memfds : &eventfds);
	capgen_data_hdr(&h, &s, event, len, nfds);
	capgen_packet(&g->out, g->rec, capgen_data_record(g->rec, sizeof(g->rec), &h, fds, data, len),
		      dir, capgen_dir_flags(dir));
}

/* A reply, in one record or (every fourth) in two. */
static void reply(struct gen *g, uint32_t pid, const struct capgen_msg *m, uint64_t n)
{
	if (n % 4 == 0 && m->len > VHU_HDR_SIZE) {
		record(g, VHU_EV_DATA_RECV, pid, m->b, VHU_HDR_SIZE, 0, 0);
		record(g, VHU_EV_DATA_RECV, pid, m->b + VHU_HDR_SIZE, m->len - VHU_HDR_SIZE, 0, 0);
	} else {
		record(g, VHU_EV_DATA_RECV, pid, m->b, m->len, 0, 0);
	}
}

/* Message number n (of its connection's sequence), kind n % KINDS. */
static void one(struct gen *g, uint32_t pid, uint64_t n)
{
	uint32_t q = (uint32_t)(n / KINDS) % 4;
	struct capgen_msg m;

	switch (n % KINDS) {
	case 0:
		capgen_msg_start(&m, VHU_SET_VRING_NUM, 1);
		capgen_msg_u32(&m, q);
		capgen_msg_u32(&m, 256);
		break;
	case 1:
		capgen_msg_start(&m, VHU_SET_VRING_BASE, 1);
		capgen_msg_u32(&m, q);
		capgen_msg_u32(&m, 0);
		break;
	case 2:
		capgen_msg_start(&m, VHU_SET_VRING_ADDR, 1);
		capgen_msg_u32(&m, q);
		capgen_msg_u32(&m, 0);
		capgen_msg_u64(&m, 0x7f0000100000);
		capgen_msg_u64(&m, 0x7f0000102000);
		capgen_msg_u64(&m, 0x7f0000101000);
		capgen_msg_u64(&m, 0);
		break;
	case 3:
	case 4:
		capgen_msg_start(&m, n % KINDS == 3 ? VHU_SET_VRING_KICK : VHU_SET_VRING_CALL, 1);
		capgen_msg_u64(&m, q);
		record(g, VHU_EV_DATA_SENT, pid, m.b, m.len, 1, VHU_FDK_EVENTFD);
		return;
	case 5:
		capgen_msg_start(&m, VHU_GET_VRING_BASE, 1);
		capgen_msg_u32(&m, q);
		capgen_msg_u32(&m, 0);
		break;
	case 6:
		capgen_msg_start(&m, VHU_GET_VRING_BASE, 5);
		capgen_msg_u32(&m, q);
		capgen_msg_u32(&m, (uint32_t)n & 0xffff);
		reply(g, pid, &m, n / KINDS);
		return;
	case 7:
		capgen_msg_start(&m, VHU_SET_MEM_TABLE, 9);
		capgen_msg_u32(&m, 2);
		capgen_msg_u32(&m, 0);
		capgen_msg_u64(&m, 0);
		capgen_msg_u64(&m, 0x80000000);
		capgen_msg_u64(&m, 0x7f0000000000);
		capgen_msg_u64(&m, 0);
		capgen_msg_u64(&m, 0x100000000);
		capgen_msg_u64(&m, 0x40000000);
		capgen_msg_u64(&m, 0x7f0080000000);
		capgen_msg_u64(&m, 0);
		record(g, VHU_EV_DATA_SENT, pid, m.b, m.len, 2, VHU_FDK_MEMFD);
		return;
	case 8:
		capgen_msg_start(&m, VHU_SET_MEM_TABLE, 5);
		capgen_msg_u64(&m, 0);
		reply(g, pid, &m, n / KINDS + 1);
		return;
	case 9:
		capgen_msg_start(&m, VHU_SET_VRING_ENABLE, 1);
		capgen_msg_u32(&m, q);
		capgen_msg_u32(&m, 1);
		break;
	case 10:
		capgen_msg_start(&m, VHU_IOTLB_MSG, 9);
		capgen_msg_u64(&m, 0x1000 * n);
		capgen_msg_u64(&m, 0x1000);
		capgen_msg_u64(&m, 0x7f0000000000 + 0x1000 * n);
		capgen_msg_u32(&m, 0x0203);	/* perm RW, type UPDATE */
		capgen_msg_u32(&m, 0);
		break;
	default:
		capgen_msg_start(&m, VHU_IOTLB_MSG, 5);
		capgen_msg_u64(&m, 0);
		reply(g, pid, &m, n / KINDS + 2);
		return;
	}
	record(g, VHU_EV_DATA_SENT, pid, m.b, m.len, 0, 0);
}

/* A request that needs a reply, and none comes. */
static void unanswered(struct gen *g, uint32_t pid, uint64_t n)
{
	struct capgen_msg m;

	capgen_msg_start(&m, VHU_GET_VRING_BASE, 1);
	capgen_msg_u32(&m, (uint32_t)n % 4);
	capgen_msg_u32(&m, 0);
	record(g, VHU_EV_DATA_SENT, pid, m.b, m.len, 0, 0);
}

/* Message n of the ping-pong: a GET_FEATURES request, then its reply. */
static void pingpong(struct gen *g, uint64_t n)
{
	struct capgen_msg m;

	if (n % 2 == 0) {
		capgen_msg_start(&m, VHU_GET_FEATURES, 1);
		record(g, VHU_EV_DATA_SENT, 3000, m.b, m.len, 0, 0);
		return;
	}
	capgen_msg_start(&m, VHU_GET_FEATURES, 5);
	capgen_msg_u64(&m, 0x150000000);	/* INDIRECT_DESC, PROTOCOL_FEATURES, VERSION_1 */
	record(g, VHU_EV_DATA_RECV, 3000, m.b, m.len, 0, 0);
}

int main(int argc, char **argv)
{
	static struct gen g;
	const char *mode = argc == 4 ? argv[3] : "mix";
	uint64_t total, i;

	if ((argc != 3 && argc != 4) ||
	    (strcmp(mode, "mix") && strcmp(mode, "flood") && strcmp(mode, "pingpong"))) {
		fprintf(stderr, "usage: gen-mix MESSAGES FILE [flood|pingpong]\n");
		return 2;
	}
	total = strtoull(argv[1], NULL, 10);
	capgen_open(&g.out, argv[2], "gen-mix", CAPGEN_FIRST_TS, 1000);
	for (i = 0; i < total; i++) {
		if (!strcmp(mode, "flood"))
			unanswered(&g, 3000 + (uint32_t)(i % NCONN), i / NCONN);
		else if (!strcmp(mode, "pingpong"))
			pingpong(&g, i);
		else
			one(&g, 3000 + (uint32_t)(i % NCONN), i / NCONN);
	}
	capgen_close(&g.out);
	return 0;
}
