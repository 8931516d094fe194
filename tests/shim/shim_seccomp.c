/* SPDX-License-Identifier: MIT */
/*
 * shim_seccomp.c - a back-end that sandboxes itself after accept(), like
 * virtiofsd, for the shim tests.
 *
 *   shim_seccomp PATH [CHROOT_DIR]
 *
 * The front-end is a fork child that connects to PATH and talks; the
 * back-end (the forked child) accepts, chroots into CHROOT_DIR if given
 * (virtiofsd's sandbox=chroot: no /proc in there), then installs a seccomp
 * filter that kills the process (SECCOMP_RET_KILL_PROCESS) on any system
 * call not in its list, and serves the front-end's requests: a reply, fds
 * received (memfd, eventfd), a back-end channel socket received and used.
 *
 * The list is what this back-end calls itself, plus what the capture shim
 * needs on its I/O path, no more (the shim must live with that):
 *   write, writev     one per record (write, which the back-end makes
 *                     itself, for the small ones)
 *   getpid            every record names its process (asked once per
 *                     process, or on every record on a kernel without
 *                     MADV_WIPEONFORK)
 *   fstat/newfstatat  describing the fds a message carries
 *   readlinkat        their /proc/self/fd names
 *   clock_gettime     timestamps (normally the vDSO, no system call)
 * Not in it, on purpose: getsockname, getpeername, getsockopt (the shim
 * takes a connection's path and peer credentials at accept time), readlink
 * (readlinkat instead), gettid (asked once per thread, before the filter).
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

#ifdef FILTER_ARCH
#define ALLOW(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/* Kills the process on any system call not listed (see the top comment). */
static void install_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FILTER_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* the back-end's own calls */
		ALLOW(SYS_read), ALLOW(SYS_write), ALLOW(SYS_recvmsg), ALLOW(SYS_sendmsg),
		ALLOW(SYS_close), ALLOW(SYS_exit), ALLOW(SYS_exit_group),
		ALLOW(SYS_rt_sigreturn),
#ifdef __SANITIZE_ADDRESS__
		/* ASan's __asan_handle_no_return, before exit_group */
		ALLOW(SYS_sigaltstack),
#endif
		/* the shim's */
		ALLOW(SYS_getpid), ALLOW(SYS_writev), ALLOW(SYS_readlinkat),
		ALLOW(SYS_newfstatat),
#ifdef SYS_fstat
		ALLOW(SYS_fstat),
#endif
		ALLOW(SYS_clock_gettime),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		die("seccomp filter");
}
#else
static void install_filter(void)
{
}
#endif

/* The back-end, inside its sandbox from the first byte on. */
static void backend(int lfd, const char *jail)
{
	uint8_t m[64];
	int fds[4], n, i, chan;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		die("accept");
	close(lfd);
	if (jail && (chroot(jail) < 0 || chdir("/") < 0))
		die("chroot");
	install_filter();
	sandboxed = true;

	read_full(fd, m, 12);
	sandboxed_check(vhu_get_le32(m) == VHU_GET_FEATURES, "GET_FEATURES expected");
	send_fds(fd, m, make_msg(m, VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 8, 0xaa),
		 NULL, 0);

	n = recv_fds(fd, m, 12, fds, 4);
	sandboxed_check(n == 2 && vhu_get_le32(m) == VHU_SET_MEM_TABLE, "SET_MEM_TABLE fds");
	read_full(fd, m + 12, 8);
	for (i = 0; i < n; i++)
		close(fds[i]);

	n = recv_fds(fd, m, 12, &chan, 1);
	sandboxed_check(n == 1 && vhu_get_le32(m) == VHU_SET_BACKEND_REQ_FD,
			"SET_BACKEND_REQ_FD socket");
	n = (int)make_msg(m, VHU_BACKEND_CONFIG_CHANGE_MSG, VHU_VERSION | VHU_FLAG_NEED_REPLY,
			  0, 0);
	sandboxed_check(write(chan, m, (size_t)n) == n, "back-end channel request");
	read_full(chan, m, 20);
	close(chan);
	sandboxed_check(read(fd, m, 1) == 0, "EOF");
	close(fd);
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
	const char *path = argc > 1 ? argv[1] : NULL, *jail = argc > 2 ? argv[2] : NULL;
	int lfd, st;
	bool fe_ok;
	pid_t pid;

	if (!path) {
		fprintf(stderr, "usage: shim_seccomp PATH [CHROOT_DIR]\n");
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
		backend(lfd, jail);
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
