/* dec_input.c - the records of a capture: libpcap's, or read in blocks here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "dec.h"

/*
 * libpcap reads a pcapng file one fread per block into its own buffer,
 * which was a tenth of one-line decoding (bench/decoder/RESULTS.md).  A
 * capture as the shim writes it (a section header, one interface, then
 * enhanced packet blocks, in the machine's byte order, in a regular file)
 * is read here instead, a large block of the file at a time, and each
 * record is handed on where it lies.
 *
 * libpcap opens the file all the same, so every error of the file's
 * headers is its own; it stops after the first interface description
 * block.  Records are then taken here only while each is a block libpcap
 * would have returned just so: an enhanced packet block of interface 0,
 * a length libpcap accepts, whole in the file, its trailer matching, its
 * captured length within the block and the snapshot length.  At anything
 * else (another block type, a cut or garbled block, a read error) libpcap
 * is positioned at that block and reads on from there.  Its state is then
 * what it would have been had it read every block itself, since the
 * blocks taken here change none of it (no interface or section was
 * added), so it returns the same records and the same errors.
 */

#define BT_IDB 1
#define BT_EPB 6
#define BT_SHB 0x0A0D0D0A
#define OPT_ENDOFOPT 0
#define IF_TSRESOL 9
#define IF_TSOFFSET 14

#define BLOCK_HDR 8		/* type, total length */
#define BLOCK_TRAILER 4		/* total length again */
#define EPB_FIXED 20		/* interface, time stamp (2), captured and packet length */
#define IDB_FIXED 8		/* link type, reserved, snapshot length */

#define CHUNK (256 * 1024)
/* libpcap's largest pcapng block at first (16 MiB), which it raises but
 * never lowers: every block up to this size it reads */
#define BLOCK_MAX (16 * 1024 * 1024)
/* the section header and what comes before the first interface */
#define HEAD_MAX (1024 * 1024)

struct dec_input {
	pcap_t *p;
	bool own;		/* records read here, not by libpcap */
	int fd;
	uint32_t snapshot;
	/* interface 0: seconds = t / tsresol + tsoffset; nanoseconds = t % tsresol * scale */
	uint64_t tsresol, tsoffset, scale;
	/* tsresol is 10^9 (the shim's): the time is t + offset_ns, without
	 * the division (a div a record, among the slowest instructions) */
	bool ts_in_ns;
	uint64_t offset_ns;
	uint8_t *buf;
	size_t cap, pos, end;	/* buf[pos, end) holds the file from off */
	uint64_t off;
	bool read_failed;
	struct dec_packet pkt;
	const char *error;	/* an error of ours, else libpcap's */
};

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* have() when in->buf holds fewer than n bytes from in->pos: moves them
 * to its start and reads on. */
static bool refill(struct dec_input *in, size_t n)
{
	memmove(in->buf, in->buf + in->pos, in->end - in->pos);
	in->end -= in->pos;
	in->pos = 0;
	if (n > in->cap) {
		in->cap = n;
		in->buf = g_realloc(in->buf, in->cap);
	}
	while (in->end < n) {
		ssize_t got = pread(in->fd, in->buf + in->end, in->cap - in->end,
				    (off_t)(in->off + in->end));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			in->read_failed = true;
		if (got <= 0)
			return false;
		in->end += (size_t)got;
	}
	return true;
}

/* The file from in->off, at least n bytes of it (n <= BLOCK_MAX) in
 * in->buf from in->pos; false if the file ends first or reading fails.
 * Asked twice a record, mostly of bytes already read: the test is inline,
 * the reading a call. */
static inline bool have(struct dec_input *in, size_t n)
{
	return in->end - in->pos >= n || refill(in, n);
}

/* The time stamp options of the interface description block b of len
 * bytes, as libpcap took them (it has checked them); false for a
 * resolution converted other than by a multiplication. */
static bool interface_times(struct dec_input *in, const uint8_t *b, uint32_t len)
{
	uint32_t i = BLOCK_HDR + IDB_FIXED, end = len - BLOCK_TRAILER;
	unsigned digits = 6;	/* microseconds, when no if_tsresol */

	in->tsoffset = 0;
	while (end - i >= 4) {
		uint16_t code = get16(b + i), olen = get16(b + i + 2);
		uint32_t padded = ((uint32_t)olen + 3) / 4 * 4;

		if (code == OPT_ENDOFOPT || padded > end - i - 4)
			break;
		if (code == IF_TSRESOL && olen == 1)
			digits = b[i + 4];
		if (code == IF_TSOFFSET && olen == 8)
			memcpy(&in->tsoffset, b + i + 4, 8);
		i += 4 + padded;
	}
	if (digits > 9)		/* finer than nanoseconds, or a power of 2 */
		return false;
	for (in->tsresol = 1; digits; digits--)
		in->tsresol *= 10;
	in->scale = 1000000000u / in->tsresol;
	in->ts_in_ns = in->tsresol == 1000000000u;
	in->offset_ns = in->tsoffset * 1000000000u;
	return true;
}

/* Whether the records of the capture libpcap has opened can be read here,
 * and from where: the headers it has read end with its first interface. */
static bool own_reading_fits(struct dec_input *in)
{
	FILE *fp = pcap_file(in->p);
	uint8_t *head;
	uint32_t off = 0, len = 0;
	long start;
	bool fits = false;
	struct stat st;

	if (!fp || pcap_is_swapped(in->p) || pcap_major_version(in->p) != 1)
		return false;
	in->fd = fileno(fp);
	start = ftell(fp);
	if (in->fd < 0 || fstat(in->fd, &st) || !S_ISREG(st.st_mode) || start <= 0 ||
	    start > HEAD_MAX)
		return false;
	head = g_malloc((size_t)start);
	if (pread(in->fd, head, (size_t)start, 0) == start && get32(head) == BT_SHB) {
		/* the blocks libpcap has read, up to the one that ends where it stopped */
		while (start - off >= BLOCK_HDR + BLOCK_TRAILER) {
			len = get32(head + off + 4);
			if (len < BLOCK_HDR + BLOCK_TRAILER || len > start - off)
				break;
			off += len;
		}
		fits = off == (uint32_t)start && len >= BLOCK_HDR + IDB_FIXED + BLOCK_TRAILER &&
		       get32(head + off - len) == BT_IDB &&
		       interface_times(in, head + off - len, len);
	}
	g_free(head);
	in->off = (uint64_t)start;
	return fits;
}

struct dec_input *dec_input_open(const char *path)
{
	pcap_t *p = dec_open_capture(path);
	struct dec_input *in;

	if (!p)
		return NULL;
	in = g_new0(struct dec_input, 1);
	in->p = p;
	if (strcmp(path, "-") && own_reading_fits(in)) {
		in->own = true;
		in->snapshot = (uint32_t)pcap_snapshot(p);
		in->cap = CHUNK;
		in->buf = g_malloc(in->cap);
	}
	return in;
}

/* The time in nanoseconds of a block's time stamp t, as libpcap's
 * seconds and nanoseconds for nanosecond precision make it (seconds *
 * 10^9 + nanoseconds, modulo 2^64): for nanosecond time stamps that is t
 * and the offset. */
static inline uint64_t block_ts_ns(const struct dec_input *in, uint64_t t)
{
	if (in->ts_in_ns)
		return t + in->offset_ns;
	return (t / in->tsresol + in->tsoffset) * 1000000000u + t % in->tsresol * in->scale;
}

/* The record of the block at in->pos, whole in in->buf, of len bytes: 1,
 * or 0 to leave the block to libpcap. */
static inline int take_block(struct dec_input *in, uint32_t len, const struct dec_packet **pkt)
{
	const uint8_t *b = in->buf + in->pos;
	uint32_t caplen;
	uint64_t t;

	if (get32(b) != BT_EPB || len < BLOCK_HDR + EPB_FIXED + BLOCK_TRAILER || len % 4 ||
	    len > BLOCK_MAX)
		return 0;
	caplen = get32(b + 20);
	if (get32(b + len - BLOCK_TRAILER) != len || get32(b + 8) != 0 ||
	    caplen > in->snapshot || caplen > len - (BLOCK_HDR + EPB_FIXED + BLOCK_TRAILER))
		return 0;
	t = (uint64_t)get32(b + 12) << 32 | get32(b + 16);
	in->pkt.ts_ns = block_ts_ns(in, t);
	in->pkt.caplen = caplen;
	in->pkt.len = get32(b + 24);
	in->pkt.data = b + BLOCK_HDR + EPB_FIXED;
	*pkt = &in->pkt;
	in->pos += len;
	in->off += len;
	return 1;
}

/* The next record read here: 1, -2 at the end of the file, 0 to leave
 * the block at in->off to libpcap.  A block of a kind libpcap is left is
 * not read further. */
static int own_next(struct dec_input *in, const struct dec_packet **pkt)
{
	const uint8_t *b;
	uint32_t len;

	if (!have(in, BLOCK_HDR))
		return in->pos == in->end && !in->read_failed ? -2 : 0;
	b = in->buf + in->pos;
	len = get32(b + 4);
	if (get32(b) != BT_EPB || len < BLOCK_HDR + EPB_FIXED + BLOCK_TRAILER || len % 4 ||
	    len > BLOCK_MAX || !have(in, len))
		return 0;
	return take_block(in, len, pkt);
}

/* Anything but a block whole in the buffer: read on, or hand over to
 * libpcap at the block at in->off when the reading here stops.  Out of
 * line: the blocks taken from the buffer do not pay for the registers
 * and stack of its calls. */
static __attribute__((noinline)) int next_slow(struct dec_input *in,
					       const struct dec_packet **pkt)
{
	struct pcap_pkthdr *ph;
	const u_char *data;
	int rc;

	if (in->own) {
		rc = own_next(in, pkt);

		if (rc)
			return rc;
		in->own = false;
		if (fseeko(pcap_file(in->p), (off_t)in->off, SEEK_SET)) {
			in->error = "cannot seek in the capture";
			return PCAP_ERROR;
		}
	}
	rc = pcap_next_ex(in->p, &ph, &data);
	if (rc == 1) {
		in->pkt.ts_ns = (uint64_t)ph->ts.tv_sec * 1000000000u + (uint64_t)ph->ts.tv_usec;
		in->pkt.caplen = ph->caplen;
		in->pkt.len = ph->len;
		in->pkt.data = data;
		*pkt = &in->pkt;
	}
	return rc;
}

int dec_input_next(struct dec_input *in, const struct dec_packet **pkt)
{
	if (in->own && in->end - in->pos >= BLOCK_HDR &&
	    get32(in->buf + in->pos + 4) <= in->end - in->pos &&
	    take_block(in, get32(in->buf + in->pos + 4), pkt))
		return 1;
	return next_slow(in, pkt);
}

const char *dec_input_error(struct dec_input *in)
{
	return in->error ? in->error : pcap_geterr(in->p);
}

void dec_input_close(struct dec_input *in)
{
	pcap_close(in->p);
	g_free(in->buf);
	g_free(in);
}
