/* SPDX-License-Identifier: MIT */
/* \summary: stream reassembly of vhost-user messages from capture records */
#include "vhu_reasm.h"
#include "vhu_le.h"
#include "vhu_msgs.h"
#include "vhu_proto.h"
#include "vhu_size_limits.h"
#include "vhu_walk.h"

#include <stdlib.h>
#include <string.h>

void vhu_stream_init(struct vhu_stream *s, uint32_t max_payload)
{
	memset(s, 0, sizeof(*s));
	s->max_payload = max_payload;
}

void vhu_stream_free(struct vhu_stream *s)
{
	free(s->buf);
	s->buf = NULL;
	s->cap = 0;
	free(s->fds);
	s->fds = NULL;
}

/* vhu_stream_limit() inline: asked for every header a stream reads. */
static inline uint32_t stream_limit(const struct vhu_stream *s, uint32_t request)
{
	uint32_t bound;

	if (s->max_payload)
		return s->max_payload;
	bound = vhu_size_limit(s->channel, request);
	return bound ? bound : VHU_DEFAULT_MAX_PAYLOAD;
}

uint32_t vhu_stream_limit(const struct vhu_stream *s, uint32_t request)
{
	return stream_limit(s, request);
}

/* The header's three u32 in little-endian order, as the rest of the reader
 * reads them: a big-endian host's header is swapped into tmp. */
static const uint8_t *le_header(const struct vhu_stream *s, const uint8_t *p, uint32_t len,
				uint8_t tmp[VHU_HDR_SIZE])
{
	uint32_t i;

	if (!s->big_endian)
		return p;
	memset(tmp, 0, VHU_HDR_SIZE);
	for (i = 0; i < VHU_HDR_SIZE && i < len; i++)
		tmp[(i & ~3u) + 3 - (i & 3u)] = p[i];
	return tmp;
}

static void reset_msg(struct vhu_stream *s)
{
	s->have = 0;
	s->need = 0;
	s->nfds = 0;
	s->nfd_info = 0;
	s->nrecords = 0;
	s->limit = 0;
	s->seq++;
}

static inline __attribute__((always_inline)) void
fill_header(const struct vhu_stream *s, struct vhu_msg *m, const uint8_t *b, uint32_t len)
{
	uint8_t tmp[VHU_HDR_SIZE];

	if (len >= VHU_HDR_SIZE) {
		b = le_header(s, b, len, tmp);
		m->request = vhu_get_le32(b);
		m->flags = vhu_get_le32(b + 4);
		m->size = vhu_get_le32(b + 8);
	}
	m->big_endian = s->big_endian;
}

/* rec_off: where the message starts in the data of the record being fed
 * when its bytes are that record's own, NOT_IN_RECORD when they were
 * assembled from several records. */
#define NOT_IN_RECORD UINT32_MAX

/* The message out of the stream's state: its bytes, what the stream knows
 * of it (fds, records, bytes passed over before it).  limit: the message
 * type's payload limit where the caller looked it up already (twice per
 * message was a visible share of the reassembler), else 0. */
static inline __attribute__((always_inline)) void
msg_fill(struct vhu_stream *s, struct vhu_msg *m, const uint8_t *bytes, uint32_t len,
	 enum vhu_msg_status st, uint32_t rec_off, uint32_t limit)
{
	memset(m, 0, sizeof(*m));
	m->bytes = bytes;
	m->len = len;
	m->in_record = rec_off != NOT_IN_RECORD;
	m->rec_off = m->in_record ? rec_off : 0;
	fill_header(s, m, bytes, len);
	if (len >= VHU_HDR_SIZE)
		m->limit = limit ? limit : vhu_stream_limit(s, m->request);
	m->status = st;
	m->nfds = s->nfds;
	m->nfd_info = s->nfd_info;
	m->fds = s->fds;
	m->nrecords = s->nrecords;
	m->first_frame = s->first_frame;
	m->skipped = s->skipped;
	m->started_inside = s->started_inside;
	s->skipped = 0;
	s->started_inside = false;
}

/* Inline where it is used: as a call it was a fortieth of a one-line
 * message. */
static inline __attribute__((always_inline)) void
deliver(struct vhu_stream *s, const uint8_t *bytes, uint32_t len, enum vhu_msg_status st,
	uint32_t rec_off, uint32_t limit, vhu_stream_msg_fn fn, void *arg)
{
	struct vhu_msg m;

	msg_fill(s, &m, bytes, len, st, rec_off, limit);
	fn(arg, &m);
	reset_msg(s);
}

/* Room for want bytes; the buffer grows with the bytes that arrive, never
 * to what a header announces. */
static bool grow(struct vhu_stream *s, uint32_t want)
{
	uint8_t *nb;
	uint32_t ncap;

	if (want <= s->cap)
		return true;
	ncap = s->cap ? s->cap : 256;
	while (ncap < want)
		ncap = ncap > UINT32_MAX / 2 ? want : ncap * 2;
	nb = realloc(s->buf, ncap);
	if (!nb)
		return false;
	s->buf = nb;
	s->cap = ncap;
	return true;
}

static void take_fds(struct vhu_stream *s, const struct vhu_record *rec)
{
	unsigned i;

	if (!rec)
		return;
	if (rec->nfd_items && !s->fds)
		s->fds = calloc(VHU_MSG_MAX_FDS, sizeof(*s->fds));
	for (i = 0; i < rec->nfd_items; i++) {
		const struct vhu_rec_fd *f = &rec->fds[i];

		if (s->fds && s->nfd_info < VHU_MSG_MAX_FDS) {
			struct vhu_fdinfo *d = &s->fds[s->nfd_info++];
			size_t n = f->name_len < VHU_FD_NAME_MAX - 1 ? f->name_len : VHU_FD_NAME_MAX - 1;

			d->fd = f->fd;
			d->kind = f->kind;
			d->ino = f->ino;
			d->size = f->size;
			memcpy(d->name, f->name, n);
			d->name[n] = 0;
		}
		s->nfds++;
	}
	/* the header says more fds than items: count them anyway */
	if (rec->h.nfds > rec->nfd_items)
		s->nfds += rec->h.nfds - rec->nfd_items;
}

/* Passing over more than this on a header's word would risk the rest of
 * the stream on one bad size field (a peer that sends a header with size
 * 0xffffffff and then goes on). */
#define SKIP_MAX VHU_ABSOLUTE_MAX_PAYLOAD

/*
 * A header whose size is above its type's limit: delivered alone, not
 * decoded.  A header the channel can carry, with a size a peer could
 * really send, is believed: its payload is passed over by its declared
 * size, in this record and the next ones.  Any other means the framing is
 * lost: the rest of the
 * record is dropped and reading takes up again at the first record that
 * starts with a plausible header, so payload bytes never turn into
 * messages.  rest: bytes of the record after the header; rec_off: as for
 * deliver().  Returns the bytes of those it used.
 */
static uint32_t oversize(struct vhu_stream *s, const uint8_t *hdr, uint32_t rest, uint32_t rec_off,
			 uint32_t limit, vhu_stream_msg_fn msg, void *arg)
{
	uint8_t tmp[VHU_HDR_SIZE];
	const uint8_t *le = le_header(s, hdr, VHU_HDR_SIZE, tmp);
	uint32_t size = vhu_get_le32(le + 8);
	bool believed = vhu_hdr_plausible_on(s->channel, le, VHU_HDR_SIZE, SKIP_MAX);

	deliver(s, hdr, VHU_HDR_SIZE, VHU_MSG_OVERSIZE, rec_off, limit, msg, arg);
	if (believed) {
		s->skip_left = size;
		return 0;
	}
	s->resync = true;
	s->skipped = rest;
	return rest;
}

/* Feeds the bytes after an oversize header: passed over, not kept. */
static uint32_t skip_payload(struct vhu_stream *s, uint32_t avail)
{
	uint32_t take = avail < s->skip_left ? avail : s->skip_left;

	s->skip_left -= take;
	return take;
}

/* Framing lost: does this record start with a header again? */
static bool resynced(struct vhu_stream *s, const uint8_t *data, uint32_t len)
{
	uint8_t tmp[VHU_HDR_SIZE];
	const uint8_t *le = le_header(s, data, len, tmp);
	uint32_t limit = len >= 4 ? vhu_stream_limit(s, vhu_get_le32(le)) : 0;

	if (vhu_hdr_plausible_on(s->channel, le, len < VHU_HDR_SIZE ? len : VHU_HDR_SIZE, limit)) {
		s->resync = false;
		return true;
	}
	s->skipped = s->skipped + len < s->skipped ? UINT32_MAX : s->skipped + len;
	return false;
}

/* Mid-stream: where the first message starts in these bytes (len if
 * nowhere); what comes before is skipped as the end of a message. */
static uint32_t seek_boundary(struct vhu_stream *s, const uint8_t *data, uint32_t len)
{
	uint32_t off;

	for (off = 0; off + VHU_HDR_SIZE <= len; off++)
		if (vhu_hdr_plausible_on(s->channel, data + off, len - off,
					 vhu_stream_limit(s, vhu_get_le32(data + off))))
			break;
	if (off + VHU_HDR_SIZE > len)
		off = len;
	else
		s->seeking = false;
	if (off) {
		s->skipped = s->skipped + off < s->skipped ? UINT32_MAX : s->skipped + off;
		s->started_inside = true;
	}
	return off;
}

/*
 * The common record, apart from the general loop (vhu_stream_feed): one whole
 * message and nothing else, on a stream with nothing buffered, passed over
 * or looked for.  What it does is what the loop does for such a record,
 * but the message is handed back, not delivered.
 */
bool vhu_stream_whole(struct vhu_stream *s, uint64_t frame, const struct vhu_record *rec,
		      vhu_stream_piece_fn piece, void *arg, struct vhu_msg *m)
{
	const uint8_t *data = rec->data;
	uint32_t len = rec->data_len, size, limit;

	if (s->have || s->skip_left || s->resync || s->seeking || s->big_endian ||
	    s->general_only || len < VHU_HDR_SIZE || (rec->h.flags & VHU_RF_MIDSTREAM))
		return false;
	size = vhu_get_le32(data + 8);
	limit = stream_limit(s, vhu_get_le32(data));
	if (size > limit || len - VHU_HDR_SIZE != size)
		return false;
	s->first_frame = frame;
	s->nrecords = 1;
	if (rec->nfd_items || rec->h.nfds)	/* most records pass none */
		take_fds(s, rec);
	if (piece)
		piece(arg, s->seq, 0, len, 0, true);
	msg_fill(s, m, data, len, VHU_MSG_OK, 0, limit);
	/* the fds stay where m points until the stream takes the next ones */
	reset_msg(s);
	return true;
}

/* Any record: pieces of messages, several messages, bytes passed over or
 * looked through. */
void vhu_stream_feed(struct vhu_stream *s, uint64_t frame, const uint8_t *data, uint32_t len,
		     const struct vhu_record *rec, vhu_stream_msg_fn msg, vhu_stream_piece_fn piece,
		     void *arg)
{
	uint32_t off = 0;
	bool fds_taken = false;

	if (rec && (rec->h.flags & VHU_RF_MIDSTREAM) && s->have == 0 && !s->skip_left)
		s->seeking = true;
	if (s->seeking) {
		off = seek_boundary(s, data, len);
		/* fds ride on a record's first byte: not this message's */
		fds_taken = off > 0;
		s->resync = false;
	} else if (s->resync && !resynced(s, data, len)) {
		return;
	}
	if (s->have > 0)
		s->nrecords++;	/* the message in progress continues here */
	while (off < len) {
		uint32_t avail = len - off, take;

		if (s->skip_left) {
			off += skip_payload(s, avail);
			continue;
		}
		if (s->have == 0) {
			s->first_frame = frame;
			s->nrecords = 1;
		}
		if (!fds_taken) {
			take_fds(s, rec);
			fds_taken = true;
		}

		/* Whole message inside this record, nothing buffered: no copy. */
		if (s->have == 0 && avail >= VHU_HDR_SIZE) {
			uint8_t tmp[VHU_HDR_SIZE];
			const uint8_t *le = le_header(s, data + off, avail, tmp);
			uint32_t size = vhu_get_le32(le + 8);
			uint32_t limit = stream_limit(s, vhu_get_le32(le));

			if (size > limit) {
				if (piece)
					piece(arg, s->seq, off, VHU_HDR_SIZE, 0, true);
				off += VHU_HDR_SIZE +
				       oversize(s, data + off, avail - VHU_HDR_SIZE, off, limit, msg, arg);
				continue;
			}
			if (avail >= VHU_HDR_SIZE + size) {
				if (piece)
					piece(arg, s->seq, off, VHU_HDR_SIZE + size, 0, true);
				deliver(s, data + off, VHU_HDR_SIZE + size, VHU_MSG_OK, off, limit, msg, arg);
				off += VHU_HDR_SIZE + size;
				continue;
			}
		}

		/* Buffer: first the header, then the payload it announces. */
		if (s->need == 0) {
			take = VHU_HDR_SIZE - s->have;
			if (take > avail)
				take = avail;
			if (!grow(s, VHU_HDR_SIZE))
				return;
			memcpy(s->buf + s->have, data + off, take);
			s->have += take;
			off += take;
			if (s->have < VHU_HDR_SIZE) {
				if (piece)
					piece(arg, s->seq, off - take, take, s->have - take, false);
				continue;
			}
			{
				uint8_t tmp[VHU_HDR_SIZE];
				const uint8_t *le = le_header(s, s->buf, VHU_HDR_SIZE, tmp);
				uint32_t size = vhu_get_le32(le + 8);
				uint32_t limit = stream_limit(s, vhu_get_le32(le));

				/* the piece that completes the header may also
				 * end the message: say so (last), as for any
				 * other message, before it is delivered */
				if (size > limit) {
					if (piece)
						piece(arg, s->seq, off - take, take, s->have - take, true);
					off += oversize(s, s->buf, len - off, NOT_IN_RECORD, limit, msg, arg);
					continue;
				}
				s->need = VHU_HDR_SIZE + size;
				s->limit = limit;
			}
			if (piece)
				piece(arg, s->seq, off - take, take, s->have - take, s->have == s->need);
			if (s->have == s->need)
				deliver(s, s->buf, s->have, VHU_MSG_OK, NOT_IN_RECORD, s->limit, msg, arg);
			continue;
		}
		take = s->need - s->have;
		if (take > avail)
			take = avail;
		if (!grow(s, s->have + take))
			return;
		memcpy(s->buf + s->have, data + off, take);
		if (piece)
			piece(arg, s->seq, off, take, s->have, s->have + take == s->need);
		s->have += take;
		off += take;
		if (s->have == s->need)
			deliver(s, s->buf, s->have, VHU_MSG_OK, NOT_IN_RECORD, s->limit, msg, arg);
	}
}

void vhu_stream_flush(struct vhu_stream *s, vhu_stream_msg_fn msg, void *arg)
{
	/* a hole in the stream: what it skipped or looked for ends here */
	s->skip_left = 0;
	s->resync = false;
	if (s->have == 0)
		return;
	deliver(s, s->buf, s->have, VHU_MSG_TRUNCATED, NOT_IN_RECORD, s->limit, msg, arg);
}
