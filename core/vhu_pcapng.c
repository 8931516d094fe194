/* SPDX-License-Identifier: MIT */
/* \summary: pcapng SHB/IDB/EPB writers for capture files */
#include "vhu_pcapng.h"
#include "vhu_le.h"
#include "vhu_record.h"

#include <string.h>

static size_t pad4(size_t n)
{
	return (n + 3u) & ~(size_t)3u;
}

/* Appends one option (code, value) padded to 4 bytes. */
static size_t put_opt(uint8_t *p, uint16_t code, const void *val, uint16_t len)
{
	vhu_put_le16(p, code);
	vhu_put_le16(p + 2, len);
	memcpy(p + 4, val, len);
	memset(p + 4 + len, 0, pad4(len) - len);
	return 4 + pad4(len);
}

size_t vhu_pcapng_file_header(uint8_t *out, size_t cap, const char *userappl)
{
	size_t n, start, applen;
	uint8_t tsresol = 9;

	if (cap < VHU_PCAPNG_HEADER_MAX)
		return 0;
	applen = userappl ? strlen(userappl) : 0;
	if (applen > 96)
		applen = 96;

	/* Section Header Block */
	start = 0;
	vhu_put_le32(out, VHU_PCAPNG_SHB_TYPE);
	vhu_put_le32(out + 8, VHU_PCAPNG_BOM);
	vhu_put_le16(out + 12, 1); /* major */
	vhu_put_le16(out + 14, 0); /* minor */
	vhu_put_le64(out + 16, UINT64_MAX); /* section length unknown */
	n = 24;
	if (applen)
		n += put_opt(out + n, 4 /* shb_userappl */, userappl, (uint16_t)applen);
	vhu_put_le32(out + n, 0); /* opt_endofopt */
	n += 4;
	vhu_put_le32(out + start + 4, (uint32_t)(n + 4 - start));
	vhu_put_le32(out + n, (uint32_t)(n + 4 - start));
	n += 4;

	/* Interface Description Block */
	start = n;
	vhu_put_le32(out + n, VHU_PCAPNG_IDB_TYPE);
	vhu_put_le16(out + n + 8, VHU_LINKTYPE_UPPER_PDU);
	vhu_put_le16(out + n + 10, 0);
	vhu_put_le32(out + n + 12, 0); /* snaplen: no limit */
	n += 16;
	n += put_opt(out + n, 2 /* if_name */, "vhost-user", 10);
	n += put_opt(out + n, 9 /* if_tsresol */, &tsresol, 1);
	vhu_put_le32(out + n, 0);
	n += 4;
	vhu_put_le32(out + start + 4, (uint32_t)(n + 4 - start));
	vhu_put_le32(out + n, (uint32_t)(n + 4 - start));
	n += 4;
	return n;
}

uint32_t vhu_pcapng_epb_total(uint32_t caplen)
{
	/* head + data + padding + epb_flags option (8) + end of options (4)
	 * + trailing length (4) */
	return (uint32_t)(VHU_PCAPNG_EPB_HEAD + pad4(caplen) + 8 + 4 + 4);
}

size_t vhu_pcapng_epb_head(uint8_t *out, uint64_t ts_ns, uint32_t caplen,
			   uint32_t origlen)
{
	vhu_put_le32(out, VHU_PCAPNG_EPB_TYPE);
	vhu_put_le32(out + 4, vhu_pcapng_epb_total(caplen));
	vhu_put_le32(out + 8, 0); /* interface 0 */
	vhu_put_le32(out + 12, (uint32_t)(ts_ns >> 32));
	vhu_put_le32(out + 16, (uint32_t)ts_ns);
	vhu_put_le32(out + 20, caplen);
	vhu_put_le32(out + 24, origlen);
	return VHU_PCAPNG_EPB_HEAD;
}

size_t vhu_pcapng_epb_tail(uint8_t *out, uint32_t caplen, uint32_t epb_flags)
{
	size_t n = pad4(caplen) - caplen;
	uint8_t flags[4];

	memset(out, 0, n);
	vhu_put_le32(flags, epb_flags);
	n += put_opt(out + n, 2 /* epb_flags */, flags, 4);
	vhu_put_le32(out + n, 0);
	n += 4;
	vhu_put_le32(out + n, vhu_pcapng_epb_total(caplen));
	return n + 4;
}
