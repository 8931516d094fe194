/* dec_json.c - small JSON writers for -T json (see docs/decoder-json.md). */
#include <string.h>

#include "dec.h"
#include "vhu_format.h"

/* Largest integer a double holds exactly: JSON readers (jq, JavaScript,
 * Python's float paths) lose bits above it, so such values become hex
 * strings. */
#define DEC_JSON_MAX_SAFE (UINT64_C(1) << 53)

void dec_json_u64(GString *s, uint64_t v)
{
	if (v <= DEC_JSON_MAX_SAFE)
		dec_append_u64(s, v);
	else
		dec_appendf(s, "\"0x%" G_GINT64_MODIFIER "x\"", v);
}

/* A byte written as it is inside a JSON string. */
static bool plain_json_char(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Escapes a string.  len (size_t)-1: NUL-terminated.  Bytes that are not
 * valid UTF-8 come out as \u00XX (their Latin-1 reading), so the output is
 * always valid JSON whatever a process put in its name. */
void dec_json_string(GString *s, const char *str, size_t len)
{
	const char *p = str ? str : "";
	const char *end;

	if (len == (size_t)-1)
		len = strlen(p);
	end = p + len;
	dec_put_c(s, '"');
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		const gchar *bad;
		const char *run = p;

		/* names and texts are mostly plain: copy such a run at once */
		while (run < end && plain_json_char((unsigned char)*run))
			run++;
		if (run > p) {
			dec_put(s, p, (size_t)(run - p));
			p = run;
			continue;
		}
		if (c >= 0x80) {
			/* copy the longest valid UTF-8 run at once */
			g_utf8_validate(p, end - p, &bad);
			if (bad > p) {
				dec_put(s, p, (size_t)(bad - p));
				p = bad;
				continue;
			}
			dec_appendf(s, "\\u%04x", c);
		} else if (c == '"' || c == '\\') {
			dec_put_c(s, '\\');
			dec_put_c(s, (char)c);
		} else if (c == '\n') {
			dec_put_str(s, "\\n");
		} else if (c == '\t') {
			dec_put_str(s, "\\t");
		} else {	/* the rest of the controls: printable runs went at once */
			dec_appendf(s, "\\u%04x", c);
		}
		p++;
	}
	dec_put_c(s, '"');
}

void dec_json_conn(GString *s, uint64_t conn)
{
	char buf[VHU_CONN_TEXT_MAX];

	vhu_format_conn(buf, sizeof(buf), conn);
	dec_appendf(s, "\"%s\"", buf);
}

/* "vhost_user.vring.index", or "vhost_user_rec.pid" for record fields. */
const char *dec_field_filter_name(int field, char *buf, size_t cap)
{
	const struct vhu_field *f = vhu_field_get(field);

	if (!f || !f->abbrev) {
		vhu_snprintf(buf, cap, "%s.field%d", VHU_PROTO_FILTER, field);
	} else if (strncmp(f->abbrev, "rec.", 4) == 0) {
		vhu_snprintf(buf, cap, "%s.%s", VHU_REC_PROTO_FILTER, f->abbrev + 4);
	} else {
		vhu_snprintf(buf, cap, "%s.%s", VHU_PROTO_FILTER, f->abbrev);
	}
	return buf;
}

static void append_entry(GString *s, const struct dec_walk *w, const struct dec_jentry *e)
{
	dec_put(s, w->jfields->str + e->off, e->len);
}

/*
 * The fields in the order the walker drew them; a field drawn more than
 * once (memory regions, fds) becomes an array of its values, in order.
 */
void dec_json_fields(GString *s, const struct dec_walk *w)
{
	const struct dec_jentry *ents = (const struct dec_jentry *)w->jentries->data;
	guint n = w->jentries->len, i, j;
	bool first = true;
	char name[160];

	dec_put_c(s, '{');
	for (i = 0; i < n; i++) {
		guint count = 0;

		for (j = 0; j < i && ents[j].field != ents[i].field; j++)
			;
		if (j < i)
			continue;	/* already written with its first occurrence */
		for (j = i; j < n; j++)
			count += ents[j].field == ents[i].field;
		if (!first)
			dec_put_c(s, ',');
		first = false;
		dec_json_string(s, dec_field_filter_name(ents[i].field, name, sizeof(name)),
				(size_t)-1);
		dec_put_c(s, ':');
		if (count == 1) {
			append_entry(s, w, &ents[i]);
			continue;
		}
		dec_put_c(s, '[');
		for (j = i; j < n; j++) {
			if (ents[j].field != ents[i].field)
				continue;
			if (j != i)
				dec_put_c(s, ',');
			append_entry(s, w, &ents[j]);
		}
		dec_put_c(s, ']');
	}
	dec_put_c(s, '}');
}
