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

/* Seconds since the first packet, with nanoseconds: "12.000345678". */
static void append_rel_time(GString *s, int64_t rel_ns)
{
	uint64_t v = rel_ns < 0 ? (uint64_t)-rel_ns : (uint64_t)rel_ns;

	g_string_append_printf(s, "%s%" G_GUINT64_FORMAT ".%09u", rel_ns < 0 ? "-" : "",
			       v / 1000000000u, (unsigned)(v % 1000000000u));
}

static void append_conn(GString *s, uint64_t conn)
{
	char buf[VHU_CONN_TEXT_MAX];

	vhu_format_conn(buf, sizeof(buf), conn);
	g_string_append_printf(s, "%-11s", buf);
}

/* frame, time, connection, channel: the columns every line starts with. */
static void line_start(GString *s, const struct dec_colors *c, uint64_t frame,
		       int64_t rel_ns, bool has_conn, uint64_t conn, unsigned channel)
{
	g_string_append_printf(s, "%s%7" G_GUINT64_FORMAT " ", c->dim, frame);
	append_rel_time(s, rel_ns);
	g_string_append_printf(s, "%s ", c->off);
	if (has_conn)
		append_conn(s, conn);
	else
		g_string_append_printf(s, "%-11s", "-");
	g_string_append_printf(s, " %-7s ", has_conn ? vhu_channel_name(channel) : "-");
}

static const char *direction_text(unsigned sender)
{
	switch (sender) {
	case VHU_ROLE_FRONTEND: return "front-end\u2192back-end";
	case VHU_ROLE_BACKEND: return "back-end\u2192front-end";
	default: return "?\u2192?";
	}
}

void dec_line_message(GString *s, const struct dec_colors *c, int64_t rel_ns,
		      const struct vhu_msg *m, const struct vhu_msg_info *mi,
		      const struct dec_walk *w)
{
	char comm[4 * 17];

	(void)m;
	vhu_escape(comm, sizeof(comm), mi->comm && *mi->comm ? mi->comm : "?", sizeof(comm));
	line_start(s, c, mi->frame, rel_ns, true, mi->conn_id, mi->channel);
	g_string_append_printf(s, "%s%s%s %s[%u]  %s", mi->sender == VHU_ROLE_BACKEND ? c->be : c->fe,
			       direction_text(mi->sender), c->off, comm, mi->pid, w->summary);
	if (w->malformed[0])
		g_string_append_printf(s, "  %s[MALFORMED: %s]%s", c->bad, w->malformed, c->off);
	g_string_append_c(s, '\n');
}

void dec_line_event(GString *s, const struct dec_colors *c, uint64_t frame, int64_t rel_ns,
		    const struct vhu_record *r, const char *summary)
{
	bool has_conn = r->h.event != VHU_EV_PROCESS_START;

	line_start(s, c, frame, rel_ns, has_conn, r->h.conn_id, r->h.channel);
	g_string_append_printf(s, "%s== %s%s\n", c->event, summary, c->off);
}

void dec_line_bad(GString *s, const struct dec_colors *c, uint64_t frame, int64_t rel_ns,
		  const char *reason)
{
	line_start(s, c, frame, rel_ns, false, 0, 0);
	g_string_append_printf(s, "%s[MALFORMED RECORD: %s]%s\n", c->bad, reason, c->off);
}

/* ---- JSON ------------------------------------------------------------ */

static void json_key(GString *s, const char *key)
{
	g_string_append_printf(s, ",\"%s\":", key);
}

/* Timestamps are always plain integers, even above 2^53: they are the one
 * 64-bit value every script reads, and Python, jq 1.7 and Go read them
 * exactly (see docs/decoder-json.md). */
static void json_time(GString *s, uint64_t ts_ns, int64_t rel_ns)
{
	g_string_append_printf(s, ",\"time_ns\":%" G_GUINT64_FORMAT ",\"rel_ns\":%" G_GINT64_FORMAT,
			       ts_ns, rel_ns);
}

static void json_fds(GString *s, const struct vhu_msg *m)
{
	uint32_t i, n = m->nfd_info;

	g_string_append_c(s, '[');
	for (i = 0; i < n && m->fds; i++) {
		const struct vhu_fdinfo *fd = &m->fds[i];

		g_string_append(s, i ? ",{\"kind\":" : "{\"kind\":");
		dec_json_string(s, vhu_fd_kind_name(fd->kind), (size_t)-1);
		g_string_append(s, ",\"name\":");
		dec_json_string(s, fd->name, strnlen(fd->name, sizeof(fd->name)));
		g_string_append_printf(s, ",\"fd\":%d,\"inode\":", fd->fd);
		dec_json_u64(s, fd->ino);
		g_string_append_c(s, '}');
	}
	g_string_append_c(s, ']');
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
		g_string_append(s, ",\"unanswered\":true");
}

void dec_json_message(GString *s, int64_t rel_ns, const struct vhu_msg *m,
		      const struct vhu_msg_info *mi, const struct dec_walk *w)
{
	const struct vhu_msg_desc *d = vhu_msg_lookup(mi->channel, m->request);

	g_string_append_printf(s, "{\"frame\":%" G_GUINT64_FORMAT ",\"index\":%u", mi->frame,
			       mi->index);
	json_time(s, mi->ts_ns, rel_ns);
	json_key(s, "conn");
	dec_json_conn(s, mi->conn_id);
	g_string_append_printf(s, ",\"channel\":\"%s\",\"direction\":%s,\"sender\":",
			       vhu_channel_name(mi->channel), json_direction(mi->sender));
	if (mi->sender == VHU_ROLE_FRONTEND || mi->sender == VHU_ROLE_BACKEND)
		dec_json_string(s, vhu_role_name(mi->sender), (size_t)-1);
	else
		g_string_append(s, "null");
	g_string_append_printf(s, ",\"pid\":%u,\"comm\":", mi->pid);
	dec_json_string(s, mi->comm, (size_t)-1);
	g_string_append_printf(s, ",\"request\":%u,\"name\":", m->request);
	if (d)
		dec_json_string(s, d->name, (size_t)-1);
	else
		g_string_append(s, "null");
	g_string_append_printf(s, ",\"flags\":%u,\"reply\":%s,\"need_reply\":%s,\"size\":%u,\"nfds\":%u",
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
	g_string_append_printf(s, ",\"notes\":[%s]", w->jnotes->str);
	json_key(s, "fields");
	dec_json_fields(s, w);
	g_string_append(s, "}\n");
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
	g_string_append_printf(s, "{\"frame\":%" G_GUINT64_FORMAT ",\"event\":\"%s\"", frame,
			       event_key(r->h.event));
	json_time(s, ts_ns, rel_ns);
	json_key(s, "conn");
	dec_json_conn(s, r->h.conn_id);
	g_string_append_printf(s, ",\"channel\":\"%s\",\"role\":\"%s\",\"pid\":%u,\"comm\":",
			       vhu_channel_name(r->h.channel), vhu_role_name(r->h.role), r->h.pid);
	dec_json_string(s, comm, (size_t)-1);
	json_key(s, "summary");
	dec_json_string(s, summary, (size_t)-1);
	json_key(s, "fields");
	dec_json_fields(s, w);
	g_string_append(s, "}\n");
}

void dec_json_bad(GString *s, uint64_t frame, uint64_t ts_ns, int64_t rel_ns,
		  const char *reason)
{
	g_string_append_printf(s, "{\"frame\":%" G_GUINT64_FORMAT ",\"event\":\"bad_record\"",
			       frame);
	json_time(s, ts_ns, rel_ns);
	json_key(s, "malformed");
	dec_json_string(s, reason, (size_t)-1);
	g_string_append(s, "}\n");
}
