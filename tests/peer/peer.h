/* SPDX-License-Identifier: MIT */
/*
 * peer.h - vhu-test-peer: a scripted vhost-user front-end/back-end pair.
 *
 * The peer exists to feed the capture shim and the decoders with every
 * message of the protocol, moved by every kind of libc call, and to say
 * in its own log what it did so a capture can be checked against an
 * independent witness.  Both sides validate what they receive, so a
 * `pair` run is itself a test of the exchange.
 *
 * Exit statuses (documented in tests/peer/README.md):
 */
#ifndef PEER_H
#define PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vhu_fields.h"
#include "vhu_le.h"
#include "vhu_proto.h"
#include "vhu_record.h"

enum peer_status {
	PEER_OK = 0,
	PEER_ERR = 1,		/* system error or unexpected outcome */
	PEER_USAGE = 2,
	PEER_TRUNCATED = 3,	/* the peer closed in the middle of a message */
	PEER_BAD_FLAGS = 4,	/* a reply with wrong flags or version */
	PEER_INVALID = 5,	/* a malformed message (size, fd count, fd kind) */
	PEER_REJECTED = 6,	/* the back-end answered a request with a non-zero ack */
	PEER_NO_REPLY = 7,	/* an awaited reply never came */
	PEER_UNKNOWN = 8,	/* a request with an unknown id */
	PEER_CLOSED = 9,	/* the peer closed while a message was awaited */
	PEER_TIMEOUT = 10	/* nothing arrived within --timeout */
};

/* fds a message may carry: more than the 8 regions a memory table may
 * have, so that broken-regions can send 9 */
#define PEER_MAX_FDS 16
/* Largest payload the peer builds or accepts (GPU CURSOR_UPDATE is 16404). */
#define PEER_MAX_PAYLOAD (64u * 1024u)

/* How bytes are moved; one name covers the sending and receiving side. */
enum peer_io {
	PEER_IO_MSG,		/* sendmsg / recvmsg */
	PEER_IO_SEND,		/* send / recv */
	PEER_IO_SENDTO,		/* sendto / recvfrom */
	PEER_IO_WRITE,		/* write / read */
	PEER_IO_WRITEV,		/* writev / readv */
	PEER_IO_MMSG,		/* sendmmsg / recvmmsg */
	PEER_IO_SPLIT,		/* sendmsg(12) + write(payload) / recvmsg(12) + read(payload) */
	PEER_IO_COALESCE	/* several messages in one sendmsg / recvmsg per message */
};

enum peer_script {
	SCRIPT_HANDSHAKE,
	SCRIPT_HANDSHAKE_PACKED,
	SCRIPT_ALL,
	SCRIPT_BROKEN_CLOSE,
	SCRIPT_BROKEN_FLAGS,
	SCRIPT_BROKEN_FDS,
	SCRIPT_BROKEN_OVERSIZE,
	SCRIPT_BROKEN_NOREPLY,
	SCRIPT_BROKEN_UNKNOWN,
	/* one per rule of the findings engine (docs/diagnosis.md) */
	SCRIPT_BROKEN_EXTRA_REPLY,
	SCRIPT_BROKEN_NEED_REPLY,
	SCRIPT_BROKEN_GATE,
	SCRIPT_BROKEN_FEATURES,
	SCRIPT_BROKEN_OVERLAP,
	SCRIPT_BROKEN_SLOTS,
	SCRIPT_BROKEN_REM_REGION,
	SCRIPT_BROKEN_REGION_FD,
	SCRIPT_BROKEN_REGION_SIZE,
	SCRIPT_BROKEN_RING_ADDR,
	SCRIPT_BROKEN_RING_INDEX,
	SCRIPT_BROKEN_RING_NUM,
	SCRIPT_BROKEN_VRING_BASE,
	SCRIPT_BROKEN_LOG_SIZE,
	SCRIPT_BROKEN_LOG_ALL,
	SCRIPT_BROKEN_CTRUNC,
	SCRIPT_BROKEN_ORDER,
	SCRIPT_BROKEN_REGIONS,
	SCRIPT_BROKEN_TABLE_SLOTS,
	SCRIPT_BROKEN_POSTCOPY,
	SCRIPT_BROKEN_NO_PFEATURES,
	SCRIPT_BROKEN_ENABLE,
	SCRIPT_BROKEN_RING_LARGE,
	SCRIPT_BROKEN_RECONNECT,
	SCRIPT_BROKEN_RESET,
	SCRIPT__COUNT
};

struct peer_script_info {
	const char *name;
	int frontend_status;	/* documented exit status of each side */
	int backend_status;
};

extern const struct peer_script_info peer_scripts[SCRIPT__COUNT];

struct peer_opts {
	enum peer_script script;
	enum peer_io io;
	int timeout_ms;		/* bound on every wait for bytes */
	bool use_socketpair;	/* pair: socketpair instead of a path */
	bool healthy;		/* a broken-* script without its fault: the session
				 * it breaks, for comparing the two */
	unsigned session;	/* which connection of the script, from 0 */
};

/* How many connections a script makes on one socket path. */
unsigned peer_script_sessions(enum peer_script s);

/* One vhost-user message: header fields, payload and the fds it carries. */
struct peer_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	int nfds;
	int fds[PEER_MAX_FDS];
	uint8_t payload[PEER_MAX_PAYLOAD];
};

/* One socket end and how this side talks on it. */
struct peer_conn {
	int fd;
	unsigned channel;	/* VHU_CHAN_MAIN, _BACKEND or _GPU */
	const char *role;	/* "frontend" or "backend", for the log */
	enum peer_io io;
	int timeout_ms;
	int ctl_fds;		/* fds the receive buffer holds (0: PEER_MAX_FDS);
				 * fewer makes the kernel drop some (MSG_CTRUNC) */
	/* coalesce: messages waiting to go out in one sendmsg */
	uint8_t *out;
	size_t out_len;
	int out_fds[PEER_MAX_FDS];
	int out_nfds;
};

/* peer_io.c */
bool peer_io_parse(const char *s, enum peer_io *io);
void peer_conn_init(struct peer_conn *c, int fd, unsigned channel,
		    const char *role, const struct peer_opts *o);
void peer_conn_close(struct peer_conn *c);
int peer_send(struct peer_conn *c, const struct peer_msg *m);
int peer_send_raw(struct peer_conn *c, const void *buf, size_t len);
int peer_flush(struct peer_conn *c);
int peer_flush_all(void);
/* Receives one message.  fds_possible: the header is read with a call
 * that can carry fds (always true unless the caller knows none come). */
int peer_recv(struct peer_conn *c, struct peer_msg *m, bool fds_possible);
void peer_msg_init(struct peer_msg *m, uint32_t request, uint32_t flags);
void peer_msg_close_fds(struct peer_msg *m);
void peer_put64(struct peer_msg *m, uint64_t v);
uint64_t peer_get64(const struct peer_msg *m, size_t off);
uint32_t peer_get32(const struct peer_msg *m, size_t off);

/* peer_log.c */
int peer_log_open(const char *path);
void peer_log_msg(const struct peer_conn *c, const char *dir,
		  const struct peer_msg *m, const char *note);
const char *peer_msg_label(unsigned channel, uint32_t request, char *buf,
			   size_t len);
void peer_err(const char *role, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* peer_fds.c */
int peer_memfd(const char *name, size_t size);
int peer_eventfd(void);
int peer_pipe_end(int *other);
int peer_socketpair_end(int *other);
int peer_userfaultfd(void);
enum vhu_fd_kind peer_fd_kind(int fd);
const char *peer_fd_kind_name(enum vhu_fd_kind k);
off_t peer_fd_size(int fd);

/* peer_frontend.c / peer_backend.c */
int peer_frontend_run(int fd, const struct peer_opts *o);
int peer_backend_run(int fd, const struct peer_opts *o);

/* Shared protocol knowledge of the peer (peer_proto.c). */
#define PEER_BACKEND_FEATURES                                              \
	(VHU_BIT(VHU_VIRTIO_F_VERSION_1) | VHU_BIT(VHU_VIRTIO_F_PROTOCOL_FEATURES) |   \
	 VHU_BIT(VHU_VIRTIO_F_RING_PACKED) | VHU_BIT(VHU_VIRTIO_F_LOG_ALL) |            \
	 VHU_BIT(VHU_VIRTIO_F_ACCESS_PLATFORM) | VHU_BIT(0) | VHU_BIT(5))
#define PEER_QUEUES 2
#define PEER_GPU_FEATURES 0x3u	/* EDID | DMABUF2 */
#define PEER_VRING_SIZE 256
#define PEER_REGION_SIZE 0x100000u	/* each guest memory region, 1 MiB */
#define PEER_UADDR_BASE UINT64_C(0x7f0000000000)
#define PEER_MAX_MEM_SLOTS 32
/* VHOST_MEMORY_BASELINE_NREGIONS: the most regions SET_MEM_TABLE carries */
#define PEER_BASELINE_REGIONS 8
#define PEER_CRYPTO_SESSION_SIZE 1072
#define PEER_SHMEM_CONFIG_SIZE 2056
#define PEER_INFLIGHT_SIZE 24
#define PEER_UNKNOWN_REQUEST 99
/* Protocol features the back-end offers: all but XEN_MMAP, which would
 * change the memory region layout. */
#define PEER_BACKEND_PFEATURES \
	((VHU_BIT(VHU_PF_MAX + 1) - 1) & ~VHU_BIT(VHU_PF_XEN_MMAP))

/* A request the back-end sends on the back-end or GPU channel. */
struct peer_step {
	uint32_t request;
	uint32_t flags;		/* NEED_REPLY where wanted */
	bool nofd;		/* VRING_HOST_NOTIFIER: NOFD bit, no fd */
};

/* The back-end's burst after SET_BACKEND_REQ_FD / GPU_SET_SOCKET. */
const struct peer_step *peer_backend_burst(enum peer_script s, size_t *n);
const struct peer_step *peer_gpu_burst(enum peer_script s, size_t *n);

/* Does a back-end-channel request get a reply? */
bool peer_be_req_answered(const struct peer_msg *m);
bool peer_gpu_req_answered(uint32_t request);
/* Builders and checkers for the back-end and GPU channels (peer_proto.c). */
int peer_build_be_req(const struct peer_step *st, struct peer_msg *m);
int peer_check_be_req(const struct peer_msg *m, char *why, size_t len);
int peer_answer_be_req(const struct peer_msg *m, struct peer_msg *rep);
int peer_build_gpu_req(uint32_t request, struct peer_msg *m);
int peer_check_gpu_req(const struct peer_msg *m, char *why, size_t len);
int peer_answer_gpu_req(const struct peer_msg *m, struct peer_msg *rep);
long peer_gpu_reply_size(uint32_t request);
int peer_check_reply(const struct peer_msg *req, const struct peer_msg *rep,
		     uint32_t want_flags, long want_size, int want_fds,
		     char *why, size_t len);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
