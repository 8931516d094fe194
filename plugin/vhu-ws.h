/* SPDX-License-Identifier: MIT */
/*
 * vhu-ws.h - what the plugin's files share: registered ids, the emitter
 * that turns walker nodes into proto_tree items, and the per-capture state
 * kept on the first pass.
 */
#ifndef VHU_WS_H
#define VHU_WS_H

#include "vhu-ws-compat.h"

#include <epan/packet.h>
#include <epan/expert.h>

#include "vhu_emit.h"
#include "vhu_session.h"
#include "vhu_walk.h"

/* ---- registered ids (packet-vhost-user.c) ---- */

extern int proto_vhost_user;
extern int proto_vhost_user_rec;
extern int vhu_ws_tap;
/* hf ids indexed by vhu field id (static and generated fields) */
extern int *vhu_ws_hf;
extern gint vhu_ws_ett[VHU_ETT__COUNT];
extern expert_field vhu_ws_ei[VHU_NOTE_ID_COUNT];

/* ---- emitter (vhu-ws-emit.c) ---- */

#define VHU_WS_MAX_DEPTH 24

struct vhu_ws_level {
	proto_tree *tree;
	proto_item *item;	/* the item that opened this level */
	proto_item *last;	/* the item added last at this level */
};

/*
 * The Info column of a record, built in a buffer of its own that the
 * column points at (col_set_str): Wireshark 4.0 appends to a column with
 * g_strlcat, a byte at a time over the whole column, for every message.
 * The text is cut where the column's own buffer would cut it.  This
 * follows 4.0's column code; with later versions, whose appends copy
 * differently, the column is appended to as before.
 */
#define VHU_WS_INFO_BUFFERED (!VHU_WS_AT_LEAST(4, 2))

struct vhu_ws_info {
	char *buf;		/* COL_MAX_INFO_LEN bytes (pinfo->pool), or NULL */
	size_t len;
	bool pointed;		/* the column was pointed at buf */
	bool direct;		/* the column was not empty: written to directly */
};

/* The column's text replaced by text (col_add_str), or text appended
 * after sep if the column is not empty (col_append_sep_str).  info may
 * be NULL: the column is then written to directly. */
void vhu_ws_info_set(struct vhu_ws_info *info, packet_info *pinfo, const char *text);
void vhu_ws_info_append(struct vhu_ws_info *info, packet_info *pinfo, const char *sep,
			const char *text);

struct vhu_ws_emit {
	packet_info *pinfo;
	struct vhu_ws_info *info;	/* where summaries go (NULL: the column) */
	tvbuff_t *tvb;		/* the message (or record) the offsets refer to */
	int depth;
	int flattened;		/* pushes past VHU_WS_MAX_DEPTH */
	struct vhu_ws_level lv[VHU_WS_MAX_DEPTH];
};

/* Several messages completed by one record share the Info column. */
#define VHU_WS_INFO_SEP " ; "

extern const struct vhu_emitter vhu_ws_emitter;
void vhu_ws_emit_init(struct vhu_ws_emit *e, packet_info *pinfo, struct vhu_ws_info *info,
		      tvbuff_t *tvb, proto_tree *tree);

/* ---- capture-wide first-pass state (vhu-ws-capture.c) ---- */

/* Where the bytes of a stored message are found on every pass. */
enum vhu_ws_where {
	VHU_WS_IN_RECORD,	/* inside the completing record's data */
	VHU_WS_REASSEMBLED,	/* in the fragment table (split across records) */
	VHU_WS_COPIED		/* a copy (cut by the end of the capture, or split
				 * in more pieces than the fragment table takes) */
};

/*
 * What the first pass keeps is kept for the whole capture, for every
 * message: it is packed.  What messages share is stored once (interned)
 * and named by an index; what few messages have is in a second record.
 */

/* The part of a message's info that changes only at a boundary (another
 * connection or direction, a SET_FEATURES, a process renamed), and what
 * its endpoints are drawn from.  Interned: a session's messages share a
 * few. */
struct vhu_ws_ctx {
	struct vhu_msg_info mi;	/* frame, index, ts_ns, the request/reply
				 * numbers and the findings are zero */
	uint32_t peer_pid;
	const char *peer_comm;	/* interned */
};

/* What only some messages have: fds, findings, a copy of the bytes, more
 * than one record.  Interned as well (the same fds come round after round). */
struct vhu_ws_extra {
	const struct vhu_fdinfo *fds;	/* interned array of nfd_info */
	const struct vhu_finding *findings;	/* interned array of nfindings, without
					 * their frames (findings_of) */
	const uint8_t *copy;	/* VHU_WS_COPIED: the bytes */
	uint64_t frames_back;	/* from its first byte's frame to its own (not the
				 * frame itself: messages of many rounds share it) */
	uint32_t nfds, nfd_info, nrecords, skipped;
	uint8_t nfindings;
	bool started_inside, big_endian;
};

/* One message as the session handed it over: 48 bytes.  It holds no copy
 * of bytes the frames already have. */
struct vhu_ws_msg {
	uint32_t ctx;		/* index of its struct vhu_ws_ctx */
	uint32_t extra;		/* 0, or 1 + index of its struct vhu_ws_extra */
	uint64_t latency_ns;
	uint32_t len, request, flags, size, limit;
	uint32_t loc;		/* VHU_WS_IN_RECORD: offset in the record data;
				 * VHU_WS_REASSEMBLED: id in the fragment table */
	uint32_t pair_frame;	/* a reply's request, a request's reply (0: none) */
	uint8_t where;		/* enum vhu_ws_where */
	uint8_t status;		/* enum vhu_msg_status */
	bool unanswered;
	bool late;		/* a no-reply finding came after it (vhu_ws_msg_expand) */
};

/* Bytes [rec_off, rec_off+len) of a record's data are bytes [msg_off, ...)
 * of the split message frag_id (last: they complete it). */
struct vhu_ws_piece {
	uint32_t frag_id, rec_off, len, msg_off;
	bool last;
};

/* The recording process and the endpoints of a record (interned). */
struct vhu_ws_ends {
	const char *comm;	/* name of the recording process */
	const char *src, *dst;	/* NULL: not on a connection */
};

/* What the first pass learnt about one frame: 16 bytes. */
struct vhu_ws_frame {
	uint32_t first_msg, nmsgs;	/* its messages in the capture's list */
	uint32_t ends;		/* 1 + index of its struct vhu_ws_ends; 0: not seen */
	uint32_t more;		/* 0, or 1 + index of its struct vhu_ws_frame_more */
};

/* What few frames have.  It and what it points to are in the file
 * scope's blocks, not one heap allocation each: they are kept until the
 * capture is closed, and freeing them one by one then read every one of
 * them back from memory (a cache miss each, across the whole capture). */
struct vhu_ws_frame_more {
	struct vhu_ws_piece *pieces;	/* pieces of split messages */
	uint32_t npieces;
	uint32_t head_bytes;	/* bytes of messages completed in later frames */
	wmem_array_t *late_msgs;	/* uint32_t indexes of messages the end of
					 * the capture added to this frame, after
					 * the others */
	struct vhu_seq_check seq;	/* the record's number, when not the next one */
};

/* A message as the walker and the tap take it (pinfo->pool). */
struct vhu_ws_tap_msg {
	struct vhu_msg m;
	struct vhu_msg_info mi;
};

/* ---- interned values (vhu-ws-intern.c) ---- */

#define VHU_WS_HINT_SLOTS 256

struct vhu_ws_interned {
	GHashTable *set;	/* bytes -> 1 + index */
	GPtrArray *all;		/* index -> bytes */
	uint32_t recent[8];	/* indexes returned last, the latest first
				 * (UINT32_MAX: none) */
	size_t recent_n[8];	/* and their lengths */
	uint32_t hinted[VHU_WS_HINT_SLOTS][2];	/* 1 + the indexes returned last
						 * for a hint of this slot, the
						 * latest first (0: none) */
};

void vhu_ws_interned_init(struct vhu_ws_interned *t);
void vhu_ws_interned_free(struct vhu_ws_interned *t);
/* The index of the n bytes at p, stored on first sight. */
uint32_t vhu_ws_intern(struct vhu_ws_interned *t, const void *p, size_t n);
/* The same, first compared with the two values returned last for the
 * same hint (what the value belongs to, such as its connection): a value
 * that stays the same for its owner, or alternates with one other (a
 * request's context and a reply's), while many owners take turns costs
 * one or two compares. */
uint32_t vhu_ws_intern_hinted(struct vhu_ws_interned *t, const void *p, size_t n, uint64_t hint);
const void *vhu_ws_interned_at(const struct vhu_ws_interned *t, uint32_t i);

struct vhu_ws_opts {
	uint32_t max_payload;
	bool show_payload;
};
extern struct vhu_ws_opts vhu_ws_opts;

void vhu_ws_capture_init(void);
void vhu_ws_capture_cleanup(void);
/* First pass: feeds the record of this frame to the session (once). */
void vhu_ws_capture_feed(packet_info *pinfo, const struct vhu_record *r);
/* Second and later passes: reports what the end of the capture implies. */
void vhu_ws_capture_finish(void);
/* The capture's caches of one-line summaries (vhu_sum_cache.h), for walks
 * without a tree, and of tree lines (vhu_line_cache.h), for walks that
 * format them: a ring's setup or a ping-pong repeats the same messages,
 * and walking each for its summary was the largest part of a message's
 * cost in tshark's one-pass summary.  Made on first use, freed with the
 * capture; NULL without memory for them (then everything is walked). */
struct vhu_sum_cache *vhu_ws_capture_sums(void);
struct vhu_line_cache *vhu_ws_capture_lines(void);
/* Frame data, or NULL if the first pass did not see this frame. */
const struct vhu_ws_frame *vhu_ws_frame_get(uint32_t frame);
const struct vhu_ws_ends *vhu_ws_frame_ends(const struct vhu_ws_frame *fr);
/* NULL if the frame has none of it. */
const struct vhu_ws_frame_more *vhu_ws_frame_more(const struct vhu_ws_frame *fr);
const struct vhu_ws_msg *vhu_ws_msg_at(uint32_t i);
/* Its endpoints (comm is the recording process's name). */
const struct vhu_ws_ends *vhu_ws_msg_ends(const struct vhu_ws_msg *wm);
/* The message number index of frame, whose record was taken at ts_ns, as
 * the session handed it over (m->bytes is left NULL, or the copy). */
void vhu_ws_msg_expand(const struct vhu_ws_msg *wm, uint32_t frame, uint32_t index,
		       uint64_t ts_ns, struct vhu_msg *m, struct vhu_msg_info *mi);

/* ---- split messages (vhu-ws-frag.c) ---- */

void vhu_ws_frag_register(void);
/* A split message in too many pieces for the fragment table: the first
 * pass kept a copy, and its pieces are left out of the table. */
bool vhu_ws_frag_kept_whole(uint32_t frag_id);
/*
 * Adds the frame's pieces to Wireshark's fragment table (every pass) and
 * draws the usual fragment items: the fragment tree where a message is
 * completed, "reassembled in" where it started.  Returns an array of
 * more->npieces tvbs (pinfo->pool): for a last piece, its whole message.
 */
tvbuff_t **vhu_ws_frag_frame(tvbuff_t *tvb, gint data_off, packet_info *pinfo,
			     proto_tree *tree, const struct vhu_ws_frame_more *more);

/* ---- statistics (vhu-ws-stats.c) ---- */

void vhu_ws_stats_register(void);

#endif
