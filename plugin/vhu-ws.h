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

struct vhu_ws_emit {
	packet_info *pinfo;
	tvbuff_t *tvb;		/* the message (or record) the offsets refer to */
	int depth;
	int flattened;		/* pushes past VHU_WS_MAX_DEPTH */
	struct vhu_ws_level lv[VHU_WS_MAX_DEPTH];
};

/* Several messages completed by one record share the Info column. */
#define VHU_WS_INFO_SEP " ; "

extern const struct vhu_emitter vhu_ws_emitter;
void vhu_ws_emit_init(struct vhu_ws_emit *e, packet_info *pinfo, tvbuff_t *tvb,
		      proto_tree *tree);

/* ---- capture-wide first-pass state (vhu-ws-capture.c) ---- */

/* Where the bytes of a stored message are found on every pass. */
enum vhu_ws_where {
	VHU_WS_IN_RECORD,	/* inside the completing record's data */
	VHU_WS_REASSEMBLED,	/* in the fragment table (split across records) */
	VHU_WS_COPIED		/* m.bytes: a copy (cut by the end of the capture, or
				 * split in more pieces than the fragment table takes) */
};

/*
 * One message as the session handed it over.  Kept for the whole capture,
 * so it holds no copy of bytes the frames already have: m.bytes is NULL
 * unless where is VHU_WS_COPIED.
 */
struct vhu_ws_msg {
	struct vhu_msg m;	/* fds point to a file-scope copy */
	struct vhu_msg_info mi;	/* comm is interned */
	struct vhu_ws_msg *next;	/* next message completed in the same frame */
	const char *src, *dst;	/* endpoints, "name[pid]", interned */
	uint8_t where;		/* enum vhu_ws_where */
	uint32_t rec_off;	/* VHU_WS_IN_RECORD: offset in the record data */
	uint32_t frag_id;	/* VHU_WS_REASSEMBLED: id in the fragment table */
};

/* Bytes [rec_off, rec_off+len) of a record's data are bytes [msg_off, ...)
 * of the split message frag_id (last: they complete it). */
struct vhu_ws_piece {
	uint32_t frag_id, rec_off, len, msg_off;
	bool last;
};

/* What the first pass learnt about one frame. */
struct vhu_ws_frame {
	struct vhu_ws_msg *msgs;	/* completed in this frame, in order */
	const char *comm;	/* name of the recording process (interned) */
	const char *src, *dst;	/* endpoints of the record (interned) */
	struct vhu_ws_piece *pieces;	/* pieces of split messages */
	uint32_t npieces;
	uint32_t head_bytes;	/* bytes of messages completed in later frames */
};

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
/* Frame data, or NULL if the first pass did not see this frame. */
struct vhu_ws_frame *vhu_ws_frame_get(uint32_t frame);

/* ---- split messages (vhu-ws-frag.c) ---- */

void vhu_ws_frag_register(void);
/* A split message in too many pieces for the fragment table: the first
 * pass kept a copy, and its pieces are left out of the table. */
bool vhu_ws_frag_kept_whole(uint32_t frag_id);
/*
 * Adds the frame's pieces to Wireshark's fragment table (every pass) and
 * draws the usual fragment items: the fragment tree where a message is
 * completed, "reassembled in" where it started.  Returns an array of
 * fr->npieces tvbs (pinfo->pool): for a last piece, its whole message.
 */
tvbuff_t **vhu_ws_frag_frame(tvbuff_t *tvb, gint data_off, packet_info *pinfo,
			     proto_tree *tree, const struct vhu_ws_frame *fr);

/* ---- statistics (vhu-ws-stats.c) ---- */

void vhu_ws_stats_register(void);

#endif
