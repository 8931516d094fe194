/* SPDX-License-Identifier: MIT */
/*
 * capcheck.c - validates a capture file with the core reader and prints
 * one line per record, for the shim tests to check.
 *
 *   capcheck [-q] [--torn-ok N] FILE|-
 *
 * Every block must be a well-formed pcapng block and every EPB must hold
 * exported-PDU tags naming the record dissector and a record that
 * vhu_rec_parse() accepts.  --torn-ok N accepts up to N torn records: a
 * writer killed in the middle of its writev() leaves a partial record,
 * at the end of the file or (if another process appended after it) in the
 * middle, where the checker finds the next whole EPB again.  Nothing else
 * may be wrong.  Exit 0 if valid.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vhu_fields.h"
#include "vhu_le.h"
#include "vhu_pcapng.h"
#include "vhu_record.h"

static bool quiet;
static unsigned torn_ok;

static int fail(const char *what, long off)
{
	fprintf(stderr, "capcheck: %s at offset %ld\n", what, off);
	return 1;
}

static uint8_t *slurp(const char *name, size_t *len)
{
	FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf;

	if (!f) {
		perror(name);
		return NULL;
	}
	buf = malloc(cap);
	for (;;) {
		size_t r;

		if (n == cap)
			buf = realloc(buf, cap *= 2);
		r = fread(buf + n, 1, cap - n, f);
		if (!r)
			break;
		n += r;
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

/* Event name without spaces, for greps. */
static void print_word(const char *key, const char *s)
{
	printf(" %s=", key);
	for (; *s; s++)
		putchar(*s == ' ' ? '_' : *s);
}

static void print_bytes(const char *key, const uint8_t *p, size_t n)
{
	size_t i;

	printf(" %s=", key);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static void print_text(const char *key, const char *p, size_t n, char nul_as)
{
	size_t i;

	printf(" %s=", key);
	for (i = 0; i < n; i++)
		putchar(p[i] == 0 ? nul_as : (p[i] == ' ' ? '_' : p[i]));
}

static void print_record(unsigned idx, const struct vhu_record *r, uint32_t epb_flags)
{
	const struct vhu_rec_hdr *h = &r->h;
	unsigned i;

	printf("%u", idx);
	print_word("ev", vhu_event_name(h->event));
	print_word("call", vhu_call_name(h->call));
	printf(" pid=%u tid=%u conn=%llx fd=%d", h->pid, h->tid,
	       (unsigned long long)h->conn_id, h->fd);
	print_word("chan", vhu_channel_name(h->channel));
	print_word("role", vhu_role_name(h->role));
	printf(" flags=%x nfds=%u orig=%u dir=%s", h->flags, h->nfds, h->orig_len,
	       epb_flags == VHU_EPB_INBOUND ? "in" : epb_flags == VHU_EPB_OUTBOUND ? "out" : "-");
	if (r->has_seq)
		printf(" seq=%u", r->seq);
	if (r->data) {
		printf(" datalen=%u", r->data_len);
		print_bytes("data", r->data, r->data_len > 64 ? 64 : r->data_len);
	}
	if (r->nfd_items) {
		printf(" fds=");
		for (i = 0; i < r->nfd_items; i++) {
			const struct vhu_rec_fd *f = &r->fds[i];

			printf("%s%d:%s:%.*s", i ? "," : "", f->fd, vhu_fd_kind_name(f->kind),
			       (int)f->name_len, f->name);
		}
	}
	if (r->path)
		print_text("path", r->path, r->path_len, '@');
	if (r->has_peercred)
		printf(" peer=%u/%u/%u", r->peer_pid, r->peer_uid, r->peer_gid);
	if (r->has_proc)
		printf(" ppid=%u comm=%s", r->ppid, r->comm);
	if (r->cmdline)
		print_text("cmdline", (const char *)r->cmdline,
			   r->cmdline_len && !r->cmdline[r->cmdline_len - 1] ?
			   r->cmdline_len - 1 : r->cmdline_len, '_');
	if (r->has_link)
		printf(" link=%llx", (unsigned long long)r->link_conn);
	putchar('\n');
}

/* epb_flags option of an EPB, 0 if absent. */
static uint32_t epb_flags_of(const uint8_t *opt, size_t len)
{
	while (len >= 4) {
		uint16_t code = vhu_get_le16(opt), olen = vhu_get_le16(opt + 2);
		size_t padded = (olen + 3u) & ~3u;

		if (code == 0 || 4 + padded > len)
			break;
		if (code == 2 && olen == 4)
			return vhu_get_le32(opt + 4);
		opt += 4 + padded;
		len -= 4 + padded;
	}
	return 0;
}

/* The biggest packet libpcap (MAXIMUM_SNAPLEN) and Wireshark read. */
#define PCAP_MAX_PACKET 262144u

static int check_epb(const uint8_t *b, uint32_t blen, long off, unsigned idx)
{
	static struct vhu_record r;
	uint32_t caplen, flags;
	enum vhu_rec_status st;
	int ours;
	long rec;

	if (blen < 32)
		return fail("EPB too short", off);
	caplen = vhu_get_le32(b + 20);
	if (28 + (size_t)caplen + 4 > blen)
		return fail("EPB captured length past its block", off);
	if (caplen > PCAP_MAX_PACKET)
		return fail("packet bigger than libpcap and Wireshark read", off);
	rec = vhu_exp_pdu_skip(b + 28, caplen, &ours);
	if (rec < 0 || !ours)
		return fail("EPB without the record dissector tag", off);
	st = vhu_rec_parse(b + 28 + rec, caplen - (size_t)rec, &r);
	if (st != VHU_REC_OK)
		return fail(vhu_rec_status_str(st), off);
	flags = epb_flags_of(b + 28 + ((caplen + 3u) & ~3u),
			     blen - 4 - 28 - ((caplen + 3u) & ~3u));
	if ((r.h.event == VHU_EV_DATA_SENT && flags != VHU_EPB_OUTBOUND) ||
	    (r.h.event == VHU_EV_DATA_RECV && flags != VHU_EPB_INBOUND))
		return fail("EPB direction flag does not match the record", off);
	if (r.data && r.data_len != r.h.orig_len && !(r.h.flags & VHU_RF_CUT))
		return fail("data length differs from orig_len without the CUT flag", off);
	if (!quiet)
		print_record(idx, &r, flags);
	return 0;
}

/*
 * Checks the block at off; returns its length, 0 if the file ends inside
 * it, -1 if it is malformed.  Messages only in strict mode.
 */
static int check_block(const uint8_t *buf, size_t len, size_t off, unsigned *nshb,
		       unsigned *nidb, unsigned *nrec)
{
	uint32_t type, blen;

	if (len - off < 12 || (blen = vhu_get_le32(buf + off + 4)) > len - off)
		return 0;
	type = vhu_get_le32(buf + off);
	if (blen < 12 || blen % 4 || vhu_get_le32(buf + off + blen - 4) != blen)
		return torn_ok ? -1 : -fail("bad block length", (long)off);
	if (type == VHU_PCAPNG_SHB_TYPE) {
		if (vhu_get_le32(buf + off + 8) != VHU_PCAPNG_BOM)
			return -fail("SHB not little-endian", (long)off);
		(*nshb)++;
	} else if (type == VHU_PCAPNG_IDB_TYPE) {
		if (vhu_get_le16(buf + off + 8) != VHU_LINKTYPE_UPPER_PDU)
			return -fail("IDB link type is not 252", (long)off);
		(*nidb)++;
	} else if (type == VHU_PCAPNG_EPB_TYPE) {
		if (!*nidb)
			return -fail("EPB before any IDB", (long)off);
		if (check_epb(buf + off, blen, (long)off, *nrec))
			return -1;
		(*nrec)++;
	} else {
		return torn_ok ? -1 : -fail("unexpected block type", (long)off);
	}
	return (int)blen;
}

/* After a torn record: the next offset holding a whole, valid EPB (its
 * length at both ends and a record that parses), or len. */
static size_t next_epb(const uint8_t *buf, size_t len, size_t off)
{
	static struct vhu_record r;

	for (; off + 32 <= len; off++) {
		uint32_t blen = vhu_get_le32(buf + off + 4), caplen;
		long rec;

		if (vhu_get_le32(buf + off) != VHU_PCAPNG_EPB_TYPE || blen < 32 || blen % 4 ||
		    blen > len - off || vhu_get_le32(buf + off + blen - 4) != blen)
			continue;
		caplen = vhu_get_le32(buf + off + 20);
		if (28 + (size_t)caplen + 4 > blen)
			continue;
		rec = vhu_exp_pdu_skip(buf + off + 28, caplen, NULL);
		if (rec >= 0 && vhu_rec_parse(buf + off + 28 + rec, caplen - (size_t)rec, &r) == VHU_REC_OK)
			return off;
	}
	return len;
}

int main(int argc, char **argv)
{
	unsigned nshb = 0, nidb = 0, nrec = 0, ntorn = 0;
	const char *name = NULL;
	size_t len, off = 0;
	uint8_t *buf;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0)
			quiet = true;
		else if (strcmp(argv[i], "--torn-ok") == 0 && i + 1 < argc)
			torn_ok = (unsigned)atoi(argv[++i]);
		else
			name = argv[i];
	}
	if (!name) {
		fprintf(stderr, "usage: capcheck [-q] [--torn-ok N] FILE|-\n");
		return 2;
	}
	buf = slurp(name, &len);
	if (!buf)
		return 1;
	while (off < len) {
		int st = check_block(buf, len, off, &nshb, &nidb, &nrec);

		if (st > 0) {
			off += (size_t)st;
			continue;
		}
		if (!torn_ok || !nidb || ntorn >= torn_ok)
			return fail(st == 0 ? "incomplete block" : "bad block", (long)off);
		ntorn++;
		off = next_epb(buf, len, off + 1);
	}
	printf("torn=%u\n", ntorn);
	if (nshb != 1 || nidb != 1) {
		fprintf(stderr, "capcheck: %u section headers, %u interfaces (want 1 and 1)\n",
			nshb, nidb);
		return 1;
	}
	printf("records=%u\n", nrec);
	free(buf);
	return 0;
}
