/* dec_stats.c - --stats: counts, reply latencies, negotiated features. */
#include <stdlib.h>
#include <string.h>

#include "dec.h"

#include "vhu_format.h"
#include "vhu_msgs.h"

/*
 * Memory is fixed whatever the capture size: one row per known request id
 * of each channel (unknown ids share one row), and per row at most
 * DEC_LAT_SAMPLES latencies.  Up to that many replies the median is exact;
 * past it, it comes from a histogram with 8 buckets per power of two
 * (within 9%) and is printed with a "~".
 */
#define DEC_LAT_SAMPLES 1024
#define DEC_LAT_SUB 8
#define DEC_LAT_BUCKETS (64 * DEC_LAT_SUB)
#define DEC_NCHAN 4	/* index by enum vhu_channel */

struct dec_type_stats {
	uint64_t count[2];	/* by sender: [0] front-end, [1] back-end */
	uint64_t nlat, min, max;
	uint64_t *samples;	/* first DEC_LAT_SAMPLES latencies */
	uint32_t *hist;		/* DEC_LAT_BUCKETS, allocated past the samples */
};

struct dec_stats {
	uint32_t nrows[DEC_NCHAN];
	struct dec_type_stats *rows[DEC_NCHAN];	/* ids 0..max, then "unknown" */
};

struct dec_stats *dec_stats_new(void)
{
	struct dec_stats *st = g_new0(struct dec_stats, 1);
	unsigned ch;

	for (ch = VHU_CHAN_MAIN; ch < DEC_NCHAN; ch++) {
		st->nrows[ch] = vhu_msg_max(ch) + 2;
		st->rows[ch] = g_new0(struct dec_type_stats, st->nrows[ch]);
	}
	return st;
}

void dec_stats_free(struct dec_stats *st)
{
	unsigned ch, i;

	if (!st)
		return;
	for (ch = 0; ch < DEC_NCHAN; ch++) {
		for (i = 0; i < st->nrows[ch]; i++) {
			g_free(st->rows[ch][i].samples);
			g_free(st->rows[ch][i].hist);
		}
		g_free(st->rows[ch]);
	}
	g_free(st);
}

static struct dec_type_stats *row_of(struct dec_stats *st, unsigned ch, uint32_t request)
{
	if (ch >= DEC_NCHAN || !st->rows[ch])
		return NULL;
	if (request >= st->nrows[ch] - 1 || !vhu_msg_lookup(ch, request))
		request = st->nrows[ch] - 1;
	return &st->rows[ch][request];
}

/* Bucket: power of two, then DEC_LAT_SUB linear steps inside it. */
static unsigned lat_bucket(uint64_t ns)
{
	unsigned p, sub;

	if (ns < DEC_LAT_SUB)
		return (unsigned)ns;
	p = 63 - (unsigned)__builtin_clzll(ns);
	sub = (unsigned)((ns >> (p - 3)) & (DEC_LAT_SUB - 1));
	return (p - 2) * DEC_LAT_SUB + sub;
}

static uint64_t bucket_low(unsigned b)
{
	unsigned p = b / DEC_LAT_SUB + 2, sub = b % DEC_LAT_SUB;

	if (b < DEC_LAT_SUB)
		return b;
	if (p > 63)
		return UINT64_MAX;
	return (UINT64_C(1) << p) + ((uint64_t)sub << (p - 3));
}

static void add_latency(struct dec_type_stats *t, uint64_t ns)
{
	if (!t->nlat || ns < t->min)
		t->min = ns;
	if (ns > t->max)
		t->max = ns;
	if (t->nlat < DEC_LAT_SAMPLES) {
		if (!t->samples)
			t->samples = g_new(uint64_t, DEC_LAT_SAMPLES);
		t->samples[t->nlat] = ns;
	} else if (!t->hist) {
		unsigned i;

		t->hist = g_new0(uint32_t, DEC_LAT_BUCKETS);
		for (i = 0; i < DEC_LAT_SAMPLES; i++)
			t->hist[lat_bucket(t->samples[i])]++;
	}
	if (t->hist)
		t->hist[lat_bucket(ns)]++;
	t->nlat++;
}

void dec_stats_message(struct dec_stats *st, const struct vhu_msg *m,
		       const struct vhu_msg_info *mi)
{
	struct dec_type_stats *t = row_of(st, mi->channel, m->request);

	if (!t)
		return;
	t->count[mi->sender == VHU_ROLE_BACKEND]++;
	if (mi->is_reply && mi->matched)
		add_latency(t, mi->latency_ns);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v; the middle value, or the mean of the two middle ones. */
uint64_t dec_median(uint64_t *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	if (n % 2)
		return v[n / 2];
	return v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2;
}

/* *exact: false when the value comes from the histogram. */
static uint64_t type_median(struct dec_type_stats *t, bool *exact)
{
	uint64_t half, seen = 0;
	unsigned b;

	*exact = !t->hist;
	if (!t->hist)
		return dec_median(t->samples, (size_t)t->nlat);
	half = (t->nlat + 1) / 2;
	for (b = 0; b < DEC_LAT_BUCKETS; b++) {
		seen += t->hist[b];
		if (seen >= half)
			return bucket_low(b) + (bucket_low(b + 1) - bucket_low(b)) / 2;
	}
	return t->max;
}

static const char *row_name(unsigned ch, unsigned i, unsigned nrows)
{
	const char *name = i < nrows - 1 ? vhu_msg_name(ch, i) : NULL;

	return name ? name : "(unknown ids)";
}

static void print_us(FILE *out, uint64_t ns)
{
	fprintf(out, "%" G_GUINT64_FORMAT ".%03u", ns / 1000, (unsigned)(ns % 1000));
}

static void text_types(struct dec_stats *st, FILE *out)
{
	unsigned ch, i;

	fprintf(out, "%-8s %-40s %9s %9s  %s\n", "channel", "request", "fe->be", "be->fe",
		"reply latency min / median / max (us)");
	for (ch = VHU_CHAN_MAIN; ch < DEC_NCHAN; ch++) {
		for (i = 0; i < st->nrows[ch]; i++) {
			struct dec_type_stats *t = &st->rows[ch][i];
			bool exact;
			uint64_t med;

			if (!t->count[0] && !t->count[1])
				continue;
			fprintf(out, "%-8s %-40s %9" G_GUINT64_FORMAT " %9" G_GUINT64_FORMAT,
				vhu_channel_name(ch), row_name(ch, i, st->nrows[ch]),
				t->count[0], t->count[1]);
			if (t->nlat) {
				med = type_median(t, &exact);
				fputs("  ", out);
				print_us(out, t->min);
				fputs(exact ? " / " : " / ~", out);
				print_us(out, med);
				fputs(" / ", out);
				print_us(out, t->max);
				fprintf(out, " (%" G_GUINT64_FORMAT " replies)", t->nlat);
			}
			fputc('\n', out);
		}
	}
}

/* Names of the bits set in v; name_of returns "" for an unnamed bit. */
static void feature_names(GString *s, uint64_t v, unsigned device, bool protocol, bool json)
{
	unsigned bit;
	bool first = true;

	if (!v && !json)
		g_string_append(s, "(none)");
	for (bit = 0; bit < 64; bit++) {
		const char *name;

		if (!(v & VHU_BIT(bit)))
			continue;
		name = protocol ? vhu_pfeature_name(bit) : vhu_feature_name(device, bit);
		if (!first)
			g_string_append(s, json ? "," : ", ");
		first = false;
		if (json) {
			if (name && *name)
				dec_json_string(s, name, (size_t)-1);
			else
				g_string_append_printf(s, "\"bit %u\"", bit);
		} else if (name && *name) {
			g_string_append(s, name);
		} else {
			g_string_append_printf(s, "bit %u", bit);
		}
	}
}

struct conn_print {
	FILE *out;
	bool json;
	bool first;
	GString *s;
};

static void text_conn(struct conn_print *cp, const struct vhu_conn_summary *c)
{
	GString *s = cp->s;
	char conn[VHU_CONN_TEXT_MAX];

	vhu_format_conn(conn, sizeof(conn), c->conn_id);
	g_string_printf(s, "%s %s, pid %u, device %s, %" G_GUINT64_FORMAT " messages\n",
			conn, vhu_channel_name(c->channel), c->pid, vhu_device_name(c->device),
			c->messages);
	if (c->features_set || c->offered_features) {
		g_string_append_printf(s, "  features 0x%016" G_GINT64_MODIFIER "x: ", c->features);
		feature_names(s, c->features, c->device, false, false);
		g_string_append_printf(s, "\n  offered  0x%016" G_GINT64_MODIFIER "x%s\n",
				       c->offered_features, c->features_set ? "" : " (not set)");
	}
	if (c->pfeatures_set || c->offered_pfeatures) {
		g_string_append_printf(s, "  protocol features 0x%016" G_GINT64_MODIFIER "x: ",
				       c->pfeatures);
		feature_names(s, c->pfeatures, c->device, true, false);
		g_string_append_printf(s, "\n  offered           0x%016" G_GINT64_MODIFIER "x%s\n",
				       c->offered_pfeatures, c->pfeatures_set ? "" : " (not set)");
	}
	fputs(s->str, cp->out);
}

static void json_conn(struct conn_print *cp, const struct vhu_conn_summary *c)
{
	GString *s = cp->s;

	g_string_truncate(s, 0);
	g_string_append(s, cp->first ? "{" : ",{");
	g_string_append(s, "\"conn\":");
	dec_json_conn(s, c->conn_id);
	g_string_append_printf(s, ",\"channel\":\"%s\",\"pid\":%u,\"device\":",
			       vhu_channel_name(c->channel), c->pid);
	dec_json_string(s, vhu_device_name(c->device), (size_t)-1);
	g_string_append_printf(s, ",\"messages\":%" G_GUINT64_FORMAT, c->messages);
	g_string_append_printf(s, ",\"features_set\":%s,\"features\":",
			       c->features_set ? "true" : "false");
	dec_json_u64(s, c->features);
	g_string_append(s, ",\"feature_names\":[");
	feature_names(s, c->features, c->device, false, true);
	g_string_append(s, "],\"offered_features\":");
	dec_json_u64(s, c->offered_features);
	g_string_append_printf(s, ",\"protocol_features_set\":%s,\"protocol_features\":",
			       c->pfeatures_set ? "true" : "false");
	dec_json_u64(s, c->pfeatures);
	g_string_append(s, ",\"protocol_feature_names\":[");
	feature_names(s, c->pfeatures, c->device, true, true);
	g_string_append(s, "],\"offered_protocol_features\":");
	dec_json_u64(s, c->offered_pfeatures);
	g_string_append_c(s, '}');
	fputs(s->str, cp->out);
}

static void collect_conn(void *arg, const struct vhu_conn_summary *c)
{
	g_array_append_val((GArray *)arg, *c);
}

static gint cmp_conn(gconstpointer a, gconstpointer b)
{
	uint64_t x = ((const struct vhu_conn_summary *)a)->conn_id;
	uint64_t y = ((const struct vhu_conn_summary *)b)->conn_id;

	return x < y ? -1 : x > y;
}

/* Connections in the order of their ids (pid, then sequence). */
static void print_conns(struct conn_print *cp, const struct vhu_session *s)
{
	GArray *conns = g_array_new(FALSE, FALSE, sizeof(struct vhu_conn_summary));
	guint i;

	vhu_session_each_conn(s, collect_conn, conns);
	g_array_sort(conns, cmp_conn);
	for (i = 0; i < conns->len; i++) {
		const struct vhu_conn_summary *c =
			&g_array_index(conns, struct vhu_conn_summary, i);

		if (cp->json)
			json_conn(cp, c);
		else
			text_conn(cp, c);
		cp->first = false;
	}
	g_array_free(conns, TRUE);
}

static void json_types(struct dec_stats *st, FILE *out)
{
	GString *s = g_string_new("\"messages\":[");
	bool first = true;
	unsigned ch, i;

	for (ch = VHU_CHAN_MAIN; ch < DEC_NCHAN; ch++) {
		for (i = 0; i < st->nrows[ch]; i++) {
			struct dec_type_stats *t = &st->rows[ch][i];
			bool exact;

			if (!t->count[0] && !t->count[1])
				continue;
			g_string_append(s, first ? "{" : ",{");
			first = false;
			g_string_append_printf(s, "\"channel\":\"%s\",\"name\":",
					       vhu_channel_name(ch));
			dec_json_string(s, row_name(ch, i, st->nrows[ch]), (size_t)-1);
			g_string_append_printf(s, ",\"fe->be\":%" G_GUINT64_FORMAT
					       ",\"be->fe\":%" G_GUINT64_FORMAT
					       ",\"replies_timed\":%" G_GUINT64_FORMAT,
					       t->count[0], t->count[1], t->nlat);
			if (t->nlat) {
				uint64_t med = type_median(t, &exact);

				g_string_append(s, ",\"latency_min_ns\":");
				dec_json_u64(s, t->min);
				g_string_append(s, ",\"latency_median_ns\":");
				dec_json_u64(s, med);
				g_string_append(s, ",\"latency_max_ns\":");
				dec_json_u64(s, t->max);
				g_string_append_printf(s, ",\"median_exact\":%s",
						       exact ? "true" : "false");
			}
			g_string_append_c(s, '}');
		}
	}
	g_string_append(s, "],");
	fputs(s->str, out);
	g_string_free(s, TRUE);
}

void dec_stats_print(struct dec_stats *st, const struct vhu_session *s,
		     const struct dec_findings *findings, FILE *out, bool json)
{
	struct conn_print cp = { out, json, true, g_string_new(NULL) };

	if (json) {
		fputs("{\"stats\":{", out);
		json_types(st, out);
		dec_findings_print(findings, out, true);
		fputs("\"connections\":[", out);
		print_conns(&cp, s);
		fputs("]}}\n", out);
	} else {
		fputs("\n=== Messages ===\n", out);
		text_types(st, out);
		dec_findings_print(findings, out, false);
		fputs("\n=== Connections ===\n", out);
		print_conns(&cp, s);
	}
	g_string_free(cp.s, TRUE);
}
