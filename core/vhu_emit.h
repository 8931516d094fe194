/* SPDX-License-Identifier: MIT */
/*
 * vhu_emit.h - the interface between the walker and whatever shows a tree.
 *
 * The walker decides every node and formats its text; an emitter only
 * places nodes.  The plugin's emitter adds proto_tree items carrying the
 * walker's text (so the filterable values and the displayed lines come from
 * the same place); the decoder's text emitter prints the lines with
 * tshark's indentation.  Two emitters, one walker: equal trees.
 */
#ifndef VHU_EMIT_H
#define VHU_EMIT_H

#include <stddef.h>
#include <stdint.h>

#include "vhu_fields.h"

struct vhu_line_cache;
struct vhu_sum_cache;

#ifdef __cplusplus
extern "C" {
#endif

#define VHU_TEXT_MAX 240 /* Wireshark's ITEM_LABEL_LENGTH */

/* The walker hands a summary on in a buffer of at least this many bytes,
 * so that an emitter may copy a shorter one with this fixed size: a few
 * moves, where a copy of its length was a call. */
#define VHU_SUMMARY_READ 128

struct vhu_node {
	int field;		/* enum vhu_field_id or generated bit field */
	int ett;		/* subtree kind when pushed, else -1 */
	uint32_t off;		/* bytes in the message (or record) */
	uint32_t len;
	uint64_t value;		/* integer, bool, frame number, ns */
	const uint8_t *bytes;	/* VHU_FT_BYTES: the bytes; VHU_FT_STRING: the string */
	uint32_t blen;
	int generated;		/* computed, not on the wire: shown in [brackets] */
	const char *text;	/* the line as shown, NUL-terminated */
	size_t text_len;	/* strlen(text) when the walker knew it, or 0 */
};

enum vhu_severity { VHU_SEV_CHAT, VHU_SEV_NOTE, VHU_SEV_WARN, VHU_SEV_ERROR };
enum vhu_group { VHU_GRP_MALFORMED, VHU_GRP_PROTOCOL, VHU_GRP_SEQUENCE, VHU_GRP_UNDECODED };

/* Expert notes about a message's own bytes (the plugin's ei array).  What is
 * wrong with a session beyond them is a finding of the rules (vhu_diag.h),
 * placed as a note whose id is past these. */
#define VHU_NOTE_LIST(X) \
	X(MALFORMED, "malformed", ERROR, MALFORMED, "Malformed message") \
	X(OVERSIZE, "oversize", ERROR, MALFORMED, "Message size exceeds the limit") \
	X(TRUNCATED, "truncated", WARN, MALFORMED, "Message truncated at the end of the capture") \
	X(UNKNOWN_REQUEST, "unknown_request", WARN, UNDECODED, "Unknown request id") \
	X(RESERVED_FLAGS, "reserved_flags", WARN, PROTOCOL, "Reserved flag bits set") \
	X(BAD_SIZE, "bad_size", WARN, PROTOCOL, "Payload size does not match the message") \
	X(ACK_FAILURE, "ack_failure", NOTE, SEQUENCE, "Back-end reports failure") \
	X(BAD_RECORD, "bad_record", ERROR, MALFORMED, "Malformed capture record") \
	X(OUT_OF_SEQUENCE, "out_of_sequence", WARN, SEQUENCE, "Capture record out of sequence on its fd") \
	X(RESYNC, "resync", WARN, MALFORMED, "Bytes skipped to find the next message") \
	X(FDS_UNDESCRIBED, "fds_undescribed", NOTE, UNDECODED, "Passed fds without a description") \
	X(MIDSTREAM, "midstream", NOTE, SEQUENCE, "Capture started in the middle of the session") \
	X(BIG_ENDIAN, "big_endian", WARN, UNDECODED, "Payload in big-endian byte order: not decoded")

enum vhu_note_id {
#define VHU_X_NOTE(id, ab, sev, grp, sum) VHU_N_##id,
	VHU_NOTE_LIST(VHU_X_NOTE)
#undef VHU_X_NOTE
	VHU_N__COUNT
};

struct vhu_note_desc {
	const char *abbrev;	/* vhost_user.<abbrev> */
	enum vhu_severity severity;
	enum vhu_group group;
	const char *summary;
};

const struct vhu_note_desc *vhu_note_get(int id);
const char *vhu_severity_name(enum vhu_severity s);	/* "Warning" ... as Wireshark */
const char *vhu_group_name(enum vhu_group g);		/* "Malformed" ... as Wireshark */

struct vhu_emitter {
	/* a leaf item */
	void (*item)(void *ctx, const struct vhu_node *n);
	/* an item that opens a subtree; pop() closes it.  A push whose ett is
	 * VHU_ETT_ROOT is the vhost_user protocol item, VHU_ETT_REC the
	 * vhost_user_rec protocol item (field VHU_F_NONE for both). */
	void (*push)(void *ctx, const struct vhu_node *n);
	void (*pop)(void *ctx);
	/* an expert note on the item added last at the current level (or on the
	 * open subtree's item if nothing was added in it yet) */
	void (*note)(void *ctx, int note_id, const char *text);
	/* the one-line summary of the message (Info column / default output),
	 * NUL-terminated, and its length: the walker knows it, and measuring
	 * it again was a visible share of a one-line output's line.  Its first
	 * VHU_SUMMARY_READ bytes may be read whatever its length. */
	void (*summary)(void *ctx, const char *text, size_t len);
	/* optional: the context's cache of formatted lines (vhu_line_cache.h),
	 * which the walker then takes lines from, or NULL */
	struct vhu_line_cache *(*line_cache)(void *ctx);
	/* optional: the context's cache of summaries (vhu_sum_cache.h), which
	 * a summary-only walk then takes them from, or NULL */
	struct vhu_sum_cache *(*summary_cache)(void *ctx);
};

#ifdef __cplusplus
}
#endif
#endif
