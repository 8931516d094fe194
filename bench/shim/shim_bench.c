/* SPDX-License-Identifier: MIT */
/*
 * shim_bench.c - load for the capture-shim benchmark (bench/shim/run.sh).
 *
 *   shim_bench pingpong N   N vhost-user messages (12-byte header + 8-byte
 *                           payload) bounced between two processes over a
 *                           unix socket: sendmsg, then recvmsg(12) and
 *                           recvmsg(8) as QEMU does
 *   shim_bench pingpong N FILE
 *                           the same, and after every sendmsg/recvmsg one
 *                           write() of a record's size (EPB head and tags,
 *                           record header, the call's bytes, EPB tail) to
 *                           FILE opened O_APPEND: the floor that the shim's
 *                           one-write-per-record rule sets
 *   shim_bench inproc N [FILE]
 *                           the ping-pong's calls in one process (both ends
 *                           of the connection, no scheduling): the CPU cost
 *                           per message, with FILE the floor's writes too
 *   shim_bench pipe N       N write(8)/read(8) pairs on a pipe (untracked)
 *
 * Prints "MODE N seconds ns-per-message cpu-seconds": wall-clock time of
 * the loop, and the CPU time (user + system) of this process and the
 * child it waited for, which a loaded machine disturbs much less.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what)
{
	perror(what);
	exit(1);
}

/* The floor's capture file (-1: none) and the sizes of what the shim
 * writes around a call's bytes: EPB head with the exported-PDU tags,
 * record header with its data item, EPB tail with its flags option. */
static int floor_fd = -1;
#define FLOOR_HEAD 60
#define FLOOR_REC 48
#define FLOOR_TAIL 16

/* One record-sized write of the call's bytes, as the shim writes it. */
static void floor_write(const void *data, size_t len)
{
	uint8_t rec[FLOOR_HEAD + FLOOR_REC + 20 + FLOOR_TAIL] = { 0 };
	size_t n = FLOOR_HEAD + FLOOR_REC + len + FLOOR_TAIL;

	if (floor_fd < 0)
		return;
	memcpy(rec + FLOOR_HEAD + FLOOR_REC, data, len);
	if (write(floor_fd, rec, n) != (ssize_t)n)
		fail("write");
}

static void send_msg(int fd, const uint8_t *m)
{
	struct iovec iov = { (void *)m, 20 };
	struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (sendmsg(fd, &h, 0) != 20)
		fail("sendmsg");
	floor_write(m, 20);
}

static void recv_part(int fd, uint8_t *buf, size_t len)
{
	struct iovec iov = { buf, len };
	struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (recvmsg(fd, &h, MSG_WAITALL) != (ssize_t)len)
		fail("recvmsg");
	floor_write(buf, len);
}

static void recv_msg(int fd, uint8_t *buf)
{
	recv_part(fd, buf, 12);
	recv_part(fd, buf + 12, 8);
}

/* A listener and a connect, so the shim sees a connect/accept pair. */
static void connect_pair(int *a, int *b)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int l = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "shim_bench.%d.sock", getpid());
	unlink(sun.sun_path);
	if (l < 0 || bind(l, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(l, 1) < 0)
		fail("listen");
	*a = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(*a, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		fail("connect");
	*b = accept(l, NULL, NULL);
	if (*b < 0)
		fail("accept");
	close(l);
	unlink(sun.sun_path);
}

static double pingpong(long n)
{
	/* GET_FEATURES-like request (id 1, version 1, 8-byte payload). */
	uint8_t m[20] = { 1, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0 }, r[20];
	int fe, be, st;
	double t0, t;
	long i;
	pid_t pid;

	connect_pair(&fe, &be);
	t0 = now();
	pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0) {
		close(fe);
		for (i = 0; i < n / 2; i++) {
			recv_msg(be, r);
			r[4] |= 4;	/* reply flag */
			send_msg(be, r);
		}
		_exit(0);
	}
	close(be);
	for (i = 0; i < n / 2; i++) {
		memcpy(m + 12, &i, 8);
		send_msg(fe, m);
		recv_msg(fe, r);
	}
	t = now() - t0;
	waitpid(pid, &st, 0);
	return t;
}

static double inproc(long n)
{
	uint8_t m[20] = { 1, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0 }, r[20];
	int fe, be;
	double t0;
	long i;

	connect_pair(&fe, &be);
	t0 = now();
	for (i = 0; i < n / 2; i++) {
		memcpy(m + 12, &i, 8);
		send_msg(fe, m);
		recv_msg(be, r);
		r[4] |= 4;
		send_msg(be, r);
		recv_msg(fe, r);
	}
	return now() - t0;
}

static double pipe_loop(long n)
{
	uint64_t v = 0;
	int p[2];
	double t0;
	long i;

	if (pipe(p) < 0)
		fail("pipe");
	t0 = now();
	for (i = 0; i < n; i++) {
		if (write(p[1], &v, 8) != 8 || read(p[0], &v, 8) != 8)
			fail("pipe io");
	}
	return now() - t0;
}

/* User + system seconds of this process and its waited-for children. */
static double cpu_seconds(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
			kids.ru_stime.tv_sec) +
	       (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
			kids.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 1000000;
	double t;

	if (argc > 3) {
		floor_fd = open(argv[3], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (floor_fd < 0)
			fail(argv[3]);
	}
	if (argc > 1 && strcmp(argv[1], "pingpong") == 0)
		t = pingpong(n);
	else if (argc > 1 && strcmp(argv[1], "inproc") == 0)
		t = inproc(n);
	else if (argc > 1 && strcmp(argv[1], "pipe") == 0)
		t = pipe_loop(n);
	else {
		fprintf(stderr, "usage: shim_bench pingpong|inproc|pipe [N [FILE]]\n");
		return 2;
	}
	printf("%s %ld %.3f %.0f %.3f\n", argv[1], n, t, t * 1e9 / (double)n, cpu_seconds());
	return 0;
}
