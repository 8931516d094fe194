/* vhu_gen_limits.c - captures at the readers' limits: many connections,
 * names made to fool a terminal, reused pids, messages of a megabyte or in
 * one-byte pieces, fds beyond what a message describes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capgen.h"
#include "vhu_le.h"
#include "vhu_proto.h"
#include "vhu_record.h"

/*
 * Each scenario writes, with the core's own writers (tests/common/capgen.h),
 * what the shim would record for the same events; the tests in
 * CMakeLists.txt say what the readers must make of it.
 *
 * Usage: vhu_gen_limits SCENARIO FILE
 */

#define FE_PID 3000u
#define BE_PID 4000u
#define CONN(pid, seq) ((uint64_t)(pid) << 32 | (seq))

#define F1 VHU_VERSION
#define F1_NEED (VHU_VERSION | VHU_FLAG_NEED_REPLY)
#define F1_REPLY (VHU_VERSION | VHU_FLAG_REPLY)

static struct capgen_out out;
static uint8_t rec[VHU_REC_MAX_DATA + 64 * 1024];

static void process(uint32_t pid, const char *comm, const char *cmdline, size_t cmdlen)
{
	const struct capgen_side s = { pid, 0, -1, VHU_CHAN_UNKNOWN, 0 };
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;

	capgen_hdr(&h, &s, VHU_EV_PROCESS_START, VHU_CALL_START);
	vhu_rec_begin(&b, rec, sizeof(rec), &h);
	capgen_add_proc(&b, 1, comm);
	vhu_rec_add_item(&b, VHU_IT_CMDLINE, cmdline, (uint32_t)cmdlen);
	capgen_packet(&out, rec, capgen_rec_end(&b), -1, capgen_dir_flags(-1));
}

static void connect_to(const struct capgen_side *s, const char *path, uint32_t peer)
{
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;

	capgen_hdr(&h, s, VHU_EV_CONNECT, VHU_CALL_CONNECT);
	vhu_rec_begin(&b, rec, sizeof(rec), &h);
	vhu_rec_add_item(&b, VHU_IT_PATH, path, (uint32_t)strlen(path));
	capgen_add_peercred(&b, peer, 0, 0);
	capgen_packet(&out, rec, capgen_rec_end(&b), -1, capgen_dir_flags(-1));
}

static void data(const struct capgen_side *s, uint8_t event, const void *p, uint32_t len,
		 const struct vhu_rec_fd *fds, unsigned nfds)
{
	struct vhu_rec_hdr h;
	int dir = event == VHU_EV_DATA_SENT ? 0 : 1;

	capgen_data_hdr(&h, s, event, len, nfds);
	capgen_packet(&out, rec, capgen_data_record(rec, sizeof(rec), &h, fds, p, len), dir,
		      capgen_dir_flags(dir));
}

static void sent(const struct capgen_side *s, const struct capgen_msg *m)
{
	data(s, VHU_EV_DATA_SENT, m->b, m->len, m->fds, m->nfds);
}

static void received(const struct capgen_side *s, const struct capgen_msg *m)
{
	data(s, VHU_EV_DATA_RECV, m->b, m->len, m->fds, m->nfds);
}

static const char qemu_cmd[] = "qemu-system-x86_64\0-chardev\0socket,id=c0,path=/run/vhu.sock";

/* 1. More connections than the readers used to keep: 70,001, one message each. */
static void scenario_manyconns(void)
{
	struct capgen_msg m;
	uint32_t i;

	process(FE_PID, "qemu-system-x86", qemu_cmd, sizeof(qemu_cmd));
	capgen_msg_start(&m, VHU_SET_OWNER, F1);
	for (i = 1; i <= 70001; i++) {
		const struct capgen_side fe = { FE_PID, CONN(FE_PID, i), 10, VHU_CHAN_MAIN,
						VHU_ROLE_FRONTEND };

		sent(&fe, &m);
	}
}

/* 2. 70,000 connections each left with a message cut short: a header
 * announcing 60,000 bytes and 40 of them. */
static void scenario_cutconns(void)
{
	struct capgen_msg m;
	uint32_t i;

	process(FE_PID, "qemu-system-x86", qemu_cmd, sizeof(qemu_cmd));
	capgen_msg_start(&m, VHU_SET_FEATURES, F1_NEED);
	capgen_msg_u64(&m, 1);
	capgen_msg_u64(&m, 2);
	capgen_msg_u64(&m, 3);
	capgen_msg_u64(&m, 4);
	capgen_msg_u64(&m, 5);
	capgen_msg_set_size(&m, 60000);
	for (i = 1; i <= 70000; i++) {
		const struct capgen_side fe = { FE_PID, CONN(FE_PID, i), 10, VHU_CHAN_MAIN,
						VHU_ROLE_FRONTEND };

		sent(&fe, &m);
	}
}

/* 3. Names that would move the cursor and fake output lines if printed raw. */
static void scenario_escapes(void)
{
	static const char cmd[] = "evil\033[2J\0--name\r\n     99 0.0 fake line\0\a";
	const struct capgen_side fe = { FE_PID, CONN(FE_PID, 1), 10, VHU_CHAN_MAIN,
					VHU_ROLE_FRONTEND };
	struct capgen_msg m;
	struct vhu_rec_fd *fd;

	process(FE_PID, "ev\033]0;x\007il\r\n", cmd, sizeof(cmd));
	connect_to(&fe, "/run/\033[31mred\r\nfake.sock", BE_PID);
	capgen_msg_start(&m, VHU_SET_VRING_KICK, F1);
	capgen_msg_u64(&m, 0);
	fd = capgen_msg_fd(&m, 20, VHU_FDK_EVENTFD, "anon_inode:[event\033[1Afd]\r\n  fake");
	fd->ino = 7;
	sent(&fe, &m);
}

/* 4. Two runs appended to one file with the same pids: the first killed in
 * the middle of a message, with a request still waiting for its reply. */
static void scenario_pidreuse(void)
{
	const struct capgen_side fe = { FE_PID, CONN(FE_PID, 1), 10, VHU_CHAN_MAIN,
					VHU_ROLE_FRONTEND };
	struct capgen_msg get, owner, feat, reply;
	int run;

	capgen_msg_start(&get, VHU_GET_FEATURES, F1);
	capgen_msg_start(&owner, VHU_SET_OWNER, F1);
	capgen_msg_start(&feat, VHU_SET_FEATURES, F1);
	capgen_msg_u64(&feat, VHU_BIT(VHU_VIRTIO_F_VERSION_1));
	capgen_msg_start(&reply, VHU_GET_FEATURES, F1_REPLY);
	capgen_msg_u64(&reply, VHU_BIT(VHU_VIRTIO_F_VERSION_1));
	for (run = 0; run < 2; run++) {
		process(FE_PID, "qemu-system-x86", qemu_cmd, sizeof(qemu_cmd));
		connect_to(&fe, "/run/vhu.sock", BE_PID);
		sent(&fe, &get);
		if (run == 0) {
			/* killed after 10 bytes of SET_FEATURES, its reply never read */
			data(&fe, VHU_EV_DATA_SENT, feat.b, 10, NULL, 0);
			out.ts_ns += 1000000000;
			continue;
		}
		received(&fe, &reply);
		sent(&fe, &owner);
		sent(&fe, &feat);
		sent(&fe, &owner);
	}
}

/* The header of a GPU UPDATE of a w x h rectangle of 32-bit pixels at
 * 0,0 of scanout 0, payload size bytes; the pixels are the caller's. */
static void gpu_update_header(uint8_t *msg, uint32_t flags, uint32_t size, uint32_t w,
			      uint32_t h)
{
	memset(msg, 0, 32);
	vhu_put_le32(msg, VHU_GPU_UPDATE);
	vhu_put_le32(msg + 4, flags);
	vhu_put_le32(msg + 8, size);
	vhu_put_le32(msg + 24, w);
	vhu_put_le32(msg + 28, h);
}

/* 5. A 64 KiB GPU UPDATE sent one byte per call. */
static void scenario_tinypieces(void)
{
	static uint8_t msg[VHU_HDR_SIZE + 65536];
	const struct capgen_side be = { BE_PID, CONN(BE_PID, 2), 12, VHU_CHAN_GPU,
					VHU_ROLE_BACKEND };
	uint32_t i, size = 65536;

	process(BE_PID, "vhost-user-gpu", "vhost-user-gpu", sizeof("vhost-user-gpu"));
	gpu_update_header(msg, 0, size, 128, 127);	/* 20 + 128 x 127 x 4 < 65536 */
	for (i = 32; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (i = 0; i < sizeof(msg); i++)
		data(&be, VHU_EV_DATA_SENT, msg + i, 1, NULL, 0);
}

/* 6. A NEED_REPLY request cut off by the end of the capture. */
static void scenario_cutreply(void)
{
	const struct capgen_side fe = { FE_PID, CONN(FE_PID, 1), 10, VHU_CHAN_MAIN,
					VHU_ROLE_FRONTEND };
	struct capgen_msg m;

	process(FE_PID, "qemu-system-x86", qemu_cmd, sizeof(qemu_cmd));
	connect_to(&fe, "/run/vhu.sock", BE_PID);
	capgen_msg_start(&m, VHU_SET_VRING_NUM, F1_NEED);
	capgen_msg_u32(&m, 0);
	capgen_msg_u32(&m, 256);
	data(&fe, VHU_EV_DATA_SENT, m.b, 16, NULL, 0);
}

/* 7. A record of a big-endian host, and a message with 253 fds of which
 * the record describes 169. */
static void scenario_smallones(void)
{
	static struct vhu_rec_fd fds[VHU_REC_MAX_FDS];
	static const struct capgen_fd_style style = { .first_fd = 20, .first_ino = 100 };
	const struct capgen_side fe = { FE_PID, CONN(FE_PID, 1), 10, VHU_CHAN_MAIN,
					VHU_ROLE_FRONTEND };
	struct capgen_msg m;
	struct vhu_rec_hdr h;

	process(FE_PID, "qemu-system-x86", qemu_cmd, sizeof(qemu_cmd));
	connect_to(&fe, "/run/vhu.sock", BE_PID);
	/* SET_FEATURES written by a big-endian host: header and payload swapped */
	{
		uint8_t b[VHU_HDR_SIZE + 8] = { 0, 0, 0, VHU_SET_FEATURES, 0, 0, 0, F1, 0, 0, 0, 8,
						0, 0, 0, 1, 0, 0, 0, 0 };

		capgen_data_hdr(&h, &fe, VHU_EV_DATA_SENT, sizeof(b), 0);
		h.byte_order = 1;
		capgen_packet(&out, rec, capgen_data_record(rec, sizeof(rec), &h, NULL, b, sizeof(b)),
			      0, capgen_dir_flags(0));
	}
	capgen_msg_start(&m, VHU_SET_VRING_ERR, F1);
	capgen_msg_u64(&m, 0);
	capgen_fds_of_kind(fds, 169, VHU_FDK_EVENTFD, &style);
	capgen_data_hdr(&h, &fe, VHU_EV_DATA_SENT, m.len, 169);
	{
		size_t len = capgen_data_record(rec, sizeof(rec), &h, fds, m.b, m.len);

		rec[33] = 253;	/* the fixed header's nfds: the kernel passed 253 */
		capgen_packet(&out, rec, len, 0, capgen_dir_flags(0));
	}
}

/* Records of a big transfer: the shim splits it into pieces of this size
 * (a record must stay under libpcap's 256 KiB packet limit). */
#define PIECE (64u * 1024u)

/* A 1 MiB GPU UPDATE that vhost-user-gpu sends with flags 0x5, in records
 * of 64 KiB, the last one carrying the next message too;
 * then a header no peer could send, records of pixels, and a message. */
static void scenario_gpubig(void)
{
	static uint8_t msg[VHU_HDR_SIZE + (1u << 20) + 64];
	const struct capgen_side be = { BE_PID, CONN(BE_PID, 2), 12, VHU_CHAN_GPU,
					VHU_ROLE_BACKEND };
	uint32_t size = 20 + 512 * 512 * 4, total = VHU_HDR_SIZE + size, off = 0, i;
	struct capgen_msg pos;

	process(BE_PID, "vhost-user-gpu", "vhost-user-gpu", sizeof("vhost-user-gpu"));
	gpu_update_header(msg, 0x5, size, 512, 512);
	/* pixels that look like GPU headers: none of them may become one */
	for (i = 32; i + 12 <= total; i += 12) {
		vhu_put_le32(msg + i, 4);
		vhu_put_le32(msg + i + 4, 0);
		vhu_put_le32(msg + i + 8, 12);
	}
	capgen_msg_start(&pos, 4 /* CURSOR_POS */, 0);
	capgen_msg_u32(&pos, 0);
	capgen_msg_u32(&pos, 10);
	capgen_msg_u32(&pos, 20);
	memcpy(msg + total, pos.b, pos.len);
	while (off < total + pos.len) {
		uint32_t n = total + pos.len - off;

		if (n > PIECE)
			n = PIECE;
		data(&be, VHU_EV_DATA_SENT, msg + off, n, NULL, 0);
		off += n;
	}
	/* framing lost: a size no peer sends, then records of pixels */
	memset(msg, 0x80, 4 * 4096 + 16);
	vhu_put_le32(msg, 0x55aa55aa);
	vhu_put_le32(msg + 4, 0x55aa55aa);
	vhu_put_le32(msg + 8, 0xffffff00);
	data(&be, VHU_EV_DATA_SENT, msg, 4096, NULL, 0);
	for (i = 0; i < 3; i++)
		data(&be, VHU_EV_DATA_SENT, msg + 16 + 4096 * i, 4096, NULL, 0);
	sent(&be, &pos);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} scenarios[] = {
		{ "manyconns", scenario_manyconns }, { "cutconns", scenario_cutconns },
		{ "escapes", scenario_escapes }, { "pidreuse", scenario_pidreuse },
		{ "tinypieces", scenario_tinypieces }, { "cutreply", scenario_cutreply },
		{ "smallones", scenario_smallones }, { "gpubig", scenario_gpubig },
	};
	size_t i;

	if (argc != 3) {
		fprintf(stderr, "usage: vhu_gen_limits SCENARIO FILE\n");
		return 2;
	}
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (strcmp(argv[1], scenarios[i].name))
			continue;
		capgen_open(&out, argv[2], "vhu_gen_limits", CAPGEN_FIRST_TS, 10000);
		scenarios[i].fn();
		capgen_close(&out);
		return 0;
	}
	fprintf(stderr, "vhu_gen_limits: unknown scenario %s\n", argv[1]);
	return 2;
}
