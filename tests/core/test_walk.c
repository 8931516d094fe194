/* SPDX-License-Identifier: MIT */
/*
 * \summary: golden trees for every message id of every table, request and
 * reply forms, through the session and the walker.
 *
 * Every valid example must come out with no protocol-error note, balanced
 * subtrees and texts that fit a Wireshark label; the whole output is then
 * compared with golden/walk_all.txt (VHU_UPDATE_GOLDEN=1 rewrites it).
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
#include "vhu_msgs.h"
#include "vhu_proto.h"
#include "vhu_walk.h"

static int failures;
static FILE *out;
static int etts_opened[VHU_ETT__COUNT];

/* Subtrees the golden messages do not open, and why. */
static const int etts_elsewhere[] = {
	VHU_ETT_REC, VHU_ETT_REC_FLAGS, VHU_ETT_REC_FD,	/* the record tree: decoder goldens */
	VHU_ETT_VRING_STATE,	/* GET_VRING_BASE with VIRTIO_F_RING_PACKED negotiated */
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
	size_t i;

	(void)ctx;
	fprintf(out, "# frame %llu conn %llx channel %u sender %u\n", (unsigned long long)mi->frame,
		(unsigned long long)mi->conn_id, mi->channel, mi->sender);
	test_emit_reset(&t, out);
	vhu_walk_message(m, mi, NULL, &test_emitter, &t);
	CHECK(t.errors == 0);
	CHECK(t.depth == 0);
	CHECK(t.nodes >= 5);
	CHECK(t.summary[0] != 0);
	for (i = 0; i < VHU_ETT__COUNT; i++)
		etts_opened[i] += t.etts[i];
	for (i = 0; i < sizeof(bad_notes) / sizeof(bad_notes[0]); i++) {
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

int main(int argc, char **argv)
{
	static const struct vhu_session_cbs cbs = { on_msg, NULL, NULL, NULL, NULL };
	const char *golden = argc > 1 ? argv[1] : "golden/walk_all.txt";
	char *got = NULL, *want = NULL;
	size_t got_len = 0;
	uint64_t main_conn = (100ull << 32) | 1, be_conn = (100ull << 32) | 2, gpu_conn = (100ull << 32) | 3;
	struct feeder f = { NULL, 0, 1700000000000000000ull, 0 };
	uint32_t id;
	FILE *g;

	vhu_fields_init();
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
	check_etts();

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
	free(got);
	printf("%s: %d failures\n", argv[0], failures);
	return failures ? 1 : 0;
}
