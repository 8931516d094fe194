/* SPDX-License-Identifier: MIT */
/* test_capgen.c - the capture generator library: what it builds reads back as it was meant */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capgen.h"
#include "vhu_le.h"
#include "vhu_pcapng.h"
#include "vhu_proto.h"

/*
 * The generators' captures are checked byte for byte by the decoder and
 * plugin golden tests; this checks the library's own promises with the
 * core's reader: size fix-up, fds numbered as asked, records that parse
 * with the fields given, packets stamped and flagged as asked.
 *
 * usage: test_capgen SCRATCH_FILE
 */

static int failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

static void test_msg(void)
{
	struct capgen_msg a, b;
	static const uint8_t cfg[3] = { 1, 2, 3 };
	uint8_t both[64];
	struct vhu_rec_fd *fd;

	capgen_msg_start(&a, VHU_SET_VRING_NUM, VHU_VERSION);
	CHECK(a.len == VHU_HDR_SIZE && vhu_get_le32(a.b + 8) == 0 && a.nfds == 0);
	capgen_msg_u32(&a, 1);
	capgen_msg_u64(&a, UINT64_C(0x1122334455667788));
	capgen_msg_bytes(&a, cfg, sizeof(cfg));
	CHECK(a.len == VHU_HDR_SIZE + 15);
	CHECK(vhu_get_le32(a.b) == VHU_SET_VRING_NUM && vhu_get_le32(a.b + 4) == VHU_VERSION);
	CHECK(vhu_get_le32(a.b + 8) == 15);	/* the size follows the payload */
	CHECK(vhu_get_le32(a.b + 12) == 1 && vhu_get_le64(a.b + 16) == UINT64_C(0x1122334455667788));
	CHECK(memcmp(a.b + 24, cfg, sizeof(cfg)) == 0);
	capgen_msg_set_size(&a, 0x7fffffff);
	CHECK(vhu_get_le32(a.b + 8) == 0x7fffffff && a.len == VHU_HDR_SIZE + 15);

	fd = capgen_msg_fd(&a, 33, VHU_FDK_EVENTFD, "anon_inode:[eventfd]");
	CHECK(a.nfds == 1 && fd == &a.fds[0] && fd->fd == 33 && fd->kind == VHU_FDK_EVENTFD);
	CHECK(fd->name_len == 20 && fd->mode == 0 && fd->ino == 0);

	capgen_msg_start(&b, VHU_SET_OWNER, VHU_VERSION);
	CHECK(capgen_msg_join(both, sizeof(both), &a, &b) == a.len + VHU_HDR_SIZE);
	CHECK(memcmp(both, a.b, a.len) == 0 && memcmp(both + a.len, b.b, VHU_HDR_SIZE) == 0);
}

static void test_fds_of_kind(void)
{
	static const struct capgen_fd_style named = { 40, 5000, 0100600, "/memfd:pc.ram (deleted)" };
	static const struct capgen_fd_style plain = { 20, 1000, 0, NULL };
	struct vhu_rec_fd fds[3];

	capgen_fds_of_kind(fds, 3, VHU_FDK_MEMFD, &named);
	CHECK(fds[0].fd == 40 && fds[2].fd == 42 && fds[1].ino == 5001 && fds[2].mode == 0100600);
	CHECK(fds[2].name_len == 23 && memcmp(fds[2].name, "/memfd:pc.ram (deleted)", 23) == 0);
	capgen_fds_of_kind(fds, 1, VHU_FDK_SOCKET, &plain);
	CHECK(fds[0].fd == 20 && fds[0].ino == 1000 && strcmp(fds[0].name, capgen_fd_name(VHU_FDK_SOCKET)) == 0);
	CHECK(strcmp(capgen_fd_name(VHU_FDK_EVENTFD), "anon_inode:[eventfd]") == 0);
}

/* A data record with fds and an event record, read back by the core. */
static void test_records(void)
{
	static const struct capgen_fd_style style = { 7, 70, 0100600, NULL };
	const struct capgen_side s = { 42, (uint64_t)42 << 32 | 3, 9, VHU_CHAN_BACKEND, VHU_ROLE_BACKEND };
	static struct vhu_record r;
	static uint8_t buf[4096];
	struct vhu_rec_fd fds[2];
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	struct capgen_msg m;
	size_t len;

	capgen_msg_start(&m, VHU_SET_MEM_TABLE, VHU_VERSION | VHU_FLAG_NEED_REPLY);
	capgen_msg_u32(&m, 2);
	capgen_fds_of_kind(fds, 2, VHU_FDK_MEMFD, &style);
	capgen_data_hdr(&h, &s, VHU_EV_DATA_RECV, m.len, 2);
	len = capgen_data_record(buf, sizeof(buf), &h, fds, m.b, m.len);
	CHECK(vhu_rec_parse(buf, len, &r) == VHU_REC_OK);
	CHECK(r.h.event == VHU_EV_DATA_RECV && r.h.call == VHU_CALL_RECVMSG);
	CHECK(r.h.pid == 42 && r.h.tid == 42 && r.h.conn_id == s.conn && r.h.fd == 9);
	CHECK(r.h.channel == VHU_CHAN_BACKEND && r.h.role == VHU_ROLE_BACKEND);
	CHECK(r.h.nfds == 2 && r.nfd_items == 2 && r.fds[1].fd == 8 && r.fds[1].ino == 71);
	CHECK(r.h.orig_len == m.len && r.data_len == m.len && memcmp(r.data, m.b, m.len) == 0);

	capgen_hdr(&h, &s, VHU_EV_ADOPT, VHU_CALL_SOCKETPAIR);
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	capgen_add_proc(&b, 1, "a-comm-longer-than-fifteen");
	capgen_add_peercred(&b, 7, 8, 9);
	capgen_add_link(&b, UINT64_C(0x123456789));
	len = capgen_rec_end(&b);
	CHECK(vhu_rec_parse(buf, len, &r) == VHU_REC_OK);
	CHECK(r.h.call == VHU_CALL_SOCKETPAIR && r.h.nfds == 0 && !r.data);
	CHECK(r.has_proc && r.ppid == 1 && strcmp(r.comm, "a-comm-longer-t") == 0);
	CHECK(r.has_peercred && r.peer_pid == 7 && r.peer_uid == 8 && r.peer_gid == 9);
	CHECK(r.has_link && r.link_conn == UINT64_C(0x123456789));
}

/* The epb_flags value of the EPB at p (its packet is caplen bytes). */
static uint32_t epb_flags(const uint8_t *p, uint32_t caplen)
{
	const uint8_t *opt = p + VHU_PCAPNG_EPB_HEAD + ((caplen + 3) & ~3u);

	return vhu_get_le16(opt) == 2 ? vhu_get_le32(opt + 4) : 0xffffffff;
}

/* A file of one record packet and one raw packet, read back. */
static void test_file(const char *path)
{
	static const uint8_t raw[5] = { 'h', 'e', 'l', 'l', 'o' };
	const struct capgen_side s = { 5, 6, 7, VHU_CHAN_MAIN, VHU_ROLE_FRONTEND };
	static uint8_t rec[256], file[4096], hdr[VHU_PCAPNG_HEADER_MAX];
	static struct vhu_record r;
	struct capgen_out o;
	struct vhu_rec_hdr h;
	size_t hlen, rlen, n;
	uint32_t caplen;
	const uint8_t *p;
	long at;
	int ours = 0;
	FILE *f;

	capgen_data_hdr(&h, &s, VHU_EV_DATA_SENT, sizeof(raw), 0);
	rlen = capgen_data_record(rec, sizeof(rec), &h, NULL, raw, sizeof(raw));
	capgen_open(&o, path, "test_capgen", CAPGEN_FIRST_TS, 500);
	capgen_packet(&o, rec, rlen, 0, capgen_dir_flags(0));
	o.ts_ns += 1000;
	capgen_epb(&o, raw, sizeof(raw), capgen_dir_flags(-1));
	capgen_close(&o);

	f = fopen(path, "rb");
	n = f ? fread(file, 1, sizeof(file), f) : 0;
	if (f)
		fclose(f);
	hlen = vhu_pcapng_file_header(hdr, sizeof(hdr), "test_capgen");
	CHECK(n > hlen && memcmp(file, hdr, hlen) == 0);
	if (n <= hlen)
		return;

	p = file + hlen;
	caplen = vhu_get_le32(p + 20);
	CHECK(vhu_get_le32(p) == VHU_PCAPNG_EPB_TYPE);
	CHECK(((uint64_t)vhu_get_le32(p + 12) << 32 | vhu_get_le32(p + 16)) == CAPGEN_FIRST_TS);
	CHECK(epb_flags(p, caplen) == VHU_EPB_OUTBOUND);
	at = vhu_exp_pdu_skip(p + VHU_PCAPNG_EPB_HEAD, caplen, &ours);
	CHECK(at > 0 && ours && caplen == at + rlen);
	CHECK(at > 0 && vhu_rec_parse(p + VHU_PCAPNG_EPB_HEAD + at, rlen, &r) == VHU_REC_OK &&
	      r.data_len == sizeof(raw));

	p += vhu_get_le32(p + 4);
	CHECK(vhu_get_le32(p) == VHU_PCAPNG_EPB_TYPE && vhu_get_le32(p + 20) == sizeof(raw));
	CHECK(((uint64_t)vhu_get_le32(p + 12) << 32 | vhu_get_le32(p + 16)) ==
	      CAPGEN_FIRST_TS + 500 + 1000);	/* one step, then the caller's move */
	CHECK(memcmp(p + VHU_PCAPNG_EPB_HEAD, raw, sizeof(raw)) == 0);
	CHECK(epb_flags(p, sizeof(raw)) == 0);
	CHECK(p + vhu_get_le32(p + 4) == file + n);
	CHECK(capgen_dir_flags(1) == VHU_EPB_INBOUND);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_capgen SCRATCH_FILE\n");
		return 2;
	}
	test_msg();
	test_fds_of_kind();
	test_records();
	test_file(argv[1]);
	remove(argv[1]);
	printf("test_capgen: %d failures\n", failures);
	return failures ? 1 : 0;
}
