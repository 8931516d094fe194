/* SPDX-License-Identifier: MIT */
/*
 * vhu_diag.h - findings: what is wrong with a session, where, and why.
 *
 * The rules are rows of a table (VHU_RULE_LIST): a stable id, a severity,
 * the spec section they come from and what they mean.  The session runs
 * them on every message against the state negotiated so far, and at the
 * end of a connection or capture for the rules that need it (a request
 * whose reply never came).  The walker and the emitters only place the
 * findings; the decoder and the plugin decide nothing themselves.
 */
#ifndef VHU_DIAG_H
#define VHU_DIAG_H

#include <stdbool.h>
#include <stdint.h>

#include "vhu_emit.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * X(ID, "rule-id", SEVERITY, GROUP, "spec section", "what it means")
 *
 * Severity: ERROR, the peers will misbehave or hang; WARN, a spec violation
 * common peers tolerate; NOTE, worth knowing.  docs/diagnosis.md explains
 * every rule with its usual cause and fix.
 */
#define VHU_RULE_LIST(X) \
	X(NO_REPLY, "no-reply", ERROR, SEQUENCE, "Communication", \
	  "A request that needs a reply got none") \
	X(UNEXPECTED_REPLY, "unexpected-reply", ERROR, SEQUENCE, "Communication", \
	  "A reply that answers no outstanding request") \
	X(BAD_FLAGS, "bad-flags", ERROR, PROTOCOL, "Header", \
	  "Version bits not 1, or the REPLY bit wrong for the sender") \
	X(NEED_REPLY_NO_ACK, "need-reply-without-reply-ack", WARN, PROTOCOL, \
	  "VHOST_USER_PROTOCOL_F_REPLY_ACK", \
	  "NEED_REPLY set while REPLY_ACK was not negotiated") \
	X(NOT_NEGOTIATED, "feature-not-negotiated", ERROR, PROTOCOL, "Protocol features", \
	  "A message gated on a feature that was not negotiated") \
	X(NOT_OFFERED, "feature-not-offered", ERROR, PROTOCOL, "Feature negotiation", \
	  "A feature acknowledged that the back-end did not offer") \
	X(FEATURES_CHANGED, "features-changed", WARN, SEQUENCE, "Feature negotiation", \
	  "Features differ from the previous session on the same socket path") \
	X(REGION_OVERLAP, "region-overlap", ERROR, PROTOCOL, "Memory access", \
	  "Memory regions overlap") \
	X(TOO_MANY_REGIONS, "too-many-regions", ERROR, PROTOCOL, "VHOST_USER_GET_MAX_MEM_SLOTS", \
	  "More memory regions than the back-end accepts") \
	X(UNKNOWN_REGION, "rem-unknown-region", ERROR, PROTOCOL, "VHOST_USER_REM_MEM_REG", \
	  "Removal of a memory region that was never added") \
	X(REGION_FD_KIND, "region-fd-not-memory", ERROR, PROTOCOL, "Memory access", \
	  "A memory region backed by an fd that is not memory") \
	X(REGION_BEYOND_FD, "region-beyond-fd", ERROR, PROTOCOL, "Memory access", \
	  "A memory region reaches beyond the end of its fd") \
	X(RING_UNMAPPED, "ring-addr-unmapped", ERROR, PROTOCOL, "VHOST_USER_SET_VRING_ADDR", \
	  "A ring address outside every memory region") \
	X(RING_INDEX, "ring-index-out-of-range", ERROR, PROTOCOL, "Multiple queue support", \
	  "A ring index at or above the back-end's queue count") \
	X(RING_SIZE, "ring-size-invalid", ERROR, PROTOCOL, "VHOST_USER_SET_VRING_NUM", \
	  "A ring size that is not a power of two or above 32768") \
	X(RING_BASE_INDEX, "vring-base-index-mismatch", ERROR, PROTOCOL, "VHOST_USER_GET_VRING_BASE", \
	  "GET_VRING_BASE answered for another ring") \
	X(LOG_TOO_SMALL, "log-too-small", ERROR, PROTOCOL, "Migration", \
	  "The dirty log cannot cover guest memory") \
	X(LOG_ALL_NO_LOG, "log-all-without-log", ERROR, PROTOCOL, "Migration", \
	  "LOG_ALL set with no way to pass the log") \
	X(FD_COUNT, "fd-count", ERROR, PROTOCOL, "Message types", \
	  "Number of fds does not match the message") \
	X(FDS_DROPPED, "fds-dropped", ERROR, PROTOCOL, "Communication", \
	  "The kernel dropped passed fds (MSG_CTRUNC)") \
	X(BEFORE_OWNER, "before-set-owner", WARN, SEQUENCE, "VHOST_USER_SET_OWNER", \
	  "Memory or ring set up before SET_OWNER") \
	X(AFTER_RESET, "state-after-reset", ERROR, SEQUENCE, "VHOST_USER_RESET_DEVICE", \
	  "A ring's state asked for after RESET_DEVICE reset it")

enum vhu_rule_id {
#define VHU_X_RULE(id, ab, sev, grp, sec, sum) VHU_RULE_##id,
	VHU_RULE_LIST(VHU_X_RULE)
#undef VHU_X_RULE
	VHU_RULE__COUNT
};

/* A finding is placed like an expert note whose id is past the fixed notes:
 * vhu_note_get(VHU_NOTE_OF_RULE(r)) describes it. */
#define VHU_NOTE_OF_RULE(r) (VHU_N__COUNT + (int)(r))
#define VHU_NOTE_ID_COUNT (VHU_N__COUNT + VHU_RULE__COUNT)

struct vhu_rule {
	const char *id;		/* "no-reply" */
	enum vhu_severity severity;
	const char *spec;	/* section of docs/interop/vhost-user.rst */
	struct vhu_note_desc note;	/* abbrev "rule.<id>", severity, group, summary */
};

const struct vhu_rule *vhu_rule_get(int rule);
/* Rule of a note id, or -1 for the fixed notes. */
int vhu_rule_of_note(int note_id);
/* "error", "warning", "note" */
const char *vhu_finding_severity(enum vhu_severity s);

#define VHU_FINDING_TEXT 200
#define VHU_MAX_FINDINGS 8	/* per message; more are counted, not kept */

struct vhu_finding {
	uint16_t rule;		/* enum vhu_rule_id */
	uint8_t channel;	/* of the message it is about */
	uint32_t request;
	uint64_t frame;		/* the message it is about */
	uint64_t related_frame;	/* e.g. the request a reply should answer, or 0 */
	uint64_t conn_id;
	char text[VHU_FINDING_TEXT];
};

/* Per-connection state of the rules (memory table, queue count, ...). */
struct vhu_diag_conn;
struct vhu_msg;
struct vhu_msg_info;
struct vhu_msg_desc;

/* Largest memory table the rules follow region by region: a bigger table
 * (or more ADD_MEM_REGs) is still counted, but overlap, removal and ring
 * translation are judged only against the regions kept. */
#define VHU_DIAG_MAX_REGIONS 64

/* What the rules remember across connections: the features each socket
 * path negotiated last (a few paths, the oldest forgotten). */
struct vhu_diag_paths;
struct vhu_diag_paths *vhu_diag_paths_new(void);
void vhu_diag_paths_free(struct vhu_diag_paths *p);
/* A key for a socket path and the side that opened it (connect or accept),
 * 0 for none. */
uint64_t vhu_diag_path_key(const char *path, uint32_t len, bool connected);

/* paths may be NULL; path_key 0: the connection's path is not known. */
struct vhu_diag_conn *vhu_diag_conn_new(struct vhu_diag_paths *paths, uint64_t path_key);
void vhu_diag_conn_free(struct vhu_diag_conn *dc);

/* Where the findings of one message go. */
struct vhu_findings {
	struct vhu_finding f[VHU_MAX_FINDINGS];
	unsigned n;
	unsigned dropped;	/* beyond VHU_MAX_FINDINGS */
	bool no_text;		/* leave each finding's text empty */
};

/* Runs the rules on one message.  dc: the state of the main connection the
 * message is read against (NULL if none could be had); mi has the
 * negotiated state before the message and the request a reply pairs with;
 * d: the message's row, vhu_msg_lookup(mi->channel, m->request), which the
 * caller has looked up already.  req_arg: for a reply, the first u64 of
 * its request's payload. */
void vhu_diag_message(struct vhu_diag_conn *dc, const struct vhu_msg *m,
		      const struct vhu_msg_info *mi, const struct vhu_msg_desc *d,
		      uint64_t req_arg, struct vhu_findings *out);

/* Why a request is known never to be answered. */
enum vhu_unanswered_why {
	VHU_UNANSWERED_CLOSED,	/* the connection closed */
	VHU_UNANSWERED_END,	/* the capture ended */
	VHU_UNANSWERED_LATER,	/* a later request was answered first */
	VHU_UNANSWERED_FLOOD	/* too many outstanding requests to follow */
};

/* Fills *f for a request that needs a reply and will not get one. */
void vhu_diag_no_reply(struct vhu_finding *f, uint64_t conn_id, uint8_t channel,
		       uint32_t request, uint64_t frame, uint64_t waited_ns,
		       enum vhu_unanswered_why why, uint64_t why_frame);

#ifdef __cplusplus
}
#endif
#endif
