/* dec_check.c - findings of the rules: --check lines, JSON objects and the
 * tally that --check's summary and --stats print.  The rules themselves are
 * the core's (vhu_diag.h); nothing here judges a message. */
#include "dec.h"

#include "vhu_format.h"
#include "vhu_msgs.h"

void dec_findings_add(struct dec_findings *t, const struct vhu_finding *f)
{
	const struct vhu_rule *r = vhu_rule_get(f->rule);

	if (!r)
		return;
	t->by_rule[f->rule]++;
	t->by_severity[r->severity]++;
}

/* An end-of-connection finding follows --conn, --channel and --request
 * like the message it is about (its sender is a front-end or back-end
 * request: --from front-end keeps main-channel ones). */
bool dec_filter_finding(const struct dec_filter *fl, const struct vhu_finding *f)
{
	unsigned i;

	if (fl->by_conn && f->conn_id != fl->conn)
		return false;
	if (fl->channel && f->channel != fl->channel)
		return false;
	if (fl->from && fl->from != (f->channel == VHU_CHAN_MAIN ? VHU_ROLE_FRONTEND : VHU_ROLE_BACKEND))
		return false;
	if (!fl->nreq)
		return true;
	for (i = 0; i < fl->nreq; i++)
		if (fl->req[i].channel == f->channel && fl->req[i].request == f->request)
			return true;
	return false;
}

static const char *request_name(const struct vhu_finding *f)
{
	const char *name = vhu_msg_name(f->channel, f->request);

	return name ? name : "unknown";
}

/* frame, connection, severity, rule id, text: one line per finding. */
void dec_check_line(GString *s, const struct dec_colors *c, const struct vhu_finding *f)
{
	const struct vhu_rule *r = vhu_rule_get(f->rule);
	char conn[VHU_CONN_TEXT_MAX];

	if (!r)
		return;
	vhu_format_conn(conn, sizeof(conn), f->conn_id);
	dec_appendf(s, "%7" G_GUINT64_FORMAT " %-11s %s%-7s%s %s  %s\n", f->frame, conn,
			       r->severity == VHU_SEV_ERROR ? c->bad : "",
			       vhu_finding_severity(r->severity), c->off, r->id, f->text);
}

void dec_check_json(GString *s, const struct vhu_finding *f)
{
	const struct vhu_rule *r = vhu_rule_get(f->rule);

	if (!r)
		return;
	dec_put_str(s, "{\"finding\":");
	dec_json_string(s, r->id, (size_t)-1);
	dec_put_str(s, ",\"severity\":");
	dec_json_string(s, vhu_finding_severity(r->severity), (size_t)-1);
	dec_put_str(s, ",\"frame\":");
	dec_json_u64(s, f->frame);
	if (f->related_frame) {
		dec_put_str(s, ",\"related_frame\":");
		dec_json_u64(s, f->related_frame);
	}
	dec_put_str(s, ",\"conn\":");
	dec_json_conn(s, f->conn_id);
	dec_put_str(s, ",\"channel\":");
	dec_json_string(s, vhu_channel_name(f->channel), (size_t)-1);
	dec_put_str(s, ",\"request\":");
	dec_json_string(s, request_name(f), (size_t)-1);
	dec_put_str(s, ",\"text\":");
	dec_json_string(s, f->text, (size_t)-1);
	dec_put_str(s, ",\"spec\":");
	dec_json_string(s, r->spec, (size_t)-1);
	dec_put_str(s, "}\n");
}

/* "3 findings (1 error, 2 warnings, 0 notes) in 120 messages" */
void dec_check_summary(FILE *out, const struct dec_findings *t, uint64_t messages)
{
	uint64_t e = t->by_severity[VHU_SEV_ERROR], w = t->by_severity[VHU_SEV_WARN];
	uint64_t n = t->by_severity[VHU_SEV_NOTE];

	fprintf(out, "%" G_GUINT64_FORMAT " finding%s (%" G_GUINT64_FORMAT " error%s, %" G_GUINT64_FORMAT
		" warning%s, %" G_GUINT64_FORMAT " note%s) in %" G_GUINT64_FORMAT " messages\n",
		e + w + n, e + w + n == 1 ? "" : "s", e, e == 1 ? "" : "s", w, w == 1 ? "" : "s",
		n, n == 1 ? "" : "s", messages);
}

/* --stats: the count of every rule that fired. */
void dec_findings_print(const struct dec_findings *t, FILE *out, bool json)
{
	GString *s = g_string_new(NULL);
	unsigned i;
	bool first = true;

	if (json)
		dec_put_str(s, "\"findings\":{");
	else
		dec_put_str(s, "\n=== Findings ===\n");
	for (i = 0; i < VHU_RULE__COUNT; i++) {
		const struct vhu_rule *r = vhu_rule_get((int)i);

		if (!t->by_rule[i])
			continue;
		if (json) {
			dec_put_str(s, first ? "" : ",");
			dec_json_string(s, r->id, (size_t)-1);
			dec_put_c(s, ':');
			dec_json_u64(s, t->by_rule[i]);
		} else {
			dec_appendf(s, "%-8s %-32s %9" G_GUINT64_FORMAT "\n",
					       vhu_finding_severity(r->severity), r->id, t->by_rule[i]);
		}
		first = false;
	}
	if (json)
		dec_put_str(s, "},");
	else if (first)
		dec_put_str(s, "none\n");
	fputs(s->str, out);
	g_string_free(s, TRUE);
}
