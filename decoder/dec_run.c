/* dec_run.c - reads the capture and drives the session, in one or two passes. */
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "dec.h"

#include "vhu_msgs.h"

/*
 * Streaming (the default): one pass, output as messages complete, memory
 * bounded by the per-connection state the session keeps.
 *
 * -2: a first pass without output records, for every message in order,
 * the frame of its reply (or that it got none); the second pass feeds the
 * same records to a fresh session, so the n-th message of both passes is
 * the same message, and patches what only the future could tell into its
 * vhu_msg_info before drawing it.  8 bytes per message, like tshark -2.
 */
#define LINK_UNANSWERED UINT64_MAX

/*
 * Messages the end of the capture cut short only come out of
 * vhu_session_finish().  With -2 they are kept from the first pass and
 * shown in the last frame of their connection, where tshark -2 shows them too;
 * in one pass they come last.  At most two per connection.  They are
 * sorted by frame after the first pass and shown as the second reaches
 * their frame, so each frame looks at only its own.
 */
struct leftover {
	struct vhu_msg m;
	struct vhu_msg_info mi;
	uint64_t k;		/* its number among the messages of the pass */
};

struct dec_run {
	const struct dec_opts *o;
	const struct dec_colors *col;
	FILE *out;
	struct vhu_session *s;
	struct vhu_record rec;
	struct vhu_seq_check rec_seq;	/* of rec, against the records before it */
	struct dec_walk w;
	struct vhu_walk_opts wopts;
	int pass;		/* 1: collect links (-2 only), 2: output */
	GArray *links;		/* uint64_t per message, -2 only */
	GPtrArray *leftovers;	/* struct leftover, -2 only */
	guint next_leftover;	/* the first one not shown yet */
	bool finishing;		/* inside vhu_session_finish() */
	uint64_t seq;		/* messages delivered in this pass */
	uint64_t frame;
	uint64_t first_ts;
	bool have_first;
	bool filtering;		/* a filter option was given */
	GString *text;		/* output being built */
	GString *msgs;		/* -V: message trees of the current frame */
	bool frame_wanted;
	struct dec_stats *stats;
	struct dec_findings findings;	/* of the output pass */
	GHashTable *late;	/* -2: message number -> its end-of-connection finding */
	uint64_t messages;	/* shown in the output pass */
	bool silent;		/* no per-message output: -q or --check */
	/* each message's line and nothing else: one pass, no filter, no
	 * statistics, not silent (the message callback and the record loop
	 * taken for it ask none of these) */
	bool lines_only;
	int status;
	bool flush_each;
};

static void set_status(struct dec_run *r, int status)
{
	if (status > r->status)
		r->status = status;
}

/*
 * Lines are gathered in r->text and written a block at a time (one fwrite
 * per line was 3% of one-line decoding), or a line at a time when each
 * must show at once.  Whatever else writes to r->out or stderr writes
 * what is gathered first, so the output comes in the same order.
 */
#define OUT_BLOCK 65536

static void out_flush(struct dec_run *r)
{
	if (!r->text->len)
		return;
	fwrite(r->text->str, 1, r->text->len, r->out);
	g_string_truncate(r->text, 0);
}

static void report(struct dec_run *r, uint64_t frame, const char *what, const char *reason)
{
	if (r->pass != 2)
		return;
	out_flush(r);
	fflush(r->out);
	fprintf(stderr, "vhost-user-decode: frame %" G_GUINT64_FORMAT ": %s: %s\n",
		frame, what, reason);
	set_status(r, DEC_EXIT_MALFORMED);
}

static void put_text(struct dec_run *r)
{
	if (r->flush_each) {
		out_flush(r);
		fflush(r->out);
	} else if (r->text->len >= OUT_BLOCK) {
		out_flush(r);
	}
}

static int64_t rel_time(const struct dec_run *r, uint64_t ts_ns)
{
	return (int64_t)(ts_ns - r->first_ts);
}

/* ---- session callbacks ------------------------------------------------ */

static void apply_link(struct dec_run *r, uint64_t k, struct vhu_msg_info *info)
{
	uint64_t link;

	if (!r->links || k >= r->links->len)
		return;
	link = g_array_index(r->links, uint64_t, k);
	if (link == LINK_UNANSWERED)
		info->unanswered = true;
	else if (link)
		info->reply_frame = link;
	if (r->late)
		info->late = g_hash_table_lookup(r->late, GSIZE_TO_POINTER(k));
}

/* A finding of the output pass: counted, and printed by --check. */
static void take_finding(struct dec_run *r, const struct vhu_finding *f)
{
	dec_findings_add(&r->findings, f);
	if (!r->o->check)
		return;
	if (r->o->format == DEC_FMT_JSON)
		dec_check_json(r->text, f);
	else
		dec_check_line(r->text, r->col, f);
	put_text(r);
}

/*
 * -V: the walker appends its lines straight to the string they end up in
 * (a message's to the frame's messages, a record's to the output), where
 * they were copied there from its own string: half a kilobyte of copying
 * a message.  Its reset empties its tree, so the tree is pointed at out
 * only after it; its own string is given back after the walk (the walker
 * frees it, and keeps its lines' cache only with a tree of its own).
 * Returns the walker's own string.
 */
static GString *walk_reset_into(struct dec_run *r, GString *out)
{
	GString *own = r->w.tree;

	dec_walk_reset(&r->w);
	if (out)
		r->w.tree = out;
	return own;
}

/* A malformed message, said on stderr.  Out of line: the messages that
 * are not pay for none of its registers and stack. */
static __attribute__((noinline)) void report_malformed(struct dec_run *r, const struct vhu_msg *m,
						       const struct vhu_msg_info *mi)
{
	const char *name = m->len >= VHU_HDR_SIZE ? vhu_msg_name(mi->channel, m->request) : NULL;
	char what[96];

	if (name)
		snprintf(what, sizeof(what), "malformed message %s", name);
	else if (m->len >= VHU_HDR_SIZE)
		snprintf(what, sizeof(what), "malformed message (request %u)", m->request);
	else
		snprintf(what, sizeof(what), "malformed message");
	report(r, mi->frame, what, r->w.malformed);
}

/* What every shown message goes through before its output: its walk
 * (into the frame's messages with tree), what is malformed in it
 * reported, its findings taken and it counted.  Inline in both callers
 * with tree a constant. */
static inline __attribute__((always_inline)) void take_message(struct dec_run *r,
							      const struct vhu_msg *m,
							      const struct vhu_msg_info *mi,
							      bool tree)
{
	GString *own = walk_reset_into(r, tree ? r->msgs : NULL);
	unsigned i;

	vhu_walk_message(m, mi, &r->wopts, &dec_emitter, &r->w);
	r->w.tree = own;
	if (!r->w.malformed[0] && m->status == VHU_MSG_TRUNCATED)
		g_strlcpy(r->w.malformed, "message truncated", sizeof(r->w.malformed));
	if (!r->w.malformed[0] && m->status == VHU_MSG_OVERSIZE)
		g_strlcpy(r->w.malformed, "size field above the limit", sizeof(r->w.malformed));
	if (r->w.malformed[0])
		report_malformed(r, m, mi);
	for (i = 0; mi->findings && i < mi->nfindings; i++)
		take_finding(r, &mi->findings[i]);
	r->messages++;
}

static void put_line_message(struct dec_run *r, const struct vhu_msg_info *mi)
{
	dec_line_message(r->text, r->col, rel_time(r, mi->ts_ns), mi, &r->w,
			 vhu_session_procs_gen(r->s));
	put_text(r);
}

static void show_message(struct dec_run *r, const struct vhu_msg *m,
			 const struct vhu_msg_info *mi)
{
	take_message(r, m, mi, r->o->format == DEC_FMT_TREE && !r->silent);
	if (r->stats)
		dec_stats_message(r->stats, m, mi);
	if (r->silent)
		return;
	switch (r->o->format) {
	case DEC_FMT_LINE:
		put_line_message(r, mi);
		break;
	case DEC_FMT_JSON:
		dec_json_message(r->text, rel_time(r, mi->ts_ns), m, mi, &r->w);
		put_text(r);
		break;
	case DEC_FMT_TREE:	/* the tree is in r->msgs already */
		break;
	}
}

static void keep_leftover(struct dec_run *r, uint64_t k, const struct vhu_msg *m,
			  const struct vhu_msg_info *mi)
{
	struct leftover *lo = g_new0(struct leftover, 1);
	uint32_t nfds = m->nfd_info;

	lo->m = *m;
	lo->m.bytes = m->bytes ? g_memdup2(m->bytes, m->len) : NULL;
	lo->m.fds = m->fds && nfds ? g_memdup2(m->fds, nfds * sizeof(*m->fds)) : NULL;
	lo->mi = *mi;
	lo->mi.comm = g_strdup(mi->comm ? mi->comm : "");
	/* the session reuses its findings buffer for the next message */
	lo->mi.findings = mi->nfindings ? g_memdup2(mi->findings, mi->nfindings * sizeof(*mi->findings))
					: NULL;
	lo->k = k;
	g_ptr_array_add(r->leftovers, lo);
}

static void free_leftover(gpointer p)
{
	struct leftover *lo = p;

	g_free((void *)lo->m.bytes);
	g_free((void *)lo->m.fds);
	g_free((void *)lo->mi.comm);
	g_free((void *)lo->mi.findings);
	g_free(lo);
}

/* In frame order, and in the order the session gave them within a frame. */
static gint leftover_order(gconstpointer a, gconstpointer b)
{
	const struct leftover *x = *(struct leftover *const *)a, *y = *(struct leftover *const *)b;

	if (x->mi.frame != y->mi.frame)
		return x->mi.frame < y->mi.frame ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

/* -2: the cut messages shown in this frame, with what the first pass
 * learnt after they were kept (their request was never answered). */
static void show_leftovers(struct dec_run *r)
{
	while (r->leftovers && r->next_leftover < r->leftovers->len) {
		struct leftover *lo = g_ptr_array_index(r->leftovers, r->next_leftover);

		if (lo->mi.frame > r->frame)
			break;
		r->next_leftover++;
		if (lo->mi.frame < r->frame)
			continue;
		apply_link(r, lo->k, &lo->mi);
		if (dec_filter_message(&r->o->filter, &lo->m, &lo->mi))
			show_message(r, &lo->m, &lo->mi);
	}
}

/* -2's first pass: room for the links of message k, its cookie.
 * Messages flushed by vhu_session_finish() come with the last frame of
 * their connection.  Out of line: the output pass does not pay for the
 * registers of its calls. */
static __attribute__((noinline)) void *collect_links(struct dec_run *r, uint64_t k,
						     const struct vhu_msg *m,
						     const struct vhu_msg_info *mi)
{
	uint64_t none = 0;

	g_array_append_val(r->links, none);
	if (r->finishing)
		keep_leftover(r, k, m, mi);
	return GSIZE_TO_POINTER(k + 1);
}

static void *on_message(void *ctx, const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	struct dec_run *r = ctx;
	uint64_t k = r->seq++;
	struct vhu_msg_info info;

	if (r->pass == 1)
		return collect_links(r, k, m, mi);
	if (r->finishing && r->leftovers)
		return NULL;	/* shown in its frame already */
	if (r->links) {		/* -2: a copy, with what the first pass learnt */
		info = *mi;
		apply_link(r, k, &info);
		mi = &info;
	}
	if (!r->filtering || dec_filter_message(&r->o->filter, m, mi))
		show_message(r, m, mi);
	return NULL;
}

/*
 * The message callback of a run that only prints each message's line: one
 * pass, no filter, no statistics, not quiet.  on_message asks all of
 * these for every message (about 15 instructions a message): the run
 * picks this callback once instead.
 */
static void *on_line_message(void *ctx, const struct vhu_msg *m, const struct vhu_msg_info *mi)
{
	struct dec_run *r = ctx;

	r->seq++;
	take_message(r, m, mi, false);
	put_line_message(r, mi);
	return NULL;
}

static void set_link(struct dec_run *r, void *cookie, uint64_t value)
{
	uint64_t k = GPOINTER_TO_SIZE(cookie);

	if (r->pass != 1 || !k || k > r->links->len)
		return;
	g_array_index(r->links, uint64_t, k - 1) = value;
}

static void on_reply_seen(void *ctx, void *req_cookie, const struct vhu_msg_info *reply)
{
	set_link(ctx, req_cookie, reply->frame);
}

static void on_unanswered(void *ctx, void *req_cookie)
{
	set_link(ctx, req_cookie, LINK_UNANSWERED);
}

/* A request that got no reply: -2 keeps the finding for the request's
 * tree; the output pass counts (and --check prints) it where it comes. */
static void on_finding(void *ctx, void *req_cookie, const struct vhu_finding *f)
{
	struct dec_run *r = ctx;
	uint64_t k = GPOINTER_TO_SIZE(req_cookie);

	if (r->pass == 1) {
		if (k && r->late)
			g_hash_table_insert(r->late, GSIZE_TO_POINTER(k - 1), g_memdup2(f, sizeof(*f)));
		return;
	}
	if (dec_filter_finding(&r->o->filter, f))
		take_finding(r, f);
}

static const struct vhu_session_cbs dec_cbs = {
	.message = on_message,
	.reply_seen = on_reply_seen,
	.unanswered = on_unanswered,
	.finding = on_finding,
};

/* dec_cbs for a run of lines alone (dec_run.lines_only) */
static const struct vhu_session_cbs dec_line_cbs = {
	.message = on_line_message,
	.reply_seen = on_reply_seen,
	.unanswered = on_unanswered,
	.finding = on_finding,
};

/* ---- frames ----------------------------------------------------------- */

static const char *record_comm(struct dec_run *r)
{
	const char *comm = vhu_session_comm(r->s, r->rec.h.pid);

	if ((!comm || !*comm) && r->rec.has_proc)
		comm = r->rec.comm;
	return comm ? comm : "";
}

static bool is_data_event(unsigned ev)
{
	return ev == VHU_EV_DATA_SENT || ev == VHU_EV_DATA_RECV;
}

static void show_event(struct dec_run *r, uint64_t ts_ns)
{
	char summary[2 * VHU_TEXT_MAX];
	const char *comm = record_comm(r);

	if (!dec_filter_record(&r->o->filter, &r->rec))
		return;
	r->frame_wanted = true;
	if (r->silent || r->o->format == DEC_FMT_TREE)
		return;
	vhu_record_summary(&r->rec, comm, summary, sizeof(summary));
	if (r->o->format == DEC_FMT_LINE) {
		dec_line_event(r->text, r->col, r->frame, rel_time(r, ts_ns), &r->rec, summary);
	} else {
		dec_walk_reset(&r->w);
		vhu_walk_record(&r->rec, comm, &r->rec_seq, &dec_emitter, &r->w);
		dec_json_event(r->text, r->frame, ts_ns, rel_time(r, ts_ns), &r->rec, comm,
			       summary, &r->w);
	}
	put_text(r);
}

/* -V: the record tree, then the trees of the messages the frame completed. */
static void put_frame_tree(struct dec_run *r, bool good, enum vhu_rec_status st, uint32_t len)
{
	if (r->silent || !(r->frame_wanted || r->msgs->len))
		return;
	if (r->o->record_tree) {
		GString *own = walk_reset_into(r, r->text);

		if (good)
			vhu_walk_record(&r->rec, record_comm(r), &r->rec_seq, &dec_emitter,
					&r->w);
		else
			vhu_walk_bad_record(st, len, &dec_emitter, &r->w);
		r->w.tree = own;
	}
	g_string_append_len(r->text, r->msgs->str, r->msgs->len);
	g_string_append_c(r->text, '\n');
	put_text(r);
}

static void bad_packet(struct dec_run *r, uint64_t ts_ns, const char *reason)
{
	report(r, r->frame, "not a vhost-user capture record", reason);
	if (r->pass != 2 || r->silent || r->filtering)
		return;
	if (r->o->format == DEC_FMT_LINE)
		dec_line_bad(r->text, r->col, r->frame, rel_time(r, ts_ns), reason);
	else if (r->o->format == DEC_FMT_JSON)
		dec_json_bad(r->text, r->frame, ts_ns, rel_time(r, ts_ns), reason);
	put_text(r);
}

static void bad_record(struct dec_run *r, uint64_t ts_ns, enum vhu_rec_status st, uint32_t len)
{
	const char *reason = vhu_rec_status_str(st);

	report(r, r->frame, "malformed capture record", reason);
	if (r->pass != 2 || r->filtering)
		return;
	if (r->o->format == DEC_FMT_TREE && !r->silent) {
		r->frame_wanted = true;
		put_frame_tree(r, false, st, len);
		return;
	}
	if (r->silent)
		return;
	if (r->o->format == DEC_FMT_LINE)
		dec_line_bad(r->text, r->col, r->frame, rel_time(r, ts_ns), reason);
	else
		dec_json_bad(r->text, r->frame, ts_ns, rel_time(r, ts_ns), reason);
	put_text(r);
}

/* A record: lines_only (a constant, r->lines_only) leaves out what only
 * -V, a filter or -2's first pass need.  Inline in the run's loop. */
static inline __attribute__((always_inline)) void handle_packet(struct dec_run *r,
								const struct dec_packet *pk,
								bool lines_only)
{
	uint64_t ts_ns = pk->ts_ns;
	const uint8_t *data = pk->data;
	enum vhu_rec_status st;
	int ours = 0;
	long off;

	r->frame++;
	if (!r->have_first) {
		r->first_ts = ts_ns;
		r->have_first = true;
	}
	if (!lines_only) {
		if (r->msgs->len)	/* -V only: a call a record otherwise */
			g_string_truncate(r->msgs, 0);
		r->frame_wanted = !r->filtering;
	}
	off = vhu_exp_pdu_skip(data, pk->caplen, &ours);
	if (off < 0) {
		bad_packet(r, ts_ns, "malformed exported-PDU tags");
		return;
	}
	if (!ours) {
		bad_packet(r, ts_ns, "exported PDU for another dissector");
		return;
	}
	st = vhu_rec_parse(data + off, pk->caplen - (size_t)off, &r->rec);
	if (st != VHU_REC_OK) {
		bad_record(r, ts_ns, st, pk->caplen - (uint32_t)off);
		return;
	}
	if (pk->caplen < pk->len)
		report(r, r->frame, "packet cut by the capture", "caplen below the packet length");
	r->rec_seq = vhu_session_record(r->s, r->frame, ts_ns, &r->rec);
	if (!lines_only) {
		if (r->pass != 2)
			return;
		show_leftovers(r);
	}
	if (!is_data_event(r->rec.h.event))
		show_event(r, ts_ns);
	if (!lines_only && r->o->format == DEC_FMT_TREE)
		put_frame_tree(r, true, VHU_REC_OK, 0);
}

/* ---- input ------------------------------------------------------------ */

pcap_t *dec_open_capture(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;
	int dlt;

	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		/* libpcap names the file in some messages, not in others */
		if (strncmp(errbuf, path, strlen(path)))
			fprintf(stderr, "vhost-user-decode: %s: %s\n",
				strcmp(path, "-") ? path : "standard input", errbuf);
		else
			fprintf(stderr, "vhost-user-decode: %s\n", errbuf);
		return NULL;
	}
	dlt = pcap_datalink(p);
	if (dlt != VHU_LINKTYPE_UPPER_PDU) {
		const char *name = pcap_datalink_val_to_name(dlt);

		fprintf(stderr, "vhost-user-decode: %s: link type %d (%s) is not %d "
			"(WIRESHARK_UPPER_PDU): not a vhost-user capture\n",
			strcmp(path, "-") ? path : "standard input", dlt, name ? name : "unknown",
			VHU_LINKTYPE_UPPER_PDU);
		pcap_close(p);
		return NULL;
	}
	return p;
}

/* A pipe or a terminal: show each message as soon as it is decoded. */
static bool input_is_live(const char *path)
{
	struct stat st;

	if (strcmp(path, "-"))
		return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
	return fstat(0, &st) == 0 && !S_ISREG(st.st_mode);
}

static void reset_pass(struct dec_run *r, int pass)
{
	struct vhu_options vo = r->o->vopt;

	r->pass = pass;
	r->seq = 0;
	r->frame = 0;
	r->have_first = false;
	/* one line shows a finding's rule id, never its text */
	vo.finding_ids_only = r->o->format == DEC_FMT_LINE && !r->o->check;
	r->s = vhu_session_new(&vo, r->lines_only ? &dec_line_cbs : &dec_cbs, r);
}

/* One pass over the capture; false if it could not be opened. */
static bool run_pass(struct dec_run *r, int pass)
{
	const struct dec_packet *pk;
	struct dec_input *in = dec_input_open(r->o->input);
	int rc;

	if (!in)
		return false;
	reset_pass(r, pass);
	if (r->lines_only)
		while ((rc = dec_input_next(in, &pk)) == 1)
			handle_packet(r, pk, true);
	else
		while ((rc = dec_input_next(in, &pk)) == 1)
			handle_packet(r, pk, false);
	if (rc == PCAP_ERROR)
		report(r, r->frame + 1, "capture file truncated or unreadable", dec_input_error(in));
	dec_input_close(in);

	g_string_truncate(r->msgs, 0);
	r->finishing = true;
	vhu_session_finish(r->s);
	r->finishing = false;
	out_flush(r);
	if (r->msgs->len) {	/* -V: messages cut by the end of the capture */
		g_string_append(r->msgs, "\n");
		fputs(r->msgs->str, r->out);
	}
	return true;
}

static void end_pass(struct dec_run *r)
{
	vhu_session_free(r->s);
	r->s = NULL;
}

static bool filter_given(const struct dec_filter *f)
{
	return f->nreq || f->by_conn || f->from || f->channel;
}

int dec_run(const struct dec_opts *o)
{
	struct dec_run r;
	bool ok = true;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.out = stdout;
	r.col = dec_colors(o->color && o->format == DEC_FMT_LINE);
	r.wopts.show_payload = o->payload;
	r.wopts.max_payload = o->vopt.max_payload ? o->vopt.max_payload : VHU_DEFAULT_MAX_PAYLOAD;
	/* one line per message needs the summary and the notes, not the tree */
	r.wopts.summary_only = o->format == DEC_FMT_LINE || o->quiet || o->check;
	/* JSON takes the nodes' values, never their lines */
	r.wopts.values_only = o->format == DEC_FMT_JSON;
	r.silent = o->quiet || o->check;
	r.filtering = filter_given(&o->filter);
	r.flush_each = o->line_buffered || input_is_live(o->input);
	r.lines_only = o->format == DEC_FMT_LINE && !o->two_pass && !r.filtering && !o->stats &&
		       !r.silent;
	r.text = g_string_sized_new(OUT_BLOCK + 8192);
	r.msgs = g_string_sized_new(8192);
	dec_walk_init(&r.w, o->format == DEC_FMT_TREE, o->format == DEC_FMT_JSON);
	if (o->stats)
		r.stats = dec_stats_new();

	if (o->two_pass) {
		r.links = g_array_new(FALSE, FALSE, sizeof(uint64_t));
		r.leftovers = g_ptr_array_new_with_free_func(free_leftover);
		r.late = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
		ok = run_pass(&r, 1);
		if (ok)
			end_pass(&r);
		g_ptr_array_sort(r.leftovers, leftover_order);
	}
	if (ok)
		ok = run_pass(&r, 2);
	if (ok && o->check && o->format != DEC_FMT_JSON)
		dec_check_summary(r.out, &r.findings, r.messages);
	if (ok && o->check && r.findings.by_severity[VHU_SEV_ERROR])
		set_status(&r, DEC_EXIT_MALFORMED);
	if (ok && r.stats)
		dec_stats_print(r.stats, r.s, &r.findings, r.out, o->format == DEC_FMT_JSON);
	if (r.s)
		end_pass(&r);
	if (fflush(r.out) || ferror(r.out)) {
		perror("vhost-user-decode: writing the output");
		set_status(&r, DEC_EXIT_USAGE);
	}

	dec_stats_free(r.stats);
	if (r.links)
		g_array_free(r.links, TRUE);
	if (r.leftovers)
		g_ptr_array_free(r.leftovers, TRUE);
	if (r.late)
		g_hash_table_destroy(r.late);
	dec_walk_free(&r.w);
	g_string_free(r.text, TRUE);
	g_string_free(r.msgs, TRUE);
	return ok ? r.status : DEC_EXIT_USAGE;
}
