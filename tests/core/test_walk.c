/* SPDX-License-Identifier: MIT */
/*
 * \summary: golden trees for every message id of every table, request and
 * reply forms, through the session and the walker.
 *
 * Every valid example must come out with no protocol-error note, balanced
 * subtrees and texts that fit a Wireshark label; the whole output is then
 * compared with golden/walk_all.txt (VHU_UPDATE_GOLDEN=1 rewrites it).
 * A second corpus, golden/walk_state.txt, holds what valid examples in a
 * fresh session cannot show: layouts changed by negotiated state, and
 * malformed headers and payloads with their notes.
 * Every kind of subtree must open somewhere in it, or be on the short list
 * below (fields and notes: check_used.py).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "samples.h"
#include "test_emit.h"
#include "vhu_le.h"
#include "vhu_line_cache.h"
#include "vhu_sum_cache.h"
#include "vhu_msgs.h"
#include "vhu_proto.h"
#include "vhu_walk.h"

static int failures;
static FILE *out;
static bool malformed_corpus;	/* notes of protocol errors are expected */
static int etts_opened[VHU_ETT__COUNT];
/* lines of every message walked so far, as a decoder's context keeps them */
static struct vhu_line_cache *lines;
/* and summaries, as its one-line output keeps them */
static struct vhu_sum_cache *sums;

/* Subtrees the golden messages do not open, and why. */
static const int etts_elsewhere[] = {
	VHU_ETT_REC, VHU_ETT_REC_FLAGS, VHU_ETT_REC_FD,	/* the record tree: decoder goldens */
};

static const int bad_notes[] = {
	VHU_N_MALFORMED, VHU_N_OVERSIZE, VHU_N_TRUNCATED, VHU_N_UNKNOWN_REQUEST,
	VHU_N_RESERVED_FLAGS, VHU_N_BAD_SIZE, VHU_N_BAD_RECORD, VHU_N_RESYNC,
	VHU_NOTE_OF_RULE(VHU_RULE_BAD_FLAGS), VHU_NOTE_OF_RULE(VHU_RULE_FD_COUNT),
	VHU_NOTE_OF_RULE(VHU_RULE_UNEXPECTED_REPLY),
};

static void *on_msg(void *ctx, const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	struct test_emit t;
	char *text = NULL;
	size_t i, len = 0;
	FILE *one = open_memstream(&text, &len);

	(void)ctx;
	fprintf(out, "# frame %llu conn %llx channel %u sender %u\n", (unsigned long long)mi->frame,
		(unsigned long long)mi->conn_id, mi->channel, mi->sender);
	test_emit_reset(&t, one);
	vhu_walk_message(m, mi, NULL, &test_emitter, &t);
	fclose(one);
	fwrite(text, 1, len, out);
	CHECK(test_walk_cached(m, mi, lines, text, len) == 0);
	free(text);
	CHECK(t.errors == 0);
	CHECK(t.depth == 0);
	CHECK(t.nodes >= 5);
	CHECK(t.summary[0] != 0);
	CHECK(test_walk_shortcuts(m, mi, &t) == 0);
	CHECK(test_walk_summary_states(m, mi, sums) == 0);
	for (i = 0; i < VHU_ETT__COUNT; i++)
		etts_opened[i] += t.etts[i];
	for (i = 0; !malformed_corpus && i < sizeof(bad_notes) / sizeof(bad_notes[0]); i++) {
		if (t.notes[bad_notes[i]]) {
			fprintf(stderr, "frame %llu (%s): unexpected note %s\n", (unsigned long long)mi->frame,
				t.summary, vhu_note_get(bad_notes[i])->abbrev);
			failures++;
		}
	}
	return NULL;
}

static void check_etts(void)
{
	size_t e, i;

	for (e = 0; e < VHU_ETT__COUNT; e++) {
		bool elsewhere = false;

		for (i = 0; i < sizeof(etts_elsewhere) / sizeof(etts_elsewhere[0]); i++)
			elsewhere |= etts_elsewhere[i] == (int)e;
		CHECKF(elsewhere ? !etts_opened[e] : etts_opened[e] > 0,
		       "subtree kind %zu: opened %d times%s", e, etts_opened[e],
		       elsewhere ? ", but it is listed as opened elsewhere" : "");
	}
}

static void exchange(struct feeder *f, unsigned channel, uint32_t id, uint64_t conn)
{
	static struct sample s;
	const struct vhu_msg_desc *d = vhu_msg_lookup(channel, id);
	/* the front-end's view: it sends main-channel requests and answers
	 * back-end-channel and GPU requests */
	uint8_t req_ev = channel == VHU_CHAN_MAIN ? VHU_EV_DATA_SENT : VHU_EV_DATA_RECV;
	uint8_t rep_ev = req_ev == VHU_EV_DATA_SENT ? VHU_EV_DATA_RECV : VHU_EV_DATA_SENT;
	int need;

	CHECKF(d != NULL, "channel %u request %u has no row in the message tables", channel, id);
	if (!d)
		return;
	for (need = 0; need <= 1; need++) {
		if (need && (channel == VHU_CHAN_GPU || d->reply_rule == VHU_R_ALWAYS ||
			     d->reply_rule == VHU_R_LOG_SHMFD))
			continue;
		if (!sample_build(&s, channel, id, 0, need))
			continue;
		feed_data(f, conn, (uint8_t)channel, req_ev, 100, s.bytes, s.len, s.nfds, s.fd_kind, 0);
		if (sample_build(&s, channel, id, 1, need))
			feed_data(f, conn, (uint8_t)channel, rep_ev, 100, s.bytes, s.len, s.nfds, s.fd_kind, 0);
	}
}

/* One message of the state corpus: header and payload in one record. */
static void send_msg(struct feeder *f, uint64_t conn, uint8_t event, uint32_t req, uint32_t flags,
		     const uint8_t *payload, uint32_t size, unsigned nfds, uint16_t rec_flags)
{
	static uint8_t buf[VHU_HDR_SIZE + 2048];

	sample_header(buf, req, flags, size);
	memcpy(buf + VHU_HDR_SIZE, payload, size);
	feed_data(f, conn, VHU_CHAN_MAIN, event, 100, buf, VHU_HDR_SIZE + size, nfds,
		  nfds ? VHU_FDK_MEMFD : 0, rec_flags);
}

/* Layouts that negotiated state changes, then malformed messages. */
static void state_corpus(struct feeder *f, uint64_t conn)
{
	static uint8_t p[1072];
	const uint8_t S = VHU_EV_DATA_SENT, R = VHU_EV_DATA_RECV;

	/* packed rings: GET_VRING_BASE's num is two indexes and wrap bits */
	vhu_put_le64(p, VHU_BIT(VHU_VIRTIO_F_VERSION_1) | VHU_BIT(VHU_VIRTIO_F_RING_PACKED));
	send_msg(f, conn, S, VHU_SET_FEATURES, VHU_VERSION, p, 8, 0, 0);
	vhu_put_le64(p, 0);
	send_msg(f, conn, S, VHU_GET_VRING_BASE, VHU_VERSION, p, 8, 0, 0);
	vhu_put_le32(p + 4, 0x80058003u);
	send_msg(f, conn, R, VHU_GET_VRING_BASE, VHU_VERSION | VHU_FLAG_REPLY, p, 8, 0, 0);
	/* XEN_MMAP: 40-byte regions; and a protocol bit the spec does not name */
	vhu_put_le64(p, VHU_BIT(VHU_PF_XEN_MMAP) | VHU_BIT(40));
	send_msg(f, conn, S, VHU_SET_PROTOCOL_FEATURES, VHU_VERSION, p, 8, 0, 0);
	memset(p, 0, 48);
	vhu_put_le32(p, 1);
	vhu_put_le64(p + 16, 0x40000000);
	vhu_put_le64(p + 24, 0x7f0000000000ull);
	vhu_put_le32(p + 40, 1);
	vhu_put_le32(p + 44, 3);
	send_msg(f, conn, S, VHU_SET_MEM_TABLE, VHU_VERSION, p, 48, 1, 0);
	/* an asymmetric crypto session (QEMU 8.1+ layout) */
	memset(p, 0, sizeof(p));
	vhu_put_le64(p, 0x0400);
	vhu_put_le32(p + 8, 1);
	vhu_put_le32(p + 16, 256);
	send_msg(f, conn, S, VHU_CREATE_CRYPTO_SESSION, VHU_VERSION, p, 1072, 0, 0);
	/* malformed: reserved flag bits, another version, a payload longer
	 * than its layout, reserved bits in a vring file word, fds the kernel
	 * dropped */
	send_msg(f, conn, S, VHU_GET_FEATURES, VHU_VERSION | 0x10, p, 0, 0, 0);
	send_msg(f, conn, S, VHU_SET_OWNER, 2, p, 0, 0, 0);
	memset(p, 0, 12);
	vhu_put_le32(p + 4, 256);
	send_msg(f, conn, S, VHU_SET_VRING_NUM, VHU_VERSION, p, 12, 0, 0);
	vhu_put_le64(p, VHU_VRING_NOFD_MASK | 0x1000);
	send_msg(f, conn, S, VHU_SET_VRING_CALL, VHU_VERSION, p, 8, 0, 0);
	vhu_put_le64(p, 0);
	send_msg(f, conn, S, VHU_SET_VRING_KICK, VHU_VERSION, p, 8, 0, VHU_RF_CTRUNC);
	/* every feature bit: more names than a summary holds, cut where it
	 * ends (last: the features change the layouts of what follows) */
	vhu_put_le64(p, ~0ull);
	send_msg(f, conn, S, VHU_SET_FEATURES, VHU_VERSION, p, 8, 0, 0);
}

/* Compares (or with VHU_UPDATE_GOLDEN rewrites) a golden file. */
static int compare_golden(const char *golden, const char *got, size_t got_len)
{
	char *want;
	FILE *g;

	if (getenv("VHU_UPDATE_GOLDEN")) {
		g = fopen(golden, "w");
		if (!g || fwrite(got, 1, got_len, g) != got_len)
			return 2;
		fclose(g);
		printf("rewrote %s\n", golden);
	}
	g = fopen(golden, "r");
	if (!g) {
		fprintf(stderr, "cannot open %s\n", golden);
		return 2;
	}
	want = calloc(1, got_len + 2);
	if (fread(want, 1, got_len + 1, g) != got_len || memcmp(want, got, got_len) != 0) {
		fprintf(stderr, "output differs from %s (rerun with VHU_UPDATE_GOLDEN=1 and review the diff)\n", golden);
		fwrite(got, 1, got_len, stderr);
		failures++;
	}
	fclose(g);
	free(want);
	return 0;
}

/* The cache's compare of a message's bytes (three words up to 24 bytes,
 * memcmp beyond) against memcmp: every length it takes, a byte changed
 * at every place. */
static void check_msg_same(void)
{
	uint8_t a[VHU_SUM_CACHE_MSG_MAX], b[VHU_SUM_CACHE_MSG_MAX];
	uint32_t len, at, i;

	for (i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)(i * 7 + 1);
	for (len = VHU_HDR_SIZE; len <= VHU_SUM_CACHE_MSG_MAX; len++) {
		memcpy(b, a, len);
		CHECK(vhu_sum_msg_same(a, b, len));
		for (at = 0; at < len; at++) {
			b[at] ^= 0x10;
			CHECK(vhu_sum_msg_same(a, b, len) == (memcmp(a, b, len) == 0));
			b[at] ^= 0x10;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct vhu_session_cbs cbs = { on_msg, NULL, NULL, NULL, NULL };
	const char *golden = argc > 1 ? argv[1] : "golden/walk_all.txt";
	const char *state_golden = argc > 2 ? argv[2] : "golden/walk_state.txt";
	char *got = NULL, *state = NULL;
	size_t got_len = 0, state_len = 0;
	uint64_t main_conn = (100ull << 32) | 1, be_conn = (100ull << 32) | 2, gpu_conn = (100ull << 32) | 3;
	struct feeder f = { NULL, 0, 1700000000000000000ull, 0 };
	uint32_t id;

	vhu_fields_init();
	check_msg_same();
	lines = vhu_line_cache_new();
	sums = vhu_sum_cache_new();
	out = open_memstream(&got, &got_len);
	f.s = vhu_session_new(NULL, &cbs, NULL);
	feed_event(&f, 0, 0, VHU_EV_PROCESS_START, 100, 0, "qemu-system-x86", "qemu-system-x86_64 -device vhost-user-blk-pci");
	feed_event(&f, main_conn, VHU_CHAN_MAIN, VHU_EV_CONNECT, 100, 0, NULL, NULL);
	for (id = 1; id <= vhu_msg_max(VHU_CHAN_MAIN); id++)
		exchange(&f, VHU_CHAN_MAIN, id, main_conn);
	feed_event(&f, be_conn, VHU_CHAN_BACKEND, VHU_EV_ADOPT, 100, main_conn, NULL, NULL);
	for (id = 1; id <= vhu_msg_max(VHU_CHAN_BACKEND); id++)
		exchange(&f, VHU_CHAN_BACKEND, id, be_conn);
	feed_event(&f, gpu_conn, VHU_CHAN_GPU, VHU_EV_ADOPT, 100, main_conn, NULL, NULL);
	for (id = 1; id <= vhu_msg_max(VHU_CHAN_GPU); id++)
		exchange(&f, VHU_CHAN_GPU, id, gpu_conn);
	vhu_session_finish(f.s);
	vhu_session_free(f.s);
	fclose(out);

	out = open_memstream(&state, &state_len);
	malformed_corpus = true;
	f.s = vhu_session_new(NULL, &cbs, NULL);
	feed_event(&f, main_conn, VHU_CHAN_MAIN, VHU_EV_CONNECT, 100, 0, NULL, NULL);
	state_corpus(&f, main_conn);
	vhu_session_finish(f.s);
	vhu_session_free(f.s);
	fclose(out);
	check_etts();

	if (compare_golden(golden, got, got_len) || compare_golden(state_golden, state, state_len))
		return 2;
	free(got);
	free(state);
	vhu_line_cache_free(lines);
	vhu_sum_cache_free(sums);
	printf("%s: %d failures\n", argv[0], failures);
	return failures ? 1 : 0;
}
