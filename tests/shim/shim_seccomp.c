/* SPDX-License-Identifier: MIT */
/*
 * shim_seccomp.c - a back-end that sandboxes itself before it waits for
 * the front-end, like virtiofsd, for the shim tests.
 *
 *   shim_seccomp kill|errno PATH [CHROOT_DIR]
 *
 * The front-end is the parent, which connects to PATH and talks; the
 * back-end (the forked child) chroots into CHROOT_DIR if given
 * (virtiofsd's sandbox=chroot: no /proc in there), installs a seccomp
 * filter, then accepts and serves the front-end's requests: a reply, fds
 * received (memfd, eventfd), a back-end channel socket received and used
 * by a thread started inside the sandbox.
 *
 * The filter allows what this back-end calls itself and the clock, nothing
 * else (the shim's records are memory copies into its spool): on any
 * other call it kills the process (SECCOMP_RET_KILL_PROCESS, "kill") or
 * makes the call fail with EHWPOISON ("errno"), which no call of the
 * back-end's own returns.
 *   accept, read, write, recvmsg, sendmsg, close, exit_group, rt_sigreturn
 *                     the back-end's own
 *   clone, clone3, mmap, mprotect, munmap, madvise, brk, futex,
 *   set_robust_list, rseq, rt_sigprocmask, rt_sigaction, getrandom, exit
 *                     the back-end's thread (pthread_create and join)
 *   clock_gettime     the record's time stamp: the vDSO, a system call only
 *                     where the clock has no vDSO
 * The shim must live with that: no getpid, gettid, fstat, readlinkat,
 * getsockname, getpeername or getsockopt once the filter is in (the
 * thread's records say tid 0, unknown).  Before
 * every call of the back-end errno is set to EDOM, and after every call
 * that succeeds it must still be EDOM: the shim leaks no errno.
 *
 * Exit 0 if the back-end lived to the end, 1 otherwise (SIGSYS: the shim
 * made a call the filter forbids), 77 where the filter cannot be built.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vhu_le.h"
#include "vhu_proto.h"
#include "vhu_record.h"
#include "shim_util.h"

#if defined(__x86_64__)
#define FILTER_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define FILTER_ARCH AUDIT_ARCH_AARCH64
#endif

#define EXIT_SKIP 77

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "shim_seccomp: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* exit_group itself: a sanitizer's _exit() makes calls of its own
 * (sigaltstack) that the filter does not allow. */
__attribute__((noreturn)) static void sandboxed_exit(int status)
{
	syscall(SYS_exit_group, status);
	for (;;)
		;
}

/* After the filter: no stdio (it may allocate), only write and exit. */
__attribute__((noreturn)) static void sandboxed_fail(const char *what)
{
	static const char prefix[] = "shim_seccomp: back-end: ";

	if (write(2, prefix, sizeof(prefix) - 1) < 0 || write(2, what, strlen(what)) < 0 ||
	    write(2, "\n", 1) < 0)
		sandboxed_exit(3);
	sandboxed_exit(2);
}

static void sandboxed_check(bool ok, const char *what)
{
	if (!ok)
		sandboxed_fail(what);
}

/* Set in the back-end once its filter is in: from then on no stdio. */
static bool sandboxed;

void shim_fail(const char *what)
{
	if (sandboxed)
		sandboxed_fail(what);
	die(what);
}

/* errno before each call of the sandboxed back-end; what the filter's
 * "errno" action returns. */
#define ERRNO_MARK EDOM
#define ERRNO_DENIED EHWPOISON

/* Runs call; if it succeeded (ok), errno must be what it was before. */
#define KEEPS_ERRNO(call, ok) \
	do { \
		errno = ERRNO_MARK; \
		call; \
		sandboxed_check(ok, #call " failed"); \
		sandboxed_check(errno == ERRNO_MARK, "errno changed by " #call); \
	} while (0)

#ifdef FILTER_ARCH
#define ALLOW(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/* Denies any system call not listed (see the top comment) with deny. */
static void install_filter(uint32_t deny)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FILTER_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* the back-end's own calls */
		ALLOW(SYS_accept), ALLOW(SYS_accept4),
		ALLOW(SYS_read), ALLOW(SYS_write), ALLOW(SYS_recvmsg), ALLOW(SYS_sendmsg),
		ALLOW(SYS_close), ALLOW(SYS_exit), ALLOW(SYS_exit_group),
		ALLOW(SYS_rt_sigreturn),
		/* its thread */
		ALLOW(SYS_clone), ALLOW(SYS_clone3), ALLOW(SYS_mmap), ALLOW(SYS_mprotect),
		ALLOW(SYS_munmap), ALLOW(SYS_madvise), ALLOW(SYS_brk), ALLOW(SYS_futex),
		ALLOW(SYS_set_robust_list), ALLOW(SYS_rseq), ALLOW(SYS_rt_sigprocmask),
		ALLOW(SYS_rt_sigaction), ALLOW(SYS_getrandom),
#ifdef __SANITIZE_ADDRESS__
		/* the program's own ASan runtime: __asan_handle_no_return before
		 * exit_group, its pthread_create (the shim's records of that
		 * thread still say tid 0: the shim asks nothing) */
		ALLOW(SYS_sigaltstack), ALLOW(SYS_gettid), ALLOW(SYS_sched_getaffinity),
#endif
		/* the records' time stamps */
		ALLOW(SYS_clock_gettime),
		BPF_STMT(BPF_RET | BPF_K, deny),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		die("seccomp filter");
}
#else
static void install_filter(uint32_t deny)
{
	(void)deny;
}
#endif

/* The back-end channel, served by a thread that starts in the sandbox. */
static void *channel_thread(void *arg)
{
	int chan = *(int *)arg, n;
	uint8_t m[32];
	ssize_t r = 0;

	n = (int)make_msg(m, VHU_BACKEND_CONFIG_CHANGE_MSG, VHU_VERSION | VHU_FLAG_NEED_REPLY,
			  0, 0);
	KEEPS_ERRNO(r = write(chan, m, (size_t)n), r == n);
	KEEPS_ERRNO(read_full(chan, m, 20), true);
	KEEPS_ERRNO(r = close(chan), r == 0);
	return NULL;
}

/* The back-end, inside its sandbox before the front-end comes. */
static void backend(int lfd, const char *jail, uint32_t deny)
{
	uint8_t m[64];
	int fds[4], n = 0, i, chan, fd = -1;
	ssize_t r = 0;
	pthread_t t;

	if (jail && (chroot(jail) < 0 || chdir("/") < 0))
		die("chroot");
	install_filter(deny);
	sandboxed = true;

	KEEPS_ERRNO(fd = accept(lfd, NULL, NULL), fd >= 0);
	KEEPS_ERRNO(r = close(lfd), r == 0);
	KEEPS_ERRNO(read_full(fd, m, 12), true);
	sandboxed_check(vhu_get_le32(m) == VHU_GET_FEATURES, "GET_FEATURES expected");
	KEEPS_ERRNO(send_fds(fd, m, make_msg(m, VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY,
					     8, 0xaa), NULL, 0), true);

	KEEPS_ERRNO(n = recv_fds(fd, m, 12, fds, 4), n == 2);
	sandboxed_check(vhu_get_le32(m) == VHU_SET_MEM_TABLE, "SET_MEM_TABLE fds");
	KEEPS_ERRNO(read_full(fd, m + 12, 8), true);
	for (i = 0; i < n; i++)
		KEEPS_ERRNO(r = close(fds[i]), r == 0);

	KEEPS_ERRNO(n = recv_fds(fd, m, 12, &chan, 1), n == 1);
	sandboxed_check(vhu_get_le32(m) == VHU_SET_BACKEND_REQ_FD, "SET_BACKEND_REQ_FD socket");
	sandboxed_check(pthread_create(&t, NULL, channel_thread, &chan) == 0 &&
			pthread_join(t, NULL) == 0, "back-end channel thread");
	KEEPS_ERRNO(r = read(fd, m, 1), r == 0);
	KEEPS_ERRNO(r = close(fd), r == 0);
	sandboxed_exit(0);
}

static bool fe_fail(const char *what)
{
	fprintf(stderr, "shim_seccomp: front-end: %s: %s\n", what, strerror(errno));
	return false;
}

/* The front-end, not sandboxed.  False at the first surprise (the caller
 * then tells how the back-end ended). */
static bool frontend(const char *path)
{
	int fd = connect_to(path), fds[2], sv[2];
	uint8_t m[64];
	size_t n;

	n = make_msg(m, VHU_GET_FEATURES, VHU_VERSION, 0, 0);
	if (write(fd, m, n) != (ssize_t)n || read(fd, m, 20) != 20)
		return fe_fail("GET_FEATURES");
	fds[0] = memfd_create("vhu-sandboxed-mem", MFD_CLOEXEC);
	fds[1] = eventfd(0, EFD_CLOEXEC);
	if (fds[0] < 0 || fds[1] < 0 || ftruncate(fds[0], 4096) < 0)
		return fe_fail("memfd/eventfd");
	send_fds(fd, m, make_msg(m, VHU_SET_MEM_TABLE, VHU_VERSION, 8, 0x55), fds, 2);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return fe_fail("socketpair");
	send_fds(fd, m, make_msg(m, VHU_SET_BACKEND_REQ_FD, VHU_VERSION, 0, 0), &sv[1], 1);
	close(sv[1]);
	if (read(sv[0], m, 12) != 12 || vhu_get_le32(m) != VHU_BACKEND_CONFIG_CHANGE_MSG)
		return fe_fail("back-end channel request");
	n = make_msg(m, VHU_BACKEND_CONFIG_CHANGE_MSG, VHU_VERSION | VHU_FLAG_REPLY, 8, 0);
	if (write(sv[0], m, n) != (ssize_t)n)
		return fe_fail("back-end channel reply");
	close(sv[0]);
	close(fds[0]);
	close(fds[1]);
	close(fd);
	return true;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "", *path = argc > 2 ? argv[2] : NULL;
	const char *jail = argc > 3 ? argv[3] : NULL;
	uint32_t deny = SECCOMP_RET_KILL_PROCESS;
	int lfd, st;
	bool fe_ok;
	pid_t pid;

	if (strcmp(mode, "errno") == 0)
		deny = SECCOMP_RET_ERRNO | ERRNO_DENIED;
	else if (strcmp(mode, "kill") != 0)
		path = NULL;
	if (!path) {
		fprintf(stderr, "usage: shim_seccomp kill|errno PATH [CHROOT_DIR]\n");
		return 2;
	}
#ifndef FILTER_ARCH
	fprintf(stderr, "shim_seccomp: no filter for this architecture\n");
	return EXIT_SKIP;
#endif
	lfd = listen_on(path);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		backend(lfd, jail, deny);
	close(lfd);
	/* A back-end killed mid-way must not take the front-end with it. */
	signal(SIGPIPE, SIG_IGN);
	fe_ok = frontend(path);
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	unlink(path);
	if (WIFSIGNALED(st)) {
		fprintf(stderr, "shim_seccomp: the back-end was killed by signal %d%s\n",
			WTERMSIG(st), WTERMSIG(st) == SIGSYS ?
			" (SIGSYS: a system call its filter forbids)" : "");
		return 1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "shim_seccomp: the back-end failed (status %d)\n",
			WEXITSTATUS(st));
		return 1;
	}
	if (!fe_ok)
		return 1;
	printf("back-end lived through its sandbox\n");
	return 0;
}
