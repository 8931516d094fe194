/* SPDX-License-Identifier: MIT */
/*
 * \summary: reassembly and session tests: every split point, several
 * messages in one record, fds on the first record, truncation, oversize
 * size fields, request/reply matching, and malformed messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capgen.h"
#include "feed.h"
#include "samples.h"
#include "test_emit.h"
#include "vhu_le.h"
#include "vhu_proto.h"
#include "vhu_walk.h"

static int failures;

#define MAX_GOT 64
struct got {
	int n;
	struct {
		uint8_t bytes[2048];
		uint32_t len;
		enum vhu_msg_status status;
		uint32_t nfds, nrecords, skipped, index, limit;
		uint64_t frame, first_frame, request_frame;
		bool matched, is_reply, unanswered;
		int notes[VHU_NOTE_ID_COUNT];
		char summary[1024];	/* struct test_emit's */
	} m[MAX_GOT];
	int unanswered;
	/* the piece contract of vhu_session.h */
	struct {
		uint64_t stream, seq;
		uint32_t next_off;
		bool open;
	} streams[4];
	bool last_pending;
	uint64_t last_stream;
	uint32_t last_total;
	bool last_whole;	/* the last piece was the whole message ... */
	uint32_t last_rec_off;	/* ... from this offset of its record */
	int pieces;
};

static struct got got;

/* Pieces of a message: in order, from byte 0, each stream one message at a
 * time; the last one comes right before its message. */
static void on_piece(void *ctx, uint64_t stream, uint64_t seq, uint32_t rec_off, uint32_t len,
		     uint32_t msg_off, bool last)
{
	unsigned i;

	(void)ctx;
	got.pieces++;
	CHECK(!got.last_pending);
	for (i = 0; i < 4 && got.streams[i].open && got.streams[i].stream != stream; i++)
		;
	CHECKF(i < 4, "a fifth stream (%llu): the piece checks follow four", (unsigned long long)stream);
	if (i == 4)
		return;
	if (!got.streams[i].open || got.streams[i].seq != seq) {
		CHECK(msg_off == 0);
		got.streams[i].open = true;
		got.streams[i].stream = stream;
		got.streams[i].seq = seq;
		got.streams[i].next_off = 0;
	}
	CHECK(msg_off == got.streams[i].next_off && len > 0);
	got.streams[i].next_off += len;
	if (last) {
		got.last_pending = true;
		got.last_stream = stream;
		got.last_total = got.streams[i].next_off;
		got.last_whole = msg_off == 0;
		got.last_rec_off = rec_off;
	}
}

static void check_last_piece(const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	uint64_t stream = mi->conn_id * 2 + (mi->event == VHU_EV_DATA_RECV);
	unsigned i;

	if (m->status == VHU_MSG_TRUNCATED) {
		CHECK(!got.last_pending || got.last_stream != stream);
		CHECK(!m->in_record);
	} else {
		CHECK(got.last_pending && got.last_stream == stream && got.last_total == m->len);
		/* the message says what its last piece said: whole in its
		 * record (and where), or assembled */
		CHECKF(m->in_record == got.last_whole && (!m->in_record || m->rec_off == got.last_rec_off),
		       "in_record %d rec_off %u, last piece: whole %d at %u", m->in_record, m->rec_off,
		       got.last_whole, got.last_rec_off);
		got.last_pending = false;
	}
	for (i = 0; i < 4; i++)
		if (got.streams[i].open && got.streams[i].stream == stream)
			got.streams[i].next_off = 0, got.streams[i].seq = UINT64_MAX;
}

static void *on_msg(void *ctx, const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	struct test_emit t;
	int i = got.n;

	(void)ctx;
	check_last_piece(m, mi);
	if (i >= MAX_GOT)
		return NULL;
	got.n++;
	memcpy(got.m[i].bytes, m->bytes, m->len < 2048 ? m->len : 2048);
	got.m[i].len = m->len;
	got.m[i].status = m->status;
	got.m[i].nfds = m->nfds;
	got.m[i].nrecords = m->nrecords;
	got.m[i].skipped = m->skipped;
	got.m[i].limit = m->limit;
	got.m[i].frame = mi->frame;
	got.m[i].index = mi->index;
	got.m[i].first_frame = m->first_frame;
	got.m[i].matched = mi->matched;
	got.m[i].is_reply = mi->is_reply;
	got.m[i].request_frame = mi->request_frame;
	test_emit_reset(&t, NULL);
	vhu_walk_message(m, mi, NULL, &test_emitter, &t);
	CHECK(t.errors == 0 && t.depth == 0);
	memcpy(got.m[i].notes, t.notes, sizeof(t.notes));
	memcpy(got.m[i].summary, t.summary, sizeof(t.summary));
	return (void *)(intptr_t)(i + 1);
}

static void on_unanswered(void *ctx, void *cookie)
{
	(void)ctx;
	got.unanswered++;
	if (cookie)
		got.m[(intptr_t)cookie - 1].unanswered = true;
}

static const struct vhu_session_cbs cbs = { on_msg, NULL, on_unanswered, on_piece, NULL };

static struct feeder start(uint32_t max_payload)
{
	struct vhu_options o = { max_payload, 0, false, false };
	struct feeder f = { NULL, 0, 1000000, 0 };

	memset(&got, 0, sizeof(got));
	f.s = vhu_session_new(&o, &cbs, NULL);
	return f;
}

static void finish(struct feeder *f)
{
	vhu_session_finish(f->s);
	vhu_session_free(f->s);
}

#define CONN ((7ull << 32) | 1)
#define SENT(f, p, n, fds, kind) feed_data(f, CONN, VHU_CHAN_MAIN, VHU_EV_DATA_SENT, 7, p, n, fds, kind, 0)
#define RECV(f, p, n, fds, kind) feed_data(f, CONN, VHU_CHAN_MAIN, VHU_EV_DATA_RECV, 7, p, n, fds, kind, 0)

static void test_split_points(void)
{
	static struct sample s;
	uint32_t k, k2;

	sample_build(&s, VHU_CHAN_MAIN, VHU_SET_MEM_TABLE, 0, 0);
	for (k = 1; k < s.len; k++) {
		struct feeder f = start(0);

		SENT(&f, s.bytes, k, 2, VHU_FDK_MEMFD);
		CHECKF(got.n == 0, "split at %u: %d messages", k, got.n);
		SENT(&f, s.bytes + k, s.len - k, 0, 0);
		CHECKF(got.n == 1, "split at %u: %d messages", k, got.n);
		CHECKF(got.m[0].len == s.len && memcmp(got.m[0].bytes, s.bytes, s.len) == 0,
		       "split at %u: %u bytes of %u", k, got.m[0].len, s.len);
		CHECKF(got.m[0].status == VHU_MSG_OK && got.m[0].nfds == 2 && got.m[0].nrecords == 2,
		       "split at %u: status %d, %u fds, %u records", k, got.m[0].status, got.m[0].nfds,
		       got.m[0].nrecords);
		CHECKF(got.m[0].first_frame == 1 && got.m[0].frame == 2, "split at %u: frames %llu-%llu", k,
		       (unsigned long long)got.m[0].first_frame, (unsigned long long)got.m[0].frame);
		CHECKF(got.m[0].notes[VHU_NOTE_OF_RULE(VHU_RULE_FD_COUNT)] == 0 && got.m[0].notes[VHU_N_BAD_SIZE] == 0,
		       "split at %u: a note on a valid message", k);
		/* the header and the payload are separate pieces of a record */
		CHECKF(got.pieces == (k == VHU_HDR_SIZE ? 2 : 3), "split at %u: %d pieces", k, got.pieces);
		finish(&f);
	}
	/* a header without payload split anywhere: its second piece is last */
	for (k = 1; k < VHU_HDR_SIZE; k++) {
		struct feeder f = start(0);
		uint8_t h[VHU_HDR_SIZE];

		sample_header(h, VHU_GET_FEATURES, 1, 0);
		SENT(&f, h, k, 0, 0);
		SENT(&f, h + k, VHU_HDR_SIZE - k, 0, 0);
		CHECKF(got.n == 1 && got.m[0].len == VHU_HDR_SIZE && got.pieces == 2,
		       "header split at %u: %d messages, %d pieces", k, got.n, got.pieces);
		finish(&f);
	}
	/* three records: every pair of split points */
	for (k = 1; k < s.len; k += 3)
		for (k2 = k + 1; k2 < s.len; k2 += 5) {
			struct feeder f = start(0);

			SENT(&f, s.bytes, k, 2, VHU_FDK_MEMFD);
			SENT(&f, s.bytes + k, k2 - k, 0, 0);
			SENT(&f, s.bytes + k2, s.len - k2, 0, 0);
			CHECKF(got.n == 1 && got.m[0].len == s.len && got.m[0].nrecords == 3,
			       "split at %u and %u: %d messages", k, k2, got.n);
			CHECKF(memcmp(got.m[0].bytes, s.bytes, s.len) == 0 && got.m[0].nfds == 2,
			       "split at %u and %u: bytes or fds differ", k, k2);
			finish(&f);
		}
}

static void test_several_in_one(void)
{
	static struct sample a, b, c;
	static uint8_t rec[4096];
	struct feeder f = start(0);
	uint32_t n = 0;

	sample_build(&a, VHU_CHAN_MAIN, VHU_SET_VRING_KICK, 0, 0);
	sample_build(&b, VHU_CHAN_MAIN, VHU_SET_VRING_NUM, 0, 0);
	sample_build(&c, VHU_CHAN_MAIN, VHU_SET_VRING_ADDR, 0, 0);
	memcpy(rec + n, a.bytes, a.len), n += a.len;
	memcpy(rec + n, b.bytes, b.len), n += b.len;
	memcpy(rec + n, c.bytes, c.len), n += c.len;
	/* three messages and the first 5 bytes of a fourth, with one fd: the fd
	 * belongs to the first message, whose first byte the record carries */
	memcpy(rec + n, a.bytes, 5), n += 5;
	SENT(&f, rec, n, 1, VHU_FDK_EVENTFD);
	CHECK(got.n == 3);
	CHECK(got.m[0].index == 0 && got.m[1].index == 1 && got.m[2].index == 2);
	CHECK(got.m[0].frame == 1 && got.m[2].frame == 1);
	CHECK(got.m[0].nfds == 1 && got.m[1].nfds == 0 && got.m[2].nfds == 0);
	CHECK(got.m[0].notes[VHU_NOTE_OF_RULE(VHU_RULE_FD_COUNT)] == 0);
	CHECK(strncmp(got.m[2].summary, "SET_VRING_ADDR", 14) == 0);
	SENT(&f, a.bytes + 5, a.len - 5, 1, VHU_FDK_EVENTFD);
	CHECK(got.n == 4 && got.m[3].len == a.len && got.m[3].nrecords == 2);
	/* this fd came with the tail of the message, not with its first byte:
	 * still counted for the message being assembled */
	CHECK(got.m[3].nfds == 1);
	finish(&f);
}

static void test_truncated(void)
{
	static struct sample s;
	struct feeder f = start(0);

	sample_build(&s, VHU_CHAN_MAIN, VHU_SET_VRING_ADDR, 0, 0);
	SENT(&f, s.bytes, 30, 0, 0);
	CHECK(got.n == 0);
	finish(&f);
	CHECK(got.n == 1 && got.m[0].status == VHU_MSG_TRUNCATED && got.m[0].len == 30);
	CHECK(got.m[0].notes[VHU_N_TRUNCATED] == 1);
	/* a partial header at the end */
	f = start(0);
	SENT(&f, s.bytes, 7, 0, 0);
	finish(&f);
	CHECK(got.n == 1 && got.m[0].len == 7 && got.m[0].notes[VHU_N_TRUNCATED] == 1);
}

static void test_oversize(void)
{
	static struct sample s;
	static uint8_t rec[256];
	struct feeder f = start(0);

	sample_build(&s, VHU_CHAN_MAIN, VHU_SET_FEATURES, 0, 0);
	sample_header(rec, VHU_SET_MEM_TABLE, 1, 0xffffffffu);
	memset(rec + 12, 0xee, 100);
	SENT(&f, rec, 112, 0, 0);
	CHECK(got.n == 1 && got.m[0].status == VHU_MSG_OVERSIZE && got.m[0].len == 12);
	CHECK(got.m[0].notes[VHU_N_OVERSIZE] == 1);
	/* the next record starts a new message: decoding goes on */
	SENT(&f, s.bytes, s.len, 0, 0);
	CHECK(got.n == 2 && got.m[1].status == VHU_MSG_OK && got.m[1].skipped == 100);
	CHECK(got.m[1].notes[VHU_N_RESYNC] == 1);
	finish(&f);

	/* the same with the header split across two records */
	f = start(0);
	SENT(&f, rec, 6, 0, 0);
	SENT(&f, rec + 6, 50, 0, 0);
	CHECK(got.n == 1 && got.m[0].status == VHU_MSG_OVERSIZE);
	SENT(&f, s.bytes, s.len, 0, 0);
	CHECK(got.n == 2 && got.m[1].status == VHU_MSG_OK);
	finish(&f);

	/* a configurable limit */
	f = start(4);
	SENT(&f, s.bytes, s.len, 0, 0);
	CHECK(got.n == 1 && got.m[0].status == VHU_MSG_OVERSIZE);
	finish(&f);
}

static void test_peek_and_cut(void)
{
	static struct sample s;
	struct feeder f = start(0);

	sample_build(&s, VHU_CHAN_MAIN, VHU_SET_FEATURES, 0, 0);
	feed_data(&f, CONN, VHU_CHAN_MAIN, VHU_EV_DATA_RECV, 7, s.bytes, s.len, 0, 0, VHU_RF_PEEK);
	CHECK(got.n == 0);
	RECV(&f, s.bytes, s.len, 0, 0);
	CHECK(got.n == 1);
	feed_data(&f, CONN, VHU_CHAN_MAIN, VHU_EV_DATA_RECV, 7, s.bytes, 10, 0, 0, VHU_RF_CUT);
	CHECK(got.n == 2 && got.m[1].status == VHU_MSG_TRUNCATED);
	finish(&f);
}

static void test_matching(void)
{
	static struct sample req, rep, ack;
	struct feeder f = start(0);

	/* reply without request */
	sample_build(&rep, VHU_CHAN_MAIN, VHU_GET_FEATURES, 1, 0);
	RECV(&f, rep.bytes, rep.len, 0, 0);
	CHECK(got.n == 1 && got.m[0].is_reply && !got.m[0].matched);
	CHECK(got.m[0].notes[VHU_NOTE_OF_RULE(VHU_RULE_UNEXPECTED_REPLY)] == 1);

	/* NEED_REPLY request never answered: a later request of another id is
	 * answered, so the first one is known to be lost */
	sample_build(&req, VHU_CHAN_MAIN, VHU_SET_VRING_NUM, 0, 1);
	SENT(&f, req.bytes, req.len, 0, 0);
	sample_build(&req, VHU_CHAN_MAIN, VHU_GET_FEATURES, 0, 0);
	SENT(&f, req.bytes, req.len, 0, 0);
	RECV(&f, rep.bytes, rep.len, 0, 0);
	CHECK(got.n == 4 && got.m[3].matched && got.m[3].request_frame == 3);
	CHECK(got.unanswered == 1 && got.m[1].unanswered);

	/* NEED_REPLY with its ack */
	sample_build(&req, VHU_CHAN_MAIN, VHU_SET_VRING_ADDR, 0, 1);
	sample_build(&ack, VHU_CHAN_MAIN, VHU_SET_VRING_ADDR, 1, 1);
	SENT(&f, req.bytes, req.len, 0, 0);
	RECV(&f, ack.bytes, ack.len, 0, 0);
	CHECK(got.n == 6 && got.m[5].matched && strstr(got.m[5].summary, "reply ok"));
	/* a failing ack */
	SENT(&f, req.bytes, req.len, 0, 0);
	vhu_put_le64(ack.bytes + 12, 1);
	RECV(&f, ack.bytes, ack.len, 0, 0);
	CHECK(got.n == 8 && got.m[7].notes[VHU_N_ACK_FAILURE] == 1);
	/* pending at the end of the capture */
	sample_build(&req, VHU_CHAN_MAIN, VHU_GET_PROTOCOL_FEATURES, 0, 0);
	SENT(&f, req.bytes, req.len, 0, 0);
	finish(&f);
	CHECK(got.unanswered == 2 && got.m[8].unanswered);
}

static void test_malformed_messages(void)
{
	static struct sample s;
	static uint8_t m[256];
	struct feeder f = start(0);

	/* unknown request id: shown as unknown, bytes kept */
	sample_header(m, 99, 1, 4);
	memcpy(m + 12, "\1\2\3\4", 4);
	SENT(&f, m, 16, 0, 0);
	CHECK(got.n == 1 && got.m[0].notes[VHU_N_UNKNOWN_REQUEST] == 1);
	CHECK(strncmp(got.m[0].summary, "UNKNOWN(99)", 11) == 0);
	/* wrong version, reserved flags */
	sample_header(m, VHU_SET_OWNER, 0x2 | 0x100, 0);
	SENT(&f, m, 12, 0, 0);
	CHECK(got.m[1].notes[VHU_NOTE_OF_RULE(VHU_RULE_BAD_FLAGS)] == 1 && got.m[1].notes[VHU_N_RESERVED_FLAGS] == 1);
	/* wrong size for a fixed layout */
	sample_header(m, VHU_SET_VRING_NUM, 1, 4);
	SENT(&f, m, 16, 0, 0);
	CHECK(got.m[2].notes[VHU_N_BAD_SIZE] == 1);
	/* fd count mismatch: 2 regions, 1 fd */
	sample_build(&s, VHU_CHAN_MAIN, VHU_SET_MEM_TABLE, 0, 0);
	SENT(&f, s.bytes, s.len, 1, VHU_FDK_MEMFD);
	CHECK(got.m[3].notes[VHU_NOTE_OF_RULE(VHU_RULE_FD_COUNT)] == 1);
	/* a region count of 4 billion in a small payload: bounded */
	vhu_put_le32(s.bytes + 12, 0xffffffffu);
	SENT(&f, s.bytes, s.len, 2, VHU_FDK_MEMFD);
	CHECK(got.m[4].notes[VHU_N_MALFORMED] == 1);
	/* config size larger than the payload */
	sample_build(&s, VHU_CHAN_MAIN, VHU_SET_CONFIG, 0, 0);
	vhu_put_le32(s.bytes + 12 + 4, 0x7fffffff);
	SENT(&f, s.bytes, s.len, 0, 0);
	CHECK(got.m[5].notes[VHU_N_BAD_SIZE] == 1);
	/* CTRUNC from the kernel */
	sample_build(&s, VHU_CHAN_MAIN, VHU_SET_VRING_CALL, 0, 0);
	feed_data(&f, CONN, VHU_CHAN_MAIN, VHU_EV_DATA_RECV, 7, s.bytes, s.len, 0, 0, VHU_RF_CTRUNC);
	CHECK(got.m[6].notes[VHU_NOTE_OF_RULE(VHU_RULE_FDS_DROPPED)] == 1 && got.m[6].notes[VHU_NOTE_OF_RULE(VHU_RULE_FD_COUNT)] == 1);
	finish(&f);
}

static void test_state(void)
{
	static struct sample s;
	struct feeder f = start(0);
	uint8_t m[20];

	/* after SET_FEATURES with RING_PACKED, vring bases are packed */
	sample_header(m, VHU_SET_FEATURES, 1, 8);
	vhu_put_le64(m + 12, VHU_BIT(VHU_VIRTIO_F_RING_PACKED) | VHU_BIT(32));
	SENT(&f, m, 20, 0, 0);
	sample_header(m, VHU_SET_VRING_BASE, 1, 8);
	vhu_put_le32(m + 12, 0);
	vhu_put_le32(m + 16, 0x80058005u);
	SENT(&f, m, 20, 0, 0);
	CHECK(got.n == 2 && strstr(got.m[1].summary, "avail=5w used=5w"));
	/* postcopy: the back-end's table reply, then the u64 acknowledgement */
	sample_header(m, VHU_POSTCOPY_LISTEN, 1, 0);
	SENT(&f, m, 12, 0, 0);
	sample_build(&s, VHU_CHAN_MAIN, VHU_SET_MEM_TABLE, 0, 0);
	SENT(&f, s.bytes, s.len, 2, VHU_FDK_MEMFD);
	vhu_put_le32(s.bytes + 4, 5);
	RECV(&f, s.bytes, s.len, 0, 0);
	CHECK(got.n == 5 && got.m[4].matched && strstr(got.m[4].summary, "2 regions"));
	sample_header(m, VHU_SET_MEM_TABLE, 1, 8);
	vhu_put_le64(m + 12, 0);
	SENT(&f, m, 20, 0, 0);
	CHECK(got.n == 6 && strstr(got.m[5].summary, "SET_MEM_TABLE ok"));
	CHECK(got.m[5].notes[VHU_N_BAD_SIZE] == 0 && got.m[5].notes[VHU_N_MALFORMED] == 0);
	finish(&f);
}

/* Layout variants chosen by negotiated state or by size. */
static void test_variants(void)
{
	static uint8_t m[2048];
	struct feeder f = start(0);
	uint32_t i;

	/* XEN_MMAP: 40-byte regions */
	sample_header(m, VHU_SET_PROTOCOL_FEATURES, 1, 8);
	vhu_put_le64(m + 12, VHU_BIT(VHU_PF_XEN_MMAP) | VHU_BIT(VHU_PF_LOG_SHMFD));
	SENT(&f, m, 20, 0, 0);
	sample_header(m, VHU_SET_MEM_TABLE, 1, 8 + 2 * 40);
	memset(m + 12, 0, 8 + 2 * 40);
	vhu_put_le32(m + 12, 2);
	for (i = 0; i < 2; i++) {
		vhu_put_le64(m + 20 + i * 40 + 8, 0x1000);	/* size */
		vhu_put_le32(m + 20 + i * 40 + 32, 0x2);	/* XEN_GRANT */
		vhu_put_le32(m + 20 + i * 40 + 36, 7);		/* domid */
	}
	SENT(&f, m, 12 + 8 + 80, 2, VHU_FDK_MEMFD);
	CHECK(got.n == 2 && strstr(got.m[1].summary, "2 regions"));
	CHECK(got.m[1].notes[VHU_N_BAD_SIZE] == 0 && got.m[1].notes[VHU_N_MALFORMED] == 0);
	CHECK(got.m[1].notes[VHU_NOTE_OF_RULE(VHU_RULE_FD_COUNT)] == 0);

	/* SET_LOG_BASE with LOG_SHMFD: 16 bytes and an fd, answered with 0, 8
	 * or 16 bytes depending on the back-end */
	for (i = 0; i <= 16; i += 8) {
		int k = got.n;

		sample_header(m, VHU_SET_LOG_BASE, 1, 16);
		vhu_put_le64(m + 12, 0x40000);
		vhu_put_le64(m + 20, 0);
		SENT(&f, m, 28, 1, VHU_FDK_MEMFD);
		sample_header(m, VHU_SET_LOG_BASE, 5, i);
		vhu_put_le64(m + 12, 0x40000);
		vhu_put_le64(m + 20, 0);
		RECV(&f, m, 12 + i, 0, 0);
		CHECK(got.n == k + 2 && got.m[k + 1].matched);
		CHECK(got.m[k + 1].notes[VHU_N_BAD_SIZE] == 0 && got.m[k].notes[VHU_NOTE_OF_RULE(VHU_RULE_FD_COUNT)] == 0);
	}
	finish(&f);

	/* without LOG_SHMFD the request is a u64 and has no fd, no reply */
	f = start(0);
	sample_header(m, VHU_SET_PROTOCOL_FEATURES, 1, 8);
	vhu_put_le64(m + 12, VHU_BIT(VHU_PF_REPLY_ACK));
	SENT(&f, m, 20, 0, 0);
	sample_header(m, VHU_SET_LOG_BASE, 1, 8);
	vhu_put_le64(m + 12, 0x1000);
	SENT(&f, m, 20, 0, 0);
	CHECK(got.n == 2 && got.m[1].notes[VHU_NOTE_OF_RULE(VHU_RULE_FD_COUNT)] == 0 && got.m[1].notes[VHU_N_BAD_SIZE] == 0);
	finish(&f);
	CHECK(got.unanswered == 0);

	/* crypto session: the QEMU 2.12-8.0 layout (632 bytes, session id first) */
	f = start(0);
	sample_header(m, VHU_CREATE_CRYPTO_SESSION, 1, 632);
	memset(m + 12, 0, 632);
	vhu_put_le64(m + 12, 9);
	SENT(&f, m, 12 + 632, 0, 0);
	CHECK(got.n == 1 && strstr(got.m[0].summary, "session=9"));
	CHECK(got.m[0].notes[VHU_N_BAD_SIZE] == 0);
	/* any other size is flagged */
	sample_header(m, VHU_CREATE_CRYPTO_SESSION, 1, 100);
	SENT(&f, m, 12 + 100, 0, 0);
	CHECK(got.n == 2 && got.m[1].notes[VHU_N_BAD_SIZE] == 1);
	finish(&f);
}

/* Records of an event kind this version does not know are skipped: the
 * messages around them decode as if they were not there. */
static void test_unknown_event(void)
{
	static struct sample s;
	static uint8_t buf[256];
	static struct vhu_record r;
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	struct feeder f = start(0);
	char line[160];

	sample_build(&s, VHU_CHAN_MAIN, VHU_SET_VRING_ADDR, 0, 0);
	SENT(&f, s.bytes, 20, 0, 0);
	memset(&h, 0, sizeof(h));
	h.event = 99;
	h.conn_id = CONN;
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	vhu_rec_add_item(&b, 4242, "future item", 11);
	CHECK(vhu_rec_parse(buf, vhu_rec_end(&b), &r) == VHU_REC_OK);
	vhu_session_record(f.s, 99, 0, &r);
	vhu_record_summary(&r, "", line, sizeof(line));
	CHECK(strstr(line, "unknown") != NULL);
	SENT(&f, s.bytes + 20, s.len - 20, 0, 0);
	CHECK(got.n == 1 && got.m[0].status == VHU_MSG_OK && got.m[0].len == s.len);
	finish(&f);
}

/* A message far above the default limit on each channel, as records of at
 * most VHU_REC_MAX_DATA bytes, the last one also carrying the next message. */
static void big_message(uint8_t channel, uint32_t request, uint32_t flags, uint8_t role)
{
	static uint8_t big[(1u << 20) + 64];
	static struct sample next;
	uint32_t size = 1u << 20, total = VHU_HDR_SIZE + size, off = 0;
	struct feeder f = start(0);

	f.role = role;
	sample_header(big, request, flags, size);
	memset(big + VHU_HDR_SIZE, 0x01, size);	/* payload bytes that look like headers */
	sample_header(big + VHU_HDR_SIZE, request, flags, 8);
	sample_build(&next, channel, request == VHU_GPU_UPDATE ? VHU_GPU_CURSOR_POS : VHU_SET_FEATURES,
		     0, 0);
	memcpy(big + total, next.bytes, next.len);
	while (off < total + next.len) {
		uint32_t n = total + next.len - off;

		if (n > VHU_REC_MAX_DATA)
			n = VHU_REC_MAX_DATA;
		feed_data(&f, CONN, channel, VHU_EV_DATA_SENT, 7, big + off, n, 0, 0, 0);
		off += n;
	}
	CHECK(got.n == 2 && got.m[0].status == VHU_MSG_OK && got.m[0].len == total);
	CHECK(got.m[0].nrecords == 5 && got.m[0].notes[VHU_N_OVERSIZE] == 0);
	CHECK(got.m[1].status == VHU_MSG_OK && got.m[1].len == next.len && got.m[1].skipped == 0);
	finish(&f);
}

static void test_type_limits(void)
{
	static uint8_t rec[4096 + 64];	/* 4 KiB of passed-over payload, then a message */
	static struct sample s;
	struct feeder f;

	/* GPU UPDATE carries its pixels: 1 MiB is within its own limit,
	 * whatever the flags (vhost-user-gpu sends 0x5) */
	big_message(VHU_CHAN_GPU, VHU_GPU_UPDATE, 0x5, VHU_ROLE_BACKEND);
	CHECK(got.m[0].is_reply == false);
	/* a config space is at most 4 KiB: above it the header is oversize,
	 * the payload passed over by its size, the next message in the same
	 * record read normally */
	f = start(0);
	sample_build(&s, VHU_CHAN_MAIN, VHU_SET_FEATURES, 0, 0);
	sample_header(rec, VHU_SET_CONFIG, 1, 5000);
	memset(rec + 12, 0x01, 904);
	SENT(&f, rec, 12 + 904, 0, 0);
	memset(rec, 0x02, 4096);
	memcpy(rec + 4096, s.bytes, s.len);
	SENT(&f, rec, 4096 + s.len, 0, 0);
	CHECK(got.n == 2 && got.m[0].status == VHU_MSG_OVERSIZE && got.m[0].notes[VHU_N_OVERSIZE] == 1);
	CHECK(got.m[0].limit == 12 + 4096);
	CHECK(got.m[1].status == VHU_MSG_OK && got.m[1].skipped == 0 && got.m[1].len == s.len);
	CHECK(got.m[1].notes[VHU_N_RESYNC] == 0);
	finish(&f);
	/* the user's limit applies to every type */
	f = start(16);
	sample_build(&s, VHU_CHAN_MAIN, VHU_SET_MEM_TABLE, 0, 0);
	SENT(&f, s.bytes, s.len, 2, VHU_FDK_MEMFD);
	CHECK(got.n == 1 && got.m[0].status == VHU_MSG_OVERSIZE);
	finish(&f);
}

/* Lost framing: the records after a header no peer could send are skipped
 * until one starts with a plausible header, and nothing in between is
 * read as a message; the count comes once. */
static void test_resync_invents_nothing(void)
{
	static uint8_t junk[300];
	static struct sample s;
	struct feeder f = start(0);
	int i;

	sample_build(&s, VHU_CHAN_MAIN, VHU_SET_FEATURES, 0, 0);
	sample_header(junk, 0x12345678, 1, 0x7fffffff);
	memset(junk + 12, 0, 88);
	SENT(&f, junk, 100, 0, 0);
	CHECK(got.n == 1 && got.m[0].status == VHU_MSG_OVERSIZE);
	/* records of payload: unknown ids, bad flags, a size above the limit */
	for (i = 0; i < 3; i++) {
		sample_header(junk, 99 + i, 1, 8);
		SENT(&f, junk, 40, 0, 0);
		sample_header(junk, VHU_SET_FEATURES, 0x13, 8);
		SENT(&f, junk, 40, 0, 0);
		sample_header(junk, VHU_SET_FEATURES, 1, 1u << 20);
		SENT(&f, junk, 40, 0, 0);
	}
	CHECK(got.n == 1);
	SENT(&f, s.bytes, s.len, 0, 0);
	CHECK(got.n == 2 && got.m[1].status == VHU_MSG_OK && got.m[1].skipped == 88 + 9 * 40);
	CHECK(got.m[1].notes[VHU_N_RESYNC] == 1);
	SENT(&f, s.bytes, s.len, 0, 0);
	CHECK(got.n == 3 && got.m[2].skipped == 0 && got.m[2].notes[VHU_N_RESYNC] == 0);
	finish(&f);
}

/* Who sent a message comes from the record, not from the REPLY bit. */
static void test_direction_from_record(void)
{
	static struct sample req;
	uint8_t hdr[VHU_HDR_SIZE];
	struct feeder f = start(0);

	f.role = VHU_ROLE_FRONTEND;
	/* the front-end sends a request with the REPLY bit set: still a request */
	sample_build(&req, VHU_CHAN_MAIN, VHU_GET_FEATURES, 0, 0);
	sample_header(hdr, VHU_GET_FEATURES, 0x5, 0);
	SENT(&f, hdr, VHU_HDR_SIZE, 0, 0);
	CHECK(got.n == 1 && !got.m[0].is_reply);
	/* the back-end's answer, received by the front-end, without the bit */
	sample_build(&req, VHU_CHAN_MAIN, VHU_GET_FEATURES, 1, 0);
	req.bytes[4] = 1;
	RECV(&f, req.bytes, req.len, 0, 0);
	CHECK(got.n == 2 && got.m[1].is_reply && got.m[1].matched);
	/* both are the rule bad-flags: the bit does not say who sent them */
	CHECK(got.m[0].notes[VHU_NOTE_OF_RULE(VHU_RULE_BAD_FLAGS)] == 1);
	CHECK(got.m[1].notes[VHU_NOTE_OF_RULE(VHU_RULE_BAD_FLAGS)] == 1);
	finish(&f);
}

struct conn_counts {
	unsigned n;
	uint64_t messages[4];
};

static void count_conn_messages(void *arg, const struct vhu_conn_summary *c)
{
	struct conn_counts *cc = arg;

	if (cc->n < 4)
		cc->messages[cc->n] = c->messages;
	cc->n++;
}

/* A process-start record ends the earlier life of its pid: a cut message
 * of the old run does not swallow the new run's messages, and replies
 * pair within a run. */
static void test_pid_reuse(void)
{
	struct conn_counts counts = { 0, { 0 } };
	static struct sample req, rep, feat;
	struct feeder f = start(0);

	f.role = VHU_ROLE_FRONTEND;
	sample_build(&req, VHU_CHAN_MAIN, VHU_GET_FEATURES, 0, 0);
	sample_build(&rep, VHU_CHAN_MAIN, VHU_GET_FEATURES, 1, 0);
	sample_build(&feat, VHU_CHAN_MAIN, VHU_SET_FEATURES, 0, 0);
	feed_event(&f, 0, 0, VHU_EV_PROCESS_START, 7, 0, "run-one", "run-one");
	SENT(&f, req.bytes, req.len, 0, 0);
	SENT(&f, feat.bytes, 10, 0, 0);	/* killed in the middle of a message */
	feed_event(&f, 0, 0, VHU_EV_PROCESS_START, 7, 0, "run-two", "run-two");
	CHECK(got.n == 2 && got.m[1].status == VHU_MSG_TRUNCATED && got.m[0].unanswered);
	SENT(&f, feat.bytes, feat.len, 0, 0);
	SENT(&f, req.bytes, req.len, 0, 0);
	RECV(&f, rep.bytes, rep.len, 0, 0);
	CHECK(got.n == 5 && got.m[2].status == VHU_MSG_OK && got.m[2].len == feat.len);
	CHECK(got.m[4].matched && got.m[4].request_frame == got.m[3].frame);
	/* the new run's messages went to a new connection of the same id, not
	 * to the retired one the session had found last */
	vhu_session_each_conn(f.s, count_conn_messages, &counts);
	CHECK(counts.n == 2 && counts.messages[0] == 2 && counts.messages[1] == 3);
	finish(&f);
}

/* No cap on connections: each one's message comes out. */
static void *count_msg(void *ctx, const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	(void)m;
	(void)mi;
	(*(uint32_t *)ctx)++;
	return NULL;
}

static void test_many_connections(void)
{
	static const struct vhu_session_cbs counting = { count_msg, NULL, NULL, NULL, NULL };
	static struct sample s;
	struct feeder f = { NULL, 0, 0, 0 };
	uint32_t i, n = 70001, seen = 0;

	f.s = vhu_session_new(NULL, &counting, &seen);
	sample_build(&s, VHU_CHAN_MAIN, VHU_SET_FEATURES, 0, 0);
	for (i = 0; i < n; i++)
		feed_data(&f, (7ull << 32) | (i + 1), VHU_CHAN_MAIN, VHU_EV_DATA_SENT, 7, s.bytes,
			  s.len, 0, 0, 0);
	CHECK(seen == n);
	/* and each one's cut message at the end */
	for (i = 0; i < n; i++)
		feed_data(&f, (7ull << 32) | (i + 1), VHU_CHAN_MAIN, VHU_EV_DATA_SENT, 7, s.bytes,
			  5, 0, 0, 0);
	vhu_session_finish(f.s);
	vhu_session_free(f.s);
	CHECK(seen == 2 * n);
}

/* More fds than the record describes: counted, and said. */
static void test_undescribed_fds(void)
{
	static uint8_t buf[VHU_REC_MAX_DATA];
	static struct sample s;
	static struct vhu_record r;
	struct feeder f = start(0);
	uint32_t n;

	sample_build(&s, VHU_CHAN_MAIN, VHU_SET_FEATURES, 0, 0);
	n = build_record(buf, sizeof(buf), CONN, VHU_CHAN_MAIN, VHU_EV_DATA_SENT, 7, s.bytes, s.len,
			 40, VHU_FDK_EVENTFD, 0);
	CHECK(vhu_rec_parse(buf, n, &r) == VHU_REC_OK);
	r.h.nfds = 253;
	vhu_session_record(f.s, 1, 1, &r);
	CHECK(got.n == 1 && got.m[0].nfds == 253 && got.m[0].notes[VHU_N_FDS_UNDESCRIBED] == 1);
	finish(&f);
}

/* Attached mid-session: the first bytes may end a message begun before
 * the capture; they are skipped with a note, never reported as malformed,
 * and so is a reply whose request came before the capture. */
static void test_midstream(void)
{
	static struct sample s, rep;
	static uint8_t buf[256];
	struct feeder f = start(0);
	uint32_t tail = 22;

	sample_build(&s, VHU_CHAN_MAIN, VHU_SET_VRING_ADDR, 0, 0);
	/* the tail of a message, then a whole one, in one record */
	memcpy(buf, s.bytes + s.len - tail, tail);
	memcpy(buf + tail, s.bytes, s.len);
	feed_data(&f, CONN, VHU_CHAN_MAIN, VHU_EV_DATA_SENT, 7, buf, tail + s.len, 0, 0, VHU_RF_MIDSTREAM);
	CHECK(got.n == 1 && got.m[0].status == VHU_MSG_OK && got.m[0].len == s.len);
	CHECK(got.m[0].skipped == tail && got.m[0].notes[VHU_N_MIDSTREAM] == 1);
	CHECK(got.m[0].notes[VHU_N_RESYNC] == 0 && got.m[0].notes[VHU_N_MALFORMED] == 0);
	/* a record of tail bytes only: the search goes on in the next one */
	feed_data(&f, CONN + 1, VHU_CHAN_MAIN, VHU_EV_DATA_SENT, 7, s.bytes + 20, 8, 0, 0,
		  VHU_RF_MIDSTREAM);
	CHECK(got.n == 1);
	feed_data(&f, CONN + 1, VHU_CHAN_MAIN, VHU_EV_DATA_SENT, 7, s.bytes + 28, s.len - 28, 0, 0, 0);
	feed_data(&f, CONN + 1, VHU_CHAN_MAIN, VHU_EV_DATA_SENT, 7, s.bytes, s.len, 0, 0, 0);
	CHECK(got.n == 2 && got.m[1].status == VHU_MSG_OK && got.m[1].skipped == s.len - 20);
	CHECK(got.m[1].notes[VHU_N_MIDSTREAM] == 1 && got.m[1].notes[VHU_N_RESYNC] == 0);
	/* a reply to a request sent before the capture, then the usual pairs */
	sample_build(&rep, VHU_CHAN_MAIN, VHU_GET_FEATURES, 1, 0);
	feed_data(&f, CONN + 2, VHU_CHAN_MAIN, VHU_EV_DATA_RECV, 7, rep.bytes, rep.len, 0, 0,
		  VHU_RF_MIDSTREAM);
	CHECK(got.n == 3 && got.m[2].skipped == 0 && got.m[2].notes[VHU_N_MIDSTREAM] == 1);
	CHECK(got.m[2].notes[VHU_NOTE_OF_RULE(VHU_RULE_UNEXPECTED_REPLY)] == 0);
	sample_build(&s, VHU_CHAN_MAIN, VHU_GET_FEATURES, 0, 0);
	feed_data(&f, CONN + 2, VHU_CHAN_MAIN, VHU_EV_DATA_SENT, 7, s.bytes, s.len, 0, 0, 0);
	feed_data(&f, CONN + 2, VHU_CHAN_MAIN, VHU_EV_DATA_RECV, 7, rep.bytes, rep.len, 0, 0, 0);
	CHECK(got.n == 5 && got.m[4].matched);
	/* once requests are seen, an unmatched reply is a finding again */
	feed_data(&f, CONN + 2, VHU_CHAN_MAIN, VHU_EV_DATA_RECV, 7, rep.bytes, rep.len, 0, 0, 0);
	CHECK(got.n == 6 && got.m[5].notes[VHU_NOTE_OF_RULE(VHU_RULE_UNEXPECTED_REPLY)] == 1);
	finish(&f);
}

/* The protocol features were negotiated before the attach: a request they
 * gate, with NEED_REPLY, is no finding; on a connection recorded from its
 * start the same request is one of each. */
static void test_midstream_features(void)
{
	static struct sample s;
	struct feeder f = start(0);

	sample_build(&s, VHU_CHAN_MAIN, VHU_SET_STATUS, 0, 1);
	feed_data(&f, CONN, VHU_CHAN_MAIN, VHU_EV_DATA_SENT, 7, s.bytes, s.len, 0, 0,
		  VHU_RF_MIDSTREAM);
	CHECK(got.n == 1 && got.m[0].notes[VHU_NOTE_OF_RULE(VHU_RULE_NOT_NEGOTIATED)] == 0);
	CHECK(got.m[0].notes[VHU_NOTE_OF_RULE(VHU_RULE_NEED_REPLY_NO_ACK)] == 0);
	feed_data(&f, CONN + 1, VHU_CHAN_MAIN, VHU_EV_DATA_SENT, 7, s.bytes, s.len, 0, 0, 0);
	CHECK(got.n == 2 && got.m[1].notes[VHU_NOTE_OF_RULE(VHU_RULE_NOT_NEGOTIATED)] == 1);
	CHECK(got.m[1].notes[VHU_NOTE_OF_RULE(VHU_RULE_NEED_REPLY_NO_ACK)] == 1);
	finish(&f);
}

/* A front-end's connect record with the socket path. */
static void connect_path(struct feeder *f, uint64_t conn, const char *path)
{
	static uint8_t buf[512];
	const struct capgen_side side = { 7, conn, 5, VHU_CHAN_MAIN, 0 };
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	struct vhu_record r;
	size_t n;

	capgen_hdr(&h, &side, VHU_EV_CONNECT, 0);
	vhu_rec_begin(&b, buf, sizeof(buf), &h);
	vhu_rec_add_item(&b, VHU_IT_PATH, path, (uint32_t)strlen(path));
	n = capgen_rec_end(&b);
	CHECK(vhu_rec_parse(buf, n, &r) == VHU_REC_OK);
	vhu_session_record(f->s, ++f->frame, f->ts_ns, &r);
}

static void set_features(struct feeder *f, uint64_t conn, uint64_t v)
{
	uint8_t m[20];

	vhu_put_le32(m, VHU_SET_FEATURES);
	vhu_put_le32(m + 4, VHU_VERSION);
	vhu_put_le32(m + 8, 8);
	vhu_put_le64(m + 12, v);
	feed_data(f, conn, VHU_CHAN_MAIN, VHU_EV_DATA_SENT, 7, m, sizeof(m), 0, 0, 0);
}

static void set_pfeatures(struct feeder *f, uint64_t conn, uint64_t v)
{
	uint8_t m[20];

	vhu_put_le32(m, VHU_SET_PROTOCOL_FEATURES);
	vhu_put_le32(m + 4, VHU_VERSION);
	vhu_put_le32(m + 8, 8);
	vhu_put_le64(m + 12, v);
	feed_data(f, conn, VHU_CHAN_MAIN, VHU_EV_DATA_SENT, 7, m, sizeof(m), 0, 0, 0);
}

/* A second session on the same socket path that negotiates less than the
 * first (LOG_ALL lost) is a finding, also when its protocol features come
 * first (as QEMU sends them); a session that changes its own features, or
 * one on another path, is not. */
static void test_features_changed(void)
{
	struct feeder f = start(0);
	int rule = VHU_NOTE_OF_RULE(VHU_RULE_FEATURES_CHANGED);
	uint64_t a = CONN, b = CONN + 1, c = CONN + 2;
	uint64_t base = VHU_BIT(VHU_VIRTIO_F_VERSION_1), log = VHU_BIT(VHU_VIRTIO_F_LOG_ALL);

	connect_path(&f, a, "/run/vhu.sock");
	set_features(&f, a, base);
	set_features(&f, a, base | log);
	CHECK(got.n == 2 && got.m[1].notes[rule] == 0);
	feed_event(&f, a, VHU_CHAN_MAIN, VHU_EV_CLOSE, 7, 0, NULL, NULL);
	connect_path(&f, b, "/run/vhu.sock");
	set_pfeatures(&f, b, 0);
	set_features(&f, b, base);
	CHECK(got.n == 4 && got.m[2].notes[rule] == 0 && got.m[3].notes[rule] == 1);
	connect_path(&f, c, "/run/other.sock");
	set_features(&f, c, base | VHU_BIT(0));
	CHECK(got.n == 5 && got.m[4].notes[rule] == 0);
	finish(&f);
}

int main(void)
{
	vhu_fields_init();
	test_split_points();
	test_several_in_one();
	test_truncated();
	test_oversize();
	test_peek_and_cut();
	test_matching();
	test_malformed_messages();
	test_state();
	test_variants();
	test_unknown_event();
	test_type_limits();
	test_resync_invents_nothing();
	test_direction_from_record();
	test_pid_reuse();
	test_many_connections();
	test_undescribed_fds();
	test_midstream();
	test_midstream_features();
	test_features_changed();
	printf("test_stream: %d failures\n", failures);
	return failures ? 1 : 0;
}
