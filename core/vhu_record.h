/* SPDX-License-Identifier: MIT */
/*
 * vhu_record.h - the capture record: what the shim writes for every event
 * and what the decoder and the plugin read back.
 *
 * The layout is documented in docs/capture-format.md; this header is its
 * only implementation.  All integers are little-endian on the wire,
 * whatever the host.
 *
 *   record  := fixed header (hdr_len bytes) , item*
 *   item    := u16 type , u16 reserved , u32 length , value[length]
 *
 * Readers skip items of unknown type, bytes past the fields they know in
 * the fixed header (hdr_len tells where items start) and records of unknown
 * event kinds, so the format can grow without breaking old readers.
 */
#ifndef VHU_RECORD_H
#define VHU_RECORD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VHU_REC_MAGIC0 'V'
#define VHU_REC_MAGIC1 'U'
#define VHU_REC_VERSION 1

/* Size of the fixed header of version 1. */
#define VHU_REC_HDR_LEN 40

/* Name under which the plugin registers the record dissector; the shim
 * puts it in the exported-PDU dissector-name tag of every packet. */
#define VHU_REC_DISSECTOR_NAME "vhost_user_rec"

/* pcapng/pcap link type of capture files (LINKTYPE_WIRESHARK_UPPER_PDU). */
#define VHU_LINKTYPE_UPPER_PDU 252

/* Exported-PDU tag numbers used by the capture files. */
#define VHU_EXP_PDU_TAG_END 0
#define VHU_EXP_PDU_TAG_DISSECTOR_NAME 12
#define VHU_EXP_PDU_TAG_P2P_DIRECTION 35

/* Longest record the writer builds and the reader accepts: data moved by
 * one call is cut to this (the record is then flagged VHU_RF_CUT with the
 * real length in orig_len). */
#define VHU_REC_MAX_DATA (256u * 1024u)
#define VHU_REC_MAX_FDS 253u /* SCM_MAX_FD */
#define VHU_REC_MAX_NAME 256u
#define VHU_REC_MAX_CMDLINE 4096u

enum vhu_event {
	VHU_EV_DATA_SENT = 1,
	VHU_EV_DATA_RECV = 2,
	VHU_EV_CONNECT = 3,
	VHU_EV_ACCEPT = 4,
	VHU_EV_ADOPT = 5,	/* socket arrived by SCM_RIGHTS, socketpair, or found on first bytes */
	VHU_EV_CLOSE = 6,
	VHU_EV_PROCESS_START = 7,
	VHU_EV_MAX_KNOWN = 7
};

/* The libc call that produced the event. */
enum vhu_call {
	VHU_CALL_NONE = 0,
	VHU_CALL_SENDMSG, VHU_CALL_RECVMSG, VHU_CALL_SENDMMSG, VHU_CALL_RECVMMSG,
	VHU_CALL_SEND, VHU_CALL_RECV, VHU_CALL_SENDTO, VHU_CALL_RECVFROM,
	VHU_CALL_WRITE, VHU_CALL_READ, VHU_CALL_WRITEV, VHU_CALL_READV,
	VHU_CALL_CONNECT, VHU_CALL_ACCEPT, VHU_CALL_ACCEPT4, VHU_CALL_SOCKETPAIR,
	VHU_CALL_CLOSE, VHU_CALL_DUP, VHU_CALL_FCNTL, VHU_CALL_EXEC, VHU_CALL_FORK,
	VHU_CALL_START,
	VHU_CALL_MAX_KNOWN = VHU_CALL_START
};

/* Record flags (u16). */
#define VHU_RF_PEEK 0x0001	/* MSG_PEEK: the bytes stay in the socket */
#define VHU_RF_TRUNC 0x0002	/* MSG_TRUNC reported by the kernel */
#define VHU_RF_CTRUNC 0x0004	/* MSG_CTRUNC: fds were dropped by the kernel */
#define VHU_RF_SHORT 0x0008	/* the call moved fewer bytes than asked */
#define VHU_RF_CUT 0x0010	/* the record holds only the first bytes */
#define VHU_RF_LOST 0x0020	/* records were lost before this one */
/* The capture began while the connection was in use (attach mode): the
 * first bytes of this direction may be the middle of a message. */
#define VHU_RF_MIDSTREAM 0x0040

enum vhu_channel {
	VHU_CHAN_UNKNOWN = 0,
	VHU_CHAN_MAIN = 1,	/* front-end requests, back-end replies */
	VHU_CHAN_BACKEND = 2,	/* back-end requests, front-end replies */
	VHU_CHAN_GPU = 3	/* vhost-user-gpu protocol */
};

enum vhu_role {
	VHU_ROLE_UNKNOWN = 0,
	VHU_ROLE_FRONTEND = 1,
	VHU_ROLE_BACKEND = 2
};

enum vhu_fd_kind {
	VHU_FDK_OTHER = 0,
	VHU_FDK_MEMFD = 1,
	VHU_FDK_EVENTFD = 2,
	VHU_FDK_SOCKET = 3,
	VHU_FDK_REGULAR = 4,
	VHU_FDK_PIPE = 5,
	VHU_FDK_UNKNOWN = 6,	/* not looked at: the recording process was sandboxed */
	VHU_FDK_MAX_KNOWN = 6
};

enum vhu_item_type {
	VHU_IT_FD = 1,		/* one passed fd */
	VHU_IT_PATH = 2,	/* socket path (connect/accept) */
	VHU_IT_PEERCRED = 3,	/* u32 pid, u32 uid, u32 gid */
	VHU_IT_CMDLINE = 4,	/* NUL-separated argv */
	VHU_IT_DATA = 5,	/* the bytes, exactly as transferred */
	VHU_IT_PROC = 6,	/* u32 ppid, char comm[16] */
	VHU_IT_LINK = 7,	/* u64 conn id of the connection an adopted socket came over */
	VHU_IT_ORIGIN = 8,	/* u8 how the capture was made (enum vhu_origin), 3 bytes 0 */
	VHU_IT_SEQ = 9,		/* u32 number of a data record on its fd (see below) */
	VHU_IT_MAX_KNOWN = 9
};

/* How a process was recorded; a process start without an ORIGIN item was
 * recorded by the preloaded shim. */
enum vhu_origin {
	VHU_ORIGIN_PRELOAD = 1,	/* LD_PRELOAD shim, from the program's start */
	VHU_ORIGIN_ATTACH = 2	/* eBPF, attached to the running program */
};

#define VHU_REC_ITEM_HDR 8
#define VHU_REC_SEQ_LEN 4

/*
 * The SEQ item of a data record numbers the data records of one fd of one
 * process (pid, conn_id, fd): 1 for the first after the connection was
 * opened or adopted there, one more for each record after it, wrapping
 * at 2^32.  The number is taken right after the traced call returned, so
 * it is the order in which the calls on that fd came back from the
 * kernel: for one thread its call order, and the order of its bytes on
 * the wire; for threads racing on one socket, the order of their returns,
 * which the kernel does not promise is the order it queued their bytes.
 * A reader that sees a number other than the next one knows that records
 * are missing before it, or that it was written after a later one.
 */
#define VHU_REC_FD_FIXED 40 /* fixed part of a VHU_IT_FD item, name follows */
#define VHU_REC_PROC_LEN 20

/*
 * The fixed header, decoded.  Offsets (little-endian):
 *   0  u8  magic 'V'        1  u8  magic 'U'
 *   2  u8  version          3  u8  event
 *   4  u16 hdr_len          6  u16 call
 *   8  u32 pid             12  u32 tid
 *  16  u64 conn_id         24  i32 fd
 *  28  u16 flags           30  u8  channel
 *  31  u8  role            32  u8  byte_order (0 little, 1 big)
 *  33  u8  nfds            34  u16 reserved
 *  36  u32 orig_len (bytes the call really moved)
 * From pid on, the struct below is laid out as the record is (the reader
 * copies those bytes at once on a little-endian machine).
 */
struct vhu_rec_hdr {
	uint8_t version;
	uint8_t event;
	uint16_t hdr_len;
	uint16_t call;
	uint32_t pid;
	uint32_t tid;
	uint64_t conn_id;
	int32_t fd;
	uint16_t flags;
	uint8_t channel;
	uint8_t role;
	uint8_t byte_order;
	uint8_t nfds;
	uint16_t reserved;	/* as read (written 0) */
	uint32_t orig_len;
};

struct vhu_rec_fd {
	int32_t fd;		/* number in the recording process */
	uint8_t kind;		/* enum vhu_fd_kind */
	uint8_t flags;		/* reserved */
	uint16_t name_len;
	uint32_t mode;		/* st_mode */
	uint64_t dev;		/* st_dev */
	uint64_t ino;		/* st_ino */
	uint64_t size;		/* st_size */
	const char *name;	/* as /proc/self/fd shows it; not NUL-terminated */
};

/* Builder, for the shim: fills a caller buffer, never allocates. */
struct vhu_rec_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int overflow;		/* an item did not fit: the record is incomplete */
};

void vhu_rec_begin(struct vhu_rec_builder *b, uint8_t *buf, size_t cap,
		   const struct vhu_rec_hdr *h);
void vhu_rec_add_fd(struct vhu_rec_builder *b, const struct vhu_rec_fd *fd);
void vhu_rec_add_item(struct vhu_rec_builder *b, uint16_t type,
		      const void *val, uint32_t len);
/* Starts a data item of len bytes and returns where to copy them (NULL if
 * they do not fit). */
uint8_t *vhu_rec_add_data(struct vhu_rec_builder *b, uint32_t len);
/* Adds only the header of a data item of len bytes: the caller writes the
 * len bytes right after the record (the shim copies them next to it, or
 * hands them to writev() from the traced call's own buffers).  The data
 * item is then the last item. */
void vhu_rec_add_data_ref(struct vhu_rec_builder *b, uint32_t len);
/* Finishes the record; returns its length in buf (without data passed by
 * reference), 0 on overflow. */
size_t vhu_rec_end(struct vhu_rec_builder *b);

/* Reader. */
enum vhu_rec_status {
	VHU_REC_OK = 0,
	VHU_REC_SHORT,		/* fewer bytes than the fixed header */
	VHU_REC_BAD_MAGIC,
	VHU_REC_BAD_VERSION,
	VHU_REC_BAD_HDR_LEN,
	VHU_REC_BAD_ITEM,	/* an item runs past the end of the record */
	VHU_REC_BAD_FD_ITEM,
	VHU_REC_TOO_MANY_FDS
};

struct vhu_record {
	struct vhu_rec_hdr h;
	const uint8_t *data;	/* VHU_IT_DATA value, or NULL */
	uint32_t data_len;
	unsigned nfd_items;	/* fd items found (may differ from h.nfds) */
	struct vhu_rec_fd fds[VHU_REC_MAX_FDS];
	const char *path;
	uint32_t path_len;
	int has_peercred;
	uint32_t peer_pid, peer_uid, peer_gid;
	const uint8_t *cmdline;
	uint32_t cmdline_len;
	int has_proc;
	uint32_t ppid;
	char comm[17];
	int has_link;
	uint64_t link_conn;
	uint8_t origin;		/* enum vhu_origin, 0 when the record has no ORIGIN item */
	int has_seq;
	uint32_t seq;		/* SEQ item, when has_seq */
	unsigned unknown_items;
};

/* Parses one record (without the exported-PDU prefix).  Pointers in *r
 * point into buf.  Returns VHU_REC_OK or the reason the record is bad. */
enum vhu_rec_status vhu_rec_parse(const uint8_t *buf, size_t len,
				  struct vhu_record *r);
/* vhu_rec_parse() walking every record's items, where vhu_rec_parse()
 * takes a record of one DATA item (the shim's for a message) at once; the
 * same result, for the tests that compare the two. */
enum vhu_rec_status vhu_rec_parse_walk(const uint8_t *buf, size_t len,
				       struct vhu_record *r);
const char *vhu_rec_status_str(enum vhu_rec_status s);

/* Exported-PDU prefix.  Writes the dissector-name and direction tags plus
 * the end tag into out (at most VHU_EXP_PDU_MAX bytes); returns the length.
 * p2p_dir: 0 sent, 1 received, -1 none. */
#define VHU_EXP_PDU_MAX 48
size_t vhu_exp_pdu_write(uint8_t *out, int p2p_dir);
/* Finds the end of the exported-PDU tags; returns the offset of the record
 * or -1 if the tags are malformed.  *is_ours (may be NULL) receives
 * whether the dissector-name tag names the record dissector. */
long vhu_exp_pdu_skip(const uint8_t *buf, size_t len, int *is_ours);
/* vhu_exp_pdu_skip() tag by tag, for any tags (vhu_exp_pdu_skip() takes
 * the shim's at once). */
long vhu_exp_pdu_walk(const uint8_t *buf, size_t len, int *is_ours);

#ifdef __cplusplus
}
#endif
#endif
