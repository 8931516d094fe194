/* dec_diff.h - vhost-user-decode --diff: what its source files share. */
#ifndef DEC_DIFF_H
#define DEC_DIFF_H

#include "dec.h"

/*
 * A capture is read twice.  The first pass keeps 25 bytes per message, in
 * columns per connection: its identity (channel, sender, request, reply or
 * not), a hash of the fields that are compared, its frame, and what the
 * output needs of it.  The connections are paired and their identity
 * columns aligned (dec_diff_align.c); equal identities with different
 * hashes are changed messages.  Only the hunks' messages are kept after
 * the alignment, and the second pass formats only those.
 */

/* What of a message the output needs (diff_conn.show). */
#define DIFF_SHOW_LINE 1	/* its one-line text */
#define DIFF_SHOW_FIELDS 2	/* and its fields, to name the differing ones */

struct diff_conn {
	uint64_t id;
	uint8_t channel;
	uint8_t view;		/* role of the process that recorded it */
	uint32_t pid;
	char comm[17];
	uint64_t link;		/* the connection it arrived over, if has_link */
	bool has_link;
	/* one entry per message, in order */
	GArray *ident;		/* uint64_t: channel, sender, reply, request */
	GArray *hash;		/* uint64_t: of the compared fields */
	GArray *frame;		/* uint64_t */
	GArray *show;		/* uint8_t: DIFF_SHOW_* */
	guint seen;		/* messages met in the second pass */
	struct vhu_conn_summary sum;	/* negotiated state at the end */
	int pair;		/* its pair, -1 if none */
	guint index;		/* in diff_capture.conns */
};

/* One field of a message, kept to name what differs. */
struct diff_node {
	int field;
	int depth;
	uint64_t key;		/* hash of its value */
	uint32_t text;		/* offset of its line in diff_text.strings */
};

/* Texts of a message a hunk shows. */
struct diff_text {
	char *line;		/* the decoder's one-line text, with its newline */
	char *summary;
	GArray *nodes;		/* struct diff_node, with DIFF_SHOW_FIELDS */
	GString *strings;
};

struct diff_capture {
	const char *path;
	const char *tag;	/* "A" or "B" */
	uint64_t messages;
	GPtrArray *conns;	/* struct diff_conn, in order of first message */
	GHashTable *conn_index;	/* conn id -> index + 1 */
	GHashTable *links;	/* conn id -> id of the connection it came over */
	GHashTable *texts;	/* (connection index << 32 | position) -> struct diff_text */
	uint64_t first_ts;
	bool have_first;
	uint64_t problems;	/* malformed records or messages */
};

/* Settings shared by both passes. */
struct diff_cfg {
	const struct dec_opts *o;
	bool *ignore;		/* per field id: not compared */
	bool ignore_get_base_num;	/* the num of a GET_VRING_BASE request */
	bool compare_pid;	/* the recording processes' ids of paired connections */
	const struct dec_colors *col;
};

/* dec_diff_load.c */
void diff_capture_init(struct diff_capture *c, const char *path, const char *tag);
void diff_capture_free(struct diff_capture *c);
/* Pass 1 (texts false) or pass 2; false if the file cannot be read. */
bool diff_load(struct diff_capture *c, const struct diff_cfg *cfg, bool texts);
struct diff_conn *diff_conn_at(const struct diff_capture *c, guint i);
uint64_t diff_frame_at(const struct diff_conn *k, guint pos);
const struct diff_text *diff_text_of(const struct diff_capture *c, const struct diff_conn *k,
				     guint pos);
/* The fields compared by default leave these out. */
bool diff_ignored_by_default(int field);
/* The num of a GET_VRING_BASE request: the spec says 0, DPDK 22.11 sends
 * what is on its stack; ignored unless --strict or --compare vring.state. */
bool diff_is_vring_state(int field);

/* dec_diff_align.c */
enum diff_op_kind { DIFF_SAME, DIFF_CHANGED, DIFF_DEL, DIFF_ADD };

struct diff_op {
	uint32_t a, b;		/* positions in the two connections' message lists */
	uint8_t kind;
};

/* Aligns two identity sequences like diff(1) aligns lines: put() gets, in
 * order, DIFF_SAME for the entries paired, DIFF_DEL and DIFF_ADD for the
 * others.  Longest common subsequence in a window of DIFF_WINDOW entries of
 * each side at every divergence: memory O(window^2), time
 * O((na + nb) * window). */
#define DIFF_WINDOW 256
typedef void (*diff_put_fn)(void *ctx, const struct diff_op *op);
void diff_align(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, diff_put_fn put,
		void *ctx);


#endif
