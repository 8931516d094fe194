/* SPDX-License-Identifier: MIT */
/*
 * vhu_walk.h - message (and capture record) -> tree, through an emitter.
 */
#ifndef VHU_WALK_H
#define VHU_WALK_H

#include "vhu_emit.h"
#include "vhu_msgs.h"
#include "vhu_proto.h"
#include "vhu_record.h"
#include "vhu_session.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vhu_walk_opts {
	bool show_payload;	/* also add the raw payload bytes */
	uint32_t max_payload;	/* the limit the reassembler used */
	bool summary_only;	/* no tree: only notes and the summary (one-line
				 * output), which saves formatting every line */
	bool values_only;	/* every node with its value but an empty text:
				 * comparing two messages needs the values, not
				 * the lines (vhost-user-decode --diff and -T json) */
};

/* The layout table: does the walker have a walker and a size rule for l? */
bool vhu_layout_described(enum vhu_layout l);
/* The payload size a layout expects in this state, or -1 when it varies. */
long vhu_layout_size(enum vhu_layout l, const struct vhu_msg_info *mi);
/* Does a payload of plen bytes fit the layout's size rule in this state? */
bool vhu_layout_size_ok(enum vhu_layout l, const struct vhu_msg_info *mi, uint32_t plen);

/* The largest payload a message of this id can have on this channel, from
 * what its layouts allow (GPU UPDATE's pixels, a config space), or 0 when
 * its type sets no bound of its own. */
uint32_t vhu_msg_size_limit(unsigned channel, uint32_t request);

/* Draws one vhost-user message: the "vhost-user" root item and everything
 * below it, the expert notes, and the summary line. */
void vhu_walk_message(const struct vhu_msg *m, const struct vhu_msg_info *mi,
		      const struct vhu_walk_opts *o, const struct vhu_emitter *e, void *ctx);

/* vhu_walk_expected_fds() of a message whose row side may carry fds. */
int vhu_walk_expected_fds_by_layout(const struct vhu_msg_desc *d, const struct vhu_msg *m,
				    const struct vhu_msg_info *mi);

/* How many fds the message should carry, given its layout in this state,
 * or -1 if any count is fine (the rules' fd-count).  d: the message's row,
 * vhu_msg_lookup(mi->channel, m->request), as the caller has it.  Inline:
 * the rules ask for every message, and most are answered by the row. */
static inline int vhu_walk_expected_fds(const struct vhu_msg *m, const struct vhu_msg_info *mi,
					const struct vhu_msg_desc *d)
{
	if (m->len < VHU_HDR_SIZE || m->status == VHU_MSG_OVERSIZE || !d)
		return -1;
	/* a row side that carries no fd expects none in any layout */
	if ((mi->is_reply ? d->reply_fds : d->req_fds) == VHU_FDS_NONE)
		return 0;
	return vhu_walk_expected_fds_by_layout(d, m, mi);
}

/* Draws the capture record's metadata subtree ("vhost-user capture
 * record" root).  comm: process name or ""; seq: how its number follows
 * the records before it (vhu_session_record()), or NULL if not known. */
void vhu_walk_record(const struct vhu_record *r, const char *comm,
		     const struct vhu_seq_check *seq, const struct vhu_emitter *e, void *ctx);
/* The same nodes and notes with their values but empty texts (as
 * values_only does for a message): for a tree nobody reads, such as
 * Wireshark's under a display filter. */
void vhu_walk_record_values(const struct vhu_record *r, const char *comm,
			    const struct vhu_seq_check *seq, const struct vhu_emitter *e,
			    void *ctx);
/* Draws a record that failed to parse. */
void vhu_walk_bad_record(enum vhu_rec_status st, uint32_t len,
			 const struct vhu_emitter *e, void *ctx);
/* One-line summary of a non-data record (connect, accept, ...). */
void vhu_record_summary(const struct vhu_record *r, const char *comm, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
