/* SPDX-License-Identifier: MIT */
/*
 * vhu_session.h - per-capture protocol state: connections, stream
 * reassembly, negotiated features, request/reply matching.
 *
 * Feed records in capture order; for every complete vhost-user message the
 * session calls back with the message bytes and a vhu_msg_info that says
 * who sent it, what had been negotiated before it, and which request it
 * answers.  The walker needs nothing else to draw the message.
 */
#ifndef VHU_SESSION_H
#define VHU_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "vhu_features.h"
#include "vhu_diag.h"
#include "vhu_record.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VHU_MSG_MAX_FDS 32	/* fds described per message; more are counted */
#define VHU_FD_NAME_MAX 96

struct vhu_fdinfo {
	int32_t fd;
	uint8_t kind;
	uint64_t ino;
	uint64_t size;
	char name[VHU_FD_NAME_MAX];
};

enum vhu_msg_status {
	VHU_MSG_OK = 0,
	VHU_MSG_TRUNCATED,	/* the capture (or the record) ended inside it */
	VHU_MSG_OVERSIZE	/* size field above the limit: header only */
};

/* A complete (or truncated) message out of the reassembler. */
struct vhu_msg {
	const uint8_t *bytes;	/* header + payload, len bytes */
	uint32_t len;
	uint32_t request, flags, size;	/* header fields (0 when len < 12) */
	enum vhu_msg_status status;
	uint32_t nfds;		/* fds that came with its bytes */
	uint32_t nfd_info;	/* how many of them fds describes (at most
				 * VHU_MSG_MAX_FDS; fewer when the record had
				 * fewer fd items than its header counts) */
	const struct vhu_fdinfo *fds;	/* nfd_info of them */
	uint32_t nrecords;	/* records that carried its bytes */
	bool in_record;		/* bytes is the completing record's own data ... */
	uint32_t rec_off;	/* ... from this offset (else bytes is a copy) */
	uint64_t first_frame;	/* frame of its first byte */
	uint32_t skipped;	/* bytes discarded before it to resynchronise */
	bool started_inside;	/* they were the end of a message the capture began in */
	uint32_t limit;		/* the payload limit its type had (0 without a header) */
	bool big_endian;	/* recorded on a big-endian host: the header is read in
				 * that order, the payload is not decoded */
};

/* What the session knows about a message.  The plugin keeps it field by
 * field (ctx_of() in plugin/vhu-ws-capture.c): a new field goes there too.
 * The session sets each field before is_reply for every message and
 * clears the rest: a field it does not always set goes after is_reply. */
struct vhu_msg_info {
	uint64_t frame;		/* frame that completed the message */
	uint32_t index;		/* its index among the messages completed in that frame */
	uint64_t ts_ns;
	uint64_t conn_id;
	uint32_t pid;
	const char *comm;	/* name of the recording process, or "" */
	uint8_t event;		/* VHU_EV_DATA_SENT / RECV */
	uint8_t channel;	/* enum vhu_channel, never UNKNOWN (main assumed) */
	uint8_t sender;		/* enum vhu_role */
	uint16_t rec_flags;

	/* negotiated state before this message */
	uint64_t features;	/* last SET_FEATURES */
	uint64_t pfeatures;	/* last SET_PROTOCOL_FEATURES */
	uint64_t offered_features;	/* last GET_FEATURES reply (0: none seen) */
	uint64_t offered_pfeatures;	/* last GET_PROTOCOL_FEATURES reply */
	bool features_set, pfeatures_set;
	/* recorded from the middle of its session (attach) and no
	 * SET_PROTOCOL_FEATURES seen since: what was negotiated is unknown,
	 * not absent */
	bool pfeatures_unknown;
	bool postcopy;		/* between POSTCOPY_LISTEN and POSTCOPY_END */
	uint8_t device;		/* enum vhu_device */

	/* request/reply */
	bool is_reply;
	bool reply_is_ack;	/* a reply that is a NEED_REPLY u64 ack */
	bool matched;		/* a reply matched to its request */
	bool request_before_capture;	/* unmatched, on a connection recorded mid-session */
	uint64_t request_frame;	/* for a reply */
	uint64_t latency_ns;
	uint64_t reply_frame;	/* for a request, once the reply was seen (0 before) */
	bool unanswered;	/* a request whose reply never came */

	/* findings of the rules on this message (vhu_diag.h) */
	const struct vhu_finding *findings;
	uint8_t nfindings;
	/* the request's no-reply finding, which only the end of its connection
	 * tells: a reader that makes two passes puts it here (or NULL) */
	const struct vhu_finding *late;
};

/* Options: limits a user may change. */
struct vhu_options {
	uint32_t max_payload;	/* one limit for every type; 0: each type's own
				 * (vhu_msg_size_limit(), else VHU_DEFAULT_MAX_PAYLOAD) */
	uint8_t device;		/* force a device type (VHU_DEV_UNKNOWN: infer) */
	/* findings come with their rule, frames and request but an empty
	 * text: for a reader that shows only the rule ids (formatting the
	 * text was a twentieth of a one-line message on a capture where one
	 * message in twelve has a finding) */
	bool finding_ids_only;
	/* every record through the reassembler's general loop, none through
	 * its path for a record of one whole message: for the tests, which
	 * compare the two */
	bool general_reassembly;
};

struct vhu_session;

struct vhu_session_cbs {
	/* A message.  Return a cookie for it (or NULL); the session hands the
	 * cookie back in reply_seen/unanswered. */
	void *(*message)(void *ctx, const struct vhu_msg *m, const struct vhu_msg_info *mi);
	/* The reply to the request identified by cookie arrived. */
	void (*reply_seen)(void *ctx, void *req_cookie, const struct vhu_msg_info *reply);
	/* The request identified by cookie will not be answered (a later
	 * request was, or the capture ended). */
	void (*unanswered)(void *ctx, void *req_cookie);
	/* A piece of a record's data: bytes [rec_off, rec_off+len) of the record
	 * data are bytes [msg_off, ...) of message number msg_seq of the stream.
	 * The pieces of a message come in order and cover it from byte 0; the
	 * one that completes it has last set and comes right before the
	 * message callback for it (a message inside one record is one piece:
	 * msg_off 0, last).  A message cut by the end of the capture has no
	 * last piece.  For the plugin's fragment tables; may be NULL. */
	void (*piece)(void *ctx, uint64_t stream_id, uint64_t msg_seq, uint32_t rec_off,
		      uint32_t len, uint32_t msg_off, bool last);
	/* A finding that only the end of a connection or capture tells (a
	 * request that got no reply), about the message of req_cookie.  May
	 * be NULL. */
	void (*finding)(void *ctx, void *req_cookie, const struct vhu_finding *f);
};

struct vhu_session *vhu_session_new(const struct vhu_options *opt,
				    const struct vhu_session_cbs *cbs, void *ctx);
void vhu_session_free(struct vhu_session *s);

/* How a data record's number (VHU_IT_SEQ, vhu_record.h) follows the
 * records before it in the capture of the same fd of the same process. */
enum vhu_seq_state {
	VHU_SEQ_NONE = 0,	/* no number, or the first one of its fd */
	VHU_SEQ_NEXT,		/* the next number */
	VHU_SEQ_GAP,		/* past the next: records missing before it (or later) */
	VHU_SEQ_BEHIND		/* below the next: written after a later record */
};

struct vhu_seq_check {
	enum vhu_seq_state state;
	uint32_t seq;		/* the record's number */
	uint32_t expected;	/* the next number, as the records before it say */
};

/* Feeds one record (in capture order).  frame: the caller's frame number.
 * Returns how the record's number follows those before it. */
struct vhu_seq_check vhu_session_record(struct vhu_session *s, uint64_t frame, uint64_t ts_ns,
					const struct vhu_record *r);
/* End of capture: partial messages come out truncated, pending requests
 * are reported unanswered. */
void vhu_session_finish(struct vhu_session *s);

/* Process name for a pid (from process-start records), "" if unknown. */
const char *vhu_session_comm(const struct vhu_session *s, uint32_t pid);
/* Changes whenever an answer of vhu_session_comm() may change or move (a
 * process started, or a process entry was added): a reader may keep the
 * answers while it stays the same. */
uint32_t vhu_session_procs_gen(const struct vhu_session *s);

/* Negotiated state of a connection, for statistics. */
struct vhu_conn_summary {
	uint64_t conn_id;
	uint32_t pid;
	uint8_t channel;
	uint8_t device;
	uint64_t features, offered_features, pfeatures, offered_pfeatures;
	bool features_set, pfeatures_set;
	uint64_t messages;
};
/* Calls fn for every connection seen so far. */
void vhu_session_each_conn(const struct vhu_session *s,
			   void (*fn)(void *arg, const struct vhu_conn_summary *c), void *arg);

#ifdef __cplusplus
}
#endif
#endif
