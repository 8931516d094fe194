/* SPDX-License-Identifier: MIT */
/*
 * vhu_reasm.h - one direction of one connection: bytes in, messages out.
 *
 * Framing follows the byte stream, never the syscall boundaries: a header
 * may be split across records, a record may hold several messages.  Each
 * message type has its payload limit (vhu_msg_size_limit(), or the user's
 * limit when one is set).  A size field above it is reported at once
 * (header only); if the header is one the channel can carry and its size
 * at most 16 MiB, its payload is skipped by the size it declares, otherwise the framing is lost and
 * the reader takes up again at the first record that starts with a
 * plausible header.  Either way it never waits for 4 GiB, never buffers
 * more than the bytes that arrived, and never reads payload bytes as
 * headers.
 *
 * A record flagged VHU_RF_MIDSTREAM (the capture was attached to a
 * connection already in use) may begin inside a message: the bytes up to
 * the first plausible header are skipped and the next message says the
 * capture started inside a message, instead of a malformed one.
 */
#ifndef VHU_REASM_H
#define VHU_REASM_H

#include "vhu_session.h"

struct vhu_stream {
	uint32_t max_payload;	/* the user's limit, 0: per message type */
	uint8_t channel;	/* enum vhu_channel, for the per-type limits */
	bool resync;		/* framing lost: looking for a header at record starts */
	bool big_endian;	/* the records' byte order (vhu_rec_hdr.byte_order) */
	bool general_only;	/* vhu_stream_whole() takes no record (for the tests) */
	uint8_t *buf;		/* message being assembled (header + payload) */
	uint32_t cap;
	uint32_t have;
	uint32_t need;		/* total length once the header is known, else 0 */
	uint32_t limit;		/* its type's payload limit, with need */
	uint32_t skip_left;	/* payload bytes of an oversize message still to pass */
	uint64_t seq;		/* number of the message being assembled */
	uint64_t first_frame;
	uint32_t nrecords;
	uint32_t skipped;	/* bytes dropped before the next message */
	bool seeking;		/* capture started mid-stream: no boundary found yet */
	bool started_inside;	/* the bytes skipped were the end of a message */
	uint32_t nfds, nfd_info;
	struct vhu_fdinfo *fds;	/* VHU_MSG_MAX_FDS, allocated with the first fd */
};

typedef void (*vhu_stream_msg_fn)(void *arg, const struct vhu_msg *m);
typedef void (*vhu_stream_piece_fn)(void *arg, uint64_t msg_seq, uint32_t rec_off,
				    uint32_t len, uint32_t msg_off, bool last);

void vhu_stream_init(struct vhu_stream *s, uint32_t max_payload);
/* Frees what a message in progress holds; the stream stays usable. */
void vhu_stream_free(struct vhu_stream *s);
/* The payload limit for a message of this id on the stream's channel. */
uint32_t vhu_stream_limit(const struct vhu_stream *s, uint32_t request);
/* A record that is one whole message and nothing else, on a stream with
 * nothing in progress (most records): fills m with it, as the stream would
 * deliver it, and returns true (piece, when not NULL, is called for it
 * first).  Any other record: returns false having changed nothing, and
 * goes to vhu_stream_feed().  The caller delivers m itself, so that it may
 * call its message function directly (inlined), not through a pointer:
 * m's fds stay valid until the stream is fed again. */
bool vhu_stream_whole(struct vhu_stream *s, uint64_t frame, const struct vhu_record *rec,
		      vhu_stream_piece_fn piece, void *arg, struct vhu_msg *m);
/* Feeds the data of one record.  fds: the record's passed fds, attached to
 * the message that holds the record's first byte. */
void vhu_stream_feed(struct vhu_stream *s, uint64_t frame, const uint8_t *data, uint32_t len,
		     const struct vhu_record *rec, vhu_stream_msg_fn msg, vhu_stream_piece_fn piece,
		     void *arg);
/* Delivers a partial message as truncated (capture end, cut record). */
void vhu_stream_flush(struct vhu_stream *s, vhu_stream_msg_fn msg, void *arg);

#endif
