/* SPDX-License-Identifier: MIT */
/*
 * noise_bench.c - traffic the attach mode must not record, timed.
 *
 *   noise_bench pipe|unix|getppid N
 *
 * N rounds of a 64-byte text write and read, on a pipe or on a unix
 * socket pair, in one process (or of getppid(), a call no program of the
 * attach mode looks at); prints the CPU nanoseconds (user and system) per
 * round.  CPU time, not wall-clock time: the programs run in the calling
 * task, so their cost is in its CPU time, and on a machine shared with
 * other jobs the waits for a CPU are not.  Run bare and while
 * `vhost-user-capture --all` is attached (bench/attach/run.sh): the
 * difference is what the kernel-side filter costs untracked fds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int round_trip(const int fd[2])
{
	static const char line[64] = "untracked traffic, not a vhost-user header, 64 bytes long.....";
	char back[64];

	return write(fd[1], line, sizeof(line)) == sizeof(line) &&
	       read(fd[0], back, sizeof(back)) == sizeof(back);
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	long i, n;
	int fd[2];
	int calls = argc == 3 && strcmp(argv[1], "getppid") == 0;

	if (argc != 3 || (!calls && strcmp(argv[1], "pipe") && strcmp(argv[1], "unix"))) {
		fprintf(stderr, "usage: noise_bench pipe|unix|getppid N\n");
		return 2;
	}
	n = atol(argv[2]);
	if (!calls && (strcmp(argv[1], "pipe") == 0 ? pipe(fd) : socketpair(AF_UNIX, SOCK_STREAM, 0, fd))) {
		perror("noise_bench");
		return 1;
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	for (i = 0; i < n; i++)
		if (calls ? getppid() <= 0 : !round_trip(fd))
			return 1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	printf("%s %.0f ns per round\n", argv[1],
	       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / (double)n);
	return 0;
}
