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
extern int vhu_ws_hf_reassembled_in;
extern gint vhu_ws_ett[VHU_ETT__COUNT];
extern expert_field vhu_ws_ei[VHU_N__COUNT];

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
	proto_item *root;	/* first protocol item added */
	const char *summary;	/* last summary line (pinfo->pool) */
};

extern const struct vhu_emitter vhu_ws_emitter;
void vhu_ws_emit_init(struct vhu_ws_emit *e, packet_info *pinfo, tvbuff_t *tvb,
		      proto_tree *tree);

/* ---- first-pass state (vhu-ws-conv.c) ---- */

/* One message as the session handed it over, copied to file scope. */
struct vhu_ws_msg {
	struct vhu_msg m;	/* bytes and fds point to file-scope copies */
	struct vhu_msg_info mi;	/* comm points to a file-scope copy */
	bool in_record;		/* all its bytes are in the completing record */
	uint32_t rec_off;	/* ... at this offset of the record data */
	const char *src, *dst;	/* endpoints, "name[pid]" */
};

/* What the first pass learnt about one frame. */
struct vhu_ws_frame {
	wmem_array_t *msgs;	/* struct vhu_ws_msg *, in completion order */
	const char *comm;	/* name of the recording process */
	const char *src, *dst;	/* endpoints of the record */
	bool has_head;		/* bytes of a message completed in a later frame */
	uint64_t head_stream, head_seq;
	uint32_t head_bytes;
};

struct vhu_ws_opts {
	uint32_t max_payload;
	bool show_payload;
};
extern struct vhu_ws_opts vhu_ws_opts;

void vhu_ws_capture_init(void);
void vhu_ws_capture_cleanup(void);
/* First pass: feeds the record of this frame to the session (once). */
void vhu_ws_capture_feed(packet_info *pinfo, const struct vhu_record *r,
			 const uint8_t *rec_bytes);
/* Second and later passes: reports what the end of the capture implies. */
void vhu_ws_capture_finish(void);
/* Frame data, or NULL if the first pass did not see this frame. */
struct vhu_ws_frame *vhu_ws_frame_get(uint32_t frame);
/* Frame that completed the message whose head is in fr, or 0. */
uint32_t vhu_ws_head_completed_in(const struct vhu_ws_frame *fr);

/* ---- statistics (vhu-ws-stats.c) ---- */

void vhu_ws_stats_register(void);

#endif
