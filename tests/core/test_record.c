/* SPDX-License-Identifier: MIT */
/*
 * \summary: capture record writer/reader round trip, malformed records,
 * exported-PDU prefix and pcapng block framing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_emit.h"
#include "vhu_le.h"
#include "vhu_pcapng.h"
#include "vhu_record.h"
#include "vhu_session.h"
#include "vhu_walk.h"

static int failures;

/* Everything but the text after " | ": field, value, span, generated. */
static void strip_texts(char *out)
{
	char *line, *save = NULL, *w = out;

	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *bar = strstr(line, " | ");
		size_t n = bar ? (size_t)(bar - line) : strlen(line);

		memmove(w, line, n);
		w += n;
		*w++ = '\n';
	}
	*w = 0;
}

/* The values-only walk gives the same nodes and notes, each with an
 * empty text. */
static void test_record_values(const struct vhu_record *r)
{
	static const struct vhu_seq_check gap = { VHU_SEQ_GAP, 9, 7 };
	char *full = NULL, *vals = NULL;
	size_t nf = 0, nv = 0;
	struct test_emit t;
	FILE *f;

	f = open_memstream(&full, &nf);
	test_emit_reset(&t, f);
	vhu_walk_record(r, "qemu", &gap, &test_emitter, &t);
	fclose(f);
	CHECK(t.errors == 0 && t.depth == 0 && t.nodes > 20);
	f = open_memstream(&vals, &nv);
	test_emit_reset(&t, f);
	vhu_walk_record_values(r, "qemu", &gap, &test_emitter, &t);
	fclose(f);
	CHECK(t.errors == 0 && t.depth == 0 && t.notes[VHU_N_OUT_OF_SEQUENCE] == 1);
	CHECK(full && vals && strstr(full, "capture record") && !strstr(vals, "capture record"));
	CHECK(vals && strstr(vals, "| \n"));
	if (full && vals) {
		/* notes keep their texts: they are expert infos, not lines */
		CHECK(strstr(vals, "Record 9 of this fd where 7 was expected") != NULL);
		strip_texts(full);
		strip_texts(vals);
		CHECKF(strcmp(full, vals) == 0, "values-only nodes differ:\n%s---\n%s", full, vals);
	}
	free(full);
	free(vals);
}

static void test_round_trip(void)
{
	static uint8_t buf[4096];
	static struct vhu_record r;
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	struct vhu_rec_fd fd;
	uint8_t cred[12], link[8], proc[VHU_REC_PROC_LEN] = { 0 };
	static const char cmd[] = "qemu\0-m\0256";
	uint8_t *d;
	size_t n;

	memset(&h, 0, sizeof(h));
	h.event = VHU_EV_DATA_SENT;
	h.call = VHU_CALL_SENDMSG;
	h.pid = 4242;
	h.tid = 4243;
	h.conn_id = (4242ull << 32) | 7;
	h.fd = -1;
	h.flags = VHU_RF_CTRUNC | VHU_RF_SHORT;
	h.channel = VHU_CHAN_BACKEND;
	h.role = VHU_ROLE_FRONTEND;
	h.nfds = 2;
	h.orig_len = 20;
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	memset(&fd, 0, sizeof(fd));
	fd.fd = 33;
	fd.kind = VHU_FDK_MEMFD;
	fd.dev = 0x1234;
	fd.ino = 99887766;
	fd.size = 1 << 28;
	fd.mode = 0100600;
	fd.name = "/memfd:mem (deleted)";
	fd.name_len = (uint16_t)strlen(fd.name);
	vhu_rec_add_fd(&b, &fd);
	fd.fd = 34;
	fd.kind = VHU_FDK_EVENTFD;
	fd.name = "anon_inode:[eventfd]";
	fd.name_len = (uint16_t)strlen(fd.name);
	vhu_rec_add_fd(&b, &fd);
	vhu_put_le32(cred, 1);
	vhu_put_le32(cred + 4, 2);
	vhu_put_le32(cred + 8, 3);
	vhu_rec_add_item(&b, VHU_IT_PEERCRED, cred, sizeof(cred));
	vhu_rec_add_item(&b, VHU_IT_PATH, "/run/vhost.sock", 15);
	vhu_put_le64(link, (4242ull << 32) | 1);
	vhu_rec_add_item(&b, VHU_IT_LINK, link, 8);
	vhu_put_le32(proc, 1);
	memcpy(proc + 4, "qemu-system-x86", 15);
	vhu_rec_add_item(&b, VHU_IT_PROC, proc, sizeof(proc));
	vhu_rec_add_item(&b, VHU_IT_CMDLINE, cmd, sizeof(cmd));
	vhu_rec_add_item(&b, 999, "future", 6); /* unknown item: skipped */
	d = vhu_rec_add_data(&b, 20);
	CHECK(d != NULL);
	memset(d, 0xab, 20);
	n = vhu_rec_end(&b);
	CHECK(n > VHU_REC_HDR_LEN);

	CHECK(vhu_rec_parse(buf, n, &r) == VHU_REC_OK);
	CHECK(r.h.event == VHU_EV_DATA_SENT && r.h.call == VHU_CALL_SENDMSG);
	CHECK(r.h.pid == 4242 && r.h.tid == 4243 && r.h.conn_id == ((4242ull << 32) | 7));
	CHECK(r.h.fd == -1 && r.h.flags == (VHU_RF_CTRUNC | VHU_RF_SHORT));
	CHECK(r.h.channel == VHU_CHAN_BACKEND && r.h.role == VHU_ROLE_FRONTEND);
	CHECK(r.h.nfds == 2 && r.nfd_items == 2 && r.h.orig_len == 20);
	CHECK(r.fds[0].fd == 33 && r.fds[0].kind == VHU_FDK_MEMFD && r.fds[0].ino == 99887766);
	CHECK(r.fds[0].dev == 0x1234 && r.fds[0].size == 1 << 28 && r.fds[0].mode == 0100600);
	CHECK(r.fds[0].name_len == 20 && memcmp(r.fds[0].name, "/memfd:mem (deleted)", 20) == 0);
	CHECK(r.fds[1].kind == VHU_FDK_EVENTFD);
	CHECK(r.has_peercred && r.peer_pid == 1 && r.peer_uid == 2 && r.peer_gid == 3);
	CHECK(r.path_len == 15 && memcmp(r.path, "/run/vhost.sock", 15) == 0);
	CHECK(r.has_link && r.link_conn == ((4242ull << 32) | 1));
	CHECK(r.has_proc && r.ppid == 1 && strcmp(r.comm, "qemu-system-x86") == 0);
	CHECK(r.cmdline_len == sizeof(cmd));
	CHECK(r.unknown_items == 1);
	CHECK(r.data_len == 20 && r.data[0] == 0xab && r.data[19] == 0xab);
	test_record_values(&r);

	/* A newer writer's longer fixed header: the reader skips what it does
	 * not know and still finds the items. */
	{
		static uint8_t big[4096];

		memcpy(big, buf, VHU_REC_HDR_LEN);
		vhu_put_le16(big + 4, VHU_REC_HDR_LEN + 8);
		memset(big + VHU_REC_HDR_LEN, 0x5a, 8);
		memcpy(big + VHU_REC_HDR_LEN + 8, buf + VHU_REC_HDR_LEN, n - VHU_REC_HDR_LEN);
		CHECK(vhu_rec_parse(big, n + 8, &r) == VHU_REC_OK);
		CHECK(r.data_len == 20 && r.nfd_items == 2);
	}

	/* data by reference: the builder writes only the item header */
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	vhu_rec_add_data_ref(&b, 5);
	n = vhu_rec_end(&b);
	memcpy(buf + n, "hello", 5);
	CHECK(vhu_rec_parse(buf, n + 5, &r) == VHU_REC_OK);
	CHECK(r.data_len == 5 && memcmp(r.data, "hello", 5) == 0);

	/* overflow: the builder says so instead of writing past the buffer */
	vhu_rec_begin(&b, buf, 64, &h);
	CHECK(vhu_rec_add_data(&b, 100) == NULL);
	CHECK(vhu_rec_end(&b) == 0);
}

static void test_malformed(void)
{
	static uint8_t buf[512];
	static struct vhu_record r;
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	size_t n, cut;

	memset(&h, 0, sizeof(h));
	h.event = VHU_EV_DATA_RECV;
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	memcpy(vhu_rec_add_data(&b, 12), "0123456789ab", 12);
	n = vhu_rec_end(&b);

	CHECK(vhu_rec_parse(buf, 4, &r) == VHU_REC_SHORT);
	CHECK(vhu_rec_parse(buf, VHU_REC_HDR_LEN - 1, &r) == VHU_REC_SHORT);
	/* every cut inside the data item is detected, none reads past the end */
	for (cut = VHU_REC_HDR_LEN + 1; cut < n; cut++)
		CHECK(vhu_rec_parse(buf, cut, &r) == VHU_REC_BAD_ITEM);
	buf[0] = 'X';
	CHECK(vhu_rec_parse(buf, n, &r) == VHU_REC_BAD_MAGIC);
	buf[0] = 'V';
	buf[2] = 9;
	CHECK(vhu_rec_parse(buf, n, &r) == VHU_REC_BAD_VERSION);
	buf[2] = VHU_REC_VERSION;
	vhu_put_le16(buf + 4, 8);
	CHECK(vhu_rec_parse(buf, n, &r) == VHU_REC_BAD_HDR_LEN);
	vhu_put_le16(buf + 4, VHU_REC_HDR_LEN);
	/* an item length of 4 GiB */
	vhu_put_le32(buf + VHU_REC_HDR_LEN + 4, 0xffffffffu);
	CHECK(vhu_rec_parse(buf, n, &r) == VHU_REC_BAD_ITEM);
	/* an fd item shorter than its fixed part, and one whose name overruns */
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	vhu_rec_add_item(&b, VHU_IT_FD, "short", 5);
	CHECK(vhu_rec_parse(buf, vhu_rec_end(&b), &r) == VHU_REC_BAD_FD_ITEM);
	{
		uint8_t item[VHU_REC_FD_FIXED] = { 0 };

		vhu_put_le16(item + 6, 200);
		vhu_rec_begin(&b, buf, sizeof(buf), &h);
		vhu_rec_add_item(&b, VHU_IT_FD, item, sizeof(item));
		CHECK(vhu_rec_parse(buf, vhu_rec_end(&b), &r) == VHU_REC_BAD_FD_ITEM);
	}
	CHECK(strlen(vhu_rec_status_str(VHU_REC_BAD_ITEM)) > 0);
}

static void test_exp_pdu(void)
{
	uint8_t buf[VHU_EXP_PDU_MAX];
	size_t n;
	int ours;
	long off;

	n = vhu_exp_pdu_write(buf, 1);
	CHECK(n <= VHU_EXP_PDU_MAX && n % 4 == 0);
	off = vhu_exp_pdu_skip(buf, n, &ours);
	CHECK(off == (long)n && ours == 1);
	/* tag 12, padded length, the name with a NUL */
	CHECK(buf[0] == 0 && buf[1] == VHU_EXP_PDU_TAG_DISSECTOR_NAME);
	CHECK(memcmp(buf + 4, VHU_REC_DISSECTOR_NAME, sizeof(VHU_REC_DISSECTOR_NAME) - 1) == 0);
	n = vhu_exp_pdu_write(buf, -1);
	CHECK(vhu_exp_pdu_skip(buf, n, &ours) == (long)n && ours == 1);
	/* truncated tags */
	CHECK(vhu_exp_pdu_skip(buf, 6, &ours) == -1);
	CHECK(vhu_exp_pdu_skip(buf, 2, &ours) == -1);
	buf[4] = 'x';
	CHECK(vhu_exp_pdu_skip(buf, n, &ours) == (long)n && ours == 0);
}

/* The shim's tags taken at once and any tags taken one by one agree: on
 * the prefixes the shim writes, every byte of them changed and every
 * length cut. */
static void test_exp_pdu_fast(void)
{
	static const uint8_t values[] = { 0, 1, 4, 12, 16, 35, 0x80, 0xff };
	int dir;

	for (dir = -1; dir <= 2; dir++) {
		uint8_t buf[VHU_EXP_PDU_MAX + 8];
		size_t n, i, v, len;

		memset(buf, 0xa5, sizeof(buf));
		n = vhu_exp_pdu_write(buf, dir);
		for (i = 0; i < n + 4; i++) {
			for (v = 0; v < sizeof(values); v++) {
				uint8_t saved = buf[i];

				buf[i] = values[v];
				for (len = 0; len <= n + 8; len++) {
					int fast = -1, slow = -1;
					long a = vhu_exp_pdu_skip(buf, len, &fast);
					long b = vhu_exp_pdu_walk(buf, len, &slow);

					CHECKF(a == b && fast == slow && vhu_exp_pdu_skip(buf, len, NULL) == b,
					       "dir %d, byte %zu = %u, len %zu: %ld/%d, %ld/%d", dir, i,
					       values[v], len, a, fast, b, slow);
				}
				buf[i] = saved;
			}
		}
	}
}

/* Both parses of one record, compared: the status, and every field but
 * the fds past those found (neither parse touches them). */
static void compare_parses(const uint8_t *rec, size_t len, const char *what, size_t at)
{
	static struct vhu_record a, b;
	enum vhu_rec_status sa = vhu_rec_parse(rec, len, &a);
	enum vhu_rec_status sb = vhu_rec_parse_walk(rec, len, &b);
	size_t tail = offsetof(struct vhu_record, path);

	CHECKF(sa == sb && memcmp(&a, &b, offsetof(struct vhu_record, fds)) == 0 &&
	       a.nfd_items <= VHU_REC_MAX_FDS &&
	       memcmp(a.fds, b.fds, a.nfd_items * sizeof(a.fds[0])) == 0 &&
	       memcmp((char *)&a + tail, (char *)&b + tail, sizeof(a) - tail) == 0,
	       "record of %zu bytes, %s %zu: status %d and %d, or fields differ", len, what, at,
	       sa, sb);
}

/* One record with every byte changed, and cut at every length. */
static void check_record_parses(uint8_t *rec, size_t len)
{
	static const uint8_t values[] = { 0, 1, VHU_IT_DATA, 40, 0xff };
	size_t i, v;

	compare_parses(rec, len, "as it is", 0);
	for (i = 0; i < len; i++) {
		uint8_t saved = rec[i];

		for (v = 0; v < sizeof(values); v++) {
			rec[i] = values[v];
			compare_parses(rec, len, "byte", i);
		}
		rec[i] = saved;
	}
	for (i = 0; i < len; i++)
		compare_parses(rec, i, "cut at", i);
}

/* The records of a capture the shim wrote (little-endian pcapng): every
 * enhanced packet block's record after its exported-PDU tags.  Returns
 * how many. */
static unsigned check_capture_parses(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, off = 0;
	unsigned records = 0;
	long size;

	CHECKF(f != NULL, "%s: cannot open", path);
	if (!f)
		return 0;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0) {
		buf = malloc((size_t)size);
		rewind(f);
		if (buf)
			n = fread(buf, 1, (size_t)size, f);
	}
	fclose(f);
	while (buf && n - off >= 12) {
		uint32_t type = vhu_get_le32(buf + off), blen = vhu_get_le32(buf + off + 4);

		if (blen < 12 || blen > n - off)
			break;
		if (type == VHU_PCAPNG_EPB_TYPE && blen >= VHU_PCAPNG_EPB_HEAD) {
			uint32_t caplen = vhu_get_le32(buf + off + 20);
			uint8_t *pkt = buf + off + VHU_PCAPNG_EPB_HEAD;
			long tags = caplen <= blen - VHU_PCAPNG_EPB_HEAD ?
				    vhu_exp_pdu_skip(pkt, caplen, NULL) : -1;

			if (tags >= 0) {
				check_record_parses(pkt + tags, caplen - (size_t)tags);
				records++;
			}
		}
		off += blen;
	}
	CHECKF(buf && off == n, "%s: blocks end at %zu of %zu bytes", path, off, n);
	free(buf);
	return records;
}

/* vhu_rec_parse() takes a record of one DATA item at once and walks the
 * items of any other: on the real captures' records, with every byte
 * changed and every length cut, it gives what walking every record's
 * items gives. */
static void test_parse_fast(int ncaptures, char **captures)
{
	unsigned records = 0;
	int i;

	for (i = 0; i < ncaptures; i++)
		records += check_capture_parses(captures[i]);
	CHECKF(!ncaptures || records > 0, "no records in %d captures", ncaptures);
}

static void test_pcapng(void)
{
	uint8_t hdr[VHU_PCAPNG_HEADER_MAX], head[VHU_PCAPNG_EPB_HEAD], tail[VHU_PCAPNG_EPB_TAIL_MAX];
	size_t n, shb, h, t;
	uint32_t caplen;

	n = vhu_pcapng_file_header(hdr, sizeof(hdr), "test");
	CHECK(n > 0 && n % 4 == 0);
	shb = vhu_get_le32(hdr + 4);
	CHECK(vhu_get_le32(hdr) == VHU_PCAPNG_SHB_TYPE && vhu_get_le32(hdr + 8) == VHU_PCAPNG_BOM);
	CHECK(vhu_get_le32(hdr + shb - 4) == shb);
	CHECK(vhu_get_le32(hdr + shb) == VHU_PCAPNG_IDB_TYPE);
	CHECK(vhu_get_le16(hdr + shb + 8) == VHU_LINKTYPE_UPPER_PDU);
	CHECK(shb + vhu_get_le32(hdr + shb + 4) == n);
	for (caplen = 0; caplen < 9; caplen++) {
		h = vhu_pcapng_epb_head(head, 123456789012345ull, caplen, caplen);
		t = vhu_pcapng_epb_tail(tail, caplen, VHU_EPB_OUTBOUND);
		CHECK(h + caplen + t == vhu_pcapng_epb_total(caplen));
		CHECK((h + caplen + t) % 4 == 0);
		CHECK(vhu_get_le32(tail + t - 4) == vhu_pcapng_epb_total(caplen));
		CHECK(vhu_get_le32(head + 12) == (uint32_t)(123456789012345ull >> 32));
	}
}

/* A 12-byte request on (pid 10, fd) numbered seq; *r points into buf. */
static void seq_record(uint8_t *buf, size_t cap, struct vhu_record *r, int32_t fd, uint32_t seq)
{
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	uint8_t v[VHU_REC_SEQ_LEN], *d;
	size_t n;

	memset(&h, 0, sizeof(h));
	h.event = VHU_EV_DATA_SENT;
	h.call = VHU_CALL_WRITE;
	h.pid = h.tid = 10;
	h.conn_id = (10ull << 32) | 1;
	h.fd = fd;
	h.channel = VHU_CHAN_MAIN;
	h.role = VHU_ROLE_FRONTEND;
	h.orig_len = 12;
	vhu_rec_begin(&b, buf, cap, &h);
	vhu_put_le32(v, seq);
	vhu_rec_add_item(&b, VHU_IT_SEQ, v, sizeof(v));
	d = vhu_rec_add_data(&b, 12);
	if (d) {
		memset(d, 0, 12);
		d[0] = 1;	/* GET_FEATURES */
		d[4] = 1;	/* version 1 */
	}
	n = vhu_rec_end(&b);
	CHECK(vhu_rec_parse(buf, n, r) == VHU_REC_OK);
	CHECK(r->has_seq && r->seq == seq);
}

static void *no_message(void *ctx, const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	(void)ctx, (void)m, (void)mi;
	return NULL;
}

/*
 * The per-fd record numbers: the reader says whether each follows the
 * records before it, and the record tree says so with a note.  One fd's
 * numbers are compared with each other only; they wrap at 2^32.
 */
static void test_seq(void)
{
	static const struct {
		int32_t fd;
		uint32_t seq;
		enum vhu_seq_state state;
		uint32_t expected;
	} steps[] = {
		{ 5, 1, VHU_SEQ_NONE, 0 },	/* the first of its fd */
		{ 5, 2, VHU_SEQ_NEXT, 2 },
		{ 5, 4, VHU_SEQ_GAP, 3 },	/* 3 missing (or later) */
		{ 5, 3, VHU_SEQ_BEHIND, 5 },	/* here it is: behind 4 */
		{ 5, 5, VHU_SEQ_NEXT, 5 },
		{ 6, 0xfffffffeu, VHU_SEQ_NONE, 0 },	/* a dup of the fd: its own numbers */
		{ 6, 0xffffffffu, VHU_SEQ_NEXT, 0xffffffffu },
		{ 6, 0, VHU_SEQ_NEXT, 0 },	/* wrapped */
		{ 6, 2, VHU_SEQ_GAP, 1 },
		{ 6, 1, VHU_SEQ_BEHIND, 3 },
	};
	struct vhu_session_cbs cbs = { .message = no_message };
	struct vhu_session *s = vhu_session_new(NULL, &cbs, NULL);
	static uint8_t buf[256];
	static struct vhu_record r;
	unsigned i;

	CHECK(s != NULL);
	if (!s)
		return;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct vhu_seq_check k;
		struct test_emit t;

		seq_record(buf, sizeof(buf), &r, steps[i].fd, steps[i].seq);
		k = vhu_session_record(s, i + 1, (i + 1) * 1000, &r);
		CHECKF(k.state == steps[i].state && k.seq == steps[i].seq, "step %u: state %d", i,
		       (int)k.state);
		if (k.state != VHU_SEQ_NONE)
			CHECKF(k.expected == steps[i].expected, "step %u: expected %u", i, k.expected);
		test_emit_reset(&t, NULL);
		vhu_walk_record(&r, "", &k, &test_emitter, &t);
		CHECKF(t.errors == 0 && t.depth == 0, "step %u: tree", i);
		CHECKF(t.notes[VHU_N_OUT_OF_SEQUENCE] == (k.state > VHU_SEQ_NEXT), "step %u: note", i);
	}
	vhu_session_free(s);

	/* A number item too short for its u32 is malformed. */
	seq_record(buf, sizeof(buf), &r, 5, 1);
	vhu_put_le32(buf + VHU_REC_HDR_LEN + 4, VHU_REC_SEQ_LEN - 1);
	CHECK(vhu_rec_parse(buf, VHU_REC_HDR_LEN + VHU_REC_ITEM_HDR + VHU_REC_SEQ_LEN - 1, &r) ==
	      VHU_REC_BAD_ITEM);
}

int main(int argc, char **argv)
{
	test_round_trip();
	test_seq();
	test_malformed();
	test_exp_pdu();
	test_exp_pdu_fast();
	test_pcapng();
	test_parse_fast(argc - 1, argv + 1);
	printf("test_record: %d failures\n", failures);
	return failures ? 1 : 0;
}
