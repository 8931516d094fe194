/* SPDX-License-Identifier: MIT */
/*
 * \summary: the summaries' formatter gives what vsnprintf gives: same
 * text, same return value, at every buffer size, for the conversions it
 * handles itself and for those it hands to vsnprintf; a field's line from
 * its fixed text is the one built piece by piece.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vhu_emit.h"
#include "vhu_fields.h"
#include "vhu_format.h"

static int failures;
static int checked;

static void check(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void check(const char *fmt, ...)
{
	static const size_t caps[] = { 0, 1, 2, 5, 9, 17, 64, 300 };
	char want[300], got[300];
	size_t i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		va_list a, b;
		int nw, ng;

		memset(want, 'W', sizeof(want));
		memset(got, 'W', sizeof(got));
		va_start(a, fmt);
		nw = vsnprintf(want, caps[i], fmt, a);
		va_end(a);
		va_start(b, fmt);
		ng = vhu_vsnprintf(got, caps[i], fmt, b);
		va_end(b);
		checked++;
		if (nw != ng || memcmp(want, got, sizeof(want)) != 0) {
			failures++;
			fprintf(stderr, "format \"%s\", cap %zu: vsnprintf %d \"%.*s\", ours %d \"%.*s\"\n",
				fmt, caps[i], nw, (int)(caps[i] ? caps[i] : 1), want, ng,
				(int)(caps[i] ? caps[i] : 1), got);
		}
	}
}

/* A field's line from its fixed text is the line built piece by piece,
 * at every buffer size. */
static void check_field(int id, uint64_t v)
{
	static const size_t caps[] = { 1, 2, 9, 40, 100, 200, VHU_TEXT_MAX };
	const struct vhu_field *f = vhu_field_get(id);
	char want[VHU_TEXT_MAX], got[VHU_TEXT_MAX];
	size_t i, nw, ng;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		memset(want, 'W', sizeof(want));
		memset(got, 'W', sizeof(got));
		if (f->type == VHU_FT_STRING) {
			nw = vhu_format_string(want, caps[i], f, "name\x01", 5);
			ng = vhu_format_string_id(got, caps[i], id, "name\x01", 5);
		} else {
			nw = vhu_format_uint(want, caps[i], f, v);
			ng = vhu_format_uint_id(got, caps[i], id, v);
		}
		checked++;
		if (nw != ng || strcmp(want, got) != 0 || nw != strlen(want)) {
			failures++;
			fprintf(stderr, "field %s, value %" PRIu64 ", cap %zu: \"%s\" (%zu), from the fixed text \"%s\" (%zu)\n",
				f->abbrev, v, caps[i], want, nw, got, ng);
		}
	}
}

static void check_fields(void)
{
	static const uint64_t vals[] = { 0, 1, 2, 3, 7, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000,
					 0x7fffffff, 0x80000000u, 0xffffffffu, 0x100000000ull,
					 0x8000000000000000ull, UINT64_MAX };
	int id, n;
	size_t i;

	vhu_fields_init();
	n = vhu_field_count();
	for (id = 0; id < n; id++) {
		const struct vhu_field *f = vhu_field_get(id);
		const struct vhu_val *val;

		if (f->type == VHU_FT_NONE || f->type == VHU_FT_PROTOCOL || f->type == VHU_FT_BYTES)
			continue;
		for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
			check_field(id, vals[i]);
		for (val = f->vals; val && val->name; val++)
			check_field(id, f->mask ? val->value << __builtin_ctzll(f->mask) : val->value);
	}
	if (vhu_format_uint_id(NULL, 0, -1, 0) != 0 || vhu_format_uint_id(NULL, 0, n, 0) != 0)
		failures++;
}

/* The shared decimal writers against snprintf: every digit count, at its
 * edges, exactly as long as the number and with leading zeros. */
static void check_dec_writer(void)
{
	uint64_t p;

	for (p = 1; p; p = p * 10 / 10 == p ? p * 10 : 0) {
		const uint64_t vs[] = { p - 1, p, p + 1, p * 5 - 1 > p ? p * 5 - 1 : p };
		size_t i;

		for (i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
			uint64_t v = vs[i];
			char want[32], got[32];
			unsigned n = vhu_dec_len(v), width;

			checked++;
			if ((int)n != snprintf(want, sizeof(want), "%" PRIu64, v)) {
				failures++;
				fprintf(stderr, "vhu_dec_len(%" PRIu64 ") = %u\n", v, n);
				continue;
			}
			memset(got, 'W', sizeof(got));
			got[n + 1] = 0;
			checked++;
			if (vhu_write_dec(got + 1, v) != got + 1 + n || memcmp(got + 1, want, n) ||
			    got[0] != 'W' || got[n + 1]) {
				failures++;
				fprintf(stderr, "vhu_write_dec(%" PRIu64 "): \"%s\"\n", v, got);
			}
			for (width = n; width <= 20; width++) {
				snprintf(want, sizeof(want), "%0*" PRIu64, (int)width, v);
				memset(got, 'W', sizeof(got));
				got[width + 1] = 0;
				checked++;
				if (vhu_write_dec_back(got + 1 + width, v, width) != got + 1 ||
				    memcmp(got + 1, want, width) || got[0] != 'W' || got[width + 1]) {
					failures++;
					fprintf(stderr, "vhu_write_dec_back(%" PRIu64 ", %u): \"%s\"\n",
						v, width, got);
				}
			}
		}
	}
}

/* An unsigned decimal field's line is its label and the number as
 * snprintf writes it: one digit by its own short way, more by the
 * shared writer. */
static void check_decimal_field(void)
{
	static const uint64_t big[] = { 99, 100, 12345, 0xffffffffu, 0x100000000ull, UINT64_MAX };
	int id, n = vhu_field_count();

	for (id = 0; id < n; id++) {
		const struct vhu_field *f = vhu_field_get(id);
		uint64_t v;

		if (f->type != VHU_FT_U64 || f->base != VHU_BASE_DEC || f->vals || f->mask)
			continue;
		for (v = 0; v < 120 + sizeof(big) / sizeof(big[0]); v++) {
			uint64_t x = v < 120 ? v : big[v - 120];
			char want[VHU_TEXT_MAX], got[VHU_TEXT_MAX];

			snprintf(want, sizeof(want), "%s: %" PRIu64, f->label, x);
			vhu_format_uint(got, sizeof(got), f, x);
			checked++;
			if (strcmp(want, got)) {
				failures++;
				fprintf(stderr, "field %s: \"%s\", not \"%s\"\n", f->abbrev, got, want);
			}
		}
		return;	/* one such field is enough */
	}
	failures++;
	fprintf(stderr, "no unsigned decimal field to check\n");
}

int main(void)
{
	static const uint64_t u64s[] = { 0, 1, 9, 10, 0xff, 0x229, 0xffffffffu,
					 0x100000000ull, 0x8000000000000000ull, UINT64_MAX };
	static const int64_t i64s[] = { 0, -1, 1, -10, 12345, INT64_MIN, INT64_MAX };
	uint64_t v;
	size_t i;

	check("%s", "");
	check("plain text, no conversion");
	check("%s reply", "GET_FEATURES");
	check("%s%s", " <", "MRG_RXBUF");
	check("%5s|%-5s|%.2s", "ab", "cd", "efgh");	/* . goes to vsnprintf */
	check("%-11s|%-7s|%-3s|%-2s", "3000.1", "main", "abcd", "");
	check("%-6u|%-4x|%-3d|%-2c|%-3lu", 42u, 0xabu, -7, 'z', 123456ul);
	check("100%% %c%c", 'o', 'k');
	for (i = 0; i < sizeof(u64s) / sizeof(u64s[0]); i++) {
		uint64_t v = u64s[i];

		check(" features=0x%" PRIx64 " num=%" PRIu64, v, v);
		check(" %" PRIX64 " %016" PRIx64 " %20" PRIu64, v, v, v);
		check(" idx=%u op=0x%04x %08X %3u", (unsigned)v, (unsigned)v, (unsigned)v, (unsigned)v);
		check(" %llu %llx %lu %zu", (unsigned long long)v, (unsigned long long)v,
		      (unsigned long)v, (size_t)v);
		check(" %hu %hhu", (unsigned short)v, (unsigned char)v);
		check(" %#x %+d %p", (unsigned)v, (int)v, (void *)&i);	/* vsnprintf's */
	}
	for (i = 0; i < sizeof(i64s) / sizeof(i64s[0]); i++) {
		int64_t v = i64s[i];

		check(" %" PRId64 " %" PRIi64 " %d %05d %5d %ld", v, v, (int)v, (int)v, (int)v, (long)v);
	}
	/* every digit count: the lengths come from the bit length */
	for (v = 1; v; v = v * 10 >= v ? v * 10 : 0) {
		check("%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%21" PRIu64 "|%-21" PRIu64 "|", v - 1, v, v + 1,
		      v - 1, v);
		check("%" PRId64 "|%05" PRId64 "|%8" PRId64, -(int64_t)(v - 1), -(int64_t)v, -(int64_t)v);
	}
	for (i = 0; i < 64; i++) {
		uint64_t b = (uint64_t)1 << i;

		check("%" PRIx64 "|%" PRIx64 "|%" PRIX64 "|%017" PRIx64 "|%3" PRIx64 "|%" PRIu64,
		      b - 1, b, b + 1, b, b - 1, b - 1);
	}
	check(" FAILED(%" PRIu64 ") (reply to #%" PRIu64 ", %" PRIu64 " us)",
	      (uint64_t)3, (uint64_t)42, (uint64_t)1500);
	check_fields();
	check_dec_writer();
	check_decimal_field();
	printf("test_format: %d checks, %d failures\n", checked, failures);
	return failures ? 1 : 0;
}
