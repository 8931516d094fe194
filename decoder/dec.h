/* dec.h - vhost-user-decode internals shared by its source files. */
#ifndef DEC_H
#define DEC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "vhu_diag.h"
#include "vhu_emit.h"
#include "vhu_format.h"
#include "vhu_proto.h"
#include "vhu_session.h"
#include "vhu_walk.h"

/* Exit statuses, documented in --help and the man page. */
enum dec_exit {
	DEC_EXIT_OK = 0,	/* everything decoded */
	DEC_EXIT_MALFORMED = 1,	/* something malformed or truncated */
	DEC_EXIT_USAGE = 2	/* bad options, unreadable or foreign input */
};

enum dec_format { DEC_FMT_LINE, DEC_FMT_TREE, DEC_FMT_JSON };

#define DEC_MAX_REQ_FILTERS 64

/* What the user asked to see; an empty filter lets everything through. */
struct dec_filter {
	unsigned nreq;
	struct {
		uint8_t channel;
		uint32_t request;
	} req[DEC_MAX_REQ_FILTERS];
	bool by_conn;
	uint64_t conn;
	uint8_t from;		/* enum vhu_role of the sender, 0: any */
	uint8_t channel;	/* enum vhu_channel, 0: any */
};

/* --diff A B: the second capture and what to compare (dec_diff.c). */
struct dec_diff_opts {
	const char *b;		/* capture B; dec_opts.input is capture A */
	bool by_conn_a, by_conn_b;	/* --conn A:PID.SEQ,B:PID.SEQ */
	uint64_t conn_a, conn_b;
	bool strict;		/* compare every field */
	const char *compare;	/* FIELD,... compared although ignored by default */
	int context;		/* equal messages shown around a difference */
};

struct dec_opts {
	const char *input;	/* file name, "-" for stdin */
	enum dec_format format;
	bool record_tree;	/* -V: also the capture record tree */
	bool payload;		/* -x: raw payload bytes in the tree */
	bool two_pass;
	bool stats;
	bool quiet;		/* no per-message output (with --stats) */
	bool color;
	bool line_buffered;
	bool check;		/* --check: only the findings and their summary */
	struct dec_filter filter;
	struct vhu_options vopt;
	struct dec_diff_opts diff;	/* --diff when diff.b is set */
};

/* dec_opts.c */
/* Fills *o from the command line.  Returns -1 to go on, else the exit
 * status to end with (after --help, --version or a usage error). */
int dec_parse_args(int argc, char **argv, struct dec_opts *o);
void dec_free_args(void);
bool dec_parse_conn(const char *s, uint64_t *conn);
bool dec_parse_requests(const char *list, struct dec_filter *f,
			char *err, size_t errlen);
bool dec_parse_device(const char *s, uint8_t *device);

/* dec_filter.c */
bool dec_filter_message(const struct dec_filter *f, const struct vhu_msg *m,
			const struct vhu_msg_info *mi);
bool dec_filter_record(const struct dec_filter *f, const struct vhu_record *r);

/* dec_emit.c: one emitter, three consumers (summary, -V text, JSON fields). */
#define DEC_MAX_DEPTH 64

struct dec_walk {
	GString *tree;		/* -V lines, or NULL */
	GString *jfields;	/* JSON "fields" values, or NULL */
	GArray *jentries;	/* struct dec_jentry, with jfields */
	GString *jnotes;	/* JSON "notes" array body, with jfields */
	struct vhu_line_cache *lines;	/* the tree's lines, kept from walk to walk */
	struct vhu_sum_cache *sums;	/* one-line summaries, kept from walk to walk */
	int depth;
	bool added[DEC_MAX_DEPTH + 1];	/* an item was added at this depth */
	char summary[2 * VHU_TEXT_MAX];
	size_t summary_len;	/* strlen(summary), as the walker handed it on */
	char malformed[VHU_TEXT_MAX];	/* first malformed-group note, or "" */
};

extern const struct vhu_emitter dec_emitter;

void dec_walk_init(struct dec_walk *w, bool tree, bool json);
void dec_walk_reset(struct dec_walk *w);
void dec_walk_free(struct dec_walk *w);

/* dec_text.c: printf-like appending through the core's formatter (the
 * conversions of vhu_vsnprintf, vsnprintf's for the others). */
void dec_appendf(GString *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* g_string_append_len for the many small pieces of every line: glib's is
 * a call into the general insert on each of them; this copies while the
 * string has room and only calls glib to grow it. */
static inline void dec_put(GString *s, const char *p, size_t n)
{
	if (s->len + n < s->allocated_len) {
		memcpy(s->str + s->len, p, n);
		s->len += n;
		s->str[s->len] = 0;
	} else {
		g_string_append_len(s, p, (gssize)n);
	}
}

static inline void dec_put_str(GString *s, const char *str)
{
	dec_put(s, str, strlen(str));
}

static inline void dec_put_c(GString *s, char c)
{
	dec_put(s, &c, 1);
}

/* Room for n more bytes at the end of s, for pieces written in place:
 * the caller writes at most n bytes from the pointer returned and hands
 * where it stopped to dec_commit. */
static inline char *dec_reserve(GString *s, size_t n)
{
	if (s->len + n >= s->allocated_len) {
		gsize len = s->len;

		g_string_set_size(s, len + n);
		g_string_truncate(s, len);
	}
	return s->str + s->len;
}

static inline void dec_commit(GString *s, char *end)
{
	s->len = (gsize)(end - s->str);
	s->str[s->len] = 0;
}

/* dec_write_u64: v in decimal, after pad up to width columns; returns the
 * end.  It writes at most the larger of width and DEC_U64_TEXT_MAX bytes. */
#define DEC_U64_TEXT_MAX 20
#define DEC_U64_WIDTH_MAX 64
char *dec_write_u64(char *p, uint64_t v, unsigned width, char pad);

/* The nine digits of a nanosecond count below 10^9, every line's.  The
 * last eight are made together in one 64-bit word, a byte a digit: two
 * lanes of four digits split into four of two, then eight of one, each
 * step dividing every lane at once by a multiplication and a shift that
 * are exact for the lane's range (x * 10486 >> 20 is x / 100 below
 * 10^4, x * 103 >> 10 is x / 10 below 10^2).  Writing them two at a
 * time from the pair table cost four divisions and their loop, about 70
 * instructions a line. */
static inline char *dec_write_nsec(char *p, uint32_t ns)
{
	uint32_t low8 = ns % 100000000;
	uint64_t x = (uint64_t)(low8 / 10000) | (uint64_t)(low8 % 10000) << 32;
	uint64_t q = (x * 10486 >> 20) & 0x0000007f0000007full;

	x = q | (x - q * 100) << 16;
	q = (x * 103 >> 10) & 0x000f000f000f000full;
	x = (q | (x - q * 10) << 8) + 0x3030303030303030ull;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);	/* the first digit is the lowest byte */
#endif
	*p = (char)('0' + ns / 100000000);
	memcpy(p + 1, &x, 8);
	return p + 9;
}

/*
 * A number that mostly counts up by one (the frame number of a line) kept
 * as text: the next number is the last one's digits incremented in place,
 * a few instructions where writing it anew divides for every two digits.
 * The digits are right-aligned in text, spaces before them.
 */
struct dec_counter {
	uint64_t v;
	unsigned len;		/* digits; 0 before the first number */
	char text[DEC_U64_TEXT_MAX + 8];
};
/* Makes c hold v, another number than it holds: counting up, or written
 * anew for any other value. */
void dec_counter_move(struct dec_counter *c, uint64_t v);

/* Makes c hold v; the same number again, or the next one without a
 * carry, cost a few instructions inline. */
static inline void dec_counter_set(struct dec_counter *c, uint64_t v)
{
	char *last = &c->text[sizeof(c->text) - 1];

	if (v == c->v && c->len)
		return;
	if (v - 1 == c->v && v && c->len && *last != '9') {
		(*last)++;
		c->v = v;
		return;
	}
	dec_counter_move(c, v);
}

/* c's number right-aligned in width (<= 8) columns, as dec_write_u64
 * with ' ' writes it; returns the end.  Inline for a constant width: a
 * copy of that size is a move or two, not a call. */
static inline char *dec_write_counter(char *p, const struct dec_counter *c, unsigned width)
{
	const char *end = c->text + sizeof(c->text);

	if (c->len <= width) {
		memcpy(p, end - width, width);
		return p + width;
	}
	memcpy(p, end - c->len, c->len);
	return p + c->len;
}

void dec_append_u64(GString *s, uint64_t v);
void dec_append_u64_width(GString *s, uint64_t v, unsigned width, char pad);
void dec_append_padded(GString *s, const char *str, unsigned width);

/* dec_json.c */
void dec_json_string(GString *s, const char *str, size_t len);
void dec_json_u64(GString *s, uint64_t v);
void dec_json_conn(GString *s, uint64_t conn);
/* Appends the "fields" object gathered by the walk. */
void dec_json_fields(GString *s, const struct dec_walk *w);
const char *dec_field_filter_name(int field, char *buf, size_t cap);

struct dec_jentry {
	int field;
	uint32_t off, len;	/* the value in dec_walk.jfields */
};

/* dec_stats.c */
struct dec_stats;
struct dec_findings;
struct dec_stats *dec_stats_new(void);
void dec_stats_free(struct dec_stats *st);
void dec_stats_message(struct dec_stats *st, const struct vhu_msg *m,
		       const struct vhu_msg_info *mi);
void dec_stats_print(struct dec_stats *st, const struct vhu_session *s,
		     const struct dec_findings *findings, FILE *out, bool json);
/* Median of a latency sample, exposed for the unit test. */
uint64_t dec_median(uint64_t *v, size_t n);

/* Colours (empty strings when off). */
struct dec_colors {
	const char *fe, *be, *event, *bad, *dim, *off;
};
const struct dec_colors *dec_colors(bool on);

/* dec_print.c */
/* names_gen: the session's vhu_session_procs_gen() as mi came out, which
 * tells that the process name at mi->comm is the one it was; 0 has the
 * name compared each time (mi->comm not into that session's names). */
void dec_line_message(GString *s, const struct dec_colors *c, int64_t rel_ns,
		      const struct vhu_msg_info *mi, const struct dec_walk *w,
		      uint32_t names_gen);
void dec_line_event(GString *s, const struct dec_colors *c, uint64_t frame, int64_t rel_ns,
		    const struct vhu_record *r, const char *summary);
void dec_line_bad(GString *s, const struct dec_colors *c, uint64_t frame, int64_t rel_ns,
		  const char *reason);
void dec_json_message(GString *s, int64_t rel_ns, const struct vhu_msg *m,
		      const struct vhu_msg_info *mi, const struct dec_walk *w);
void dec_json_event(GString *s, uint64_t frame, uint64_t ts_ns, int64_t rel_ns,
		    const struct vhu_record *r, const char *comm, const char *summary,
		    const struct dec_walk *w);
void dec_json_bad(GString *s, uint64_t frame, uint64_t ts_ns, int64_t rel_ns,
		  const char *reason);

/* dec_check.c: findings of the core's rules, counted and printed. */
struct dec_findings {
	uint64_t by_rule[VHU_RULE__COUNT];
	uint64_t by_severity[VHU_SEV_ERROR + 1];
};
void dec_findings_add(struct dec_findings *t, const struct vhu_finding *f);
bool dec_filter_finding(const struct dec_filter *fl, const struct vhu_finding *f);
void dec_check_line(GString *s, const struct dec_colors *c, const struct vhu_finding *f);
void dec_check_json(GString *s, const struct vhu_finding *f);
void dec_check_summary(FILE *out, const struct dec_findings *t, uint64_t messages);
void dec_findings_print(const struct dec_findings *t, FILE *out, bool json);

/* dec_run.c */
int dec_run(const struct dec_opts *o);
/* Opens a capture of link type 252, or says why not on stderr. */
struct pcap;
struct pcap *dec_open_capture(const char *path);

/* dec_input.c: the records of a capture, as pcap_next_ex gives them
 * (1, -2 at its end, PCAP_ERROR with dec_input_error). */
struct dec_input;
/* A record as the input hands it on, valid until the next one: its
 * captured bytes, its length and its time in nanoseconds (seconds * 10^9
 * + nanoseconds, as libpcap's nanosecond precision gives them). */
struct dec_packet {
	const unsigned char *data;
	uint32_t caplen, len;
	uint64_t ts_ns;
};
/* NULL after saying why on stderr, as dec_open_capture */
struct dec_input *dec_input_open(const char *path);
int dec_input_next(struct dec_input *in, const struct dec_packet **pkt);
const char *dec_input_error(struct dec_input *in);
void dec_input_close(struct dec_input *in);

/* dec_diff.c */
int dec_diff_run(const struct dec_opts *o);


#endif
