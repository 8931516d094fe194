/* SPDX-License-Identifier: MIT */
/*
 * shim_stack.c - recorded calls on small stacks, for the shim tests.
 *
 *   shim_stack PATH [SCALE]
 *
 * Makes a vhost-user connection to itself (connect and accept on PATH,
 * a GET_FEATURES header first, so that the shim records both ends), then
 * moves messages on it, with fds and without, from
 *   - a thread whose stack is the smallest pthreads allows
 *     (PTHREAD_STACK_MIN, which also holds the thread's TLS), and
 *   - a signal handler on an alternate stack of 8 KiB, the classic
 *     SIGSTKSZ (the kernel's signal frame takes its part of it).
 * Each stack is mapped with a guard page below it: overflowing it is a
 * SIGSEGV, not a silent overwrite.  Each is filled with a pattern first,
 * and afterwards the deepest byte that changed tells how much of it the
 * calls used: printed as "thread N" and "signal N" (bytes).  Run with and
 * without the shim, the difference is what the shim adds to each call.
 * SCALE multiplies both stack sizes (sanitized builds have frames several
 * times bigger).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vhu_proto.h"
#include "shim_util.h"

#define PAINT 0xa5
#define ALT_STACK 8192

static size_t scale = 1;

void shim_fail(const char *what)
{
	fprintf(stderr, "shim_stack: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int fe, be;		/* the two ends of the connection */
static int mem_fd, ev_fd;	/* fds the messages carry */

/* size bytes of stack with a guard page below, painted. */
static uint8_t *map_stack(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *p = mmap(NULL, size + page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p, page, PROT_NONE) < 0)
		shim_fail("stack mmap");
	memset(p + page, PAINT, size);
	return p + page;
}

/* Bytes of the stack [lo, lo + size) used, from its top down. */
static size_t stack_used(const uint8_t *lo, size_t size)
{
	size_t i = 0;

	while (i < size && lo[i] == PAINT)
		i++;
	return size - i;
}

/* One front-end request and its reply, every way the shim records. */
static void exchange(void)
{
	uint8_t m[32], r[32];
	struct iovec iov[2] = { { m, 12 }, { m + 12, 8 } };
	int fds[2] = { mem_fd, ev_fd }, got[2], n;
	size_t len = make_msg(m, VHU_SET_MEM_TABLE, VHU_VERSION, 8, 0x55);

	send_fds(fe, m, len, fds, 2);
	n = recv_fds(be, r, len, got, 2);
	if (n != 2)
		shim_fail("fds");
	close(got[0]);
	close(got[1]);
	if (writev(fe, iov, 2) != 20)
		shim_fail("writev");
	read_full(be, r, 20);
	len = make_msg(m, VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 8, 0xaa);
	if (write(be, m, len) != (ssize_t)len)
		shim_fail("write");
	read_full(fe, r, len);
}

static void *small_thread(void *arg)
{
	(void)arg;
	exchange();
	return NULL;
}

/* Only async-signal-safe calls: write and read. */
static void on_signal(int sig)
{
	uint8_t m[32];
	size_t len = make_msg(m, VHU_GET_VRING_BASE, VHU_VERSION, 8, 0x11);

	(void)sig;
	if (write(fe, m, len) != (ssize_t)len || read(be, m, len) != (ssize_t)len)
		_exit(2);
}

static size_t on_small_thread(void)
{
	size_t size = (size_t)sysconf(_SC_THREAD_STACK_MIN);
	uint8_t *stack;
	pthread_attr_t attr;
	pthread_t t;

	if (size < (size_t)PTHREAD_STACK_MIN)
		size = (size_t)PTHREAD_STACK_MIN;
	size *= scale;
	stack = map_stack(size);
	if (pthread_attr_init(&attr) || pthread_attr_setstack(&attr, stack, size) ||
	    pthread_create(&t, &attr, small_thread, NULL) || pthread_join(t, NULL))
		shim_fail("small thread");
	return stack_used(stack, size);
}

static size_t on_alt_stack(void)
{
	size_t size = ALT_STACK * scale;
	uint8_t *stack = map_stack(size);
	stack_t ss = { .ss_sp = stack, .ss_size = size };
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_ONSTACK };

	if (sigaltstack(&ss, NULL) < 0 || sigaction(SIGUSR1, &sa, NULL) < 0)
		shim_fail("sigaltstack");
	raise(SIGUSR1);
	return stack_used(stack, size);
}

int main(int argc, char **argv)
{
	uint8_t m[16];
	int lfd;

	if (argc < 2 || argc > 3 || (argc == 3 && (scale = strtoul(argv[2], NULL, 10)) == 0)) {
		fprintf(stderr, "usage: shim_stack PATH [SCALE]\n");
		return 2;
	}
	lfd = listen_on(argv[1]);
	fe = connect_to(argv[1]);
	be = accept(lfd, NULL, NULL);
	mem_fd = memfd_create("vhu-stack-mem", MFD_CLOEXEC);
	ev_fd = eventfd(0, EFD_CLOEXEC);
	if (be < 0 || mem_fd < 0 || ev_fd < 0)
		shim_fail("setup");
	/* The first bytes make both ends vhost-user connections. */
	if (write(fe, m, make_msg(m, VHU_GET_FEATURES, VHU_VERSION, 0, 0)) != 12)
		shim_fail("first request");
	read_full(be, m, 12);

	printf("thread %zu\n", on_small_thread());
	printf("signal %zu\n", on_alt_stack());
	close(fe);
	close(be);
	close(lfd);
	unlink(argv[1]);
	return 0;
}
