/* gen-mix.c - writes a large mixed vhost-user capture for the decoder benchmark. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vhu_pcapng.h"
#include "vhu_proto.h"
#include "vhu_record.h"

/*
 * usage: gen-mix MESSAGES FILE
 *
 * MESSAGES messages over NCONN connections of different processes, taken
 * in turn, as a front-end records them: vring set-up requests, GET_VRING_BASE
 * with its reply, SET_MEM_TABLE with two memfds and a NEED_REPLY ack,
 * kick/call eventfds, IOTLB messages.  One reply in four arrives in two
 * records (header, then payload), as DPDK reads them.  Timestamps advance
 * by 1 us per record.  Built against the core's writers only.
 */
#define NCONN 8
#define KINDS 12

struct gen {
	FILE *f;
	uint64_t ts;
	uint8_t rec[4096];
};

static void put(struct gen *g, const void *p, size_t len)
{
	if (fwrite(p, 1, len, g->f) != len) {
		perror("write");
		exit(1);
	}
}

static void packet(struct gen *g, size_t len, int dir)
{
	uint8_t pdu[VHU_EXP_PDU_MAX], head[VHU_PCAPNG_EPB_HEAD], tail[VHU_PCAPNG_EPB_TAIL_MAX];
	size_t plen = vhu_exp_pdu_write(pdu, dir);
	uint32_t caplen = (uint32_t)(plen + len);

	put(g, head, vhu_pcapng_epb_head(head, g->ts, caplen, caplen));
	put(g, pdu, plen);
	put(g, g->rec, len);
	put(g, tail, vhu_pcapng_epb_tail(tail, caplen, dir ? VHU_EPB_INBOUND : VHU_EPB_OUTBOUND));
	g->ts += 1000;
}

static void record(struct gen *g, uint8_t event, uint32_t pid, const uint8_t *data,
		   uint32_t len, unsigned nfds, uint8_t fdkind)
{
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	unsigned i;

	memset(&h, 0, sizeof(h));
	h.event = event;
	h.call = event == VHU_EV_DATA_SENT ? VHU_CALL_SENDMSG : VHU_CALL_RECVMSG;
	h.pid = h.tid = pid;
	h.conn_id = (uint64_t)pid << 32 | 1;
	h.fd = 10;
	h.channel = VHU_CHAN_MAIN;
	h.role = VHU_ROLE_FRONTEND;
	h.nfds = (uint8_t)nfds;
	h.orig_len = len;
	vhu_rec_begin(&b, g->rec, sizeof(g->rec), &h);
	for (i = 0; i < nfds; i++) {
		static const char memfd[] = "/memfd:pc.ram (deleted)";
		static const char evfd[] = "anon_inode:[eventfd]";
		struct vhu_rec_fd fd = {
			.fd = 40 + (int)i, .kind = fdkind, .mode = 0100600, .ino = 5000 + i,
			.name = fdkind == VHU_FDK_MEMFD ? memfd : evfd,
			.name_len = fdkind == VHU_FDK_MEMFD ? sizeof(memfd) - 1 : sizeof(evfd) - 1,
		};
		vhu_rec_add_fd(&b, &fd);
	}
	if (len)
		memcpy(vhu_rec_add_data(&b, len), data, len);
	packet(g, vhu_rec_end(&b), event == VHU_EV_DATA_RECV);
}

struct msg {
	uint8_t b[256];
	uint32_t len;
};

static void start(struct msg *m, uint32_t req, uint32_t flags)
{
	vhu_put_le32(m->b, req);
	vhu_put_le32(m->b + 4, flags);
	m->len = VHU_HDR_SIZE;
	vhu_put_le32(m->b + 8, 0);
}

static void add32(struct msg *m, uint32_t v)
{
	vhu_put_le32(m->b + m->len, v);
	m->len += 4;
	vhu_put_le32(m->b + 8, m->len - VHU_HDR_SIZE);
}

static void add64(struct msg *m, uint64_t v)
{
	vhu_put_le64(m->b + m->len, v);
	m->len += 8;
	vhu_put_le32(m->b + 8, m->len - VHU_HDR_SIZE);
}

/* A reply, in one record or (every fourth) in two. */
static void reply(struct gen *g, uint32_t pid, const struct msg *m, uint64_t n)
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
	struct msg m;

	switch (n % KINDS) {
	case 0:
		start(&m, VHU_SET_VRING_NUM, 1);
		add32(&m, q);
		add32(&m, 256);
		break;
	case 1:
		start(&m, VHU_SET_VRING_BASE, 1);
		add32(&m, q);
		add32(&m, 0);
		break;
	case 2:
		start(&m, VHU_SET_VRING_ADDR, 1);
		add32(&m, q);
		add32(&m, 0);
		add64(&m, 0x7f0000100000);
		add64(&m, 0x7f0000102000);
		add64(&m, 0x7f0000101000);
		add64(&m, 0);
		break;
	case 3:
	case 4:
		start(&m, n % KINDS == 3 ? VHU_SET_VRING_KICK : VHU_SET_VRING_CALL, 1);
		add64(&m, q);
		record(g, VHU_EV_DATA_SENT, pid, m.b, m.len, 1, VHU_FDK_EVENTFD);
		return;
	case 5:
		start(&m, VHU_GET_VRING_BASE, 1);
		add32(&m, q);
		add32(&m, 0);
		break;
	case 6:
		start(&m, VHU_GET_VRING_BASE, 5);
		add32(&m, q);
		add32(&m, (uint32_t)n & 0xffff);
		reply(g, pid, &m, n / KINDS);
		return;
	case 7:
		start(&m, VHU_SET_MEM_TABLE, 9);
		add32(&m, 2);
		add32(&m, 0);
		add64(&m, 0);
		add64(&m, 0x80000000);
		add64(&m, 0x7f0000000000);
		add64(&m, 0);
		add64(&m, 0x100000000);
		add64(&m, 0x40000000);
		add64(&m, 0x7f0080000000);
		add64(&m, 0);
		record(g, VHU_EV_DATA_SENT, pid, m.b, m.len, 2, VHU_FDK_MEMFD);
		return;
	case 8:
		start(&m, VHU_SET_MEM_TABLE, 5);
		add64(&m, 0);
		reply(g, pid, &m, n / KINDS + 1);
		return;
	case 9:
		start(&m, VHU_SET_VRING_ENABLE, 1);
		add32(&m, q);
		add32(&m, 1);
		break;
	case 10:
		start(&m, VHU_IOTLB_MSG, 9);
		add64(&m, 0x1000 * n);
		add64(&m, 0x1000);
		add64(&m, 0x7f0000000000 + 0x1000 * n);
		add32(&m, 0x0203);	/* perm RW, type UPDATE */
		add32(&m, 0);
		break;
	default:
		start(&m, VHU_IOTLB_MSG, 5);
		add64(&m, 0);
		reply(g, pid, &m, n / KINDS + 2);
		return;
	}
	record(g, VHU_EV_DATA_SENT, pid, m.b, m.len, 0, 0);
}

int main(int argc, char **argv)
{
	static struct gen g;
	uint8_t hdr[VHU_PCAPNG_HEADER_MAX];
	uint64_t total, i;

	if (argc != 3) {
		fprintf(stderr, "usage: gen-mix MESSAGES FILE\n");
		return 2;
	}
	total = strtoull(argv[1], NULL, 10);
	g.f = fopen(argv[2], "wb");
	if (!g.f) {
		perror(argv[2]);
		return 1;
	}
	g.ts = UINT64_C(1700000000000000000);
	put(&g, hdr, vhu_pcapng_file_header(hdr, sizeof(hdr), "gen-mix"));
	for (i = 0; i < total; i++)
		one(&g, 3000 + (uint32_t)(i % NCONN), i / NCONN);
	return fclose(g.f) ? 1 : 0;
}
