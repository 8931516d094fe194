/* SPDX-License-Identifier: MIT */
/* \summary: the wrapped libc calls: call the real one, then record */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim.h"

/*
 * A data wrapper first looks at one byte of the fd table: an fd that
 * cannot be recorded goes straight to the real function (a tail call).
 * Otherwise, and in every other wrapper, the real function is called
 * first and the fd table looked at after (close and its kin forget the fd
 * first: once closed, another thread may get the number).  For a recorded fd the wrapper
 * saves errno right after the real call and puts it back before
 * returning, whatever the recording did.
 */

/* The fortified entry points are only declared under _FORTIFY_SOURCE. */
ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
		       __SOCKADDR_ARG addr, socklen_t *addrlen);

#define REAL(fn, idx) ((__typeof__(&fn))vhu_real(VHU_FN_##idx))

/* Resolving failed (no such function below us): fail like a missing one. */
#define NEED_REAL(real) \
	do { \
		if (!(real)) { \
			errno = ENOSYS; \
			return -1; \
		} \
	} while (0)

/*
 * The first test of every data call, before anything else: can fd be a
 * recorded connection by the time the call returns?  One compare and one
 * byte of the fd table.  When it cannot, the wrapper tail-calls the real
 * function: an untracked call costs those few instructions and no stack
 * frame (bench/shim/RESULTS.md).  A socketpair end may be adopted by
 * another thread while a call on it waits (the other end just went out in
 * SET_BACKEND_REQ_FD): it takes the full path, which looks after the call.
 */
static inline bool maybe_watched(int fd)
{
	return (unsigned)fd < VHU_FDTAB_SIZE &&
	       atomic_load_explicit(&vhu_fdtab[fd].state, memory_order_relaxed) >= VHU_SLOT_PAIR;
}

/* The part of a wrapper an untracked call does not run: its own function,
 * so that the wrapper itself needs no stack frame. */
#define OUT_OF_LINE __attribute__((noinline))

/*
 * The fast path of a data call, first thing in its wrapper: the real
 * function, resolved already, on an fd that cannot be recorded, is
 * tail-called with the caller's arguments (no stack frame of ours).
 */
#define PASS_UNWATCHED(fn, idx, ...) \
	do { \
		__typeof__(&fn) direct_ = (__typeof__(&fn))atomic_load_explicit( \
			&vhu_real_fns[VHU_FN_##idx], memory_order_relaxed); \
		if (__builtin_expect(direct_ && !maybe_watched(fd), 1)) \
			return direct_(__VA_ARGS__); \
	} while (0)

/* Is this fd worth a closer look (a candidate or a recorded connection),
 * after the call? */
static inline bool watched(int fd)
{
	return vhu_slot_state(fd) >= VHU_SLOT_CANDIDATE && vhu_on() && !vhu_busy;
}

static size_t iov_total(const struct iovec *iov, int n)
{
	size_t t = 0;
	int i;

	for (i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

/* Records one transfer; errno is the caller's business (saved around).
 * Nothing of the caller's buffers is read unless the call succeeded. */
static void trace(int fd, int event, uint16_t call, const struct iovec *iov, int iovcnt,
		  ssize_t ret, const struct msghdr *msg, int call_flags, int msg_flags)
{
	struct vhu_io io;
	int saved = errno;

	if (ret < 0 || (ret == 0 && !(msg && msg->msg_controllen)))
		return;
	io = (struct vhu_io){
		.fd = fd, .event = event, .call = call, .iov = iov, .iovcnt = iovcnt,
		.moved = (size_t)ret, .asked = iov_total(iov, iovcnt), .msg = msg,
		.call_flags = call_flags, .msg_flags = msg_flags,
	};
	vhu_busy++;
	vhu_on_io(&io);
	vhu_busy--;
	errno = saved;
}

static void trace_buf(int fd, int event, uint16_t call, const void *buf, size_t len,
		      ssize_t ret, int flags)
{
	struct iovec iov = { (void *)buf, len };

	trace(fd, event, call, &iov, 1, ret, NULL, flags, 0);
}

/* ---- data ---------------------------------------------------------------- */

/* sendmsg on an fd that may be recorded. */
static OUT_OF_LINE ssize_t sendmsg_watched(int fd, const struct msghdr *msg, int flags)
{
	__typeof__(&sendmsg) real = REAL(sendmsg, SENDMSG);
	ssize_t ret;

	NEED_REAL(real);
	ret = real(fd, msg, flags);
	if (watched(fd) && ret >= 0)
		trace(fd, VHU_EV_DATA_SENT, VHU_CALL_SENDMSG, msg->msg_iov,
		      (int)msg->msg_iovlen, ret, msg, flags, 0);
	return ret;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	PASS_UNWATCHED(sendmsg, SENDMSG, fd, msg, flags);
	return sendmsg_watched(fd, msg, flags);
}

/* recvmsg on an fd that may be recorded. */
static OUT_OF_LINE ssize_t recvmsg_watched(int fd, struct msghdr *msg, int flags)
{
	__typeof__(&recvmsg) real = REAL(recvmsg, RECVMSG);
	ssize_t ret;

	NEED_REAL(real);
	ret = real(fd, msg, flags);
	if (watched(fd) && ret >= 0)
		trace(fd, VHU_EV_DATA_RECV, VHU_CALL_RECVMSG, msg->msg_iov,
		      (int)msg->msg_iovlen, ret, msg, flags, msg->msg_flags);
	return ret;
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	PASS_UNWATCHED(recvmsg, RECVMSG, fd, msg, flags);
	return recvmsg_watched(fd, msg, flags);
}

/* sendmmsg on an fd that may be recorded. */
static OUT_OF_LINE int sendmmsg_watched(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	__typeof__(&sendmmsg) real = REAL(sendmmsg, SENDMMSG);
	int ret, i;

	NEED_REAL(real);
	ret = real(fd, vec, vlen, flags);
	if (watched(fd))
		for (i = 0; i < ret; i++)
			trace(fd, VHU_EV_DATA_SENT, VHU_CALL_SENDMMSG, vec[i].msg_hdr.msg_iov,
			      (int)vec[i].msg_hdr.msg_iovlen, vec[i].msg_len,
			      &vec[i].msg_hdr, flags, 0);
	return ret;
}

int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	PASS_UNWATCHED(sendmmsg, SENDMMSG, fd, vec, vlen, flags);
	return sendmmsg_watched(fd, vec, vlen, flags);
}

/* recvmmsg on an fd that may be recorded. */
static OUT_OF_LINE int recvmmsg_watched(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
					struct timespec *timeout)
{
	__typeof__(&recvmmsg) real = REAL(recvmmsg, RECVMMSG);
	int ret, i;

	NEED_REAL(real);
	ret = real(fd, vec, vlen, flags, timeout);
	if (watched(fd))
		for (i = 0; i < ret; i++)
			trace(fd, VHU_EV_DATA_RECV, VHU_CALL_RECVMMSG, vec[i].msg_hdr.msg_iov,
			      (int)vec[i].msg_hdr.msg_iovlen, vec[i].msg_len,
			      &vec[i].msg_hdr, flags, vec[i].msg_hdr.msg_flags);
	return ret;
}

int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
	     struct timespec *timeout)
{
	PASS_UNWATCHED(recvmmsg, RECVMMSG, fd, vec, vlen, flags, timeout);
	return recvmmsg_watched(fd, vec, vlen, flags, timeout);
}

/* send on an fd that may be recorded. */
static OUT_OF_LINE ssize_t send_watched(int fd, const void *buf, size_t len, int flags)
{
	__typeof__(&send) real = REAL(send, SEND);
	ssize_t ret;

	NEED_REAL(real);
	ret = real(fd, buf, len, flags);
	if (watched(fd))
		trace_buf(fd, VHU_EV_DATA_SENT, VHU_CALL_SEND, buf, len, ret, flags);
	return ret;
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	PASS_UNWATCHED(send, SEND, fd, buf, len, flags);
	return send_watched(fd, buf, len, flags);
}

/* recv on an fd that may be recorded. */
static OUT_OF_LINE ssize_t recv_watched(int fd, void *buf, size_t len, int flags)
{
	__typeof__(&recv) real = REAL(recv, RECV);
	ssize_t ret;

	NEED_REAL(real);
	ret = real(fd, buf, len, flags);
	if (watched(fd))
		trace_buf(fd, VHU_EV_DATA_RECV, VHU_CALL_RECV, buf, len, ret, flags);
	return ret;
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	PASS_UNWATCHED(recv, RECV, fd, buf, len, flags);
	return recv_watched(fd, buf, len, flags);
}

/* __recv_chk on an fd that may be recorded. */
static OUT_OF_LINE ssize_t __recv_chk_watched(int fd, void *buf, size_t len, size_t buflen,
					      int flags)
{
	__typeof__(&__recv_chk) real = REAL(__recv_chk, RECV_CHK);
	ssize_t ret;

	NEED_REAL(real);
	ret = real(fd, buf, len, buflen, flags);
	if (watched(fd))
		trace_buf(fd, VHU_EV_DATA_RECV, VHU_CALL_RECV, buf, len, ret, flags);
	return ret;
}

ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	PASS_UNWATCHED(__recv_chk, RECV_CHK, fd, buf, len, buflen, flags);
	return __recv_chk_watched(fd, buf, len, buflen, flags);
}

/* sendto on an fd that may be recorded. */
static OUT_OF_LINE ssize_t sendto_watched(int fd, const void *buf, size_t len, int flags,
					  __CONST_SOCKADDR_ARG addr, socklen_t addrlen)
{
	__typeof__(&sendto) real = REAL(sendto, SENDTO);
	ssize_t ret;

	NEED_REAL(real);
	ret = real(fd, buf, len, flags, addr, addrlen);
	if (watched(fd))
		trace_buf(fd, VHU_EV_DATA_SENT, VHU_CALL_SENDTO, buf, len, ret, flags);
	return ret;
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
	       __CONST_SOCKADDR_ARG addr, socklen_t addrlen)
{
	PASS_UNWATCHED(sendto, SENDTO, fd, buf, len, flags, addr, addrlen);
	return sendto_watched(fd, buf, len, flags, addr, addrlen);
}

/* recvfrom on an fd that may be recorded. */
static OUT_OF_LINE ssize_t recvfrom_watched(int fd, void *buf, size_t len, int flags,
					    __SOCKADDR_ARG addr, socklen_t *addrlen)
{
	__typeof__(&recvfrom) real = REAL(recvfrom, RECVFROM);
	ssize_t ret;

	NEED_REAL(real);
	ret = real(fd, buf, len, flags, addr, addrlen);
	if (watched(fd))
		trace_buf(fd, VHU_EV_DATA_RECV, VHU_CALL_RECVFROM, buf, len, ret, flags);
	return ret;
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
		 __SOCKADDR_ARG addr, socklen_t *addrlen)
{
	PASS_UNWATCHED(recvfrom, RECVFROM, fd, buf, len, flags, addr, addrlen);
	return recvfrom_watched(fd, buf, len, flags, addr, addrlen);
}

/* __recvfrom_chk on an fd that may be recorded. */
static OUT_OF_LINE ssize_t __recvfrom_chk_watched(int fd, void *buf, size_t len, size_t buflen,
						  int flags, __SOCKADDR_ARG addr,
						  socklen_t *addrlen)
{
	__typeof__(&__recvfrom_chk) real = REAL(__recvfrom_chk, RECVFROM_CHK);
	ssize_t ret;

	NEED_REAL(real);
	ret = real(fd, buf, len, buflen, flags, addr, addrlen);
	if (watched(fd))
		trace_buf(fd, VHU_EV_DATA_RECV, VHU_CALL_RECVFROM, buf, len, ret, flags);
	return ret;
}

ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
		       __SOCKADDR_ARG addr, socklen_t *addrlen)
{
	PASS_UNWATCHED(__recvfrom_chk, RECVFROM_CHK, fd, buf, len, buflen, flags, addr, addrlen);
	return __recvfrom_chk_watched(fd, buf, len, buflen, flags, addr, addrlen);
}

/* write on an fd that may be recorded. */
static OUT_OF_LINE ssize_t write_watched(int fd, const void *buf, size_t len)
{
	__typeof__(&write) real = REAL(write, WRITE);
	ssize_t ret;

	NEED_REAL(real);
	ret = real(fd, buf, len);
	if (watched(fd))
		trace_buf(fd, VHU_EV_DATA_SENT, VHU_CALL_WRITE, buf, len, ret, 0);
	return ret;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	PASS_UNWATCHED(write, WRITE, fd, buf, len);
	return write_watched(fd, buf, len);
}

/* read on an fd that may be recorded. */
static OUT_OF_LINE ssize_t read_watched(int fd, void *buf, size_t len)
{
	__typeof__(&read) real = REAL(read, READ);
	ssize_t ret;

	NEED_REAL(real);
	ret = real(fd, buf, len);
	if (watched(fd))
		trace_buf(fd, VHU_EV_DATA_RECV, VHU_CALL_READ, buf, len, ret, 0);
	return ret;
}

ssize_t read(int fd, void *buf, size_t len)
{
	PASS_UNWATCHED(read, READ, fd, buf, len);
	return read_watched(fd, buf, len);
}

/* __read_chk on an fd that may be recorded. */
static OUT_OF_LINE ssize_t __read_chk_watched(int fd, void *buf, size_t len, size_t buflen)
{
	__typeof__(&__read_chk) real = REAL(__read_chk, READ_CHK);
	ssize_t ret;

	NEED_REAL(real);
	ret = real(fd, buf, len, buflen);
	if (watched(fd))
		trace_buf(fd, VHU_EV_DATA_RECV, VHU_CALL_READ, buf, len, ret, 0);
	return ret;
}

ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	PASS_UNWATCHED(__read_chk, READ_CHK, fd, buf, len, buflen);
	return __read_chk_watched(fd, buf, len, buflen);
}

/* writev on an fd that may be recorded. */
static OUT_OF_LINE ssize_t writev_watched(int fd, const struct iovec *iov, int iovcnt)
{
	__typeof__(&writev) real = REAL(writev, WRITEV);
	ssize_t ret;

	NEED_REAL(real);
	ret = real(fd, iov, iovcnt);
	if (watched(fd))
		trace(fd, VHU_EV_DATA_SENT, VHU_CALL_WRITEV, iov, iovcnt, ret, NULL, 0, 0);
	return ret;
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	PASS_UNWATCHED(writev, WRITEV, fd, iov, iovcnt);
	return writev_watched(fd, iov, iovcnt);
}

/* readv on an fd that may be recorded. */
static OUT_OF_LINE ssize_t readv_watched(int fd, const struct iovec *iov, int iovcnt)
{
	__typeof__(&readv) real = REAL(readv, READV);
	ssize_t ret;

	NEED_REAL(real);
	ret = real(fd, iov, iovcnt);
	if (watched(fd))
		trace(fd, VHU_EV_DATA_RECV, VHU_CALL_READV, iov, iovcnt, ret, NULL, 0, 0);
	return ret;
}

ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	PASS_UNWATCHED(readv, READV, fd, iov, iovcnt);
	return readv_watched(fd, iov, iovcnt);
}

/* ---- fd life ------------------------------------------------------------- */

/*
 * A vfork child runs on its parent's memory, fd table of the shim
 * included, but the kernel gave it fds of its own: what it closes or dups
 * (before its exec) must not change what the parent's numbers are.  Told
 * by a pid other than the one the parent cached; asked only when a known
 * fd changes, and never in a sandbox (no system call there).
 */
static bool in_vfork_child(void)
{
	return !vhu_sandboxed() && (uint32_t)getpid() != vhu_getpid();
}

/* fd is going away (close, or the target of dup2): record and forget. */
static void forget(int fd)
{
	int saved;

	if (vhu_slot_state(fd) == VHU_SLOT_NONE)
		return;
	saved = errno;
	if (in_vfork_child()) {
		errno = saved;
		return;
	}
	vhu_busy++;
	vhu_on_close(fd, VHU_CALL_CLOSE);
	vhu_busy--;
	errno = saved;
}

int close(int fd)
{
	__typeof__(&close) real = REAL(close, CLOSE);

	NEED_REAL(real);
	if (vhu_busy)
		return real(fd);
	/* Forget first: once closed, another thread may get the number. */
	forget(fd);
	return real(fd);
}

static void forget_range(unsigned first, unsigned last)
{
	unsigned fd;

	for (fd = first; fd <= last && fd < VHU_FDTAB_SIZE; fd++)
		forget((int)fd);
}

int close_range(unsigned int first, unsigned int last, int flags)
{
	__typeof__(&close_range) real = REAL(close_range, CLOSE_RANGE);

	NEED_REAL(real);
	if (!vhu_busy && !(flags & CLOSE_RANGE_CLOEXEC) && first <= last)
		forget_range(first, last);
	return real(first, last, flags);
}

void closefrom(int lowfd)
{
	__typeof__(&closefrom) real = REAL(closefrom, CLOSEFROM);
	int saved = errno;

	if (!vhu_busy)
		forget_range(lowfd < 0 ? 0 : (unsigned)lowfd, ~0u);
	errno = saved;
	if (real)
		real(lowfd);
}

/* newfd now names what oldfd names. */
static void alias(int newfd, int oldfd)
{
	int saved;

	if (vhu_busy || newfd < 0)
		return;
	if (vhu_slot_state(oldfd) == VHU_SLOT_NONE &&
	    vhu_slot_state(newfd) == VHU_SLOT_NONE)
		return;
	saved = errno;
	if (in_vfork_child()) {
		errno = saved;
		return;
	}
	vhu_busy++;	/* a signal handler must not wait for our slot lock */
	vhu_slot_copy(newfd, oldfd);
	vhu_busy--;
	errno = saved;
}

int dup(int oldfd)
{
	__typeof__(&dup) real = REAL(dup, DUP);
	int ret;

	NEED_REAL(real);
	ret = real(oldfd);
	alias(ret, oldfd);
	return ret;
}

static void after_dup_onto(int oldfd, int newfd, int ret)
{
	if (ret < 0 || oldfd == newfd || vhu_busy)
		return;
	forget(newfd);
	alias(newfd, oldfd);
}

int dup2(int oldfd, int newfd)
{
	__typeof__(&dup2) real = REAL(dup2, DUP2);
	int ret;

	NEED_REAL(real);
	ret = real(oldfd, newfd);
	after_dup_onto(oldfd, newfd, ret);
	return ret;
}

int dup3(int oldfd, int newfd, int flags)
{
	__typeof__(&dup3) real = REAL(dup3, DUP3);
	int ret;

	NEED_REAL(real);
	ret = real(oldfd, newfd, flags);
	after_dup_onto(oldfd, newfd, ret);
	return ret;
}

/* fcntl and fcntl64 take one optional argument; like libc, pass it on as
 * a pointer-sized value whatever the command. */
static int fcntl_common(enum vhu_real_index idx, int fd, int cmd, void *arg)
{
	int (*real)(int, int, ...) = vhu_real(idx);
	int ret;

	NEED_REAL(real);
	ret = real(fd, cmd, arg);
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		alias(ret, fd);
	return ret;
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(VHU_FN_FCNTL, fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(VHU_FN_FCNTL64, fd, cmd, arg);
}

/* ---- new connections -------------------------------------------------------- */

/* Should a new socket fd be looked at?  Then errno is saved in *saved. */
static bool begin_open(int fd, int *saved)
{
	if (fd < 0 || fd >= VHU_FDTAB_SIZE || !vhu_on() || vhu_busy)
		return false;
	*saved = errno;
	vhu_busy++;
	return true;
}

static void end_open(int saved)
{
	vhu_busy--;
	errno = saved;
}

int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	__typeof__(&connect) real = REAL(connect, CONNECT);
	int ret, saved;

	NEED_REAL(real);
	ret = real(fd, addr, len);
	if (ret == 0 && begin_open(fd, &saved)) {
		vhu_on_connect(fd, addr.__sockaddr__, len);
		end_open(saved);
	}
	return ret;
}

static int accepted(int ret, int fd, uint16_t call, const struct sockaddr *addr,
		    const socklen_t *len)
{
	int saved;

	if (begin_open(ret, &saved)) {
		vhu_on_accept(ret, fd, call, addr, len);
		end_open(saved);
	}
	return ret;
}

int accept(int fd, __SOCKADDR_ARG addr, socklen_t *len)
{
	__typeof__(&accept) real = REAL(accept, ACCEPT);

	NEED_REAL(real);
	return accepted(real(fd, addr, len), fd, VHU_CALL_ACCEPT, addr.__sockaddr__, len);
}

int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *len, int flags)
{
	__typeof__(&accept4) real = REAL(accept4, ACCEPT4);

	NEED_REAL(real);
	return accepted(real(fd, addr, len, flags), fd, VHU_CALL_ACCEPT4, addr.__sockaddr__, len);
}

/* A listener's path, for its connections once the program is sandboxed. */
int bind(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	__typeof__(&bind) real = REAL(bind, BIND);
	int ret, saved;

	NEED_REAL(real);
	ret = real(fd, addr, len);
	if (ret == 0 && begin_open(fd, &saved)) {
		vhu_on_bind(fd, addr.__sockaddr__, len);
		end_open(saved);
	}
	return ret;
}

int socketpair(int domain, int type, int protocol, int sv[2])
{
	__typeof__(&socketpair) real = REAL(socketpair, SOCKETPAIR);
	int ret, saved;

	NEED_REAL(real);
	ret = real(domain, type, protocol, sv);
	if (ret < 0 || !vhu_on() || vhu_busy)
		return ret;
	saved = errno;
	vhu_busy++;
	if (domain == AF_UNIX && (type & 0xf) == SOCK_STREAM) {
		vhu_on_socketpair(sv);
	} else {
		vhu_slot_clear(sv[0], NULL);
		vhu_slot_clear(sv[1], NULL);
	}
	vhu_busy--;
	errno = saved;
	return ret;
}
