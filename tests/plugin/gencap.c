/* SPDX-License-Identifier: MIT */
/*
 * gencap.c - writes the plugin tests' capture files with the core's own
 * writers (records, exported-PDU prefix, pcapng blocks), so the plugin is
 * tested on exactly what the shim produces.
 *
 *   gencap handshake OUT   front-end view of a vhost-user-net handshake
 *   gencap errors OUT      protocol errors the expert infos must flag
 *   gencap bulk OUT N      N rounds of a busy session (benchmarks)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vhu_pcapng.h"
#include "vhu_proto.h"
#include "vhu_record.h"

#define FE_PID 4242u
#define BE_PID 4343u
#define CONN_ID ((uint64_t)FE_PID << 32 | 1u)
#define SOCK_FD 17

static FILE *out;
static uint64_t now_ns = 1700000000ull * 1000000000ull;

/* ---- file and record writing ---- */

static void put(const void *p, size_t n)
{
	if (fwrite(p, 1, n, out) != n) {
		perror("gencap: write");
		exit(1);
	}
}

static void write_packet(const uint8_t *rec, size_t len, int p2p_dir)
{
	uint8_t head[VHU_PCAPNG_EPB_HEAD], tail[VHU_PCAPNG_EPB_TAIL_MAX], pdu[VHU_EXP_PDU_MAX];
	size_t plen = vhu_exp_pdu_write(pdu, p2p_dir);
	uint32_t caplen = (uint32_t)(plen + len);
	uint32_t flags = p2p_dir == 0 ? VHU_EPB_OUTBOUND : VHU_EPB_INBOUND;

	put(head, vhu_pcapng_epb_head(head, now_ns, caplen, caplen));
	put(pdu, plen);
	put(rec, len);
	put(tail, vhu_pcapng_epb_tail(tail, caplen, flags));
}

static struct vhu_rec_hdr rec_hdr(uint8_t event, uint16_t call, uint32_t pid)
{
	struct vhu_rec_hdr h;

	memset(&h, 0, sizeof(h));
	h.event = event;
	h.call = call;
	h.pid = pid;
	h.tid = pid;
	h.conn_id = CONN_ID;
	h.fd = SOCK_FD;
	h.channel = VHU_CHAN_MAIN;
	h.role = VHU_ROLE_FRONTEND;
	return h;
}

static void process_start(uint32_t pid, uint32_t ppid, const char *comm, const char *argv0,
			  uint8_t role)
{
	static uint8_t buf[1024];
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h = rec_hdr(VHU_EV_PROCESS_START, VHU_CALL_START, pid);
	uint8_t proc[VHU_REC_PROC_LEN];

	h.conn_id = 0;
	h.fd = -1;
	h.channel = VHU_CHAN_UNKNOWN;
	h.role = role;
	memset(proc, 0, sizeof(proc));
	vhu_put_le32(proc, ppid);
	strncpy((char *)proc + 4, comm, 15);
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	vhu_rec_add_item(&b, VHU_IT_PROC, proc, sizeof(proc));
	vhu_rec_add_item(&b, VHU_IT_CMDLINE, argv0, (uint32_t)strlen(argv0) + 1);
	write_packet(buf, vhu_rec_end(&b), -1);
}

static void connect_rec(const char *path, uint32_t peer)
{
	static uint8_t buf[1024];
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h = rec_hdr(VHU_EV_CONNECT, VHU_CALL_CONNECT, FE_PID);
	uint8_t cred[12];

	vhu_put_le32(cred, peer);
	vhu_put_le32(cred + 4, 0);
	vhu_put_le32(cred + 8, 0);
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	vhu_rec_add_item(&b, VHU_IT_PATH, path, (uint32_t)strlen(path));
	vhu_rec_add_item(&b, VHU_IT_PEERCRED, cred, sizeof(cred));
	write_packet(buf, vhu_rec_end(&b), -1);
}

/* ---- vhost-user messages ---- */

struct msg {
	uint8_t b[4096];
	uint32_t len;
	struct vhu_rec_fd fds[8];
	unsigned nfds;
};

static void msg_start(struct msg *m, uint32_t req, uint32_t flags)
{
	memset(m, 0, sizeof(*m));
	vhu_put_le32(m->b, req);
	vhu_put_le32(m->b + 4, flags);
	m->len = VHU_HDR_SIZE;
}

static void msg_u32(struct msg *m, uint32_t v)
{
	vhu_put_le32(m->b + m->len, v);
	m->len += 4;
	vhu_put_le32(m->b + 8, m->len - VHU_HDR_SIZE);
}

static void msg_u64(struct msg *m, uint64_t v)
{
	vhu_put_le64(m->b + m->len, v);
	m->len += 8;
	vhu_put_le32(m->b + 8, m->len - VHU_HDR_SIZE);
}

static void msg_fd(struct msg *m, int32_t fd, uint8_t kind, const char *name, uint64_t ino,
		   uint64_t size)
{
	struct vhu_rec_fd *f = &m->fds[m->nfds++];

	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->kind = kind;
	f->name = name;
	f->name_len = (uint16_t)strlen(name);
	f->mode = kind == VHU_FDK_MEMFD ? 0100777 : 0600;
	f->dev = 0xc;
	f->ino = ino;
	f->size = size;
}

/* One record carrying bytes [off, off+len) of a buffer, and fds. */
static void data_rec(uint8_t event, const uint8_t *bytes, uint32_t len,
		     const struct vhu_rec_fd *fds, unsigned nfds)
{
	static uint8_t buf[VHU_REC_MAX_DATA + 16384];
	struct vhu_rec_builder b;
	bool sent = event == VHU_EV_DATA_SENT;
	struct vhu_rec_hdr h = rec_hdr(event, sent ? VHU_CALL_SENDMSG : VHU_CALL_RECVMSG, FE_PID);
	unsigned i;
	uint8_t *d;

	h.nfds = (uint8_t)nfds;
	h.orig_len = len;
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	for (i = 0; i < nfds; i++)
		vhu_rec_add_fd(&b, &fds[i]);
	d = vhu_rec_add_data(&b, len);
	if (d)
		memcpy(d, bytes, len);
	write_packet(buf, vhu_rec_end(&b), sent ? 0 : 1);
}

static void send_msg(const struct msg *m)
{
	now_ns += 100000;
	data_rec(VHU_EV_DATA_SENT, m->b, m->len, m->fds, m->nfds);
}

static void recv_msg(const struct msg *m)
{
	now_ns += 37000;
	data_rec(VHU_EV_DATA_RECV, m->b, m->len, m->fds, m->nfds);
}

/* Received as a 12-byte recvmsg then a read() of the payload (DPDK does
 * this): the message spans two records. */
static void recv_msg_split(const struct msg *m)
{
	now_ns += 30000;
	data_rec(VHU_EV_DATA_RECV, m->b, VHU_HDR_SIZE, m->fds, m->nfds);
	now_ns += 4000;
	data_rec(VHU_EV_DATA_RECV, m->b + VHU_HDR_SIZE, m->len - VHU_HDR_SIZE, NULL, 0);
}

/* Two messages written by one sendmsg. */
static void send_two(const struct msg *a, const struct msg *b)
{
	static uint8_t both[8192];

	memcpy(both, a->b, a->len);
	memcpy(both + a->len, b->b, b->len);
	now_ns += 100000;
	data_rec(VHU_EV_DATA_SENT, both, a->len + b->len, NULL, 0);
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
	struct msg m;

	msg_start(&m, req, flags);
	send_msg(&m);
}

static void with_u64(uint32_t req, uint32_t flags, uint64_t v, bool received)
{
	struct msg m;

	msg_start(&m, req, flags);
	msg_u64(&m, v);
	if (received)
		recv_msg(&m);
	else
		send_msg(&m);
}

static void vring_state(uint32_t req, uint32_t idx, uint32_t num, struct msg *m)
{
	msg_start(m, req, V1);
	msg_u32(m, idx);
	msg_u32(m, num);
}

static void mem_table(void)
{
	struct msg m;
	int i;

	msg_start(&m, VHU_SET_MEM_TABLE, NEED_REPLY);
	msg_u32(&m, 2);
	msg_u32(&m, 0);
	for (i = 0; i < 2; i++) {
		uint64_t gpa = i ? 0x100000000ull : 0;
		uint64_t size = i ? 0x40000000ull : 0xc0000000ull;

		msg_u64(&m, gpa);
		msg_u64(&m, size);
		msg_u64(&m, 0x7f0000000000ull + gpa);
		msg_u64(&m, 0);
		msg_fd(&m, 30 + i, VHU_FDK_MEMFD, i ? "/memfd:pc.ram-hi (deleted)" :
		       "/memfd:pc.ram (deleted)", 1000 + i, size);
	}
	send_msg(&m);
	with_u64(VHU_SET_MEM_TABLE, REPLY, 0, true);
}

static void vring_setup(uint32_t idx)
{
	struct msg a, b;

	vring_state(VHU_SET_VRING_NUM, idx, 256, &a);
	vring_state(VHU_SET_VRING_BASE, idx, 0, &b);
	send_two(&a, &b);

	msg_start(&a, VHU_SET_VRING_ADDR, V1);
	msg_u32(&a, idx);
	msg_u32(&a, 0);
	msg_u64(&a, 0x7f0000010000ull + idx * 0x10000);
	msg_u64(&a, 0x7f0000012000ull + idx * 0x10000);
	msg_u64(&a, 0x7f0000011000ull + idx * 0x10000);
	msg_u64(&a, 0);
	send_msg(&a);

	msg_start(&a, VHU_SET_VRING_KICK, V1);
	msg_u64(&a, idx);
	msg_fd(&a, 40 + idx, VHU_FDK_EVENTFD, "anon_inode:[eventfd]", 2000 + idx, 0);
	send_msg(&a);
	msg_start(&a, VHU_SET_VRING_CALL, V1);
	msg_u64(&a, idx);
	msg_fd(&a, 50 + idx, VHU_FDK_EVENTFD, "anon_inode:[eventfd]", 3000 + idx, 0);
	send_msg(&a);
}

static void handshake(void)
{
	struct msg m;
	uint32_t q;

	simple(VHU_GET_FEATURES, V1);
	with_u64(VHU_GET_FEATURES, REPLY, offered, true);
	simple(VHU_GET_PROTOCOL_FEATURES, V1);
	msg_start(&m, VHU_GET_PROTOCOL_FEATURES, REPLY);
	msg_u64(&m, pfeatures);
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
	struct msg m;

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
	struct msg m;

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
	msg_start(&m, VHU_SET_VRING_NUM, V1);
	msg_u32(&m, 0);
	send_msg(&m);
	/* SET_VRING_KICK that claims an fd but passes none */
	with_u64(VHU_SET_VRING_KICK, V1, 0, false);
	/* NEED_REPLY answered with a failure */
	with_u64(VHU_SET_VRING_ENABLE, NEED_REPLY, 0, false);
	with_u64(VHU_SET_VRING_ENABLE, REPLY, 1, true);
	/* not a capture record at all */
	now_ns += 1000;
	write_packet(junk, sizeof(junk), -1);
	/* a size field far above any limit */
	msg_start(&m, VHU_SET_CONFIG, V1);
	vhu_put_le32(m.b + 8, 0x7fffffff);
	send_msg(&m);
	/* a header cut short by the end of the capture */
	msg_start(&m, VHU_GET_FEATURES, V1);
	now_ns += 1000;
	data_rec(VHU_EV_DATA_SENT, m.b, 6, NULL, 0);
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
	fprintf(stderr, "usage: gencap handshake|errors FILE\n"
			"       gencap bulk FILE ROUNDS\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint8_t hdr[VHU_PCAPNG_HEADER_MAX];

	if (argc < 3)
		return usage();
	out = fopen(argv[2], "wb");
	if (!out) {
		perror(argv[2]);
		return 1;
	}
	put(hdr, vhu_pcapng_file_header(hdr, sizeof(hdr), "gencap (vhost-user plugin tests)"));
	if (strcmp(argv[1], "handshake") == 0)
		gen_handshake();
	else if (strcmp(argv[1], "errors") == 0)
		gen_errors();
	else if (strcmp(argv[1], "bulk") == 0 && argc == 4)
		gen_bulk((unsigned)strtoul(argv[3], NULL, 0));
	else
		return usage();
	if (fclose(out) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
