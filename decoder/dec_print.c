/* dec_print.c - one line or one JSON object per message and capture event. */
#include <string.h>

#include "dec.h"

#include "vhu_format.h"
#include "vhu_msgs.h"

static const struct dec_colors colors_on = {
	.fe = "\033[32m", .be = "\033[36m", .event = "\033[33m",
	.bad = "\033[1;31m", .dim = "\033[2m", .off = "\033[0m",
};
static const struct dec_colors colors_off = { "", "", "", "", "", "" };

const struct dec_colors *dec_colors(bool on)
{
	return on ? &colors_on : &colors_off;
}

/* A colour's escape sequence ("" when colours are off), at most
 * COLOR_MAX bytes. */
#define COLOR_MAX 8

static char *write_color(char *p, const char *code)
{
	while (*code)
		*p++ = *code++;
	return p;
}

/* The pieces of every line's start are inline where they are used: as
 * calls, each saved and restored registers for every line (gcc left them
 * out of line). */
#define LINE_INLINE static inline __attribute__((always_inline))

/* The seconds of the lines' times stay the same for many lines and then
 * count up by one: they are kept as text, with the time their second
 * starts at, so that a time within the same second takes its nanoseconds
 * by a subtraction, without dividing by 10^9 (the span is 0 before the
 * first time). */
static struct dec_counter seconds_text;
static uint64_t second_start, second_span;

/* Seconds since the first packet, with nanoseconds: "12.000345678". */
LINE_INLINE char *write_rel_time(char *p, int64_t rel_ns)
{
	uint64_t v = rel_ns < 0 ? (uint64_t)-rel_ns : (uint64_t)rel_ns;

	if (rel_ns < 0)
		*p++ = '-';
	if (v - second_start >= second_span) {
		dec_counter_set(&seconds_text, v / 1000000000u);
		second_start = v - v % 1000000000u;
		second_span = 1000000000u;
	}
	p = dec_write_counter(p, &seconds_text, 1);
	*p++ = '.';
	return dec_write_nsec(p, (uint32_t)(v - second_start));
}

/*
 * The connection and channel columns, "%-11s %-7s ", are the same for
 * every message of a connection, and a capture has few connections at a
 * time: their text is kept in a small table indexed by the connection id
 * and written again from there.
 */
#define CONN_COLUMNS_MAX (VHU_CONN_TEXT_MAX + 1 + 24 + 1)
#define CONN_CACHE_SIZE 16

struct conn_columns {
	bool valid;
	uint8_t len;
	unsigned channel;
	uint64_t conn;
	char text[CONN_COLUMNS_MAX];
};

static struct conn_columns conn_cache[CONN_CACHE_SIZE];

/* str, then spaces up to width columns; false if it does not fit in
 * *n of cap. */
static bool pad_into(char *out, size_t cap, size_t *n, const char *str, size_t width)
{
	size_t len = strlen(str);

	if (len > cap - *n || width > cap - *n)
		return false;
	memcpy(out + *n, str, len);
	for (; len < width; len++)
		out[*n + len] = ' ';
	*n += len;
	return true;
}

static bool conn_columns_fill(struct conn_columns *e, bool has_conn, uint64_t conn,
			      unsigned channel)
{
	char id[VHU_CONN_TEXT_MAX];
	size_t n = 0;

	if (has_conn)
		vhu_format_conn(id, sizeof(id), conn);
	else
		strcpy(id, "-");
	if (!pad_into(e->text, sizeof(e->text), &n, id, 11) ||
	    !pad_into(e->text, sizeof(e->text), &n, " ", 1) ||
	    !pad_into(e->text, sizeof(e->text), &n, has_conn ? vhu_channel_name(channel) : "-", 7) ||
	    !pad_into(e->text, sizeof(e->text), &n, " ", 1))
		return false;
	e->len = (uint8_t)n;
	return true;
}

static const struct conn_columns *conn_columns(bool has_conn, uint64_t conn, unsigned channel)
{
	static struct conn_columns none;
	struct conn_columns *e;

	if (!has_conn) {
		if (!none.valid)
			none.valid = conn_columns_fill(&none, false, 0, 0);
		return &none;
	}
	e = &conn_cache[(conn ^ conn >> 32 ^ channel) % CONN_CACHE_SIZE];
	if (e->valid && e->conn == conn && e->channel == channel)
		return e;
	e->conn = conn;
	e->channel = channel;
	e->valid = conn_columns_fill(e, true, conn, channel);
	return e;
}

/* The same columns appended piece by piece. */
static void line_conn_columns(GString *s, bool has_conn, uint64_t conn, unsigned channel)
{
	char id[VHU_CONN_TEXT_MAX];

	if (has_conn)
		vhu_format_conn(id, sizeof(id), conn);
	dec_append_padded(s, has_conn ? id : "-", 11);
	dec_put_c(s, ' ');
	dec_append_padded(s, has_conn ? vhu_channel_name(channel) : "-", 7);
	dec_put_c(s, ' ');
}

/* frame, time, connection, channel: the columns every line starts with,
 * written in place (printed once per message). */
#define LINE_START_MAX (COLOR_MAX + DEC_U64_TEXT_MAX + 1 + 1 + DEC_U64_TEXT_MAX + 1 + 9 + \
			COLOR_MAX + 1 + CONN_COLUMNS_MAX)

/* Frames count up by one, and a frame's messages share its number. */
static struct dec_counter frame_text;

/* frame and time, in colour: where every line starts */
LINE_INLINE char *write_frame_time(char *p, const struct dec_colors *c, uint64_t frame,
				   int64_t rel_ns)
{
	dec_counter_set(&frame_text, frame);
	p = write_color(p, c->dim);
	p = dec_write_counter(p, &frame_text, 7);
	*p++ = ' ';
	p = write_rel_time(p, rel_ns);
	p = write_color(p, c->off);
	*p++ = ' ';
	return p;
}

static void line_start(GString *s, const struct dec_colors *c, uint64_t frame,
		       int64_t rel_ns, bool has_conn, uint64_t conn, unsigned channel)
{
	const struct conn_columns *cc = conn_columns(has_conn, conn, channel);
	char *p = write_frame_time(dec_reserve(s, LINE_START_MAX), c, frame, rel_ns);

	if (cc->valid) {
		memcpy(p, cc->text, cc->len);
		dec_commit(s, p + cc->len);
		return;
	}
	dec_commit(s, p);
	line_conn_columns(s, has_conn, conn, channel);	/* did not fit the table */
}

struct text {
	const char *str;
	size_t len;
};

#define TEXT(s) { s, sizeof(s) - 1 }

static struct text direction_text(unsigned sender)
{
	static const struct text fe = TEXT("front-end\u2192back-end"),
		be = TEXT("back-end\u2192front-end"), unknown = TEXT("?\u2192?");

	switch (sender) {
	case VHU_ROLE_FRONTEND: return fe;
	case VHU_ROLE_BACKEND: return be;
	default: return unknown;
	}
}

/* direction (at most 32 bytes), comm[pid]: the columns of a message after
 * line_start */
#define COMM_MAX (4 * 17)
#define LINE_SENDER_MAX (COLOR_MAX + 32 + COLOR_MAX + 1 + COMM_MAX + 1 + DEC_U64_TEXT_MAX + 3)

static char *write_sender_columns(char *p, const struct dec_colors *c,
				  const struct vhu_msg_info *mi)
{
	struct text dir = direction_text(mi->sender);

	p = write_color(p, mi->sender == VHU_ROLE_BACKEND ? c->be : c->fe);
	memcpy(p, dir.str, dir.len);
	p = write_color(p + dir.len, c->off);
	*p++ = ' ';
	p += vhu_escape(p, COMM_MAX, mi->comm && *mi->comm ? mi->comm : "?", COMM_MAX);
	*p++ = '[';
	p = dec_write_u64(p, mi->pid, 0, ' ');
	memcpy(p, "]  ", 3);
	return p + 3;
}

/*
 * All the columns after the time are the same for every message one
 * process sends on one connection: they are kept per connection, channel
 * and sender, and written again from there while the pid and the process
 * name are the ones they were made from.  Escaping the name and writing
 * the pid were a tenth of a line.
 *
 * A process that starts anew keeps its pid and changes its name in place,
 * so where the name is does not tell that it is the same: the session's
 * generation of its names does (dec_line_message's names_gen).  The same
 * place in the same generation is the same name; anything else has the
 * name compared (strcmp was about 22 instructions a line).
 */
#define COMM_KEY_MAX 17
#define MSG_COLUMNS_MAX (CONN_COLUMNS_MAX + LINE_SENDER_MAX)
#define MSG_CACHE_SIZE 16

struct msg_columns {
	const struct dec_colors *c;
	uint64_t conn;
	uint32_t pid;
	uint8_t channel, sender;
	uint16_t len;		/* 0: empty */
	uint32_t names_gen;	/* comm_at's generation, 0: none */
	const char *comm_at;	/* where the name was, the last time it was compared */
	char comm[COMM_KEY_MAX];
	char text[MSG_COLUMNS_MAX];
};

static struct msg_columns msg_cache[MSG_CACHE_SIZE];

/* Whether e holds the name comm: at once when it is where it was in the
 * same generation, else compared (and then kept as found there). */
static bool msg_columns_same_name(struct msg_columns *e, const char *comm, uint32_t names_gen)
{
	if (e->comm_at == comm && e->names_gen == names_gen && names_gen)
		return true;
	if (strcmp(e->comm, comm))
		return false;
	e->comm_at = comm;
	e->names_gen = names_gen;
	return true;
}

static bool msg_columns_match(struct msg_columns *e, const struct dec_colors *c,
			      const struct vhu_msg_info *mi, const char *comm,
			      uint32_t names_gen)
{
	return e->len && e->conn == mi->conn_id && e->pid == mi->pid &&
	       e->channel == mi->channel && e->sender == mi->sender && e->c == c &&
	       msg_columns_same_name(e, comm, names_gen);
}

/* The columns of mi from the table, or NULL when they cannot be kept
 * there (a name too long to keep, columns that did not fit the table). */
static const struct msg_columns *msg_columns(const struct dec_colors *c,
					     const struct vhu_msg_info *mi, uint32_t names_gen)
{
	const char *comm = mi->comm ? mi->comm : "";
	struct msg_columns *e = &msg_cache[(mi->conn_id ^ mi->conn_id >> 32 ^ mi->channel ^
					    (uint64_t)mi->sender << 3) % MSG_CACHE_SIZE];
	const struct conn_columns *cc;
	size_t clen;

	if (msg_columns_match(e, c, mi, comm, names_gen))
		return e;
	clen = strlen(comm);
	cc = conn_columns(true, mi->conn_id, mi->channel);
	if (clen >= sizeof(e->comm) || !cc->valid)
		return NULL;
	e->c = c;
	e->conn = mi->conn_id;
	e->pid = mi->pid;
	e->channel = mi->channel;
	e->sender = mi->sender;
	e->comm_at = comm;
	e->names_gen = names_gen;
	memcpy(e->comm, comm, clen + 1);
	memcpy(e->text, cc->text, cc->len);
	e->len = (uint16_t)(write_sender_columns(e->text + cc->len, c, mi) - e->text);
	return e;
}

/* Copies n bytes from src to p, which has room for the larger of n and
 * SHORT_COPY bytes, and src as many to read; returns the end.  Most of a
 * line's pieces are shorter than SHORT_COPY: a copy of that constant size
 * is a few moves inline, where a copy of their length is a call. */
#define SHORT_COPY 64
_Static_assert(SHORT_COPY <= MSG_COLUMNS_MAX, "a short copy stays in the columns' room");
_Static_assert(SHORT_COPY <= sizeof(((struct dec_walk *)0)->summary),
	       "a short copy stays in the summary's room");

static char *copy_short(char *p, const char *src, size_t n)
{
	if (n <= SHORT_COPY)
		memcpy(p, src, SHORT_COPY);
	else
		memcpy(p, src, n);
	return p + n;
}

void dec_line_message(GString *s, const struct dec_colors *c, int64_t rel_ns,
		      const struct vhu_msg_info *mi, const struct dec_walk *w,
		      uint32_t names_gen)
{
	const struct msg_columns *e = msg_columns(c, mi, names_gen);
	size_t slen = w->summary_len;
	char *p;

	if (e) {	/* the whole line in place, room reserved once */
		p = write_frame_time(dec_reserve(s, LINE_START_MAX + MSG_COLUMNS_MAX +
						    MAX(slen, SHORT_COPY) + 1),
				     c, mi->frame, rel_ns);
		p = copy_short(p, e->text, e->len);
		p = copy_short(p, w->summary, slen);
	} else {
		line_start(s, c, mi->frame, rel_ns, true, mi->conn_id, mi->channel);
		p = write_sender_columns(dec_reserve(s, LINE_SENDER_MAX + slen + 1), c, mi);
		memcpy(p, w->summary, slen);
		p += slen;
	}
	if (!w->malformed[0]) {
		*p++ = '\n';
		dec_commit(s, p);
		return;
	}
	dec_commit(s, p);
	dec_appendf(s, "  %s[MALFORMED: %s]%s", c->bad, w->malformed, c->off);
	dec_put_c(s, '\n');
}

void dec_line_event(GString *s, const struct dec_colors *c, uint64_t frame, int64_t rel_ns,
		    const struct vhu_record *r, const char *summary)
{
	bool has_conn = r->h.event != VHU_EV_PROCESS_START;

	line_start(s, c, frame, rel_ns, has_conn, r->h.conn_id, r->h.channel);
	dec_appendf(s, "%s== %s%s\n", c->event, summary, c->off);
}

void dec_line_bad(GString *s, const struct dec_colors *c, uint64_t frame, int64_t rel_ns,
		  const char *reason)
{
	line_start(s, c, frame, rel_ns, false, 0, 0);
	dec_appendf(s, "%s[MALFORMED RECORD: %s]%s\n", c->bad, reason, c->off);
}

/* ---- JSON ------------------------------------------------------------ */

static void json_key(GString *s, const char *key)
{
	dec_appendf(s, ",\"%s\":", key);
}

/* Timestamps are always plain integers, even above 2^53: they are the one
 * 64-bit value every script reads, and Python, jq 1.7 and Go read them
 * exactly (see docs/decoder-json.md). */
static void json_time(GString *s, uint64_t ts_ns, int64_t rel_ns)
{
	dec_appendf(s, ",\"time_ns\":%" G_GUINT64_FORMAT ",\"rel_ns\":%" G_GINT64_FORMAT,
			       ts_ns, rel_ns);
}

static void json_fds(GString *s, const struct vhu_msg *m)
{
	uint32_t i, n = m->nfd_info;

	dec_put_c(s, '[');
	for (i = 0; i < n && m->fds; i++) {
		const struct vhu_fdinfo *fd = &m->fds[i];

		dec_put_str(s, i ? ",{\"kind\":" : "{\"kind\":");
		dec_json_string(s, vhu_fd_kind_name(fd->kind), (size_t)-1);
		dec_put_str(s, ",\"name\":");
		dec_json_string(s, fd->name, strnlen(fd->name, sizeof(fd->name)));
		dec_appendf(s, ",\"fd\":%d,\"inode\":", fd->fd);
		dec_json_u64(s, fd->ino);
		dec_put_c(s, '}');
	}
	dec_put_c(s, ']');
}

static const char *json_direction(unsigned sender)
{
	switch (sender) {
	case VHU_ROLE_FRONTEND: return "\"fe->be\"";
	case VHU_ROLE_BACKEND: return "\"be->fe\"";
	default: return "null";
	}
}

static void json_reply_links(GString *s, const struct vhu_msg_info *mi)
{
	if (mi->is_reply && mi->matched) {
		json_key(s, "reply_to");
		dec_json_u64(s, mi->request_frame);
		json_key(s, "latency_ns");
		dec_json_u64(s, mi->latency_ns);
	}
	if (!mi->is_reply && mi->reply_frame) {
		json_key(s, "response_in");
		dec_json_u64(s, mi->reply_frame);
	}
	if (mi->unanswered)
		dec_put_str(s, ",\"unanswered\":true");
}

void dec_json_message(GString *s, int64_t rel_ns, const struct vhu_msg *m,
		      const struct vhu_msg_info *mi, const struct dec_walk *w)
{
	const struct vhu_msg_desc *d = vhu_msg_lookup(mi->channel, m->request);

	dec_appendf(s, "{\"frame\":%" G_GUINT64_FORMAT ",\"index\":%u", mi->frame,
			       mi->index);
	json_time(s, mi->ts_ns, rel_ns);
	json_key(s, "conn");
	dec_json_conn(s, mi->conn_id);
	dec_appendf(s, ",\"channel\":\"%s\",\"direction\":%s,\"sender\":",
			       vhu_channel_name(mi->channel), json_direction(mi->sender));
	if (mi->sender == VHU_ROLE_FRONTEND || mi->sender == VHU_ROLE_BACKEND)
		dec_json_string(s, vhu_role_name(mi->sender), (size_t)-1);
	else
		dec_put_str(s, "null");
	dec_appendf(s, ",\"pid\":%u,\"comm\":", mi->pid);
	dec_json_string(s, mi->comm, (size_t)-1);
	dec_appendf(s, ",\"request\":%u,\"name\":", m->request);
	if (d)
		dec_json_string(s, d->name, (size_t)-1);
	else
		dec_put_str(s, "null");
	dec_appendf(s, ",\"flags\":%u,\"reply\":%s,\"need_reply\":%s,\"size\":%u,\"nfds\":%u",
			       m->flags, (m->flags & VHU_FLAG_REPLY) ? "true" : "false",
			       (m->flags & VHU_FLAG_NEED_REPLY) ? "true" : "false", m->size, m->nfds);
	json_key(s, "fds");
	json_fds(s, m);
	json_reply_links(s, mi);
	if (w->malformed[0]) {
		json_key(s, "malformed");
		dec_json_string(s, w->malformed, (size_t)-1);
	}
	json_key(s, "summary");
	dec_json_string(s, w->summary, (size_t)-1);
	dec_appendf(s, ",\"notes\":[%s]", w->jnotes->str);
	json_key(s, "fields");
	dec_json_fields(s, w);
	dec_put_str(s, "}\n");
}

/* The "event" value of a capture event. */
static const char *event_key(unsigned ev)
{
	switch (ev) {
	case VHU_EV_CONNECT: return "connect";
	case VHU_EV_ACCEPT: return "accept";
	case VHU_EV_ADOPT: return "adopt";
	case VHU_EV_CLOSE: return "close";
	case VHU_EV_PROCESS_START: return "process_start";
	default: return "unknown";
	}
}

void dec_json_event(GString *s, uint64_t frame, uint64_t ts_ns, int64_t rel_ns,
		    const struct vhu_record *r, const char *comm, const char *summary,
		    const struct dec_walk *w)
{
	dec_appendf(s, "{\"frame\":%" G_GUINT64_FORMAT ",\"event\":\"%s\"", frame,
			       event_key(r->h.event));
	json_time(s, ts_ns, rel_ns);
	json_key(s, "conn");
	dec_json_conn(s, r->h.conn_id);
	dec_appendf(s, ",\"channel\":\"%s\",\"role\":\"%s\",\"pid\":%u,\"comm\":",
			       vhu_channel_name(r->h.channel), vhu_role_name(r->h.role), r->h.pid);
	dec_json_string(s, comm, (size_t)-1);
	json_key(s, "summary");
	dec_json_string(s, summary, (size_t)-1);
	json_key(s, "fields");
	dec_json_fields(s, w);
	dec_put_str(s, "}\n");
}

void dec_json_bad(GString *s, uint64_t frame, uint64_t ts_ns, int64_t rel_ns,
		  const char *reason)
{
	dec_appendf(s, "{\"frame\":%" G_GUINT64_FORMAT ",\"event\":\"bad_record\"",
			       frame);
	json_time(s, ts_ns, rel_ns);
	json_key(s, "malformed");
	dec_json_string(s, reason, (size_t)-1);
	dec_put_str(s, "}\n");
}
