/* SPDX-License-Identifier: MIT */
/*
 * pingpong.c - a long vhost-user ping-pong for the attach tests.
 *
 *   attach_pingpong [--count N] [--until FILE] [--raw] [--ready FILE] [--noise]
 *                   [--go FILE] [--time]
 *
 * Forks: the child is a back-end, the parent a front-end, over a unix
 * socket pair.  The front-end sends GET_FEATURES N times; the back-end
 * answers message i with features = i, header and payload in two writes
 * (as QEMU reads them), so an attach can land between the two.  Both sides
 * check every message; the parent prints "pingpong: N messages ok" and
 * exits 0 only if all were right, so a test sees whether an attach or a
 * detach disturbed the programs.
 *
 * --raw makes every transfer a syscall(2) (no libc wrapper to preload);
 * built with -static it is a program LD_PRELOAD cannot enter at all.
 * --ready FILE is created once 1000 messages went through; --until FILE
 * ends the run at the next multiple of 1000 after FILE appears (the count
 * done is printed), so a test can let it run as long as an attach needs.  --noise adds
 * traffic that must not be recorded: text over another unix socket pair
 * and a pipe, in both processes, on every 100th message.  --go FILE waits
 * for FILE before the first message (time to attach to both processes);
 * --time adds the nanoseconds per message to the last line (bench/attach).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int use_raw;

static ssize_t xfer(int fd, void *buf, size_t len, int out)
{
	if (use_raw)
		return syscall(out ? SYS_write : SYS_read, fd, buf, len);
	return out ? write(fd, buf, len) : read(fd, buf, len);
}

static int full(int fd, void *buf, size_t len, int out)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = xfer(fd, p, len, out);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);	/* the test runs on little-endian hosts */
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Text that is not vhost-user, over a socket pair and a pipe. */
static void noise(int sock, int pipe_w, int pipe_r, uint64_t i)
{
	char line[64], back[64];
	int n = snprintf(line, sizeof(line), "noise line %llu\n", (unsigned long long)i);

	if (full(sock, line, (size_t)n, 1) || full(pipe_w, line, (size_t)n, 1) ||
	    full(pipe_r, back, (size_t)n, 0)) {
		fprintf(stderr, "pingpong: noise failed\n");
		exit(1);
	}
}

static int backend(int fd, uint64_t count, int noisy, int nsock)
{
	uint8_t h[12], p[8];
	int pp[2] = { -1, -1 };
	uint64_t i;

	if (noisy && pipe(pp) < 0)
		return 1;
	for (i = 0; i < count; i++) {
		if (full(fd, h, 12, 0))
			return count == UINT64_MAX ? 0 : 1;	/* --until: the end is the close */
		if (get32(h) != 1 || get32(h + 4) != 1 || get32(h + 8) != 0) {
			fprintf(stderr, "pingpong: back-end: bad request %llu\n", (unsigned long long)i);
			return 1;
		}
		put32(h + 4, 0x5);
		put32(h + 8, 8);
		memcpy(p, &i, 8);
		if (full(fd, h, 12, 1) || full(fd, p, 8, 1))
			return 1;
		if (noisy && i % 100 == 0) {
			char back[64];
			int n = snprintf(back, sizeof(back), "noise line %llu\n", (unsigned long long)i);

			noise(nsock, pp[1], pp[0], i);
			if (full(nsock, back, (size_t)n, 0))	/* the front-end's line */
				return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t count = 100000, i;
	const char *ready = NULL, *until = NULL, *go = NULL;
	struct timespec t0, t1;
	int timed = 0;
	int sv[2], ns[2], pp[2] = { -1, -1 }, noisy = 0, st, a;
	pid_t child;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--count") == 0 && a + 1 < argc)
			count = strtoull(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "--until") == 0 && a + 1 < argc)
			until = argv[++a];
		else if (strcmp(argv[a], "--ready") == 0 && a + 1 < argc)
			ready = argv[++a];
		else if (strcmp(argv[a], "--go") == 0 && a + 1 < argc)
			go = argv[++a];
		else if (strcmp(argv[a], "--time") == 0)
			timed = 1;
		else if (strcmp(argv[a], "--raw") == 0)
			use_raw = 1;
		else if (strcmp(argv[a], "--noise") == 0)
			noisy = 1;
		else {
			fprintf(stderr, "usage: %s [--count N] [--until FILE] [--raw] [--ready FILE] [--noise] [--go FILE] [--time]\n", argv[0]);
			return 2;
		}
	}
	if (until)
		count = UINT64_MAX;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, ns) < 0 ||
	    (noisy && pipe(pp) < 0)) {
		perror("pingpong");
		return 1;
	}
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		close(sv[0]);
		close(ns[0]);
		_exit(backend(sv[1], count, noisy, ns[1]));
	}
	close(sv[1]);
	close(ns[1]);
	while (go && access(go, F_OK) != 0)
		usleep(10000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++) {
		uint8_t h[12] = { 0 }, p[8];
		uint64_t v;

		put32(h, 1);
		put32(h + 4, 1);
		if (full(sv[0], h, 12, 1) || full(sv[0], h, 12, 0) || get32(h + 8) != 8 ||
		    full(sv[0], p, 8, 0)) {
			fprintf(stderr, "pingpong: front-end: exchange %llu failed\n", (unsigned long long)i);
			return 1;
		}
		memcpy(&v, p, 8);
		if (get32(h) != 1 || get32(h + 4) != 5 || v != i) {
			fprintf(stderr, "pingpong: front-end: bad reply %llu\n", (unsigned long long)i);
			return 1;
		}
		if (noisy && i % 100 == 0) {
			char back[64];
			int n = snprintf(back, sizeof(back), "noise line %llu\n", (unsigned long long)i);

			/* the back-end's line, then one of our own through a pipe */
			if (full(ns[0], back, (size_t)n, 0))
				return 1;
			noise(ns[0], pp[1], pp[0], i);
		}
		if (until && i % 1000 == 999 && access(until, F_OK) == 0) {
			count = i + 1;
			/* the back-end stops on the closed socket */
			break;
		}
		if (ready && i == 1000) {
			int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

			if (fd >= 0)
				close(fd);
		}
	}
	close(sv[0]);
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "pingpong: back-end failed\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (timed)
		printf("pingpong: %llu messages ok, %.0f ns per message\n", (unsigned long long)count,
		       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / (double)count);
	else
		printf("pingpong: %llu messages ok\n", (unsigned long long)count);
	return 0;
}
