/* SPDX-License-Identifier: MIT */
/*
 * spool.h - the layout of a spool file, shared by the shim (the writer)
 * and the launcher (the reader, spool_read.c).
 *
 * Each process image that loads the shim creates one spool file in the
 * spool directory, sizes it, maps it MAP_SHARED and closes the fd, all in
 * its constructor: from then on a record is a memory copy, with no system
 * call and no fd of the program borrowed.  Its fork children share the
 * mapping.  The pages live in the page cache, so what a process wrote
 * survives its SIGKILL; the launcher reads the spools while the run goes
 * on and merges them into the pcapng capture.
 *
 * A spool is a header page and then nchunks chunks of chunk_size bytes.
 * A thread claims a free chunk for itself (one compare-and-swap on the
 * chunk's owner word) and appends whole pcapng Enhanced Packet Blocks to
 * it; after each block it publishes the chunk's new committed length with
 * a release store.  Only that thread writes the chunk, so a block cut by
 * a kill is always the chunk's last bytes (beyond committed): a reader
 * never sees it, and no block after it exists.  A chunk that cannot take
 * the next block is sealed and the thread claims another.  The reader
 * takes the committed blocks, and frees a chunk once it has read it all
 * and its owner sealed it or is gone.  No free chunk: the record is
 * counted as lost and the next record the spool takes is flagged
 * VHU_RF_LOST; a writer never waits.
 *
 * All integers are native (the writer and reader run on one machine).
 */
#ifndef VHU_SPOOL_H
#define VHU_SPOOL_H

#include <stdatomic.h>
#include <stdint.h>

#define VHU_SPOOL_MAGIC "VHUSPOOL"
#define VHU_SPOOL_VERSION 1
#define VHU_SPOOL_HDR_SIZE 4096u
#define VHU_SPOOL_CHUNK_SIZE (256u * 1024u)
#define VHU_SPOOL_CHUNKS_DEFAULT 64u	/* 16 MiB of chunks */
#define VHU_SPOOL_CHUNKS_MIN 4u
#define VHU_SPOOL_CHUNKS_MAX 4096u	/* 1 GiB */
#define VHU_SPOOL_SUFFIX ".spool"

/* Chunk owner word: 0 free, VHU_SPOOL_SEALED, else the owner thread's id. */
#define VHU_SPOOL_FREE 0u
#define VHU_SPOOL_SEALED 0xffffffffu

/*
 * Data a record carries at most: a transfer is split into records of this
 * size (the first one with the passed fds).  Every block then stays far
 * below the 262,144-byte packets libpcap and Wireshark read, and several
 * fit in a chunk.
 */
#define VHU_SPOOL_PIECE (64u * 1024u)

struct vhu_spool_hdr {
	char magic[8];
	uint32_t version;
	uint32_t hdr_size;		/* VHU_SPOOL_HDR_SIZE */
	uint32_t chunk_size;
	uint32_t nchunks;
	uint32_t creator_pid;		/* the process image that created it */
	uint32_t reserved;
	_Atomic uint64_t claims;	/* chunk claims so far: order and next hint */
	_Atomic uint64_t lost;		/* records dropped: no free chunk */
	_Atomic uint32_t lost_pending;	/* flag the next record VHU_RF_LOST */
	uint32_t reserved2;
};

/* At the start of every chunk; blocks follow at VHU_SPOOL_CHUNK_HDR. */
struct vhu_spool_chunk {
	_Atomic uint32_t owner;		/* VHU_SPOOL_FREE/SEALED or a tid */
	uint32_t pid;			/* the owner's process */
	_Atomic uint64_t seq;		/* claim number (spool-wide order) */
	_Atomic uint64_t committed;	/* bytes of whole blocks after the header */
	_Atomic uint64_t consumed;	/* bytes the reader has taken */
};

#define VHU_SPOOL_CHUNK_HDR 64u
#define VHU_SPOOL_CHUNK_DATA (VHU_SPOOL_CHUNK_SIZE - VHU_SPOOL_CHUNK_HDR)

_Static_assert(sizeof(struct vhu_spool_hdr) <= VHU_SPOOL_HDR_SIZE, "spool header");
_Static_assert(sizeof(struct vhu_spool_chunk) <= VHU_SPOOL_CHUNK_HDR, "chunk header");

static inline struct vhu_spool_chunk *vhu_spool_chunk_at(void *spool, uint32_t i)
{
	return (struct vhu_spool_chunk *)((uint8_t *)spool + VHU_SPOOL_HDR_SIZE +
					  (uint64_t)i * VHU_SPOOL_CHUNK_SIZE);
}

static inline uint8_t *vhu_spool_chunk_data(struct vhu_spool_chunk *c)
{
	return (uint8_t *)c + VHU_SPOOL_CHUNK_HDR;
}

static inline uint64_t vhu_spool_file_size(uint32_t nchunks)
{
	return VHU_SPOOL_HDR_SIZE + (uint64_t)nchunks * VHU_SPOOL_CHUNK_SIZE;
}

#endif
