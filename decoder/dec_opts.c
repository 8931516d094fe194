/* dec_opts.c - command line of vhost-user-decode (one GOption table). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dec.h"

#include "vhu_msgs.h"

#ifndef DEC_VERSION
#define DEC_VERSION "unknown"
#endif

static const char dec_description[] =
	"Decodes a vhost-user capture (pcapng or pcap, link type 252, as written\n"
	"by vhost-user-capture) and prints one line per message, the full tree of\n"
	"every message (-V, like tshark -V) or one JSON object per line (-T json).\n"
	"\n"
	"Filters (combined with AND):\n"
	"  --request NAME[,NAME]   e.g. set_mem_table,GET_FEATURES or VHOST_USER_SET_OWNER\n"
	"  --conn PID.SEQ          one connection, as shown in the third column\n"
	"  --from front-end|back-end   the sender of the message\n"
	"  --channel main|backend|gpu\n"
	"Capture events (connect, close ...) are hidden by --request and --from.\n"
	"\n"
	"Compare two captures (see vhost-user-decode(1)):\n"
	"  --diff A.pcapng B.pcapng [--conn A:PID.SEQ,B:PID.SEQ] [--strict | --compare FIELD,...]\n"
	"  exit status 0: no differences, 1: differences, 2: trouble\n"
	"\n"
	"--check prints only the findings of the rules (docs/diagnosis.md), one\n"
	"line each (frame, connection, severity, rule, text), and a summary.\n"
	"\n"
	"Exit status:\n"
	"  0  everything decoded (--check: and no finding of severity error)\n"
	"  1  a malformed or truncated record or message was found (the rest was decoded);\n"
	"     --check: or a finding of severity error\n"
	"  2  usage error, unreadable file, not a capture, or a foreign link type\n"
	"\n"
	"See vhost-user-decode(1) and docs/decoder-json.md.";

/* Raw option values, checked after parsing. */
struct raw_opts {
	gchar *read;
	gboolean verbose, no_record, payload, two_pass, stats, quiet, line_buffered, version, check;
	gchar *format, *request, *conn, *from, *channel, *color, *device;
	gint64 max_size;	/* -1: not given */
	gboolean diff, strict;
	gchar *compare;
	gint context;
	gchar **rest;
};

static struct raw_opts raw;

static gboolean color_cb(const gchar *name, const gchar *value, gpointer data,
			 GError **error)
{
	(void)name;
	(void)data;
	(void)error;
	g_free(raw.color);
	raw.color = g_strdup(value ? value : "always");
	return TRUE;
}

static const GOptionEntry dec_entries[] = {
	{ "read", 'r', 0, G_OPTION_ARG_FILENAME, &raw.read,
	  "Read the capture from FILE ('-': standard input, the default)", "FILE" },
	{ "verbose", 'V', 0, G_OPTION_ARG_NONE, &raw.verbose,
	  "Print the full tree of every frame, as tshark -V does", NULL },
	{ "no-record-tree", 'M', 0, G_OPTION_ARG_NONE, &raw.no_record,
	  "With -V: leave out the capture record tree", NULL },
	{ "payload", 'x', 0, G_OPTION_ARG_NONE, &raw.payload,
	  "With -V or -T json: also show the raw payload bytes", NULL },
	{ "two-pass", '2', 0, G_OPTION_ARG_NONE, &raw.two_pass,
	  "Two passes: requests show the frame of their response (needs a file)", NULL },
	{ "format", 'T', 0, G_OPTION_ARG_STRING, &raw.format,
	  "Output format: text (default) or json", "text|json" },
	{ "request", 0, 0, G_OPTION_ARG_STRING, &raw.request,
	  "Only these requests (and their replies)", "NAME[,NAME]" },
	{ "conn", 0, 0, G_OPTION_ARG_STRING, &raw.conn,
	  "Only this connection", "PID.SEQ" },
	{ "from", 0, 0, G_OPTION_ARG_STRING, &raw.from,
	  "Only messages sent by this side", "front-end|back-end" },
	{ "channel", 0, 0, G_OPTION_ARG_STRING, &raw.channel,
	  "Only this channel", "main|backend|gpu" },
	{ "stats", 0, 0, G_OPTION_ARG_NONE, &raw.stats,
	  "At the end: counts, reply latencies, negotiated features", NULL },
	{ "check", 0, 0, G_OPTION_ARG_NONE, &raw.check,
	  "Print only the findings (what is wrong, where, why) and a summary; "
	  "exit 1 on an error finding", NULL },
	{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &raw.quiet,
	  "No per-message output (useful with --stats)", NULL },
	{ "color", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, (gpointer)color_cb,
	  "Colour the text output (auto: when stdout is a terminal and NO_COLOR is unset)",
	  "auto|always|never" },
	{ "line-buffered", 'l', 0, G_OPTION_ARG_NONE, &raw.line_buffered,
	  "Flush after every message (automatic when reading a pipe)", NULL },
	{ "max-size", 0, 0, G_OPTION_ARG_INT64, &raw.max_size,
	  "Largest payload size accepted for every message type, 1 to 16777216 bytes "
	  "(default: each type's own limit, 65536 for most)", "N" },
	{ "device", 0, 0, G_OPTION_ARG_STRING, &raw.device,
	  "Decode as this device type (net, blk, fs, ...) instead of guessing", "TYPE" },
	{ "diff", 0, 0, G_OPTION_ARG_NONE, &raw.diff,
	  "Compare two captures: vhost-user-decode --diff A B", NULL },
	{ "strict", 0, 0, G_OPTION_ARG_NONE, &raw.strict,
	  "With --diff: compare every field, addresses and fds too", NULL },
	{ "compare", 0, 0, G_OPTION_ARG_STRING, &raw.compare,
	  "With --diff: also compare these fields ignored by default", "FIELD[,FIELD]" },
	{ "context", 0, 0, G_OPTION_ARG_INT, &raw.context,
	  "With --diff: equal messages shown around a difference (default 3)", "N" },
	{ "version", 0, 0, G_OPTION_ARG_NONE, &raw.version,
	  "Print the version and exit", NULL },
	{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &raw.rest, NULL, "[FILE]" },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "vhost-user-decode: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'vhost-user-decode --help'.\n");
	return DEC_EXIT_USAGE;
}

/* "PID.SEQ": the high and low 32 bits of a connection id. */
bool dec_parse_conn(const char *s, uint64_t *conn)
{
	guint64 pid, seq;
	gchar *end;

	if (!s || !g_ascii_isdigit(*s))
		return false;
	errno = 0;
	pid = g_ascii_strtoull(s, &end, 10);
	if (errno || *end != '.' || pid > UINT32_MAX || !g_ascii_isdigit(end[1]))
		return false;
	seq = g_ascii_strtoull(end + 1, &end, 10);
	if (errno || *end || seq > UINT32_MAX)
		return false;
	*conn = pid << 32 | seq;
	return true;
}

bool dec_parse_requests(const char *list, struct dec_filter *f, char *err, size_t errlen)
{
	gchar **names = g_strsplit(list, ",", -1);
	bool ok = true;
	int i;

	for (i = 0; names[i] && ok; i++) {
		unsigned channel;
		uint32_t request;
		gchar *name = g_strstrip(names[i]);

		if (!*name)
			continue;
		if (!vhu_msg_parse_name(name, &channel, &request)) {
			snprintf(err, errlen, "unknown request '%s'", name);
			ok = false;
		} else if (f->nreq >= DEC_MAX_REQ_FILTERS) {
			snprintf(err, errlen, "too many requests in --request");
			ok = false;
		} else {
			f->req[f->nreq].channel = (uint8_t)channel;
			f->req[f->nreq].request = request;
			f->nreq++;
		}
	}
	g_strfreev(names);
	return ok;
}

bool dec_parse_device(const char *s, uint8_t *device)
{
	unsigned d;

	for (d = 0; d < VHU_DEV__COUNT; d++) {
		if (g_ascii_strcasecmp(s, vhu_device_name(d)) == 0) {
			*device = (uint8_t)d;
			return true;
		}
	}
	return false;
}

static bool parse_role(const char *s, uint8_t *role)
{
	if (!strcmp(s, "front-end") || !strcmp(s, "frontend") || !strcmp(s, "fe"))
		*role = VHU_ROLE_FRONTEND;
	else if (!strcmp(s, "back-end") || !strcmp(s, "backend") || !strcmp(s, "be"))
		*role = VHU_ROLE_BACKEND;
	else
		return false;
	return true;
}

static bool parse_channel(const char *s, uint8_t *channel)
{
	unsigned ch;

	for (ch = VHU_CHAN_MAIN; ch <= VHU_CHAN_GPU; ch++) {
		if (!strcmp(s, vhu_channel_name(ch))) {
			*channel = (uint8_t)ch;
			return true;
		}
	}
	return false;
}

static bool want_color(const char *when)
{
	const char *no_color = getenv("NO_COLOR");

	if (!when || !strcmp(when, "never"))
		return false;
	if (!strcmp(when, "always"))
		return true;
	return isatty(STDOUT_FILENO) && !(no_color && *no_color);
}

/* "A:PID.SEQ,B:PID.SEQ" (either part may be left out). */
static bool parse_diff_conns(const char *s, struct dec_diff_opts *d)
{
	gchar **parts = g_strsplit(s, ",", -1);
	bool ok = parts[0] != NULL;
	int i;

	for (i = 0; parts[i] && ok; i++) {
		const char *p = parts[i];

		if ((p[0] == 'A' || p[0] == 'a') && p[1] == ':' && !d->by_conn_a)
			ok = d->by_conn_a = dec_parse_conn(p + 2, &d->conn_a);
		else if ((p[0] == 'B' || p[0] == 'b') && p[1] == ':' && !d->by_conn_b)
			ok = d->by_conn_b = dec_parse_conn(p + 2, &d->conn_b);
		else
			ok = false;
	}
	g_strfreev(parts);
	return ok;
}

/* --diff A B: two files, and only the options that mean something there. */
static int check_diff_opts(struct dec_opts *o)
{
	struct dec_diff_opts *d = &o->diff;
	int nrest = raw.rest ? (int)g_strv_length(raw.rest) : 0;

	if (nrest + (raw.read ? 1 : 0) != 2)
		return usage_error("%s", "--diff compares two capture files: --diff A B");
	o->input = raw.read ? raw.read : raw.rest[0];
	d->b = raw.read ? raw.rest[0] : raw.rest[1];
	if (!strcmp(o->input, "-") || !strcmp(d->b, "-"))
		return usage_error("%s", "--diff reads each capture twice: give files, not standard input");
	if (raw.two_pass || raw.stats || raw.quiet || raw.check || raw.request || raw.from || raw.channel)
		return usage_error("%s", "--diff does not go with -2, --stats, -q, --check, --request, --from or --channel");
	if (raw.conn && !parse_diff_conns(raw.conn, d))
		return usage_error("bad --conn '%s' with --diff (A:PID.SEQ,B:PID.SEQ)", raw.conn);
	if (raw.strict && raw.compare)
		return usage_error("%s", "--strict compares every field already: no --compare with it");
	if (raw.context < -1 || raw.context > 1000)
		return usage_error("%s", "--context must be between 0 and 1000");
	d->strict = raw.strict;
	d->compare = raw.compare;
	d->context = raw.context < 0 ? 3 : raw.context;
	return -1;
}

/* Turns the raw values into *o; returns -1 or an exit status. */
static int check_opts(struct dec_opts *o)
{
	char err[160];

	if (raw.diff) {
		int ret = check_diff_opts(o);

		if (ret >= 0)
			return ret;
	} else if (raw.strict || raw.compare || raw.context >= 0) {
		return usage_error("%s", "--strict, --compare and --context go with --diff");
	} else if (raw.rest && raw.rest[0]) {
		if (raw.read || raw.rest[1])
			return usage_error("%s", "give one capture file only");
		o->input = raw.rest[0];
	} else {
		o->input = raw.read ? raw.read : "-";
	}
	o->format = raw.verbose ? DEC_FMT_TREE : DEC_FMT_LINE;
	if (raw.format && !strcmp(raw.format, "json")) {
		if (raw.verbose)
			return usage_error("%s", "-V and -T json do not go together");
		o->format = DEC_FMT_JSON;
	} else if (raw.format && strcmp(raw.format, "text")) {
		return usage_error("unknown output format '%s' (text or json)", raw.format);
	}
	o->record_tree = !raw.no_record;
	o->payload = raw.payload;
	o->two_pass = raw.two_pass;
	o->stats = raw.stats;
	o->quiet = raw.quiet;
	o->line_buffered = raw.line_buffered;
	o->check = raw.check;
	if (o->check && raw.verbose)
		return usage_error("%s", "--check and -V do not go together");
	if (o->two_pass && !strcmp(o->input, "-"))
		return usage_error("%s", "-2 reads the capture twice: give a file, not standard input");
	if (raw.request && !dec_parse_requests(raw.request, &o->filter, err, sizeof(err)))
		return usage_error("%s", err);
	if (raw.conn && !raw.diff) {
		if (!dec_parse_conn(raw.conn, &o->filter.conn))
			return usage_error("bad --conn '%s' (PID.SEQ, e.g. 4242.1)", raw.conn);
		o->filter.by_conn = true;
	}
	if (raw.from && !parse_role(raw.from, &o->filter.from))
		return usage_error("bad --from '%s' (front-end or back-end)", raw.from);
	if (raw.channel && !parse_channel(raw.channel, &o->filter.channel))
		return usage_error("bad --channel '%s' (main, backend or gpu)", raw.channel);
	if (raw.color && strcmp(raw.color, "auto") && strcmp(raw.color, "always") &&
	    strcmp(raw.color, "never"))
		return usage_error("bad --color '%s' (auto, always or never)", raw.color);
	o->color = want_color(raw.color ? raw.color : "auto");
	if (raw.max_size >= 0) {
		if (raw.max_size < 1 || raw.max_size > VHU_ABSOLUTE_MAX_PAYLOAD)
			return usage_error("%s", "--max-size must be between 1 and 16777216");
		o->vopt.max_payload = (uint32_t)raw.max_size;
	}
	if (raw.device && !dec_parse_device(raw.device, &o->vopt.device))
		return usage_error("unknown device type '%s'", raw.device);
	return -1;
}

int dec_parse_args(int argc, char **argv, struct dec_opts *o)
{
	GOptionContext *ctx = g_option_context_new("- decode vhost-user captures");
	GError *error = NULL;
	int ret;

	memset(o, 0, sizeof(*o));
	memset(&raw, 0, sizeof(raw));
	raw.context = -1;	/* not given */
	raw.max_size = -1;
	g_option_context_add_main_entries(ctx, dec_entries, NULL);
	g_option_context_set_description(ctx, dec_description);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		ret = usage_error("%s", error->message);
		g_error_free(error);
	} else if (raw.version) {
		printf("vhost-user-decode %s\n", DEC_VERSION);
		ret = DEC_EXIT_OK;
	} else {
		ret = check_opts(o);
	}
	g_option_context_free(ctx);
	return ret;
}

/* The strings GOption allocated; dec_opts.input points into them. */
void dec_free_args(void)
{
	g_free(raw.read);
	g_free(raw.format);
	g_free(raw.request);
	g_free(raw.conn);
	g_free(raw.from);
	g_free(raw.channel);
	g_free(raw.color);
	g_free(raw.device);
	g_free(raw.compare);
	g_strfreev(raw.rest);
	memset(&raw, 0, sizeof(raw));
}
