/* SPDX-License-Identifier: MIT */
/*
 * vhu_reasm.h - one direction of one connection: bytes in, messages out.
 *
 * Framing follows the byte stream, never the syscall boundaries: a header
 * may be split across records, a record may hold several messages.  A size
 * field above the limit is reported at once (header only) and the rest of
 * that record is skipped: the reader never waits for 4 GiB.
 */
#ifndef VHU_REASM_H
#define VHU_REASM_H

#include "vhu_session.h"

struct vhu_stream {
	uint32_t max_payload;
	uint8_t *buf;		/* message being assembled (header + payload) */
	uint32_t cap;
	uint32_t have;
	uint32_t need;		/* total length once the header is known, else 0 */
	uint64_t seq;		/* number of the message being assembled */
	uint64_t first_frame;
	uint32_t nrecords;
	uint32_t skipped;	/* bytes dropped before the next message */
	uint32_t nfds;
	struct vhu_fdinfo fds[VHU_MSG_MAX_FDS];
};

typedef void (*vhu_stream_msg_fn)(void *arg, const struct vhu_msg *m);
typedef void (*vhu_stream_piece_fn)(void *arg, uint64_t msg_seq, uint32_t rec_off,
				    uint32_t len, uint32_t msg_off, bool last);

void vhu_stream_init(struct vhu_stream *s, uint32_t max_payload);
void vhu_stream_free(struct vhu_stream *s);
/* Feeds the data of one record.  fds: the record's passed fds, attached to
 * the message that holds the record's first byte. */
void vhu_stream_feed(struct vhu_stream *s, uint64_t frame, const uint8_t *data, uint32_t len,
		     const struct vhu_record *rec, vhu_stream_msg_fn msg, vhu_stream_piece_fn piece,
		     void *arg);
/* Delivers a partial message as truncated (capture end, cut record). */
void vhu_stream_flush(struct vhu_stream *s, vhu_stream_msg_fn msg, void *arg);

#endif
