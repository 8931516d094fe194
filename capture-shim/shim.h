/* SPDX-License-Identifier: MIT */
/*
 * shim.h - internals of the LD_PRELOAD capture shim, shared by its files.
 *
 *   init.c    constructor, settings, real functions, fork
 *   fdtab.c   the fd table: which fds are vhost-user connections
 *   output.c  the spool: created at start, records copied into it
 *   events.c  building the records (data, connect, adopt, close, start)
 *   hooks.c   the wrapped libc calls
 *   sandbox.c seccomp: the calls that install a filter, and what that means
 *
 * Rules every file follows: no malloc, no stdio, no lock held across a
 * traced call, errno as the traced call left it.
 */
#ifndef VHU_SHIM_H
#define VHU_SHIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "vhu_record.h"

#define VHU_TLS __thread __attribute__((tls_model("initial-exec")))
#define VHU_HIDDEN __attribute__((visibility("hidden")))

/* ---- real functions (init.c) ------------------------------------------ */

/* Every libc function the shim wraps: X(index, name).  The exports map
 * of the library is made from this list (CMakeLists.txt). */
#define VHU_REAL_FUNCS(X) \
	X(SENDMSG, sendmsg) X(RECVMSG, recvmsg) \
	X(SENDMMSG, sendmmsg) X(RECVMMSG, recvmmsg) \
	X(SEND, send) X(RECV, recv) X(SENDTO, sendto) X(RECVFROM, recvfrom) \
	X(WRITE, write) X(READ, read) X(WRITEV, writev) X(READV, readv) \
	X(READ_CHK, __read_chk) X(RECV_CHK, __recv_chk) \
	X(RECVFROM_CHK, __recvfrom_chk) \
	X(CLOSE, close) X(CLOSE_RANGE, close_range) X(CLOSEFROM, closefrom) \
	X(DUP, dup) X(DUP2, dup2) X(DUP3, dup3) \
	X(FCNTL, fcntl) X(FCNTL64, fcntl64) \
	X(CONNECT, connect) X(ACCEPT, accept) X(ACCEPT4, accept4) \
	X(SOCKETPAIR, socketpair) X(BIND, bind) \
	X(PRCTL, prctl) X(SYSCALL, syscall) X(SECCOMP_LOAD, seccomp_load)

enum vhu_real_index {
#define X(idx, name) VHU_FN_##idx,
	VHU_REAL_FUNCS(X)
#undef X
	VHU_FN__COUNT
};

extern _Atomic(void *) vhu_real_fns[VHU_FN__COUNT] VHU_HIDDEN;
void *vhu_resolve(enum vhu_real_index idx) VHU_HIDDEN;

/* The next definition of a wrapped function (libc's), resolved on first
 * use if a call comes before the constructor. */
static inline void *vhu_real(enum vhu_real_index idx)
{
	void *p = atomic_load_explicit(&vhu_real_fns[idx], memory_order_relaxed);

	return p ? p : vhu_resolve(idx);
}

/* ---- settings and state (init.c) -------------------------------------- */

struct vhu_settings {
	bool all_unix;			/* record every AF_UNIX stream socket */
	bool have_glob;
	char glob[256];			/* --sockets: fnmatch pattern on the path */
	char spool_dir[4096];		/* where this image creates its spool */
	uint32_t spool_chunks;		/* its size, in chunks (spool.h) */
};

extern struct vhu_settings vhu_cfg VHU_HIDDEN;
/* Set while the shim does its own work: its calls are not traced. */
extern VHU_TLS int vhu_busy VHU_HIDDEN;

/* Is capturing on?  Cheap: one relaxed load. */
extern atomic_bool vhu_capturing VHU_HIDDEN;
static inline bool vhu_on(void)
{
	return atomic_load_explicit(&vhu_capturing, memory_order_relaxed);
}

/*
 * Could a seccomp filter be in place?  Set at load when the process
 * inherited one, and when the program installs one (sandbox.c).  From
 * then on the shim makes no system call of its own (its records are
 * memory copies): a kill filter gives no second chance.  What a record needs is
 * taken from the arguments and results of the calls it wraps, or said to
 * be unknown.
 */
extern atomic_bool vhu_sandbox VHU_HIDDEN;
static inline bool vhu_sandboxed(void)
{
	return atomic_load_explicit(&vhu_sandbox, memory_order_relaxed);
}

/* At load: does this process run under a filter already? */
void vhu_sandbox_check_inherited(void) VHU_HIDDEN;

void vhu_init(void) VHU_HIDDEN;
void vhu_after_fork_child(void) VHU_HIDDEN;
uint64_t vhu_new_conn_id(void) VHU_HIDDEN;

/* ---- the fd table (fdtab.c) ------------------------------------------- */

#define VHU_FDTAB_SIZE 65536

enum vhu_slot_state {
	VHU_SLOT_NONE = 0,	/* not a socket we know about */
	VHU_SLOT_DROPPED,	/* a candidate whose first bytes were not vhost-user */
	VHU_SLOT_LISTENER,	/* bound to a unix path, kept in its open info */
	VHU_SLOT_PAIR,		/* socketpair() end, tracked once sent in id 21/33 */
	VHU_SLOT_CANDIDATE,	/* connected/accepted, waiting for the first bytes */
	VHU_SLOT_TRACKED	/* recorded */
};

struct vhu_slot {
	_Atomic uint8_t state;
	atomic_flag lock;
	uint8_t channel;	/* enum vhu_channel */
	uint8_t role;		/* enum vhu_role */
	uint8_t open_event;	/* candidate: VHU_EV_CONNECT or VHU_EV_ACCEPT */
	uint8_t open_call;	/* candidate: VHU_CALL_CONNECT/ACCEPT/ACCEPT4 */
	uint8_t pend_len;	/* candidate: first bytes seen so far */
	uint8_t pend_dir;	/* candidate: their direction (VHU_EV_DATA_*) */
	uint8_t pend[12];	/* candidate: the bytes */
	uint16_t open_info;	/* candidate, listener: vhu_open_infos index + 1, or 0 */
	int32_t partner;	/* pair: fd of the other end */
	_Atomic uint32_t seq;	/* tracked: data records numbered so far (VHU_IT_SEQ) */
	uint64_t conn_id;
	uint64_t ino;		/* pair: inode of this end */
	uint64_t partner_ino;	/* pair: inode of the other end */
	uint64_t open_ts;	/* candidate: when connect/accept returned (ns) */
};

/* One cache line: a call touches one line of the table. */
_Static_assert(sizeof(struct vhu_slot) == 64, "fd slot size");

extern struct vhu_slot vhu_fdtab[VHU_FDTAB_SIZE] VHU_HIDDEN;

/*
 * What the CONNECT/ACCEPT record of a candidate says about its socket
 * (path, peer credentials), taken when connect()/accept() returned: a
 * sandboxed program (virtiofsd's seccomp filter) may forbid
 * getsockname/getpeername/getsockopt by the time the first bytes promote
 * the candidate.  Few candidates wait at once, so these live in a small
 * table of their own instead of in every fd slot; a candidate that finds
 * the table full is recorded without path and credentials.
 */
#define VHU_OPEN_INFOS 512
#define VHU_SUN_PATH_MAX 108	/* sizeof(sockaddr_un.sun_path) */

struct vhu_open_info {
	atomic_flag used;
	uint8_t path_len;
	bool has_cred;
	uint32_t cred[3];	/* pid, uid, gid */
	char path[VHU_SUN_PATH_MAX];
};

extern struct vhu_open_info vhu_open_infos[VHU_OPEN_INFOS] VHU_HIDDEN;

/* A free entry, marked used, as index + 1; 0 if the table is full. */
uint16_t vhu_open_info_get(void) VHU_HIDDEN;
void vhu_open_info_put(uint16_t idx) VHU_HIDDEN;
/* The entry of idx (index + 1), NULL for 0. */
struct vhu_open_info *vhu_open_info_at(uint16_t idx) VHU_HIDDEN;

/* The slot of fd, or NULL if fd is out of the table's range. */
static inline struct vhu_slot *vhu_slot(int fd)
{
	return (unsigned)fd < VHU_FDTAB_SIZE ? &vhu_fdtab[fd] : NULL;
}

/* State of fd, VHU_SLOT_NONE if out of range: the one lookup an untracked
 * call pays. */
static inline uint8_t vhu_slot_state(int fd)
{
	if ((unsigned)fd >= VHU_FDTAB_SIZE)
		return VHU_SLOT_NONE;
	return atomic_load_explicit(&vhu_fdtab[fd].state, memory_order_acquire);
}

void vhu_slot_lock(struct vhu_slot *s) VHU_HIDDEN;
void vhu_slot_unlock(struct vhu_slot *s) VHU_HIDDEN;
/* Forget fd (closed); copies the slot out to *old first if old != NULL. */
void vhu_slot_clear(int fd, struct vhu_slot *old) VHU_HIDDEN;
/* fd becomes an alias of from (dup). */
void vhu_slot_copy(int to, int from) VHU_HIDDEN;
/* Gives back s's open info, if any; s is locked by the caller. */
void vhu_slot_drop_open_info(struct vhu_slot *s) VHU_HIDDEN;
void vhu_fdtab_after_fork(void) VHU_HIDDEN;

/* ---- output (output.c) ------------------------------------------------ */

/*
 * Creates and maps this image's spool.  The shim keeps no fd of its own
 * open in the program: the spool's is closed once mapped, and passed fds
 * are named through /proc/self/fd by path.  0 or -1 (message printed).
 */
int vhu_out_open(void) VHU_HIDDEN;
/*
 * Copies one EPB into this thread's spool chunk: head | exported-PDU tags
 * | record | data | tail; no system call, nothing on the stack but a few
 * words.  The data are data_len bytes from offset data_off of the traced
 * call's own iovecs (any number of them).  No room in the spool: the
 * record is counted as lost and the next one flagged VHU_RF_LOST.
 */
void vhu_out_record(int p2p_dir, const uint8_t *rec, size_t rec_len,
		    const struct iovec *data, int ndata, size_t data_off,
		    uint32_t data_len, uint32_t orig_data_len, uint64_t ts_ns) VHU_HIDDEN;
/* Stops capturing with one line on stderr (at start only, and only if fd 2
 * is not a socket): "vhost-user-capture: pid N: WHAT: capture stopped". */
void vhu_stop(const char *what, int err) VHU_HIDDEN;
void vhu_say(const char *a, const char *b, const char *c) VHU_HIDDEN;
uint64_t vhu_now_ns(void) VHU_HIDDEN;
/* This process's id, asked of the kernel once per process (init.c). */
uint32_t vhu_getpid(void) VHU_HIDDEN;
/* The pid asked last, without asking: in a fork child before its first
 * record, the parent's. */
uint32_t vhu_last_pid(void) VHU_HIDDEN;
/* This thread's id, asked of the kernel once per thread (and process);
 * 0 (unknown) in a thread that starts after a sandbox. */
uint32_t vhu_gettid(uint32_t pid) VHU_HIDDEN;

/* ---- events (events.c) ------------------------------------------------ */

/* One traced data transfer, as the hooks see it. */
struct vhu_io {
	int fd;
	int event;			/* VHU_EV_DATA_SENT or VHU_EV_DATA_RECV */
	uint16_t call;			/* enum vhu_call */
	const struct iovec *iov;	/* the caller's buffers */
	int iovcnt;
	size_t moved;			/* the call's return value */
	size_t asked;			/* bytes the caller offered */
	const struct msghdr *msg;	/* for SCM_RIGHTS, or NULL */
	int call_flags;			/* MSG_* flags passed */
	int msg_flags;			/* msg_flags the kernel returned */
};

void vhu_on_io(const struct vhu_io *io) VHU_HIDDEN;
/* connect() to addr succeeded on fd. */
void vhu_on_connect(int fd, const struct sockaddr *addr, socklen_t len) VHU_HIDDEN;
/* accept() on listener returned fd (peer: the address it filled, or NULL). */
void vhu_on_accept(int fd, int listener, uint16_t call, const struct sockaddr *peer,
		   const socklen_t *peer_len) VHU_HIDDEN;
/* bind() of fd to addr succeeded. */
void vhu_on_bind(int fd, const struct sockaddr *addr, socklen_t len) VHU_HIDDEN;
void vhu_on_close(int fd, uint16_t call) VHU_HIDDEN;
void vhu_on_socketpair(const int sv[2]) VHU_HIDDEN;
void vhu_emit_process_start(uint16_t call) VHU_HIDDEN;
void vhu_events_after_fork(void) VHU_HIDDEN;

#endif
