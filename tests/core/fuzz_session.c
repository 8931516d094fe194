/* SPDX-License-Identifier: MIT */
/*
 * \summary: fuzz target over the record reader, the reassembler, the session
 * and the walker.
 *
 * Input: a sequence of chunks "u16 length, u8 kind, bytes".  Kind bit 0
 * chooses how the bytes are used: as a whole capture record (the reader
 * must reject what is malformed), or as the data of a record on one of
 * three connections (main, back-end channel, GPU) so that arbitrary
 * vhost-user byte streams reach the reassembler and the walker.
 *
 * Built with clang -fsanitize=fuzzer it is a libFuzzer target; otherwise a
 * main() runs a bounded number of pseudo-random mutations of built-in seeds
 * (deterministic), so every build exercises it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "samples.h"
#include "test_emit.h"
#include "vhu_line_cache.h"
#include "vhu_sum_cache.h"
#include "vhu_proto.h"
#include "vhu_walk.h"

/* The piece contract of vhu_session.h, which the plugin's fragment table
 * relies on: the piece that completes a message comes right before it and
 * ends where the message ends; a cut message has no such piece. */
static struct {
	bool pending;
	uint64_t stream;
	uint64_t end;
} last_piece;

/* A finding names a known rule, the message it is about and a text that
 * fits its buffer. */
static void check_finding(const struct vhu_finding *f, uint64_t frame)
{
	if (!vhu_rule_get(f->rule) || f->frame != frame ||
	    memchr(f->text, 0, sizeof(f->text)) == NULL || !f->text[0])
		abort();
}

/* the summaries of every message walked, as a decoder's one-line output
 * keeps them */
static struct vhu_sum_cache *sums;

/*
 * A twin session takes every record too, first, with the other options a
 * reader may choose (findings without their text, no pieces) and every
 * record through the reassembler's general loop (the session under test
 * takes a record of one whole message by its own path): each of its
 * messages is kept here, and the session under test must deliver the same
 * ones, field by field.
 */
struct seen {
	struct vhu_msg m;
	struct vhu_msg_info mi;
	uint64_t bytes_hash;
	struct vhu_fdinfo fds[VHU_MSG_MAX_FDS];
	struct vhu_finding f[VHU_MAX_FINDINGS];
};

static struct {
	struct seen *v;
	size_t n, cap, next;
} twin;

static uint64_t hash_bytes(const uint8_t *p, uint32_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void *twin_msg(void *ctx, const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	struct seen *k;

	(void)ctx;
	if (twin.n == twin.cap) {
		twin.cap = twin.cap ? twin.cap * 2 : 64;
		twin.v = realloc(twin.v, twin.cap * sizeof(*twin.v));
		if (!twin.v)
			abort();
	}
	k = &twin.v[twin.n++];
	k->m = *m;
	k->mi = *mi;
	k->bytes_hash = hash_bytes(m->bytes, m->len);
	if (m->nfd_info > VHU_MSG_MAX_FDS || mi->nfindings > VHU_MAX_FINDINGS)
		abort();
	/* Both arrays may be NULL when empty; memcpy must not see them then. */
	if (m->nfd_info)
		memcpy(k->fds, m->fds, m->nfd_info * sizeof(*m->fds));
	if (mi->nfindings)
		memcpy(k->f, mi->findings, mi->nfindings * sizeof(*mi->findings));
	return NULL;
}

static bool same_fd(const struct vhu_fdinfo *a, const struct vhu_fdinfo *b)
{
	return a->fd == b->fd && a->kind == b->kind && a->ino == b->ino && a->size == b->size &&
	       !strcmp(a->name, b->name);
}

static bool same_msg(const struct vhu_msg *a, uint64_t a_hash, const struct vhu_fdinfo *a_fds,
		     const struct vhu_msg *b)
{
	uint32_t i;

	if (a->len != b->len || a->request != b->request || a->flags != b->flags ||
	    a->size != b->size || a->status != b->status || a->nfds != b->nfds ||
	    a->nfd_info != b->nfd_info || a->nrecords != b->nrecords ||
	    a->in_record != b->in_record || a->rec_off != b->rec_off ||
	    a->first_frame != b->first_frame || a->skipped != b->skipped ||
	    a->started_inside != b->started_inside || a->limit != b->limit ||
	    a->big_endian != b->big_endian || a_hash != hash_bytes(b->bytes, b->len))
		return false;
	for (i = 0; i < a->nfd_info; i++)
		if (!same_fd(&a_fds[i], &b->fds[i]))
			return false;
	return true;
}

/* The same finding, told without its text (a) and with it (b). */
static bool same_finding(const struct vhu_finding *a, const struct vhu_finding *b)
{
	return a->rule == b->rule && a->channel == b->channel && a->request == b->request &&
	       a->frame == b->frame && a->related_frame == b->related_frame &&
	       a->conn_id == b->conn_id && !a->text[0] && b->text[0];
}

static bool same_info(const struct vhu_msg_info *a, const struct vhu_finding *a_f,
		      const struct vhu_msg_info *b)
{
	unsigned i;

	if (a->frame != b->frame || a->index != b->index || a->ts_ns != b->ts_ns ||
	    a->conn_id != b->conn_id || a->pid != b->pid || strcmp(a->comm, b->comm) ||
	    a->event != b->event || a->channel != b->channel || a->sender != b->sender ||
	    a->rec_flags != b->rec_flags || a->features != b->features ||
	    a->pfeatures != b->pfeatures || a->offered_features != b->offered_features ||
	    a->offered_pfeatures != b->offered_pfeatures || a->features_set != b->features_set ||
	    a->pfeatures_set != b->pfeatures_set || a->pfeatures_unknown != b->pfeatures_unknown ||
	    a->postcopy != b->postcopy || a->device != b->device || a->is_reply != b->is_reply ||
	    a->reply_is_ack != b->reply_is_ack || a->matched != b->matched ||
	    a->request_before_capture != b->request_before_capture ||
	    a->request_frame != b->request_frame || a->latency_ns != b->latency_ns ||
	    a->reply_frame != b->reply_frame || a->unanswered != b->unanswered ||
	    a->nfindings != b->nfindings || a->late != b->late)
		return false;
	for (i = 0; i < a->nfindings; i++)
		if (!same_finding(&a_f[i], &b->findings[i]))
			return false;
	return true;
}

/* The twin's next message is this one. */
static void check_twin(const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	const struct seen *k = twin.next < twin.n ? &twin.v[twin.next++] : NULL;

	if (!k || !same_msg(&k->m, k->bytes_hash, k->fds, m) || !same_info(&k->mi, k->f, mi))
		abort();
}

/* Both sessions delivered the same number of messages so far. */
static void twin_caught_up(void)
{
	if (twin.next != twin.n)
		abort();
	twin.n = twin.next = 0;
}

static void *on_msg(void *ctx, const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	struct vhu_walk_opts o = { .show_payload = true };
	struct test_emit t;
	unsigned i;
	uint64_t stream = mi->conn_id * 2 + (mi->event == VHU_EV_DATA_RECV);

	(void)ctx;
	if (m->status == VHU_MSG_TRUNCATED) {
		if (last_piece.pending && last_piece.stream == stream)
			abort();
	} else if (!last_piece.pending || last_piece.stream != stream ||
		   last_piece.end != m->len) {
		abort();
	}
	last_piece.pending = false;
	test_emit_reset(&t, NULL);
	vhu_walk_message(m, mi, &o, &test_emitter, &t);
	if (t.errors || t.depth)
		abort(); /* unbalanced tree or bad node: a bug */
	if (test_walk_shortcuts(m, mi, &t))
		abort(); /* a walk without tree or texts told another summary */
	if (test_walk_summary_cached(m, mi, sums))
		abort(); /* a kept summary is not the one the walk makes */
	for (i = 0; i < mi->nfindings; i++)
		check_finding(&mi->findings[i], mi->frame);
	check_twin(m, mi);
	return (void *)(uintptr_t)mi->frame;
}

static void on_reply(void *ctx, void *cookie, const struct vhu_msg_info *mi)
{
	(void)ctx;
	(void)cookie;
	(void)mi;
}

static void on_unanswered(void *ctx, void *cookie)
{
	(void)ctx;
	(void)cookie;
}

/* the no-reply finding is about the request of cookie (its frame) */
static void on_finding(void *ctx, void *cookie, const struct vhu_finding *f)
{
	(void)ctx;
	check_finding(f, (uint64_t)(uintptr_t)cookie);
}

static void on_piece(void *ctx, uint64_t sid, uint64_t seq, uint32_t off, uint32_t len,
		     uint32_t moff, bool last)
{
	(void)ctx;
	(void)seq;
	(void)off;
	if (last_piece.pending || len == 0)
		abort();
	if (last) {
		last_piece.pending = true;
		last_piece.stream = sid;
		last_piece.end = (uint64_t)moff + len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct vhu_session_cbs cbs = { on_msg, on_reply, on_unanswered, on_piece, on_finding };
	static struct vhu_record r;
	static uint8_t rec[70000];
	static const struct vhu_session_cbs twin_cbs = { twin_msg, NULL, NULL, NULL, NULL };
	struct vhu_options o = { 4096, 0, false, false }, twin_o = { 4096, 0, true, true };
	struct feeder f = { NULL, 0, 0, 0 }, t = { NULL, 0, 0, 0 };
	size_t off = 0;
	/* the lines of every record walked, as a decoder's context keeps them */
	static struct vhu_line_cache *lines;

	vhu_fields_init();
	if (!lines && !(lines = vhu_line_cache_new()))
		abort();
	if (!sums && !(sums = vhu_sum_cache_new()))
		abort();
	f.s = vhu_session_new(&o, &cbs, NULL);
	t.s = vhu_session_new(&twin_o, &twin_cbs, NULL);
	feed_event(&t, 1, VHU_CHAN_MAIN, VHU_EV_CONNECT, 1, 0, "fuzz", "qemu -device virtio-net");
	feed_event(&t, 2, VHU_CHAN_BACKEND, VHU_EV_ADOPT, 1, 1, NULL, NULL);
	feed_event(&t, 3, VHU_CHAN_GPU, VHU_EV_ADOPT, 1, 1, NULL, NULL);
	feed_event(&f, 1, VHU_CHAN_MAIN, VHU_EV_CONNECT, 1, 0, "fuzz", "qemu -device virtio-net");
	feed_event(&f, 2, VHU_CHAN_BACKEND, VHU_EV_ADOPT, 1, 1, NULL, NULL);
	feed_event(&f, 3, VHU_CHAN_GPU, VHU_EV_ADOPT, 1, 1, NULL, NULL);
	while (size - off >= 3) {
		uint16_t len = (uint16_t)(data[off] | data[off + 1] << 8);
		uint8_t kind = data[off + 2];

		off += 3;
		if (len > size - off)
			len = (uint16_t)(size - off);
		if (kind & 1) {
			if (vhu_rec_parse(data + off, len, &r) == VHU_REC_OK) {
				struct test_emit te;
				struct vhu_seq_check k, tk;

				f.frame++;
				tk = vhu_session_record(t.s, f.frame, f.frame * 1000, &r);
				k = vhu_session_record(f.s, f.frame, f.frame * 1000, &r);
				twin_caught_up();
				if (k.state != tk.state || k.seq != tk.seq || k.expected != tk.expected)
					abort();
				test_emit_reset(&te, NULL);
				vhu_walk_record(&r, "", &k, &test_emitter, &te);
				if (te.errors || te.depth)
					abort(); /* unbalanced tree or bad node: a bug */
				if (test_walk_record_cached(&r, "", &k, lines))
					abort(); /* a line from the cache that is not the line */
			}
		} else {
			uint32_t n = build_record(rec, sizeof(rec), 1 + (kind >> 1) % 3, (uint8_t)(1 + (kind >> 1) % 3),
						  (kind & 2) ? VHU_EV_DATA_RECV : VHU_EV_DATA_SENT, 1, data + off, len,
						  (kind >> 3) & 3, (uint8_t)((kind >> 5) % 6),
						  (uint16_t)((kind & 0x80) ? VHU_RF_CUT : 0));

			if (vhu_rec_parse(rec, n, &r) != VHU_REC_OK)
				abort(); /* the writer must produce what the reader accepts */
			f.frame++;
			vhu_session_record(t.s, f.frame, f.frame * 1000, &r);
			vhu_session_record(f.s, f.frame, f.frame * 1000, &r);
			twin_caught_up();
		}
		off += len;
	}
	vhu_session_finish(t.s);
	vhu_session_finish(f.s);
	twin_caught_up();
	vhu_session_free(t.s);
	vhu_session_free(f.s);
	if (last_piece.pending)
		abort(); /* a completed message that never came */
	return 0;
}

#ifndef VHU_LIBFUZZER
/* Deterministic stand-alone driver: seeds from every sample message, then
 * byte flips, truncations and length smashing. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static size_t add_chunk(uint8_t *buf, size_t at, size_t cap, const uint8_t *p, uint16_t len, uint8_t kind)
{
	if (at + 3 + len > cap)
		return at;
	buf[at] = (uint8_t)len;
	buf[at + 1] = (uint8_t)(len >> 8);
	buf[at + 2] = kind;
	memcpy(buf + at + 3, p, len);
	return at + 3 + len;
}

int main(int argc, char **argv)
{
	static uint8_t seed[1 << 20], input[1 << 20];
	static struct sample s;
	static const unsigned chans[] = { VHU_CHAN_MAIN, VHU_CHAN_BACKEND, VHU_CHAN_GPU };
	long iterations = argc > 1 ? atol(argv[1]) : 3000;
	size_t n = 0, c;
	long i;

	for (c = 0; c < 3; c++) {
		uint32_t id;

		for (id = 1; id <= vhu_msg_max(chans[c]); id++) {
			int rep;

			for (rep = 0; rep <= 1; rep++)
				if (sample_build(&s, chans[c], id, rep, 0) && s.len < 4000)
					n = add_chunk(seed, n, sizeof(seed), s.bytes, (uint16_t)s.len,
						      (uint8_t)((c << 1) | (rep << 1) | (s.nfds << 3)));
		}
	}
	LLVMFuzzerTestOneInput(seed, n);
	for (i = 0; i < iterations; i++) {
		size_t len = n, k, flips = 1 + rnd() % 16;

		memcpy(input, seed, n);
		for (k = 0; k < flips; k++) {
			size_t at = rnd() % len;

			switch (rnd() % 4) {
			case 0: input[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
			case 1: input[at] = (uint8_t)rnd(); break;
			case 2: if (at + 4 <= len) memset(input + at, 0xff, 4); break;
			default: len = at + 1; break;
			}
		}
		LLVMFuzzerTestOneInput(input, len);
	}
	printf("fuzz_session: %ld iterations, no crash\n", iterations);
	return 0;
}
#endif
