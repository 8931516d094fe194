/* test_units.c - unit tests of the decoder's JSON, option and stats helpers,
 * of its line's kept columns and of the --diff alignment. */
#include <stdlib.h>
#include <string.h>

#include "dec.h"
#include "dec_diff.h"

static int failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

static void check_json_u64(uint64_t v, const char *want)
{
	GString *s = g_string_new(NULL);

	dec_json_u64(s, v);
	if (strcmp(s->str, want)) {
		fprintf(stderr, "dec_json_u64(%" G_GUINT64_FORMAT "): got %s want %s\n", v, s->str, want);
		failures++;
	}
	g_string_free(s, TRUE);
}

static void check_json_string(const char *in, size_t len, const char *want)
{
	GString *s = g_string_new(NULL);

	dec_json_string(s, in, len);
	if (strcmp(s->str, want)) {
		fprintf(stderr, "dec_json_string: got %s want %s\n", s->str, want);
		failures++;
	}
	g_string_free(s, TRUE);
}

static void test_json(void)
{
	check_json_u64(0, "0");
	check_json_u64(UINT64_C(1) << 53, "9007199254740992");
	check_json_u64((UINT64_C(1) << 53) + 1, "\"0x20000000000001\"");
	check_json_u64(UINT64_MAX, "\"0xffffffffffffffff\"");
	check_json_string("a\"b\\c", (size_t)-1, "\"a\\\"b\\\\c\"");
	check_json_string("x\ny\001", (size_t)-1, "\"x\\ny\\u0001\"");
	check_json_string("caf\xc3\xa9", (size_t)-1, "\"caf\xc3\xa9\"");	/* valid UTF-8 kept */
	check_json_string("a\xff" "b", (size_t)-1, "\"a\\u00ffb\"");	/* invalid byte escaped */
	check_json_string("abcdef", 3, "\"abc\"");
}

static void test_conn(void)
{
	uint64_t c = 0;

	CHECK(dec_parse_conn("4242.1", &c) && c == (UINT64_C(4242) << 32 | 1));
	CHECK(dec_parse_conn("4294967295.4294967295", &c) && c == UINT64_MAX);
	CHECK(!dec_parse_conn("4294967296.1", &c));
	CHECK(!dec_parse_conn("4242", &c));
	CHECK(!dec_parse_conn("4242.", &c));
	CHECK(!dec_parse_conn("a.1", &c));
	CHECK(!dec_parse_conn("1.2x", &c));
}

static void test_requests(void)
{
	struct dec_filter f;
	char err[128];

	memset(&f, 0, sizeof(f));
	CHECK(dec_parse_requests("set_mem_table,VHOST_USER_GET_FEATURES", &f, err, sizeof(err)));
	CHECK(f.nreq == 2);
	CHECK(f.req[0].channel == VHU_CHAN_MAIN && f.req[0].request == VHU_SET_MEM_TABLE);
	CHECK(f.req[1].request == VHU_GET_FEATURES);
	CHECK(!dec_parse_requests("no_such_request", &f, err, sizeof(err)));
	CHECK(strstr(err, "no_such_request") != NULL);
}

static void test_median(void)
{
	uint64_t odd[] = { 30, 10, 20 };
	uint64_t even[] = { 40, 10, 30, 20 };
	uint64_t one[] = { 7 };

	CHECK(dec_median(odd, 3) == 20);
	CHECK(dec_median(even, 4) == 25);
	CHECK(dec_median(one, 1) == 7);
	CHECK(dec_median(NULL, 0) == 0);
}

static void test_device(void)
{
	uint8_t d = 0;

	CHECK(dec_parse_device(vhu_device_name(VHU_DEV_BLK), &d) && d == VHU_DEV_BLK);
	CHECK(!dec_parse_device("no-such-device", &d));
}

static void collect_op(void *ctx, const struct diff_op *op)
{
	g_array_append_val((GArray *)ctx, *op);
}

/* The ops of aligning a with b as a string: '=' same, '-' only in a,
 * '+' only in b. */
static char *align_string(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	GArray *ops = g_array_new(FALSE, FALSE, sizeof(struct diff_op));
	GString *s = g_string_new(NULL);
	guint i;

	diff_align(a, na, b, nb, collect_op, ops);
	for (i = 0; i < ops->len; i++) {
		const struct diff_op *op = &g_array_index(ops, struct diff_op, i);

		g_string_append_c(s, op->kind == DIFF_SAME ? '=' : op->kind == DIFF_DEL ? '-' : '+');
	}
	g_array_free(ops, TRUE);
	return g_string_free(s, FALSE);
}

static void check_align(const uint64_t *a, size_t na, const uint64_t *b, size_t nb,
			const char *want)
{
	char *got = align_string(a, na, b, nb);

	if (strcmp(got, want)) {
		fprintf(stderr, "diff_align: got %s want %s\n", got, want);
		failures++;
	}
	g_free(got);
}

/* Counts of each op kind over long sequences (the window's edges). */
static void count_align(const uint64_t *a, size_t na, const uint64_t *b, size_t nb,
			size_t *same, size_t *del, size_t *add)
{
	char *got = align_string(a, na, b, nb);
	const char *p;

	*same = *del = *add = 0;
	for (p = got; *p; p++) {
		*same += *p == '=';
		*del += *p == '-';
		*add += *p == '+';
	}
	g_free(got);
}

static void test_align(void)
{
	static const uint64_t a[] = { 1, 2, 3, 4, 5 };
	static const uint64_t extra[] = { 1, 2, 9, 3, 4, 5 };
	static const uint64_t missing[] = { 1, 2, 4, 5 };
	static const uint64_t moved[] = { 1, 3, 4, 2, 5 };
	static const uint64_t other[] = { 7, 8 };
	enum { N = 3000 };
	uint64_t *x = g_new(uint64_t, N), *y = g_new(uint64_t, N + 1);
	size_t i, same, del, add;

	check_align(a, 5, a, 5, "=====");
	check_align(a, 5, extra, 6, "==+===");
	check_align(a, 5, missing, 4, "==-==");
	/* a moved message is one deletion and one addition */
	check_align(a, 5, moved, 5, "=-==+=");
	check_align(a, 5, other, 2, "-----++");
	check_align(a, 0, a, 2, "++");
	check_align(a, 2, a, 0, "--");
	/* far from the start and beyond one window: still one addition */
	for (i = 0; i < N; i++)
		x[i] = i % 7;
	memcpy(y, x, 2000 * sizeof(*x));
	y[2000] = 100;
	memcpy(y + 2001, x + 2000, (N - 2000) * sizeof(*x));
	count_align(x, N, y, N + 1, &same, &del, &add);
	CHECK(same == N && del == 0 && add == 1);
	/* nothing in common: everything deleted and added, in bounded time */
	for (i = 0; i < N; i++)
		y[i] = 1000 + i;
	count_align(x, N, y, N, &same, &del, &add);
	CHECK(same == 0 && del == N && add == N);
	g_free(x);
	g_free(y);
}

/* The frame number counted up in place is the number written anew: at
 * every carry, repeated, and after jumps either way. */
static void check_counter(struct dec_counter *c, uint64_t v)
{
	char want[DEC_U64_TEXT_MAX + 9], got[DEC_U64_TEXT_MAX + 9];

	dec_counter_set(c, v);
	*dec_write_u64(want, v, 7, ' ') = 0;
	*dec_write_counter(got, c, 7) = 0;
	if (strcmp(want, got)) {
		fprintf(stderr, "counter at %" G_GUINT64_FORMAT ": \"%s\", not \"%s\"\n", v, got, want);
		failures++;
	}
}

static void test_counter(void)
{
	static const uint64_t starts[] = { 0, 1, 95, 9999990, 99999995, 999999999999999990ull,
					   9999999999999999990ull, UINT64_MAX - 12 };
	struct dec_counter c = { 0 };
	size_t i;
	uint64_t v;

	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		for (v = starts[i]; v - starts[i] < 12; v++) {
			check_counter(&c, v);
			check_counter(&c, v);	/* another message of the frame */
		}
	}
	check_counter(&c, UINT64_MAX);
	check_counter(&c, 0);	/* not one more than UINT64_MAX */
	check_counter(&c, 5);
	check_counter(&c, 100000);
	check_counter(&c, 3);
	check_counter(&c, 0);
	check_counter(&c, 1);
}

/* The nanoseconds written a word at a time are printf's "%09u": at every
 * digit's edges and across the range. */
static void check_nsec(uint32_t ns)
{
	char want[16], got[16];

	snprintf(want, sizeof(want), "%09u", ns);
	*dec_write_nsec(got, ns) = 0;
	if (strcmp(want, got)) {
		fprintf(stderr, "nanoseconds %u: \"%s\", not \"%s\"\n", ns, got, want);
		failures++;
	}
}

static void test_nsec(void)
{
	uint32_t p, d, v;

	for (p = 1; p <= 100000000; p *= 10)
		for (d = 1; d <= 9; d++)
			for (v = d * p - 2; v != d * p + 2; v++)
				if (v < 1000000000)
					check_nsec(v);
	for (v = 0; v < 1000000000; v += 9973)
		check_nsec(v);
	for (v = 0; v < 10000; v++)
		check_nsec(v * 100001);
	check_nsec(999999999);
}

/* The line's time, its nanoseconds taken within the second it wrote
 * last or divided out anew, is printf's: within a second, across one,
 * backwards, before the first packet and far from it. */
static void test_line_time(void)
{
	static const int64_t times[] = { 0, 1, 999999999, 1000000000, 1000000001, 1999999999,
					 2500000000, 1500000000, 1000000000, 999999999, -1,
					 -999999999, -1000000000, -2500000001, 123456789012345678,
					 123456789999999999, 123456790000000000, 7 };
	struct vhu_msg_info mi = { 0 };
	struct dec_walk w;
	GString *s = g_string_new("");
	size_t i;

	dec_walk_init(&w, false, false);
	mi.frame = 1;
	mi.comm = "qemu";
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		int64_t t = times[i];
		uint64_t v = t < 0 ? -(uint64_t)t : (uint64_t)t;
		char want[64], got[64] = "";

		snprintf(want, sizeof(want), "%s%" G_GUINT64_FORMAT ".%09u", t < 0 ? "-" : "",
			 v / 1000000000u, (unsigned)(v % 1000000000u));
		g_string_truncate(s, 0);
		dec_line_message(s, dec_colors(false), t, &mi, &w, 0);
		CHECK(sscanf(s->str, "%*s %63s", got) == 1 && !strcmp(got, want));
	}
	dec_walk_free(&w);
	g_string_free(s, TRUE);
}

/* A message's columns written again from the line's table follow the
 * process: a new name in the same place (in a new generation of the
 * session's names, or compared when there is none), the same name in
 * another place, another pid, the other sender. */
static void test_line_columns(void)
{
	char comm[17] = "qemu-kvm", again[17] = "qemu-kvm";
	struct vhu_msg_info mi = { 0 };
	struct dec_walk w;
	GString *a = g_string_new(""), *b = g_string_new("");
	/* an emitter may read VHU_SUMMARY_READ bytes of a summary, as the
	 * walker's buffer holds: a bare literal is too short */
	char summary[VHU_SUMMARY_READ] = "GET_FEATURES";

	dec_walk_init(&w, false, false);
	dec_emitter.summary(&w, summary, strlen(summary));
	mi.frame = 9;
	mi.conn_id = UINT64_C(4242) << 32 | 1;
	mi.pid = 4242;
	mi.comm = comm;
	mi.channel = VHU_CHAN_MAIN;
	mi.sender = VHU_ROLE_FRONTEND;
	dec_line_message(a, dec_colors(false), 1500, &mi, &w, 1);
	CHECK(!strcmp(a->str, "      9 0.000001500 4242.1      main    "
		      "front-end\u2192back-end qemu-kvm[4242]  GET_FEATURES\n"));
	/* the same place and generation, then the same name elsewhere */
	dec_line_message(b, dec_colors(false), 1500, &mi, &w, 1);
	CHECK(!strcmp(a->str, b->str));
	mi.comm = again;
	g_string_truncate(b, 0);
	dec_line_message(b, dec_colors(false), 1500, &mi, &w, 1);
	CHECK(!strcmp(a->str, b->str));
	strcpy(again, "vhost-user-blk");
	dec_line_message(b, dec_colors(false), 1500, &mi, &w, 2);
	CHECK(g_str_has_suffix(b->str, " vhost-user-blk[4242]  GET_FEATURES\n"));
	strcpy(again, "qemu");
	dec_line_message(b, dec_colors(false), 1500, &mi, &w, 0);
	CHECK(g_str_has_suffix(b->str, " qemu[4242]  GET_FEATURES\n"));
	strcpy(again, "qemu-kvm");
	dec_line_message(b, dec_colors(false), 1500, &mi, &w, 0);
	CHECK(g_str_has_suffix(b->str, "0.000001500 4242.1      main    "
			       "front-end\u2192back-end qemu-kvm[4242]  GET_FEATURES\n"));
	mi.pid = 77;
	mi.comm = "";
	dec_line_message(b, dec_colors(false), 1500, &mi, &w, 2);
	CHECK(strstr(b->str, " ?[77]  GET_FEATURES\n"));
	mi.sender = VHU_ROLE_BACKEND;
	dec_line_message(b, dec_colors(true), 1500, &mi, &w, 2);
	CHECK(strstr(b->str, "\033[36mback-end\u2192front-end\033[0m ?[77]  GET_FEATURES\n"));
	/* a name too long for the table: the line is written piece by piece,
	 * as it is with a malformed note */
	mi.comm = "a-name-longer-than-the-table-keeps";
	g_string_truncate(a, 0);
	dec_line_message(a, dec_colors(false), 1500, &mi, &w, 2);
	CHECK(!strcmp(a->str, "      9 0.000001500 4242.1      main    "
		      "back-end\u2192front-end a-name-longer-than-the-table-keeps[77]  GET_FEATURES\n"));
	g_strlcpy(w.malformed, "payload too short", sizeof(w.malformed));
	g_string_truncate(b, 0);
	dec_line_message(b, dec_colors(false), 1500, &mi, &w, 2);
	CHECK(g_str_has_suffix(b->str, "  GET_FEATURES  [MALFORMED: payload too short]\n") &&
	      !strncmp(a->str, b->str, a->len - 1));
	mi.comm = "qemu";
	g_string_truncate(a, 0);
	dec_line_message(a, dec_colors(false), 1500, &mi, &w, 2);
	CHECK(g_str_has_suffix(a->str, " qemu[77]  GET_FEATURES  [MALFORMED: payload too short]\n"));
	dec_walk_free(&w);
	g_string_free(a, TRUE);
	g_string_free(b, TRUE);
}

int main(void)
{
	vhu_fields_init();
	test_json();
	test_conn();
	test_requests();
	test_median();
	test_device();
	test_counter();
	test_nsec();
	test_line_time();
	test_line_columns();
	test_align();
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
