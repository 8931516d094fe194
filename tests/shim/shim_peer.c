/* SPDX-License-Identifier: MIT */
/*
 * shim_peer.c - tiny vhost-user exchanges for the shim tests.
 *
 *   shim_peer exchange PATH     front-end and back-end (fork) on PATH, using
 *                               every hooked send/receive call and passing
 *                               a memfd, an eventfd and a pipe
 *   shim_peer fe PATH | be PATH one side of "exchange" (separate processes)
 *   shim_peer adopt PATH        back-end and GPU channels over socketpairs
 *   shim_peer adoptdup PATH     the same, the way a coalescing sender does it:
 *                               a dup of the socketpair end goes out (the
 *                               original closed first), in one buffer with
 *                               another message
 *   shim_peer untracked PATH    text over a unix socket, and a pipe
 *   shim_peer forkexec PATH     a fork child, a child of a raw clone() (no
 *                               atfork handlers) and an exec'd image talk too
 *   shim_peer busy PATH [MAXLEN [PAUSE]]  ping-pong until killed, payloads
 *                               below MAXLEN (8192), PAUSE µs between requests
 *   shim_peer vfork PATH        8 requests; after the second, a vfork child
 *                               closes the connection and exits
 *   shim_peer hostile PATH      the front-end caps its file size and makes
 *                               its socket fd 2; the back-end checks it got
 *                               exactly the requests
 *   shim_peer rawclose PATH DATA  closes every fd with the raw system call,
 *                               puts the file DATA at every number from 16,
 *                               then runs "exchange"
 *   shim_peer threads PATH N M  N connections, one thread each, M messages
 *   shim_peer big PATH          one 1 MiB message in one sendmsg/recvmsg of
 *                               100 iovecs, with an fd
 *   shim_peer gpu PATH          GPU_SET_SOCKET, then full-screen updates on that
 *                               socket (1.2 MB each): in one send as
 *                               vhost-user-gpu does, split (header, then
 *                               payload) and coalesced with a CURSOR_POS
 *   shim_peer oneconn PATH N M  one connection, N front-end threads sending
 *                               M SET_VRING_NUM each on it (index: the thread,
 *                               num: 0..M-1); the back-end checks every
 *                               thread's requests come whole and in order
 *
 * The messages are well-formed headers with made-up payloads: the shim
 * only needs plausible first bytes.  Exits non-zero on any failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vhu_le.h"
#include "vhu_proto.h"
#include "vhu_record.h"
#include "shim_util.h"

/* The fortified entry points, called directly so they are exercised. */
ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
		       struct sockaddr *addr, socklen_t *addrlen);

static const char *self;

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "shim_peer: %s: %s\n", what, strerror(errno));
	exit(1);
}

void shim_fail(const char *what)
{
	die(what);
}

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "shim_peer: %s failed\n", what);
		exit(1);
	}
}

/* ---- exchange ------------------------------------------------------------ */

static void frontend(int fd)
{
	uint8_t m[64], r[64];
	struct iovec iov[2];
	struct mmsghdr mm[2];
	int fds[3], p[2];
	size_t n;

	/* The first request in two writes: the shim must wait for 12 bytes. */
	n = make_msg(m, VHU_GET_FEATURES, VHU_VERSION, 0, 0);
	check(write(fd, m, 5) == 5 && write(fd, m + 5, n - 5) == (ssize_t)(n - 5), "write");
	check(recv_fds(fd, r, 12, NULL, 0) == 0, "reply header");
	read_full(fd, r + 12, 8);
	check(r[0] == VHU_GET_FEATURES && r[12] == 0xaa, "reply content");

	fds[0] = memfd_create("vhu-test-mem", MFD_CLOEXEC);
	check(fds[0] >= 0 && ftruncate(fds[0], 4096) == 0, "memfd");
	fds[1] = eventfd(0, EFD_CLOEXEC);
	check(fds[1] >= 0 && pipe(p) == 0, "eventfd/pipe");
	fds[2] = p[0];
	n = make_msg(m, VHU_SET_MEM_TABLE, VHU_VERSION, 8, 0x55);
	send_fds(fd, m, n, fds, 3);

	n = make_msg(m, VHU_GET_PROTOCOL_FEATURES, VHU_VERSION, 0, 0);
	check(send(fd, m, n, 0) == (ssize_t)n, "send");
	check(recvfrom(fd, r, 20, MSG_WAITALL, NULL, NULL) == 20, "recvfrom");

	n = make_msg(m, VHU_SET_VRING_NUM, VHU_VERSION, 8, 0x08);
	check(sendto(fd, m, n, 0, NULL, 0) == (ssize_t)n, "sendto");

	n = make_msg(m, VHU_SET_OWNER, VHU_VERSION, 0, 0);
	iov[0] = (struct iovec){ m, 4 };
	iov[1] = (struct iovec){ m + 4, 8 };
	check(writev(fd, iov, 2) == 12, "writev");

	n = make_msg(m, VHU_SET_VRING_BASE, VHU_VERSION, 8, 0x10);
	make_msg(r, VHU_SET_VRING_BASE, VHU_VERSION, 8, 0x11);
	memset(mm, 0, sizeof(mm));
	iov[0] = (struct iovec){ m, n };
	iov[1] = (struct iovec){ r, n };
	mm[0].msg_hdr.msg_iov = &iov[0];
	mm[0].msg_hdr.msg_iovlen = 1;
	mm[1].msg_hdr.msg_iov = &iov[1];
	mm[1].msg_hdr.msg_iovlen = 1;
	check(sendmmsg(fd, mm, 2, 0) == 2, "sendmmsg");
	close(fds[0]);
	close(fds[1]);
	close(p[0]);
	close(p[1]);
	close(fd);
}

static void backend(int fd)
{
	uint8_t m[64], r[64];
	struct iovec iov[2];
	struct mmsghdr mm;
	int fds[8], nfds, i;
	size_t n;

	check(recv(fd, m, 12, MSG_WAITALL) == 12 && m[0] == VHU_GET_FEATURES, "recv");
	n = make_msg(r, VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 8, 0xaa);
	send_fds(fd, r, n, NULL, 0);

	nfds = recv_fds(fd, m, 12, fds, 8);
	check(nfds == 3 && m[0] == VHU_SET_MEM_TABLE, "fds received");
	check(__read_chk(fd, m + 12, 8, sizeof(m) - 12) == 8, "__read_chk");
	for (i = 0; i < nfds; i++)
		close(fds[i]);

	iov[0] = (struct iovec){ m, 5 };
	iov[1] = (struct iovec){ m + 5, 7 };
	check(readv(fd, iov, 2) == 12 && m[0] == VHU_GET_PROTOCOL_FEATURES, "readv");
	n = make_msg(r, VHU_GET_PROTOCOL_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 8, 0xbb);
	check(write(fd, r, n) == (ssize_t)n, "write reply");

	memset(&mm, 0, sizeof(mm));
	iov[0] = (struct iovec){ m, 20 };
	mm.msg_hdr.msg_iov = iov;
	mm.msg_hdr.msg_iovlen = 1;
	check(recvmmsg(fd, &mm, 1, MSG_WAITALL, NULL) == 1 && mm.msg_len == 20, "recvmmsg");
	check(__recv_chk(fd, m, 12, sizeof(m), MSG_WAITALL) == 12 && m[0] == VHU_SET_OWNER,
	      "__recv_chk");
	check(__recvfrom_chk(fd, m, 40, sizeof(m), MSG_WAITALL, NULL, NULL) == 40, "__recvfrom_chk");
	check(read(fd, m, 1) == 0, "EOF");
	close(fd);
}

static int wait_child(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs fe() in a fork child connected to a listener on path, be() here. */
static int pair_run(const char *path, void (*fe)(int), void (*be)(int))
{
	int lfd = listen_on(path), cfd;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(lfd);
		fe(connect_to(path));
		_exit(0);
	}
	cfd = accept(lfd, NULL, NULL);
	if (cfd < 0)
		die("accept");
	close(lfd);
	be(cfd);
	unlink(path);
	return wait_child(pid);
}

/* ---- adopt --------------------------------------------------------------- */

/* The first request, then the two socketpairs: back-end channel, GPU socket. */
static void frontend_open_channels(int fd, int sv[2], int gv[2])
{
	uint8_t m[64];
	size_t n;

	n = make_msg(m, VHU_GET_FEATURES, VHU_VERSION, 0, 0);
	check(write(fd, m, n) == (ssize_t)n, "write");
	check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0 &&
	      socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, gv) == 0, "socketpair");
}

/* One channel request on each kept end: the back-end asks, we answer. */
static void frontend_answer_channels(int fd, int sv0, int gv0)
{
	uint8_t m[64];
	size_t n;

	read_full(sv0, m, 12);
	check(m[0] == VHU_BACKEND_CONFIG_CHANGE_MSG, "backend request");
	n = make_msg(m, VHU_BACKEND_CONFIG_CHANGE_MSG, VHU_VERSION | VHU_FLAG_REPLY, 8, 0);
	check(write(sv0, m, n) == (ssize_t)n, "backend reply");
	read_full(gv0, m, 12);
	check(m[0] == VHU_GPU_GET_PROTOCOL_FEATURES, "gpu request");
	n = make_msg(m, VHU_GPU_GET_PROTOCOL_FEATURES, VHU_FLAG_REPLY, 8, 0);
	check(write(gv0, m, n) == (ssize_t)n, "gpu reply");
	close(sv0);
	close(gv0);
	close(fd);
}

/* The back-end's side of it: a request on each received end, then EOF. */
static void backend_ask_channels(int fd, int bfd, int gfd)
{
	uint8_t m[64];
	size_t n;

	n = make_msg(m, VHU_BACKEND_CONFIG_CHANGE_MSG, VHU_VERSION | VHU_FLAG_NEED_REPLY, 0, 0);
	check(write(bfd, m, n) == (ssize_t)n, "backend request");
	read_full(bfd, m, 20);
	n = make_msg(m, VHU_GPU_GET_PROTOCOL_FEATURES, 0, 0, 0);
	check(write(gfd, m, n) == (ssize_t)n, "gpu request");
	read_full(gfd, m, 20);
	close(bfd);
	close(gfd);
	check(read(fd, m, 1) == 0, "EOF");
	close(fd);
}

/* One channel request on a socketpair end: back-end asks, front-end answers. */
static void frontend_adopt(int fd)
{
	uint8_t m[64];
	int sv[2], gv[2];
	size_t n;

	frontend_open_channels(fd, sv, gv);
	n = make_msg(m, VHU_SET_BACKEND_REQ_FD, VHU_VERSION, 0, 0);
	send_fds(fd, m, n, &sv[1], 1);
	close(sv[1]);
	n = make_msg(m, VHU_GPU_SET_SOCKET, VHU_VERSION, 0, 0);
	send_fds(fd, m, n, &gv[1], 1);
	close(gv[1]);
	frontend_answer_channels(fd, sv[0], gv[0]);
}

static void backend_adopt(int fd)
{
	uint8_t m[64];
	int bfd, gfd;

	read_full(fd, m, 12);
	check(recv_fds(fd, m, 12, &bfd, 1) == 1 && m[0] == VHU_SET_BACKEND_REQ_FD, "req fd");
	check(recv_fds(fd, m, 12, &gfd, 1) == 1 && m[0] == VHU_GPU_SET_SOCKET, "gpu fd");
	backend_ask_channels(fd, bfd, gfd);
}

/*
 * adoptdup: the sender keeps a dup of the end it sends and closes the
 * original before the message leaves (vhu-test-peer --io coalesce does
 * this), and the 21/33 shares one sendmsg with another message: first in
 * the buffer for the back-end channel, second for the GPU socket.  The
 * back-end reads each buffer with one recvmsg.
 */
static void frontend_adoptdup(int fd)
{
	uint8_t m[64];
	int sv[2], gv[2], copy;
	size_t n;

	frontend_open_channels(fd, sv, gv);

	copy = fcntl(sv[1], F_DUPFD_CLOEXEC, 0);
	check(copy >= 0, "dup");
	close(sv[1]);
	n = make_msg(m, VHU_SET_BACKEND_REQ_FD, VHU_VERSION, 0, 0);
	n += make_msg(m + n, VHU_SET_OWNER, VHU_VERSION, 0, 0);
	send_fds(fd, m, n, &copy, 1);
	close(copy);

	copy = fcntl(gv[1], F_DUPFD_CLOEXEC, 0);
	check(copy >= 0, "dup");
	close(gv[1]);
	n = make_msg(m, VHU_SET_VRING_NUM, VHU_VERSION, 8, 0x08);
	n += make_msg(m + n, VHU_GPU_SET_SOCKET, VHU_VERSION, 0, 0);
	send_fds(fd, m, n, &copy, 1);
	close(copy);

	frontend_answer_channels(fd, sv[0], gv[0]);
}

static void backend_adoptdup(int fd)
{
	uint8_t m[64];
	int bfd, gfd;

	read_full(fd, m, 12);
	check(recv_fds(fd, m, 24, &bfd, 1) == 1 && m[0] == VHU_SET_BACKEND_REQ_FD, "req fd");
	check(recv_fds(fd, m, 32, &gfd, 1) == 1 && m[20] == VHU_GPU_SET_SOCKET, "gpu fd");
	backend_ask_channels(fd, bfd, gfd);
}

/* ---- untracked ----------------------------------------------------------- */

static const char text[] = "hello, this is not vhost-user\n";

static void frontend_text(int fd)
{
	char buf[64];

	check(write(fd, text, sizeof(text)) == (ssize_t)sizeof(text), "write text");
	read_full(fd, buf, sizeof(text));
	close(fd);
}

static void backend_text(int fd)
{
	char buf[64];
	int p[2];

	read_full(fd, buf, sizeof(text));
	check(write(fd, buf, sizeof(text)) == (ssize_t)sizeof(text), "echo text");
	/* A pipe is never recorded, whatever it carries. */
	check(pipe(p) == 0, "pipe");
	make_msg((uint8_t *)buf, VHU_GET_FEATURES, VHU_VERSION, 0, 0);
	check(write(p[1], buf, 12) == 12 && read(p[0], buf, 12) == 12, "pipe io");
	close(p[0]);
	close(p[1]);
	close(fd);
}

/* ---- fork and exec -------------------------------------------------------- */

/* fork() behind libc's back: no atfork handler runs in the child. */
static pid_t raw_fork(void)
{
#ifdef SYS_clone3
	/* struct clone_args as of Linux 5.3: flags, pidfd, child_tid,
	 * parent_tid, exit_signal, stack, stack_size, tls. */
	uint64_t args[8] = { 0, 0, 0, 0, SIGCHLD, 0, 0, 0 };
	long r = syscall(SYS_clone3, args, sizeof(args));

	if (r >= 0 || errno != ENOSYS)
		return (pid_t)r;
#endif
#if defined(__s390__) || defined(__CRIS__)
	return (pid_t)syscall(SYS_clone, 0, SIGCHLD);
#else
	return (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
#endif
}

static void frontend_forkexec(int fd)
{
	uint8_t m[64];
	uint32_t self_pid;
	size_t n;
	pid_t pid;

	n = make_msg(m, VHU_GET_FEATURES, VHU_VERSION, 0, 0);
	check(write(fd, m, n) == (ssize_t)n, "write");
	pid = fork();
	if (pid == 0) {
		n = make_msg(m, VHU_SET_OWNER, VHU_VERSION, 0, 0);
		check(write(fd, m, n) == (ssize_t)n, "child write");
		_exit(0);
	}
	check(wait_child(pid) == 0, "fork child");
	/* The raw child sends its own pid (from the kernel) as the payload:
	 * its record must name that pid, not its parent's. */
	pid = raw_fork();
	check(pid >= 0, "raw clone");
	if (pid == 0) {
		self_pid = (uint32_t)syscall(SYS_getpid);
		n = make_msg(m, VHU_SET_FEATURES, VHU_VERSION, 8, 0);
		vhu_put_le32(m + 12, self_pid);
		check(write(fd, m, n) == (ssize_t)n, "raw child write");
		syscall(SYS_exit_group, 0);
	}
	check(wait_child(pid) == 0, "raw clone child");
	close(fd);
}

static void backend_forkexec(int fd)
{
	uint8_t m[64];

	read_full(fd, m, 44);
	check(m[0] == VHU_GET_FEATURES && m[12] == VHU_SET_OWNER && m[24] == VHU_SET_FEATURES,
	      "fork children's messages");
	close(fd);
}

/* The exec'd image: connects again and sends one request. */
static int run_execd(const char *path)
{
	uint8_t m[64];
	int fd = connect_to(path);
	size_t n = make_msg(m, VHU_GET_QUEUE_NUM, VHU_VERSION, 0, 0);

	check(write(fd, m, n) == (ssize_t)n, "execd write");
	close(fd);
	return 0;
}

static int run_forkexec(const char *path)
{
	int lfd = listen_on(path), st;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(lfd);
		frontend_forkexec(connect_to(path));
		execl(self, self, "execd", path, (char *)NULL);
		die("exec");
	}
	backend_forkexec(accept(lfd, NULL, NULL));
	{
		uint8_t m[64];
		int fd = accept(lfd, NULL, NULL);

		read_full(fd, m, 12);
		check(m[0] == VHU_GET_QUEUE_NUM, "execd message");
		close(fd);
	}
	st = wait_child(pid);
	close(lfd);
	unlink(path);
	return st;
}

/* ---- busy, threads, big --------------------------------------------------- */

/* Payload bound of "busy" (its optional argument): 8 KiB by default; and
 * its pause between requests, none by default. */
static uint32_t busy_max = 8192;
static unsigned busy_pause_us;

/* Requests of varying sizes, some with an eventfd, answered by a reply. */
static void frontend_busy(int fd)
{
	uint8_t *m = malloc(12 + busy_max), r[20];
	int efd = eventfd(0, EFD_CLOEXEC);
	unsigned i;

	check(m != NULL, "busy buffer");
	for (i = 0;; i++) {
		uint32_t len = (i * 2654435761u) % busy_max;
		size_t n = make_msg(m, VHU_SET_CONFIG, VHU_VERSION, len, (uint8_t)i);

		send_fds(fd, m, n, &efd, i % 3 == 0);
		read_full(fd, r, 20);
		if (busy_pause_us)
			usleep(busy_pause_us);
	}
}

static void backend_busy(int fd)
{
	uint8_t *m = malloc(12 + busy_max), r[20];
	size_t n = make_msg(r, VHU_SET_CONFIG, VHU_VERSION | VHU_FLAG_REPLY, 8, 0);
	int fds[8], k;

	check(m != NULL, "busy buffer");
	for (;;) {
		uint32_t len;

		for (k = recv_fds(fd, m, 12, fds, 8); k > 0; k--)
			close(fds[k - 1]);
		memcpy(&len, m + 8, 4);
		check(len < busy_max, "busy length");
		read_full(fd, m + 12, len);
		check(write(fd, r, n) == (ssize_t)n, "busy reply");
	}
}

/* ---- a program the shim must not disturb ----------------------------------- */

#define VFORK_MSGS 8

/* A vfork child that closes fd (its own copy) and exits. */
static __attribute__((noinline)) void vfork_close(int fd)
{
	pid_t pid = vfork();

	if (pid == 0) {
		close(fd);
		_exit(0);
	}
	check(pid > 0 && wait_child(pid) == 0, "vfork child");
}

/* Requests with a reply each; after the second, a vfork child closes the
 * connection. */
static void frontend_vfork(int fd)
{
	uint8_t m[12 + 8], r[20];
	int i;

	for (i = 0; i < VFORK_MSGS; i++) {
		size_t n = make_msg(m, VHU_GET_FEATURES, VHU_VERSION, 8, (uint8_t)i);

		if (i == 2)
			vfork_close(fd);
		check(write(fd, m, n) == (ssize_t)n, "vfork write");
		read_full(fd, r, 20);
	}
}

static void backend_vfork(int fd)
{
	uint8_t m[12 + 8], r[20];
	size_t n = make_msg(r, VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 8, 0);
	int i;

	for (i = 0; i < VFORK_MSGS; i++) {
		read_full(fd, m, sizeof(m));
		check(write(fd, r, n) == (ssize_t)n, "vfork reply");
	}
}

#define HOSTILE_MSGS 20

/* The front-end makes its socket fd 2 and caps its own file size: the
 * shim must neither write there nor be killed by SIGXFSZ. */
static void frontend_hostile(int fd)
{
	struct rlimit one = { 1, 1 };
	uint8_t m[12 + 8], r[20];
	int i;

	check(setrlimit(RLIMIT_FSIZE, &one) == 0, "setrlimit");
	check(dup2(fd, 2) == 2, "dup2 onto 2");
	close(fd);
	for (i = 0; i < HOSTILE_MSGS; i++) {
		size_t n = make_msg(m, VHU_GET_FEATURES, VHU_VERSION, 8, (uint8_t)i);

		check(write(2, m, n) == (ssize_t)n, "hostile write");
		read_full(2, r, 20);
	}
}

/* Counts every byte up to EOF: exactly the requests, nothing else. */
static void backend_hostile(int fd)
{
	uint8_t r[20], buf[4096];
	size_t n = make_msg(r, VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 8, 0), total = 0;
	ssize_t got;

	while ((got = read(fd, buf, sizeof(buf))) > 0) {
		size_t before = total / 20;

		total += (size_t)got;
		for (; before < total / 20; before++)
			check(write(fd, r, n) == (ssize_t)n, "hostile reply");
	}
	if (total != HOSTILE_MSGS * 20) {
		fprintf(stderr, "shim_peer: the back-end received %zu bytes, not %d\n", total,
			HOSTILE_MSGS * 20);
		exit(1);
	}
}

/*
 * Closes every fd above 2 behind the shim's back (the raw system call, as
 * a close loop of another library would), then puts a data file of its
 * own at every number from 16 up (the exchange needs a few below):
 * whatever the shim still wrote to a number of its own would land in the
 * file.  Then runs an exchange.
 */
static int run_rawclose(const char *path, const char *data)
{
	struct rlimit rl;
	int fd, top, i;

	check(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
	top = rl.rlim_cur > 4096 ? 4096 : (int)rl.rlim_cur;
	for (i = 3; i < top; i++)
		syscall(SYS_close, i);
	fd = open(data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	check(fd >= 0, "open data file");
	for (i = 16; i < top; i++)
		check(dup2(fd, i) == i, "dup2 data file");
	close(fd);
	return pair_run(path, frontend, backend);
}

struct thread_arg {
	const char *path;
	int nmsg;
};

/* One connection: nmsg requests (some above PIPE_BUF) and their replies. */
static void *thread_frontend(void *p)
{
	const struct thread_arg *a = p;
	static __thread uint8_t m[12 + 6000];
	uint8_t r[20];
	int fd = connect_to(a->path), i;

	for (i = 0; i < a->nmsg; i++) {
		size_t n = make_msg(m, VHU_SET_CONFIG, VHU_VERSION, (uint32_t)(i * 997) % 6000,
				    (uint8_t)i);

		check(write(fd, m, n) == (ssize_t)n, "thread write");
		read_full(fd, r, 20);
	}
	close(fd);
	return NULL;
}

static void *thread_backend(void *p)
{
	int fd = (int)(intptr_t)p;
	static __thread uint8_t m[12 + 6000];
	uint8_t r[20];
	size_t n = make_msg(r, VHU_SET_CONFIG, VHU_VERSION | VHU_FLAG_REPLY, 8, 0);
	uint32_t len;

	for (;;) {
		ssize_t got = recv(fd, m, 12, MSG_WAITALL);

		if (got == 0)
			break;
		check(got == 12, "thread header");
		memcpy(&len, m + 8, 4);
		check(len <= 6000 && (!len || recv(fd, m + 12, len, MSG_WAITALL) == (ssize_t)len),
		      "thread payload");
		check(write(fd, r, n) == (ssize_t)n, "thread reply");
	}
	close(fd);
	return NULL;
}

static int run_threads(const char *path, int nthreads, int nmsg)
{
	int lfd = listen_on(path), i;
	pthread_t t[64];
	struct thread_arg a = { path, nmsg };
	pid_t pid;

	check(nthreads > 0 && nthreads <= 64, "thread count");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(lfd);
		for (i = 0; i < nthreads; i++)
			pthread_create(&t[i], NULL, thread_frontend, &a);
		for (i = 0; i < nthreads; i++)
			pthread_join(t[i], NULL);
		_exit(0);
	}
	for (i = 0; i < nthreads; i++) {
		int fd = accept(lfd, NULL, NULL);

		check(fd >= 0, "accept");
		pthread_create(&t[i], NULL, thread_backend, (void *)(intptr_t)fd);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	close(lfd);
	unlink(path);
	return wait_child(pid);
}

/* ---- several threads on one connection ------------------------------------ */

static int oneconn_threads, oneconn_msgs;

struct oneconn_arg {
	int fd;
	uint32_t thread;
};

static void *oneconn_sender(void *p)
{
	const struct oneconn_arg *a = p;
	uint8_t m[20];
	uint32_t i;

	for (i = 0; i < (uint32_t)oneconn_msgs; i++) {
		/* SET_VRING_NUM's payload: the thread as index, i as num */
		size_t n = make_msg(m, VHU_SET_VRING_NUM, VHU_VERSION, 8, 0);

		vhu_put_le32(m + 12, a->thread);
		vhu_put_le32(m + 16, i);
		check(write(a->fd, m, n) == (ssize_t)n, "oneconn write");
	}
	return NULL;
}

static void frontend_oneconn(int fd)
{
	struct oneconn_arg a[64];
	pthread_t t[64];
	uint8_t m[12], r[20];
	int i;

	/* One request first: the connection is recorded before the race. */
	check(write(fd, m, make_msg(m, VHU_GET_FEATURES, VHU_VERSION, 0, 0)) == 12, "first write");
	for (i = 0; i < oneconn_threads; i++) {
		a[i] = (struct oneconn_arg){ fd, (uint32_t)i };
		check(pthread_create(&t[i], NULL, oneconn_sender, &a[i]) == 0, "pthread_create");
	}
	for (i = 0; i < oneconn_threads; i++)
		pthread_join(t[i], NULL);
	read_full(fd, r, sizeof(r));	/* the reply: all arrived */
	close(fd);
}

static void backend_oneconn(int fd)
{
	uint32_t next[64] = { 0 }, thread, index;
	uint8_t m[20];
	int i;

	read_full(fd, m, 12);
	for (i = 0; i < oneconn_threads * oneconn_msgs; i++) {
		read_full(fd, m, 20);
		thread = vhu_get_le32(m + 12);
		index = vhu_get_le32(m + 16);
		check(vhu_get_le32(m + 8) == 8 && thread < (uint32_t)oneconn_threads &&
		      index == next[thread], "oneconn request whole and in its thread's order");
		next[thread]++;
	}
	/* The reply to the first request, once every request came. */
	check(write(fd, m, make_msg(m, VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 8, 0)) == 20,
	      "reply");
	close(fd);
}

#define BIG_LEN (1024u * 1024u)
#define BIG_IOVS 100	/* more than one record used to hold */

/* A sendmsg/recvmsg of BIG_IOVS iovecs with room for one fd. */
struct big_msg {
	_Alignas(struct cmsghdr) char ctl[64];	/* room for CMSG_SPACE(sizeof(int)) */
	struct iovec iov[BIG_IOVS];
	struct msghdr msg;
};

/* buf cut into BIG_IOVS iovecs of about equal size, control room for an fd. */
static void big_msg_init(struct big_msg *b, uint8_t *buf, size_t len)
{
	size_t step = len / BIG_IOVS, off = 0;
	int i;

	for (i = 0; i < BIG_IOVS; i++) {
		b->iov[i].iov_base = buf + off;
		b->iov[i].iov_len = i == BIG_IOVS - 1 ? len - off : step;
		off += b->iov[i].iov_len;
	}
	memset(&b->msg, 0, sizeof(b->msg));
	b->msg.msg_iov = b->iov;
	b->msg.msg_iovlen = BIG_IOVS;
	b->msg.msg_control = b->ctl;
	b->msg.msg_controllen = CMSG_SPACE(sizeof(int));
}

/* One 1 MiB message in one sendmsg of BIG_IOVS iovecs, an eventfd with it. */
static void frontend_big(int fd)
{
	uint8_t *m = malloc(12 + BIG_LEN);
	size_t n = make_msg(m, VHU_GET_FEATURES, VHU_VERSION, 0, 0);
	int efd = eventfd(0, EFD_CLOEXEC);
	struct cmsghdr *c;
	struct big_msg b;

	check(m && efd >= 0, "big setup");
	check(write(fd, m, n) == (ssize_t)n, "first write");
	/* Oversized for the protocol, fine for the shim: only the first
	 * bytes of a connection are checked. */
	n = make_msg(m, VHU_SET_CONFIG, VHU_VERSION, BIG_LEN, 0x42);
	big_msg_init(&b, m, n);
	c = CMSG_FIRSTHDR(&b.msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &efd, sizeof(int));
	check(sendmsg(fd, &b.msg, 0) == (ssize_t)n, "big sendmsg");
	free(m);
	close(efd);
	close(fd);
}

/* The same message received by recvmsg of BIG_IOVS iovecs: the first call
 * ends with the bytes the fd came with, the second takes all the rest. */
static void backend_big(int fd)
{
	uint8_t *m = malloc(12 + BIG_LEN);
	struct big_msg b;
	ssize_t got;
	int efd;

	check(m != NULL, "big setup");
	check(recv(fd, m, 12, MSG_WAITALL) == 12, "first recv");
	big_msg_init(&b, m, 12 + BIG_LEN);
	got = recvmsg(fd, &b.msg, MSG_WAITALL);
	check(got > 0 && b.msg.msg_controllen >= CMSG_LEN(sizeof(int)), "big recvmsg with the fd");
	memcpy(&efd, CMSG_DATA(CMSG_FIRSTHDR(&b.msg)), sizeof(int));
	close(efd);
	big_msg_init(&b, m + got, 12 + BIG_LEN - (size_t)got);
	b.msg.msg_control = NULL;
	b.msg.msg_controllen = 0;
	check(recvmsg(fd, &b.msg, MSG_WAITALL) == (ssize_t)(12 + BIG_LEN) - got, "big recvmsg");
	free(m);
	close(fd);
}

/* ---- gpu ---------------------------------------------------------------- */

/* A 640x480 screen, as tests/newpeers' GPU scenario has it: each update is
 * 19 records in about 7 spool chunks. */
#define GPU_W 640u
#define GPU_H 480u
#define GPU_UPDATE_SIZE (20u + GPU_W * GPU_H * 4u)
#define GPU_UPDATES 30
#define GPU_PAUSE_US 50000	/* the launcher frees chunks meanwhile */

/* How update i goes out: the three ways in turn. */
enum gpu_send { GPU_WHOLE, GPU_SPLIT, GPU_COALESCED };

static enum gpu_send gpu_send_of(int i)
{
	return (enum gpu_send)(i % 3);
}

/* QEMU's side: hands over one end of a socketpair, reads the updates. */
static void frontend_gpu(int fd)
{
	uint8_t m[64], *buf = malloc(12 + GPU_UPDATE_SIZE);
	int gv[2], i;
	size_t n;

	check(buf != NULL, "gpu setup");
	n = make_msg(m, VHU_GET_FEATURES, VHU_VERSION, 0, 0);
	check(write(fd, m, n) == (ssize_t)n, "write");
	check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, gv) == 0, "socketpair");
	n = make_msg(m, VHU_GPU_SET_SOCKET, VHU_VERSION, 0, 0);
	send_fds(fd, m, n, &gv[1], 1);
	close(gv[1]);
	for (i = 0; i < GPU_UPDATES; i++) {
		read_full(gv[0], buf, 12);
		check(vhu_get_le32(buf) == VHU_GPU_UPDATE &&
		      vhu_get_le32(buf + 8) == GPU_UPDATE_SIZE, "gpu update header");
		read_full(gv[0], buf + 12, GPU_UPDATE_SIZE);
		if (gpu_send_of(i) != GPU_COALESCED)
			continue;
		read_full(gv[0], m, 24);
		check(vhu_get_le32(m) == VHU_GPU_CURSOR_POS, "gpu cursor position");
	}
	free(buf);
	close(gv[0]);
	close(fd);
}

/* vhost-user-gpu's side: full-screen updates of black pixels, sent in
 * the three ways in turn. */
static void backend_gpu(int fd)
{
	const size_t whole = 12 + GPU_UPDATE_SIZE;
	uint8_t m[64], *buf = calloc(1, whole + 24);
	int gfd, i;

	check(buf != NULL, "gpu setup");
	read_full(fd, m, 12);
	check(recv_fds(fd, m, 12, &gfd, 1) == 1 && m[0] == VHU_GPU_SET_SOCKET, "gpu fd");
	make_msg(buf, VHU_GPU_UPDATE, 0, GPU_UPDATE_SIZE, 0);
	vhu_put_le32(buf + 12 + 12, GPU_W);	/* scanout 0, x 0, y 0 */
	vhu_put_le32(buf + 12 + 16, GPU_H);
	make_msg(buf + whole, VHU_GPU_CURSOR_POS, 0, 12, 0);	/* scanout 0 at 0,0 */
	for (i = 0; i < GPU_UPDATES; i++) {
		switch (gpu_send_of(i)) {
		case GPU_WHOLE:
			send_fds(gfd, buf, whole, NULL, 0);
			break;
		case GPU_SPLIT:
			send_fds(gfd, buf, 12, NULL, 0);
			check(write(gfd, buf + 12, GPU_UPDATE_SIZE) == GPU_UPDATE_SIZE,
			      "gpu update payload");
			break;
		case GPU_COALESCED:
			send_fds(gfd, buf, whole + 24, NULL, 0);
			break;
		}
		usleep(GPU_PAUSE_US);
	}
	free(buf);
	close(gfd);
	check(read(fd, m, 1) == 0, "EOF");
	close(fd);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[1] : "", *path = argc > 2 ? argv[2] : "";

	self = argv[0];
	if (!strcmp(mode, "exchange"))
		return pair_run(path, frontend, backend);
	if (!strcmp(mode, "fe")) {
		frontend(connect_to(path));
		return 0;
	}
	if (!strcmp(mode, "be")) {
		int lfd = listen_on(path), fd;

		/* Ready: the test starts the front-end once it sees this. */
		printf("listening\n");
		fflush(stdout);
		fd = accept(lfd, NULL, NULL);
		close(lfd);
		backend(fd);
		unlink(path);
		return 0;
	}
	if (!strcmp(mode, "adopt"))
		return pair_run(path, frontend_adopt, backend_adopt);
	if (!strcmp(mode, "adoptdup"))
		return pair_run(path, frontend_adoptdup, backend_adoptdup);
	if (!strcmp(mode, "untracked"))
		return pair_run(path, frontend_text, backend_text);
	if (!strcmp(mode, "forkexec"))
		return run_forkexec(path);
	if (!strcmp(mode, "execd"))
		return run_execd(path);
	if (!strcmp(mode, "busy")) {
		if (argc > 3)
			busy_max = (uint32_t)strtoul(argv[3], NULL, 10);
		if (argc > 4)
			busy_pause_us = (unsigned)strtoul(argv[4], NULL, 10);
		check(busy_max > 0 && busy_max <= 16u << 20, "busy MAXLEN");
		return pair_run(path, frontend_busy, backend_busy);
	}
	if (!strcmp(mode, "vfork"))
		return pair_run(path, frontend_vfork, backend_vfork);
	if (!strcmp(mode, "hostile"))
		return pair_run(path, frontend_hostile, backend_hostile);
	if (!strcmp(mode, "rawclose") && argc > 3)
		return run_rawclose(path, argv[3]);
	if (!strcmp(mode, "threads") && argc > 4)
		return run_threads(path, atoi(argv[3]), atoi(argv[4]));
	if (!strcmp(mode, "big"))
		return pair_run(path, frontend_big, backend_big);
	if (!strcmp(mode, "gpu"))
		return pair_run(path, frontend_gpu, backend_gpu);
	if (!strcmp(mode, "oneconn") && argc > 4) {
		oneconn_threads = atoi(argv[3]);
		oneconn_msgs = atoi(argv[4]);
		check(oneconn_threads > 0 && oneconn_threads <= 64 && oneconn_msgs > 0,
		      "oneconn N M");
		return pair_run(path, frontend_oneconn, backend_oneconn);
	}
	fprintf(stderr, "usage: shim_peer MODE PATH (see the source)\n");
	return 2;
}
