/* SPDX-License-Identifier: MIT */
/* capgen.h - vhost-user messages, capture records and pcapng files for the test and benchmark generators */
#ifndef CAPGEN_H
#define CAPGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vhu_record.h"

/*
 * The generators of test and benchmark captures (tests/decoder/vhu_gen.c,
 * tests/plugin/gencap.c, bench/decoder/gen-mix.c) and the core tests'
 * record feeder (tests/core/feed.c) make the bytes the shim makes, with
 * the core's own writers (vhu_rec_*, vhu_exp_pdu_write, vhu_pcapng_*).
 * This is the glue they share.
 *
 * A generator that cannot do what it was asked (a write fails, a message
 * or record does not fit its buffer) has nothing useful left to do: these
 * functions then print why and end the program with status 2.
 */

/* Every generated capture starts at 2023-11-14 22:13:20 UTC. */
#define CAPGEN_FIRST_TS UINT64_C(1700000000000000000)

/* ---- vhost-user messages ------------------------------------------------ */

#define CAPGEN_MSG_MAX 4096
#define CAPGEN_MSG_FDS 8	/* a SET_MEM_TABLE's regions */

/* A message as one sendmsg() moves it: the bytes and the fds riding along. */
struct capgen_msg {
	uint8_t b[CAPGEN_MSG_MAX];
	uint32_t len;
	struct vhu_rec_fd fds[CAPGEN_MSG_FDS];
	unsigned nfds;
};

/* The header, with size 0 and no fds; each append below fixes the size
 * field up to the payload length. */
void capgen_msg_start(struct capgen_msg *m, uint32_t request, uint32_t flags);
void capgen_msg_bytes(struct capgen_msg *m, const void *p, uint32_t len);
void capgen_msg_u32(struct capgen_msg *m, uint32_t v);
void capgen_msg_u64(struct capgen_msg *m, uint64_t v);
/* Overwrites the size field, for messages that lie about their payload. */
void capgen_msg_set_size(struct capgen_msg *m, uint32_t size);
/* Adds an fd (see capgen_fd_init) and returns it: the caller fills in the
 * mode, dev, ino and size it wants. */
struct vhu_rec_fd *capgen_msg_fd(struct capgen_msg *m, int32_t num, uint8_t kind,
				 const char *name);
/* The bytes of a, then those of b, as one call moves two messages;
 * returns their length. */
uint32_t capgen_msg_join(uint8_t *out, size_t cap, const struct capgen_msg *a,
			 const struct capgen_msg *b);

/* ---- fds ---------------------------------------------------------------- */

/* fd number num of kind, named name (as /proc/self/fd shows it); every
 * other field zero. */
void capgen_fd_init(struct vhu_rec_fd *fd, int32_t num, uint8_t kind, const char *name);
/* A name that looks like what the kernel shows for an fd of that kind. */
const char *capgen_fd_name(uint8_t kind);

/* How capgen_fds_of_kind() numbers and describes its fds. */
struct capgen_fd_style {
	int32_t first_fd;	/* fd numbers first_fd, first_fd + 1, ... */
	uint64_t first_ino;	/* inodes likewise */
	uint32_t mode;
	const char *name;	/* NULL: capgen_fd_name(kind) */
};

/* fds[0..n): n fds of one kind, as style says. */
void capgen_fds_of_kind(struct vhu_rec_fd *fds, unsigned n, uint8_t kind,
			const struct capgen_fd_style *style);

/* ---- records ------------------------------------------------------------ */

/* Where a record is taken: the recording process (one thread: the tid is
 * the pid) and its end of a connection. */
struct capgen_side {
	uint32_t pid;
	uint64_t conn;
	int32_t fd;
	uint8_t channel;
	uint8_t role;
};

/* A record header for side s; every other field zero. */
void capgen_hdr(struct vhu_rec_hdr *h, const struct capgen_side *s, uint8_t event,
		uint16_t call);
/* The header of a data record (VHU_EV_DATA_SENT or VHU_EV_DATA_RECV) of len
 * bytes carrying nfds fds: the call is sendmsg or recvmsg, orig_len is len. */
void capgen_data_hdr(struct vhu_rec_hdr *h, const struct capgen_side *s, uint8_t event,
		     uint32_t len, unsigned nfds);
/* Builds into buf the record with header h, the h->nfds fds of fds and a
 * data item of len bytes; returns the record's length. */
size_t capgen_data_record(uint8_t *buf, size_t cap, const struct vhu_rec_hdr *h,
			  const struct vhu_rec_fd *fds, const void *data, uint32_t len);
/* vhu_rec_end() of a record that must have fit. */
size_t capgen_rec_end(struct vhu_rec_builder *b);

/* Items of event records: process start (parent pid and comm, which is
 * cut to 15 characters like the kernel's), peer credentials, link. */
void capgen_add_proc(struct vhu_rec_builder *b, uint32_t ppid, const char *comm);
void capgen_add_peercred(struct vhu_rec_builder *b, uint32_t pid, uint32_t uid, uint32_t gid);
void capgen_add_link(struct vhu_rec_builder *b, uint64_t conn);

/* ---- pcapng files ------------------------------------------------------- */

/* A capture file being written; each packet is stamped ts_ns, which then
 * advances by step_ns (the caller may move ts_ns between packets). */
struct capgen_out {
	FILE *f;
	const char *path;
	uint64_t ts_ns;
	uint64_t step_ns;
};

/* Creates path and writes the file header (SHB naming userappl, IDB). */
void capgen_open(struct capgen_out *o, const char *path, const char *userappl,
		 uint64_t first_ts_ns, uint64_t step_ns);
void capgen_close(struct capgen_out *o);
/* The epb_flags direction of a record: p2p_dir 0 sent (outbound), 1
 * received (inbound), -1 none. */
uint32_t capgen_dir_flags(int p2p_dir);
/* One packet: the exported-PDU prefix for p2p_dir, then the record. */
void capgen_packet(struct capgen_out *o, const uint8_t *rec, size_t len, int p2p_dir,
		   uint32_t epb_flags);
/* One packet of any bytes, without the exported-PDU prefix. */
void capgen_epb(struct capgen_out *o, const void *p, uint32_t len, uint32_t epb_flags);

#endif
