/* SPDX-License-Identifier: MIT */
/*
 * noise_bench.c - traffic the attach mode must not record, timed.
 *
 *   noise_bench pipe|unix N
 *
 * N rounds of a 64-byte text write and read, on a pipe or on a unix
 * socket pair, in one process; prints the nanoseconds per round.  Run bare
 * and while `vhost-user-capture --all` is attached (bench/attach/run.sh):
 * the difference is what the kernel-side filter costs untracked fds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char line[64], back[64];
	struct timespec t0, t1;
	long i, n;
	int fd[2];

	if (argc != 3 || (strcmp(argv[1], "pipe") && strcmp(argv[1], "unix"))) {
		fprintf(stderr, "usage: noise_bench pipe|unix N\n");
		return 2;
	}
	n = atol(argv[2]);
	if (strcmp(argv[1], "pipe") == 0 ? pipe(fd) : socketpair(AF_UNIX, SOCK_STREAM, 0, fd)) {
		perror("noise_bench");
		return 1;
	}
	memset(line, 'x', sizeof(line));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		if (write(fd[1], line, sizeof(line)) != sizeof(line) ||
		    read(fd[0], back, sizeof(back)) != sizeof(back))
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%s %.0f ns per round\n", argv[1],
	       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / (double)n);
	return 0;
}
