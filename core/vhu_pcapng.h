/* SPDX-License-Identifier: MIT */
/*
 * vhu_pcapng.h - the few pcapng blocks a capture file is made of.
 *
 * A capture is: Section Header Block, one Interface Description Block
 * (link type 252, nanosecond timestamps), then one Enhanced Packet Block
 * per record.  Everything is written little-endian.  Nothing here
 * allocates: the shim calls these with stack buffers.
 *
 * An EPB is written as  head | packet bytes | tail  so that the shim can
 * hand the packet bytes to writev() straight from the traced call's
 * buffers; vhu_pcapng_epb_total() gives the length both ends carry.
 */
#ifndef VHU_PCAPNG_H
#define VHU_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VHU_PCAPNG_SHB_TYPE 0x0A0D0D0Au
#define VHU_PCAPNG_IDB_TYPE 0x00000001u
#define VHU_PCAPNG_EPB_TYPE 0x00000006u
#define VHU_PCAPNG_BOM 0x1A2B3C4Du

/* epb_flags direction bits */
#define VHU_EPB_INBOUND 1u
#define VHU_EPB_OUTBOUND 2u

#define VHU_PCAPNG_HEADER_MAX 256
#define VHU_PCAPNG_EPB_HEAD 28
#define VHU_PCAPNG_EPB_TAIL_MAX 20

/* SHB + IDB; returns bytes written to out (cap >= VHU_PCAPNG_HEADER_MAX). */
size_t vhu_pcapng_file_header(uint8_t *out, size_t cap, const char *userappl);

uint32_t vhu_pcapng_epb_total(uint32_t caplen);
/* 28-byte EPB head for a packet of caplen bytes at ts_ns (ns since epoch). */
size_t vhu_pcapng_epb_head(uint8_t *out, uint64_t ts_ns, uint32_t caplen,
			   uint32_t origlen);
/* Padding, the epb_flags option (direction), end of options and the
 * trailing length; returns bytes written (<= VHU_PCAPNG_EPB_TAIL_MAX). */
size_t vhu_pcapng_epb_tail(uint8_t *out, uint32_t caplen, uint32_t epb_flags);

#ifdef __cplusplus
}
#endif
#endif
