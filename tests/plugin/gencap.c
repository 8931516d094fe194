/* SPDX-License-Identifier: MIT */
/*
 * gencap.c - writes the plugin tests' capture files with the core's own
 * writers (records, exported-PDU prefix, pcapng blocks, through
 * tests/common/capgen.h), so the plugin is tested on exactly what the shim
 * produces.
 *
 *   gencap handshake OUT   front-end view of a vhost-user-net handshake
 *   gencap errors OUT      protocol errors the expert infos must flag
 *   gencap channels OUT    requests answered on all three channels (main,
 *                          back-end channel, GPU socket), for the SRT tables
 *   gencap bulk OUT N      N rounds of a busy session (benchmarks)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capgen.h"
#include "vhu_pcapng.h"
#include "vhu_proto.h"
#include "vhu_record.h"

#define FE_PID 4242u
#define BE_PID 4343u

/* QEMU's end of the one connection: every message record is taken there. */
static const struct capgen_side fe = {
	FE_PID, (uint64_t)FE_PID << 32 | 1u, 17, VHU_CHAN_MAIN, VHU_ROLE_FRONTEND
};

/* The timestamps move by hand, before each record (step 0). */
static struct capgen_out out;
/* Where the next data record is taken (fe but in gen_channels). */
static const struct capgen_side *side = &fe;

/* ---- records ---- */

/* Records without a direction (process start, connect, junk) carry the
 * inbound flag in these captures, as they always have. */
static void write_packet(const uint8_t *rec, size_t len, int p2p_dir)
{
	capgen_packet(&out, rec, len, p2p_dir, p2p_dir == 0 ? VHU_EPB_OUTBOUND : VHU_EPB_INBOUND);
}

static void process_start(uint32_t pid, uint32_t ppid, const char *comm, const char *argv0,
			  uint8_t role)
{
	static uint8_t buf[1024];
	const struct capgen_side s = { pid, 0, -1, VHU_CHAN_UNKNOWN, role };
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;

	capgen_hdr(&h, &s, VHU_EV_PROCESS_START, VHU_CALL_START);
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	capgen_add_proc(&b, ppid, comm);
	vhu_rec_add_item(&b, VHU_IT_CMDLINE, argv0, (uint32_t)strlen(argv0) + 1);
	write_packet(buf, capgen_rec_end(&b), -1);
}

static void connect_rec(const char *path, uint32_t peer)
{
	static uint8_t buf[1024];
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;

	capgen_hdr(&h, &fe, VHU_EV_CONNECT, VHU_CALL_CONNECT);
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	vhu_rec_add_item(&b, VHU_IT_PATH, path, (uint32_t)strlen(path));
	capgen_add_peercred(&b, peer, 0, 0);
	write_packet(buf, capgen_rec_end(&b), -1);
}

/* One record carrying len bytes, and fds. */
static void data_rec(uint8_t event, const uint8_t *bytes, uint32_t len,
		     const struct vhu_rec_fd *fds, unsigned nfds)
{
	static uint8_t buf[VHU_REC_MAX_DATA + 16384];
	struct vhu_rec_hdr h;

	capgen_data_hdr(&h, side, event, len, nfds);
	write_packet(buf, capgen_data_record(buf, sizeof(buf), &h, fds, bytes, len),
		     event == VHU_EV_DATA_SENT ? 0 : 1);
}

/* ---- vhost-user messages ---- */

static void msg_fd(struct capgen_msg *m, int32_t num, uint8_t kind, const char *name,
		   uint64_t ino, uint64_t size)
{
	struct vhu_rec_fd *f = capgen_msg_fd(m, num, kind, name);

	f->mode = kind == VHU_FDK_MEMFD ? 0100777 : 0600;
	f->dev = 0xc;
	f->ino = ino;
	f->size = size;
}

static void send_msg(const struct capgen_msg *m)
{
	out.ts_ns += 100000;
	data_rec(VHU_EV_DATA_SENT, m->b, m->len, m->fds, m->nfds);
}

static void recv_msg(const struct capgen_msg *m)
{
	out.ts_ns += 37000;
	data_rec(VHU_EV_DATA_RECV, m->b, m->len, m->fds, m->nfds);
}

/* Received as a 12-byte recvmsg then a read() of the payload (DPDK does
 * this): the message spans two records. */
static void recv_msg_split(const struct capgen_msg *m)
{
	out.ts_ns += 30000;
	data_rec(VHU_EV_DATA_RECV, m->b, VHU_HDR_SIZE, m->fds, m->nfds);
	out.ts_ns += 4000;
	data_rec(VHU_EV_DATA_RECV, m->b + VHU_HDR_SIZE, m->len - VHU_HDR_SIZE, NULL, 0);
}

/* Two messages written by one sendmsg. */
static void send_two(const struct capgen_msg *a, const struct capgen_msg *b)
{
	static uint8_t both[2 * CAPGEN_MSG_MAX];
	uint32_t len = capgen_msg_join(both, sizeof(both), a, b);

	out.ts_ns += 100000;
	data_rec(VHU_EV_DATA_SENT, both, len, NULL, 0);
}

#define V1 VHU_VERSION
#define REPLY (VHU_VERSION | VHU_FLAG_REPLY)
#define NEED_REPLY (VHU_VERSION | VHU_FLAG_NEED_REPLY)

static const uint64_t offered = VHU_BIT(VHU_VIRTIO_F_VERSION_1) | VHU_BIT(VHU_VIRTIO_F_RING_PACKED) |
				VHU_BIT(VHU_VIRTIO_F_PROTOCOL_FEATURES) | VHU_BIT(0) | VHU_BIT(5) |
				VHU_BIT(15);
static const uint64_t pfeatures = VHU_BIT(VHU_PF_MQ) | VHU_BIT(VHU_PF_REPLY_ACK) |
				  VHU_BIT(VHU_PF_CONFIG) | VHU_BIT(VHU_PF_BACKEND_REQ);

static void simple(uint32_t req, uint32_t flags)
{
	struct capgen_msg m;

	capgen_msg_start(&m, req, flags);
	send_msg(&m);
}

static void with_u64(uint32_t req, uint32_t flags, uint64_t v, bool received)
{
	struct capgen_msg m;

	capgen_msg_start(&m, req, flags);
	capgen_msg_u64(&m, v);
	if (received)
		recv_msg(&m);
	else
		send_msg(&m);
}

static void vring_state(uint32_t req, uint32_t idx, uint32_t num, struct capgen_msg *m)
{
	capgen_msg_start(m, req, V1);
	capgen_msg_u32(m, idx);
	capgen_msg_u32(m, num);
}

static void mem_table(void)
{
	struct capgen_msg m;
	int i;

	capgen_msg_start(&m, VHU_SET_MEM_TABLE, NEED_REPLY);
	capgen_msg_u32(&m, 2);
	capgen_msg_u32(&m, 0);
	for (i = 0; i < 2; i++) {
		uint64_t gpa = i ? 0x100000000ull : 0;
		uint64_t size = i ? 0x40000000ull : 0xc0000000ull;

		capgen_msg_u64(&m, gpa);
		capgen_msg_u64(&m, size);
		capgen_msg_u64(&m, 0x7f0000000000ull + gpa);
		capgen_msg_u64(&m, 0);
		msg_fd(&m, 30 + i, VHU_FDK_MEMFD, i ? "/memfd:pc.ram-hi (deleted)" :
		       "/memfd:pc.ram (deleted)", 1000 + i, size);
	}
	send_msg(&m);
	with_u64(VHU_SET_MEM_TABLE, REPLY, 0, true);
}

static void vring_setup(uint32_t idx)
{
	struct capgen_msg a, b;

	vring_state(VHU_SET_VRING_NUM, idx, 256, &a);
	vring_state(VHU_SET_VRING_BASE, idx, 0, &b);
	send_two(&a, &b);

	capgen_msg_start(&a, VHU_SET_VRING_ADDR, V1);
	capgen_msg_u32(&a, idx);
	capgen_msg_u32(&a, 0);
	capgen_msg_u64(&a, 0x7f0000010000ull + idx * 0x10000);
	capgen_msg_u64(&a, 0x7f0000012000ull + idx * 0x10000);
	capgen_msg_u64(&a, 0x7f0000011000ull + idx * 0x10000);
	capgen_msg_u64(&a, 0);
	send_msg(&a);

	capgen_msg_start(&a, VHU_SET_VRING_KICK, V1);
	capgen_msg_u64(&a, idx);
	msg_fd(&a, 40 + idx, VHU_FDK_EVENTFD, "anon_inode:[eventfd]", 2000 + idx, 0);
	send_msg(&a);
	capgen_msg_start(&a, VHU_SET_VRING_CALL, V1);
	capgen_msg_u64(&a, idx);
	msg_fd(&a, 50 + idx, VHU_FDK_EVENTFD, "anon_inode:[eventfd]", 3000 + idx, 0);
	send_msg(&a);
}

static void handshake(void)
{
	struct capgen_msg m;
	uint32_t q;

	simple(VHU_GET_FEATURES, V1);
	with_u64(VHU_GET_FEATURES, REPLY, offered, true);
	simple(VHU_GET_PROTOCOL_FEATURES, V1);
	capgen_msg_start(&m, VHU_GET_PROTOCOL_FEATURES, REPLY);
	capgen_msg_u64(&m, pfeatures);
	recv_msg_split(&m);
	with_u64(VHU_SET_PROTOCOL_FEATURES, V1, pfeatures, false);
	simple(VHU_GET_QUEUE_NUM, V1);
	with_u64(VHU_GET_QUEUE_NUM, REPLY, 2, true);
	simple(VHU_SET_OWNER, V1);
	with_u64(VHU_SET_FEATURES, V1, offered & ~VHU_BIT(15), false);
	mem_table();
	for (q = 0; q < 2; q++)
		vring_setup(q);
	for (q = 0; q < 2; q++) {
		vring_state(VHU_SET_VRING_ENABLE, q, 1, &m);
		send_msg(&m);
	}
}

static void gen_handshake(void)
{
	struct capgen_msg m;

	process_start(FE_PID, 1, "qemu-system-x86", "qemu-system-x86_64", VHU_ROLE_FRONTEND);
	process_start(BE_PID, 1, "dpdk-testpmd", "dpdk-testpmd", VHU_ROLE_BACKEND);
	connect_rec("vhost-net0.sock", BE_PID);
	handshake();
	/* a request whose answer never comes (the back-end stopped) */
	vring_state(VHU_GET_VRING_BASE, 0, 0, &m);
	send_msg(&m);
}

/* Every kind of protocol error a tshark user should see flagged. */
static void gen_errors(void)
{
	static const uint8_t junk[] = { 'n', 'o', 't', ' ', 'a', ' ', 'r', 'e', 'c', 'o', 'r', 'd' };
	struct capgen_msg m;

	process_start(FE_PID, 1, "qemu-system-x86", "qemu-system-x86_64", VHU_ROLE_FRONTEND);
	connect_rec("vhost-blk0.sock", BE_PID);
	/* version 2 in the flags */
	simple(VHU_SET_OWNER, 2);
	/* an id nobody defined */
	simple(99, V1);
	/* reserved flag bits */
	simple(VHU_RESET_OWNER, V1 | 0x100);
	/* a reply nobody asked for */
	with_u64(VHU_GET_QUEUE_NUM, REPLY, 1, true);
	/* SET_VRING_NUM with a 4-byte payload (8 expected) */
	capgen_msg_start(&m, VHU_SET_VRING_NUM, V1);
	capgen_msg_u32(&m, 0);
	send_msg(&m);
	/* SET_VRING_KICK that claims an fd but passes none */
	with_u64(VHU_SET_VRING_KICK, V1, 0, false);
	/* NEED_REPLY answered with a failure */
	with_u64(VHU_SET_VRING_ENABLE, NEED_REPLY, 0, false);
	with_u64(VHU_SET_VRING_ENABLE, REPLY, 1, true);
	/* not a capture record at all */
	out.ts_ns += 1000;
	write_packet(junk, sizeof(junk), -1);
	/* a size field far above any limit */
	capgen_msg_start(&m, VHU_SET_CONFIG, V1);
	capgen_msg_set_size(&m, 0x7fffffff);
	send_msg(&m);
	/* a header cut short by the end of the capture */
	capgen_msg_start(&m, VHU_GET_FEATURES, V1);
	out.ts_ns += 1000;
	data_rec(VHU_EV_DATA_SENT, m.b, 6, NULL, 0);
}

/* QEMU's end of a socketpair whose other end it passes to the back-end. */
static void adopt_rec(const struct capgen_side *s)
{
	static uint8_t buf[1024];
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;

	capgen_hdr(&h, s, VHU_EV_ADOPT, VHU_CALL_SOCKETPAIR);
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	capgen_add_link(&b, fe.conn);
	write_packet(buf, capgen_rec_end(&b), -1);
}

/* A front-end request carrying the back-end's end of a socketpair,
 * acknowledged extra_us later than usual. */
static void pass_socket(uint32_t req, int32_t fd, uint64_t ino, uint64_t extra_us)
{
	struct capgen_msg m;

	capgen_msg_start(&m, req, NEED_REPLY);
	msg_fd(&m, fd, VHU_FDK_SOCKET, "socket:[7001]", ino, 0);
	send_msg(&m);
	out.ts_ns += extra_us * 1000;
	with_u64(req, REPLY, 0, true);
}

/* A request the back-end sends on channel s, which QEMU answers (send_msg:
 * 100 us later) plus extra_us. */
static void answered(const struct capgen_side *s, const struct capgen_msg *req,
		     const struct capgen_msg *reply, uint64_t extra_us)
{
	side = s;
	recv_msg(req);
	out.ts_ns += extra_us * 1000;
	send_msg(reply);
	side = &fe;
}

/* Every channel's requests answered, at known latencies: main 37, 100, 37
 * and 237 us; back-end channel 100 and 250 us; GPU 100 and 500 us. */
static void gen_channels(void)
{
	static const struct capgen_side bch = {
		FE_PID, (uint64_t)FE_PID << 32 | 2u, 18, VHU_CHAN_BACKEND, VHU_ROLE_FRONTEND
	};
	static const struct capgen_side gpu = {
		FE_PID, (uint64_t)FE_PID << 32 | 3u, 19, VHU_CHAN_GPU, VHU_ROLE_FRONTEND
	};
	/* VIRGL, PROTOCOL_FEATURES, VERSION_1 */
	const uint64_t gpu_offered = VHU_BIT(0) | VHU_BIT(VHU_VIRTIO_F_PROTOCOL_FEATURES) |
				     VHU_BIT(VHU_VIRTIO_F_VERSION_1);
	struct capgen_msg req, reply;
	int i;

	process_start(FE_PID, 1, "qemu-system-x86", "qemu-system-x86_64", VHU_ROLE_FRONTEND);
	process_start(BE_PID, 1, "vhost-user-gpu", "vhost-user-gpu", VHU_ROLE_BACKEND);
	connect_rec("vhost-gpu0.sock", BE_PID);
	for (i = 0; i < 2; i++) {
		simple(VHU_GET_FEATURES, V1);
		out.ts_ns += (uint64_t)i * 63000;
		with_u64(VHU_GET_FEATURES, REPLY, gpu_offered, true);
	}
	with_u64(VHU_SET_PROTOCOL_FEATURES, V1, pfeatures, false);
	adopt_rec(&bch);
	pass_socket(VHU_SET_BACKEND_REQ_FD, 60, 7001, 0);
	adopt_rec(&gpu);
	pass_socket(VHU_GPU_SET_SOCKET, 61, 7002, 200);

	for (i = 0; i < 2; i++) {
		capgen_msg_start(&req, VHU_BACKEND_CONFIG_CHANGE_MSG, NEED_REPLY);
		capgen_msg_start(&reply, VHU_BACKEND_CONFIG_CHANGE_MSG, REPLY);
		capgen_msg_u64(&reply, 0);
		answered(&bch, &req, &reply, (uint64_t)i * 150);
	}

	/* the GPU protocol has no version bits: requests carry flags 0 */
	capgen_msg_start(&req, VHU_GPU_GET_PROTOCOL_FEATURES, 0);
	capgen_msg_start(&reply, VHU_GPU_GET_PROTOCOL_FEATURES, VHU_FLAG_REPLY);
	capgen_msg_u64(&reply, 0);
	answered(&gpu, &req, &reply, 0);
	capgen_msg_start(&req, VHU_GPU_GET_DISPLAY_INFO, 0);
	capgen_msg_start(&reply, VHU_GPU_GET_DISPLAY_INFO, VHU_FLAG_REPLY);
	/* virtio-gpu header: RESP_OK_DISPLAY_INFO, no flags, fence, context */
	capgen_msg_u32(&reply, 0x1101);
	capgen_msg_u32(&reply, 0);
	capgen_msg_u64(&reply, 0);
	capgen_msg_u64(&reply, 0);
	for (i = 0; i < 16; i++) {
		/* scanout 0 enabled at 1024x768, the others off */
		capgen_msg_u64(&reply, 0);
		capgen_msg_u32(&reply, i ? 0 : 1024);
		capgen_msg_u32(&reply, i ? 0 : 768);
		capgen_msg_u32(&reply, i ? 0 : 1);
		capgen_msg_u32(&reply, 0);
	}
	answered(&gpu, &req, &reply, 400);
}

static void gen_bulk(unsigned rounds)
{
	unsigned i;

	process_start(FE_PID, 1, "qemu-system-x86", "qemu-system-x86_64", VHU_ROLE_FRONTEND);
	process_start(BE_PID, 1, "dpdk-testpmd", "dpdk-testpmd", VHU_ROLE_BACKEND);
	connect_rec("vhost-net0.sock", BE_PID);
	for (i = 0; i < rounds; i++)
		handshake();
}

static int usage(void)
{
	fprintf(stderr, "usage: gencap handshake|errors|channels FILE\n"
			"       gencap bulk FILE ROUNDS\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	capgen_open(&out, argv[2], "gencap (vhost-user plugin tests)", CAPGEN_FIRST_TS, 0);
	if (strcmp(argv[1], "handshake") == 0)
		gen_handshake();
	else if (strcmp(argv[1], "errors") == 0)
		gen_errors();
	else if (strcmp(argv[1], "channels") == 0)
		gen_channels();
	else if (strcmp(argv[1], "bulk") == 0 && argc == 4)
		gen_bulk((unsigned)strtoul(argv[3], NULL, 0));
	else
		return usage();
	capgen_close(&out);
	return 0;
}
