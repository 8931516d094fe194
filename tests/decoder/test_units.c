/* test_units.c - unit tests of the decoder's JSON, option and stats helpers. */
#include <stdlib.h>
#include <string.h>

#include "dec.h"

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

int main(void)
{
	vhu_fields_init();
	test_json();
	test_conn();
	test_requests();
	test_median();
	test_device();
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
