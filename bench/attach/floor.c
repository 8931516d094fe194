/* SPDX-License-Identifier: MIT */
/*
 * floor.c - attaches the programs of floor.bpf.o whose name starts with
 * PREFIX, says "attached" on stderr and waits for SIGINT or SIGTERM.
 *
 *   floor floor.bpf.o PREFIX
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	size_t plen;
	int n = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: floor OBJECT PREFIX\n");
		return 2;
	}
	plen = strlen(argv[2]);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		perror(argv[1]);
		return 1;
	}
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, strncmp(bpf_program__name(prog), argv[2], plen) == 0);
	if (bpf_object__load(obj)) {
		fprintf(stderr, "floor: loading %s* failed\n", argv[2]);
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__autoload(prog))
			continue;
		if (!bpf_program__attach(prog)) {
			fprintf(stderr, "floor: attaching %s failed\n", bpf_program__name(prog));
			return 1;
		}
		n++;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "floor: %d programs attached\n", n);
	while (!stop)
		pause();
	return 0;	/* the links go with the process */
}
