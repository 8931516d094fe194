/* SPDX-License-Identifier: MIT */
/* \summary: vhost-user-capture -p PID / --all: record running processes with eBPF */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collector.h"	/* before the skeleton: it names struct vhu_att_config */
#include "attach.skel.h"
#include "capfile.h"

#define PROG "vhost-user-capture"

/* the fds that follow an event in the ring buffer stay aligned */
_Static_assert(sizeof(struct vhu_att_event) % 8 == 0, "event size");
_Static_assert(sizeof(struct vhu_att_fd) % 8 == 0, "fd item size");
#define MAX_TARGETS 64

/* Exit statuses, as the launcher's. */
enum { EXIT_SETUP = 1, EXIT_USAGE = 2 };

struct options {
	pid_t pids[MAX_TARGETS];
	int npids;
	bool all;
	bool all_unix;
	bool quiet;
	const char *file;
	const char *sockets;
	double duration;	/* seconds, 0: until a signal or the targets exit */
	unsigned buffer_mib;
};

static volatile sig_atomic_t stop;
static struct attach_bpf *skel;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Messages as "vhost-user-capture: ...", the command the user typed. */
#define errorf warnx

static void usage(FILE *out)
{
	fputs("Usage: " PROG " -p PID [-p PID ...] | --all  -w FILE|-  [options]\n"
	      "Attach to running processes with eBPF and record their vhost-user traffic,\n"
	      "without restarting them (no LD_PRELOAD; static binaries and raw system calls\n"
	      "are seen too).  Needs root, or CAP_BPF and CAP_PERFMON, and a kernel with BTF.\n"
	      "\n"
	      "  -p PID          attach to PID (all its threads and the children it forks)\n"
	      "  --all           every process of the host\n"
	      "  -w FILE         write to FILE (appended to); -w - streams pcapng to stdout\n"
	      "  --duration S    stop after S seconds (default: SIGINT/SIGTERM, or every -p\n"
	      "                  target gone)\n"
	      "  --sockets GLOB  record only unix sockets whose path matches GLOB\n"
	      "  --all-unix      record every unix stream socket\n"
	      "  --buffer MIB    kernel ring buffer size (default 16, a power of two)\n"
	      "  -q              no informational message\n"
	      "  -h, --help      this help\n"
	      "\n"
	      "A socket is recorded from the first call whose bytes start with a plausible\n"
	      "vhost-user header.  A connection already in use when the capture starts may\n"
	      "begin inside a message: the decoder skips to the next message and says so.\n"
	      "Exit status: 0; 1 capture file error; 2 usage error, no permission, or a\n"
	      "kernel without BPF/BTF (use the LD_PRELOAD launcher: " PROG " -w FILE -- CMD).\n",
	      out);
}

static int parse_pid(const char *v, pid_t *out)
{
	char *end;
	long p;

	errno = 0;
	p = strtol(v, &end, 10);
	if (errno || *end || p <= 0 || p > 0x3fffffff)
		return -1;
	*out = (pid_t)p;
	return 0;
}

enum { OPT_ALL = 256, OPT_ALL_UNIX, OPT_SOCKETS, OPT_DURATION, OPT_BUFFER };

static const struct option long_opts[] = {
	{ "all", no_argument, NULL, OPT_ALL },
	{ "all-unix", no_argument, NULL, OPT_ALL_UNIX },
	{ "sockets", required_argument, NULL, OPT_SOCKETS },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "buffer", required_argument, NULL, OPT_BUFFER },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* One option; returns -1 to go on, or an exit status. */
static int take_option(int c, const char *v, struct options *o)
{
	char *end;
	unsigned long m;

	switch (c) {
	case 'h':
		usage(stdout);
		return 0;
	case 'q':
		o->quiet = true;
		return -1;
	case 'w':
		o->file = v;
		return -1;
	case OPT_ALL:
		o->all = true;
		return -1;
	case OPT_ALL_UNIX:
		o->all_unix = true;
		return -1;
	case OPT_SOCKETS:
		o->sockets = v;
		return -1;
	case 'p':
		if (o->npids == MAX_TARGETS) {
			errorf("at most %d -p targets", MAX_TARGETS);
			return EXIT_USAGE;
		}
		if (parse_pid(v, &o->pids[o->npids])) {
			errorf("-p %s: not a process id", v);
			return EXIT_USAGE;
		}
		o->npids++;
		return -1;
	case OPT_DURATION:
		o->duration = strtod(v, &end);
		if (*end || !(o->duration > 0)) {
			errorf("--duration %s: not a positive number of seconds", v);
			return EXIT_USAGE;
		}
		return -1;
	case OPT_BUFFER:
		m = strtoul(v, &end, 10);
		if (*end || !m || m > 1024 || (m & (m - 1))) {
			errorf("--buffer %s: a power of two from 1 to 1024 (MiB)", v);
			return EXIT_USAGE;
		}
		o->buffer_mib = (unsigned)m;
		return -1;
	default:	/* getopt said what was wrong */
		errorf("try '" PROG " --help'");
		return EXIT_USAGE;
	}
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
	int c, st, i;

	o->buffer_mib = 16;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "hqw:p:", long_opts, NULL)) != -1) {
		st = take_option(c, optarg, o);
		if (st >= 0)
			return st;
	}
	if (optind < argc) {
		errorf("unexpected argument '%s' (try '" PROG " --help')", argv[optind]);
		return EXIT_USAGE;
	}
	if (!o->all == !o->npids) {
		errorf(o->all ? "--all and -p exclude each other" : "give -p PID or --all (try '" PROG " --help')");
		return EXIT_USAGE;
	}
	if (!o->file || !*o->file) {
		errorf("-w FILE|- is required");
		return EXIT_USAGE;
	}
	for (i = 0; i < o->npids; i++)
		if (kill(o->pids[i], 0) < 0 && errno == ESRCH) {
			errorf("-p %d: no such process", (int)o->pids[i]);
			return EXIT_USAGE;
		}
	return -1;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || !getenv("VHU_ATTACH_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void set_sock_state(uint64_t sk, unsigned state)
{
	struct vhu_att_sock st = { .state = (unsigned char)state, .opened = 1 };

	bpf_map__update_elem(skel->maps.socks, &sk, sizeof(sk), &st, sizeof(st), BPF_ANY);
}

/* One line that says why attaching is impossible here, and what to use. */
static int cannot_attach(const char *why, int err)
{
	errorf("cannot attach: %s%s%s; record by starting the program under the "
	       "LD_PRELOAD launcher instead (" PROG " -w FILE -- CMD)",
	       why, err ? ": " : "", err ? strerror(err) : "");
	return EXIT_USAGE;
}

/* Syscall tracepoints are found through tracefs; mount it where the
 * kernel expects it if nothing is there yet. */
static void ensure_tracefs(void)
{
	struct stat st;

	if (stat("/sys/kernel/tracing/events", &st) == 0 ||
	    stat("/sys/kernel/debug/tracing/events", &st) == 0)
		return;
	mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
}

/* The hooks, cheapest first (bench/attach/RESULTS.md): one BTF tracepoint
 * at the exit of every system call, else the syscall tracepoints of the
 * calls recorded.  close has its own syscall tracepoint in both. */
enum hooks { HOOKS_BTF_EXIT, HOOKS_SYSCALL_TP };

static const char *const hooks_name[] = {
	[HOOKS_BTF_EXIT] = "BTF tracepoint sys_exit",
	[HOOKS_SYSCALL_TP] = "syscall tracepoints",
};

static bool in_hooks(const struct bpf_program *prog, enum hooks h)
{
	const char *sec = bpf_program__section_name(prog);

	if (strncmp(sec, "tp_btf/", 7) == 0)
		return h == HOOKS_BTF_EXIT;
	if (strcmp(sec, "tracepoint/syscalls/sys_enter_close") == 0)
		return true;
	if (strncmp(sec, "tracepoint/syscalls/", 20) == 0)
		return h == HOOKS_SYSCALL_TP;
	return true;	/* sched_process_fork */
}

/* What failed: opening the object, loading it, attaching it. */
enum stage { STAGE_OPEN, STAGE_LOAD, STAGE_ATTACH, STAGE_DONE };

/* Opens, loads and attaches the programs of hooks h; on failure nothing
 * stays loaded and *err says why. */
static enum stage load_hooks(const struct options *o, enum hooks h, int *err)
{
	int cpus = libbpf_num_possible_cpus();
	struct bpf_program *prog;
	enum stage failed = STAGE_LOAD;

	skel = attach_bpf__open();
	if (!skel) {
		*err = errno;
		return STAGE_OPEN;
	}
	skel->rodata->cfg.all_pids = o->all;
	skel->rodata->cfg.all_unix = o->all_unix || o->sockets;
	bpf_map__set_max_entries(skel->maps.scratch, cpus > 0 ? (unsigned)cpus : 1);
	bpf_map__set_max_entries(skel->maps.events, o->buffer_mib << 20);
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, in_hooks(prog, h));
	*err = -attach_bpf__load(skel);
	if (!*err) {
		for (int i = 0; i < o->npids; i++) {
			uint32_t pid = (uint32_t)o->pids[i];
			uint8_t one = 1;

			bpf_map__update_elem(skel->maps.targets, &pid, sizeof(pid), &one, sizeof(one), BPF_ANY);
		}
		failed = STAGE_ATTACH;
		*err = -attach_bpf__attach(skel);
	}
	if (!*err)
		return STAGE_DONE;
	attach_bpf__destroy(skel);
	skel = NULL;
	return failed;
}

/* The cheapest hooks this kernel and this build allow (VHU_ATTACH_HOOKS=
 * syscalls skips the BTF tracepoint, for tests of the fallback). */
static enum hooks first_hooks(void)
{
	const char *want = getenv("VHU_ATTACH_HOOKS");
	struct attach_bpf *probe;
	bool have_btf_exit;

	if (want && strcmp(want, "syscalls") == 0)
		return HOOKS_SYSCALL_TP;
	probe = attach_bpf__open();
	have_btf_exit = probe && bpf_object__find_program_by_name(probe->obj, "exit_any");
	attach_bpf__destroy(probe);
	return have_btf_exit ? HOOKS_BTF_EXIT : HOOKS_SYSCALL_TP;
}

static int load(const struct options *o, enum hooks *used)
{
	struct stat st;
	enum stage stage;
	int err;

	if (stat("/sys/kernel/btf/vmlinux", &st) < 0)
		return cannot_attach("this kernel has no BTF (/sys/kernel/btf/vmlinux)", 0);
	if (geteuid() != 0 && access("/sys/kernel/btf/vmlinux", R_OK) < 0)
		return cannot_attach("not root (needs root, or CAP_BPF and CAP_PERFMON)", EPERM);
	ensure_tracefs();
	libbpf_set_print(libbpf_quiet);
	*used = first_hooks();
	stage = load_hooks(o, *used, &err);
	if (stage != STAGE_DONE && *used == HOOKS_BTF_EXIT) {
		/* a kernel without BTF tracepoints for BPF: the older way */
		*used = HOOKS_SYSCALL_TP;
		stage = load_hooks(o, *used, &err);
	}
	switch (stage) {
	case STAGE_OPEN:
		return cannot_attach("opening the BPF object failed", err);
	case STAGE_LOAD:
		/* as root, EACCES is the verifier's answer, not a permission */
		return cannot_attach(err == EPERM || (err == EACCES && geteuid() != 0) ?
				     "loading the BPF programs was refused (needs root, or CAP_BPF and CAP_PERFMON)" :
				     "the kernel refused the BPF programs", err);
	case STAGE_ATTACH:
		return cannot_attach("attaching to the syscall tracepoints failed (is tracefs mounted?)", err);
	case STAGE_DONE:
		break;
	}
	return -1;
}

static int open_output(const char *file)
{
	int fd, err;

	if (strcmp(file, "-") == 0) {
		err = vhu_capfile_write_header(STDOUT_FILENO);
		if (err) {
			errorf("stdout: %s", strerror(-err));
			return -1;
		}
		return STDOUT_FILENO;
	}
	fd = vhu_capfile_open(file);
	if (fd < 0) {
		errorf("%s: %s", file, strerror(-fd));
		return -1;
	}
	return fd;
}

static int64_t clock_offset(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000 + (rt.tv_nsec - mono.tv_nsec);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static bool targets_alive(const struct options *o)
{
	for (int i = 0; i < o->npids; i++)
		if (kill(o->pids[i], 0) == 0 || errno != ESRCH)
			return true;
	return false;
}

static uint64_t lost_events(int which)
{
	int cpus = libbpf_num_possible_cpus();
	uint64_t vals[1024], sum = 0;
	uint32_t key = (uint32_t)which;

	if (cpus <= 0 || cpus > 1024 ||
	    bpf_map__lookup_elem(skel->maps.lost, &key, sizeof(key), vals, sizeof(vals[0]) * (size_t)cpus, 0))
		return 0;
	for (int i = 0; i < cpus; i++)
		sum += vals[i];
	return sum;
}

static int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	return collector_event(data, len);
}

static void run(const struct options *o)
{
	struct ring_buffer *rb;
	double end = o->duration > 0 ? now_s() + o->duration : 0;

	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	if (!rb) {
		errorf("ring buffer: %s", strerror(errno));
		return;
	}
	while (!stop) {
		int n = ring_buffer__poll(rb, 100);

		if (n < 0 && n != -EINTR)
			break;
		/* the programs wake us only when the buffer fills: drain it */
		ring_buffer__consume(rb);
		collector_flush();
		if (end && now_s() >= end)
			break;
		if (o->npids && !targets_alive(o))
			break;
	}
	/* what is still in the buffer belongs to the capture */
	ring_buffer__consume(rb);
	collector_flush();
	ring_buffer__free(rb);
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct collector_cfg cfg = { 0 };
	struct sigaction sa;
	enum hooks hooks;
	int st, i;

	program_invocation_short_name = (char *)PROG;
	st = parse_args(argc, argv, &o);
	if (st >= 0)
		return st;
	st = load(&o, &hooks);
	if (st >= 0) {
		attach_bpf__destroy(skel);
		return st;
	}
	cfg.out_fd = open_output(o.file);
	if (cfg.out_fd < 0) {
		attach_bpf__destroy(skel);
		return EXIT_SETUP;
	}
	cfg.sockets = o.sockets;
	cfg.clock_offset = clock_offset();
	cfg.set_sock_state = set_sock_state;
	collector_init(&cfg);
	for (i = 0; i < o.npids; i++)
		collector_process((uint32_t)o.pids[i]);
	collector_flush();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!o.quiet)
		fprintf(stderr, PROG ": attached to %s (%s); writing %s\n",
			o.all ? "every process" : "the -p targets", hooks_name[hooks],
			strcmp(o.file, "-") ? o.file : "stdout");
	run(&o);

	if (!o.quiet) {
		const struct collector_stats *s = collector_stats();

		fprintf(stderr, PROG ": %llu records, %llu connections, %llu events lost "
			"in the kernel buffer, %llu dropped while a CPU's buffer was busy\n",
			(unsigned long long)s->records, (unsigned long long)s->connections,
			(unsigned long long)lost_events(0), (unsigned long long)lost_events(1));
	}
	attach_bpf__destroy(skel);
	if (cfg.out_fd != STDOUT_FILENO)
		close(cfg.out_fd);
	return collector_stats()->write_errors ? EXIT_SETUP : 0;
}
