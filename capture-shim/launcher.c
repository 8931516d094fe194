/* SPDX-License-Identifier: MIT */
/* \summary: vhost-user-capture: run a command with the capture shim preloaded, merge its spools */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capfile.h"
#include "vhu_le.h"
#include "merge.h"
#include "sink.h"
#include "spool.h"
#include "vhu_pcapng.h"
#include "vhu_record.h"

#define PROG "vhost-user-capture"
#define SHIM_NAME "libvhost-user-capture.so"
#define ATTACH_NAME "vhost-user-capture-attach"
#define DEFAULT_FILE "vhost-user-%p.pcapng"

/* Exit statuses of the launcher itself; otherwise the command's own. */
enum {
	EXIT_SETUP = 1,		/* shim not found, capture file not creatable */
	EXIT_USAGE = 2,
	EXIT_CANNOT_EXEC = 126,
	EXIT_NOT_FOUND = 127
};

struct options {
	const char *file;	/* -w, "-" for stdout */
	const char *sockets;	/* --sockets GLOB */
	const char *spool_mib;	/* --spool-size MiB */
	bool all_unix;
	bool quiet;
	bool merge;		/* --merge: the operands are spools */
	char **spools;		/* --merge operands */
	int nspools;
	char **cmd;
};

static void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void errorf(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *out)
{
	fputs("Usage: " PROG " [-w FILE|-] [--sockets GLOB] [--all-unix] [-q] -- CMD [ARGS...]\n"
	      "       " PROG " -p PID [-p PID...] | --all  -w FILE|-  [--duration S] ...\n"
	      "       " PROG " --merge SPOOL... -w FILE|-\n"
	      "Run CMD with the vhost-user capture shim preloaded and record the\n"
	      "vhost-user traffic of CMD and its children to a pcapng file.\n"
	      "\n"
	      "  -w FILE         write to FILE (appended to; %p becomes the process id);\n"
	      "                  default " DEFAULT_FILE "\n"
	      "  -w -            stream pcapng to stdout; CMD's own stdout goes to stderr\n"
	      "  --sockets GLOB  record only unix sockets whose path matches GLOB (fnmatch),\n"
	      "                  from connect/accept on, whatever they carry\n"
	      "  --all-unix      record every unix stream socket from connect/accept on\n"
	      "  --spool-size MIB  each process's spool (default 16 MiB, taken at start)\n"
	      "  --merge SPOOL...  write the records left in spool files or directories\n"
	      "                  (of a run whose launcher was killed) to -w FILE|-\n"
	      "  -q              no informational message\n"
	      "  -h, --help      this help\n"
	      "\n"
	      "Without --sockets/--all-unix, a connected or accepted unix socket is recorded\n"
	      "once its first bytes are a plausible vhost-user request.\n"
#ifdef VHU_HAVE_ATTACH
	      "\n"
	      "  -p PID, --all   attach to running processes with eBPF instead (no restart;\n"
	      "                  needs root): see '" PROG " -p 1 --help'\n"
#else
	      "\n"
	      "  -p PID, --all   attach mode: not in this build (it needs libbpf, bpftool and\n"
	      "                  clang when built)\n"
#endif
	      "\n"
	      "Environment: VHU_CAPTURE_LIB overrides the shim library's path.\n"
	      "Exit status: CMD's; 1 setup error, 2 usage error, 126/127 CMD not runnable.\n",
	      out);
}

/* Value of an option given as "-w X", "-wX", "--sockets X" or "--sockets=X". */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (a[n] == '=' && name[1] == '-')
		return a + n + 1;
	if (a[n] && name[1] != '-')
		return a + n;
	if (*i + 1 >= argc) {
		errorf("option %s needs a value (try '" PROG " --help')", name);
		return NULL;
	}
	return argv[++*i];
}

static bool is_opt(const char *a, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return false;
	if (name[1] == '-')
		return a[n] == 0 || a[n] == '=';
	return true;
}

/* One option taking a value: where it goes. */
struct valued_option {
	const char *name;
	size_t offset;		/* of the const char * in struct options */
};

static const struct valued_option valued_options[] = {
	{ "-w", offsetof(struct options, file) },
	{ "--sockets", offsetof(struct options, sockets) },
	{ "--spool-size", offsetof(struct options, spool_mib) },
};

/* Returns -1 to go on, 0 if a is none of the valued options, or an exit
 * status. */
static int parse_valued(int argc, char **argv, int *i, struct options *o)
{
	size_t k;

	for (k = 0; k < sizeof(valued_options) / sizeof(valued_options[0]); k++) {
		const struct valued_option *v = &valued_options[k];
		const char *val;

		if (!is_opt(argv[*i], v->name))
			continue;
		val = option_value(argc, argv, i, v->name);
		if (!val)
			return EXIT_USAGE;
		*(const char **)((char *)o + v->offset) = val;
		return -1;
	}
	return 0;
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
	int i, st;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1]) {
			if (!o->merge)
				break;
			o->spools[o->nspools++] = argv[i];
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "-q") == 0) {
			o->quiet = true;
		} else if (strcmp(a, "--all-unix") == 0) {
			o->all_unix = true;
		} else if (strcmp(a, "--merge") == 0) {
			o->merge = true;
			o->spools = calloc((size_t)argc, sizeof(*o->spools));
			if (!o->spools)
				return EXIT_SETUP;
		} else if ((st = parse_valued(argc, argv, &i, o)) != 0) {
			if (st > 0)
				return st;
		} else {
			errorf("unknown option '%s' (try '" PROG " --help')", a);
			return EXIT_USAGE;
		}
	}
	if (o->file && !*o->file) {
		errorf("empty file name for -w");
		return EXIT_USAGE;
	}
	if (o->merge) {
		if (i < argc || !o->nspools || !o->file) {
			errorf("--merge takes spool files or directories and -w FILE, no command");
			return EXIT_USAGE;
		}
		return -1;
	}
	if (i >= argc) {
		errorf("no command given (try '" PROG " --help')");
		return EXIT_USAGE;
	}
	o->cmd = argv + i;
	return -1;
}

static bool readable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0;
}

/* A file of ours (the shim, the attach program): $env, next to us (build
 * tree), or where it is installed relative to us. */
static bool find_ours(const char *name, const char *env_name, char *out)
{
	static const char installed[] = "/" VHU_SHIM_RELDIR;
	static const char *const rel[] = {
		"", installed, "/../lib/vhost-user-capture", "/../lib",
	};
	const char *env = getenv(env_name);
	char self[PATH_MAX], *slash;
	size_t i;
	ssize_t n;

	if (env && *env) {
		if (!realpath(env, out) || !readable_file(out)) {
			errorf("%s=%s: %s", env_name, env,
			       errno ? strerror(errno) : "not a readable file");
			return false;
		}
		return true;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		errorf("cannot find where I am: %s", strerror(errno));
		return false;
	}
	self[n] = 0;
	slash = strrchr(self, '/');
	if (slash)
		*slash = 0;
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char path[PATH_MAX + 64];

		snprintf(path, sizeof(path), "%s%s/%s", self, rel[i], name);
		if (readable_file(path) && realpath(path, out))
			return true;
	}
	errorf("cannot find %s next to %s or in its ../lib (set %s to its path)",
	       name, self, env_name);
	return false;
}

static bool find_shim(char *out, size_t cap)
{
	(void)cap;
	return find_ours(SHIM_NAME, "VHU_CAPTURE_LIB", out);
}

/* -p PID or --all before any "--": attach to running processes. */
static bool wants_attach(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--all") == 0 || strncmp(argv[i], "-p", 2) == 0)
			return true;
	return false;
}

/*
 * Attach mode is its own program (it needs libbpf, the launcher does
 * not): hand it the command line.  Returns only on failure, with the exit
 * status.
 */
static int hand_to_attach(char **argv)
{
#ifdef VHU_HAVE_ATTACH
	char prog[PATH_MAX];

	if (!find_ours(ATTACH_NAME, "VHU_CAPTURE_ATTACH", prog))
		return EXIT_SETUP;
	argv[0] = (char *)PROG;
	execv(prog, argv);
	errorf("%s: %s", prog, strerror(errno));
	return EXIT_SETUP;
#else
	(void)argv;
	errorf("attach mode (-p PID, --all) is not in this build (it needs libbpf, bpftool "
	       "and clang when built); start the program under " PROG " -w FILE -- CMD instead");
	return EXIT_USAGE;
#endif
}

/* Refuses to append to a file that is not already a pcapng capture. */
static bool check_existing(const char *path)
{
	uint8_t magic[4];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	bool ok = true;

	if (fd < 0)
		return true;	/* open for appending will tell */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		ok = read(fd, magic, 4) == 4 && vhu_get_le32(magic) == VHU_PCAPNG_SHB_TYPE;
	close(fd);
	if (!ok)
		errorf("%s exists and is not a pcapng capture: not appending to it", path);
	return ok;
}

/* The absolute form of name, so that it stays right whatever the command
 * does with its working directory. */
static bool absolute_name(const char *name, char *abs, size_t cap)
{
	char cwd[PATH_MAX];

	if (name[0] == '/') {
		if ((size_t)snprintf(abs, cap, "%s", name) >= cap)
			goto too_long;
		return true;
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		errorf("cannot get the current directory: %s", strerror(errno));
		return false;
	}
	if ((size_t)snprintf(abs, cap, "%s/%s", cwd, name) < cap)
		return true;
too_long:
	errorf("%s: file name too long", name);
	return false;
}

/* -w FILE: FILE's absolute name in abs; the file itself (header included)
 * is made now, unless its name holds %p, so that errors show here. */
static struct vhu_sink *prepare_file(const char *name, char *abs, size_t cap)
{
	char path[PATH_MAX + 64];

	if (!absolute_name(name, abs, cap))
		return NULL;
	if (vhu_capfile_expand(abs, getpid(), path, sizeof(path)) < 0) {
		errorf("%s: file name too long", name);
		return NULL;
	}
	if (!check_existing(path))
		return NULL;
	return vhu_sink_new(abs);
}

/* -w -: the header goes to stdout now; the command's stdout becomes our
 * stderr (in the child) so its output cannot mix into the pcapng stream. */
static struct vhu_sink *prepare_stdout(void)
{
	int err;

	if (isatty(STDOUT_FILENO)) {
		errorf("refusing to write a pcapng stream to a terminal (use -w FILE or a pipe)");
		return NULL;
	}
	err = vhu_capfile_write_header(STDOUT_FILENO);
	if (err) {
		errorf("cannot write to stdout: %s", strerror(-err));
		return NULL;
	}
	return vhu_sink_new(NULL);
}

/*
 * The spool directory: private (mkdtemp, 0700), next to the capture file
 * so that spools a killed launcher leaves are found beside it, or in
 * $TMPDIR for -w -.
 */
static bool make_spool_dir(const char *capture, char *dir, size_t cap)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX + 64];
	size_t n;

	if (capture) {
		if (vhu_capfile_expand(capture, getpid(), path, sizeof(path)) < 0)
			path[0] = 0;
		n = (size_t)snprintf(dir, cap, "%s.spool-XXXXXX", path);
	} else {
		n = (size_t)snprintf(dir, cap, "%s/" PROG ".XXXXXX", tmp && *tmp ? tmp : "/tmp");
	}
	if (n >= cap || !mkdtemp(dir)) {
		errorf("cannot make a spool directory %s: %s", dir,
		       n >= cap ? "name too long" : strerror(errno));
		return false;
	}
	return true;
}

static bool set_env(const char *name, const char *value)
{
	if ((value ? setenv(name, value, 1) : unsetenv(name)) < 0) {
		errorf("cannot set %s: %s", name, strerror(errno));
		return false;
	}
	return true;
}

/* Sanitizer runtimes a shim built with -fsanitize links (DT_NEEDED names). */
static bool is_sanitizer_runtime(const char *soname)
{
	static const char *const prefixes[] = {
		"libasan.so", "libubsan.so", "libtsan.so", "libhwasan.so",
		"libclang_rt.asan", "libclang_rt.ubsan", "libclang_rt.hwasan",
	};
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(soname, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* File offset of virtual address addr, from the PT_LOAD headers. */
static bool vaddr_to_offset(const Elf64_Phdr *ph, int n, Elf64_Addr addr, Elf64_Off *off)
{
	int i;

	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && addr >= ph[i].p_vaddr &&
		    addr - ph[i].p_vaddr < ph[i].p_filesz) {
			*off = ph[i].p_offset + (addr - ph[i].p_vaddr);
			return true;
		}
	return false;
}

/* Reads all of path into a malloc'd buffer (the shim is small). */
static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size < (64 << 20)) {
		buf = malloc((size_t)st.st_size);
		if (buf && read(fd, buf, (size_t)st.st_size) != st.st_size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)st.st_size;
	}
	close(fd);
	return buf;
}

/*
 * The sanitizer runtimes the shim links (a -DVHU_SANITIZE build), as
 * sonames separated by spaces, into out ("" if none).  They must come
 * first of all in LD_PRELOAD: loaded into a program that is not sanitized,
 * the shim's runtime would not be the first library, which ASan refuses.
 * ld.so finds a bare soname like a DT_NEEDED one.  Only the dynamic
 * section is read; a file that is not a native 64-bit ELF has none.
 */
static void shim_runtimes(const char *shim, char *out, size_t cap)
{
	size_t len = 0, used = 0;
	uint8_t *f = slurp(shim, &len);
	const Elf64_Ehdr *eh = (const void *)f;
	const Elf64_Phdr *ph;
	const Elf64_Dyn *dyn = NULL;
	Elf64_Off stroff = 0, off;
	size_t ndyn = 0, i;
	int k;

	out[0] = 0;
	if (!f || len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(*ph) ||
	    eh->e_phoff > len || (len - eh->e_phoff) / sizeof(*ph) < eh->e_phnum)
		goto done;
	ph = (const void *)(f + eh->e_phoff);
	for (k = 0; k < eh->e_phnum; k++)
		if (ph[k].p_type == PT_DYNAMIC && ph[k].p_offset <= len &&
		    ph[k].p_filesz <= len - ph[k].p_offset) {
			dyn = (const void *)(f + ph[k].p_offset);
			ndyn = ph[k].p_filesz / sizeof(*dyn);
		}
	for (i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++)
		if (dyn[i].d_tag == DT_STRTAB &&
		    !vaddr_to_offset(ph, eh->e_phnum, dyn[i].d_un.d_ptr, &stroff))
			goto done;
	if (!stroff)
		goto done;
	for (i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		const char *name;

		off = stroff + dyn[i].d_un.d_val;
		if (dyn[i].d_tag != DT_NEEDED || off >= len ||
		    !memchr(f + off, 0, len - off))
			continue;
		name = (const char *)f + off;
		if (!is_sanitizer_runtime(name) || used + strlen(name) + 2 > cap)
			continue;
		used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? " " : "", name);
	}
done:
	free(f);
}

/* ASAN_OPTIONS for the traced programs: their leaks are not ours to
 * report (the user's own settings win). */
static bool set_asan_options(void)
{
	const char *old = getenv("ASAN_OPTIONS");
	char v[4096];

	if (old && strstr(old, "detect_leaks="))
		return true;
	snprintf(v, sizeof(v), "%s%sdetect_leaks=0", old && *old ? old : "",
		 old && *old ? ":" : "");
	return set_env("ASAN_OPTIONS", v);
}

/*
 * The shim goes last in LD_PRELOAD, after what the user preloads: another
 * interposer of the same calls then sees the program's calls before we
 * do.  The sanitizer runtimes a sanitized shim links go first of all.
 */
static bool set_preload(const char *shim)
{
	const char *old = getenv("LD_PRELOAD");
	char runtimes[512];
	size_t n;
	char *v;
	bool ok;

	shim_runtimes(shim, runtimes, sizeof(runtimes));
	if (runtimes[0] && !set_asan_options())
		return false;
	n = strlen(runtimes) + strlen(shim) + (old ? strlen(old) : 0) + 3;
	v = malloc(n);
	if (!v) {
		errorf("out of memory");
		return false;
	}
	snprintf(v, n, "%s%s%s%s%s", runtimes, runtimes[0] ? " " : "",
		 old && *old ? old : "", old && *old ? " " : "", shim);
	ok = set_env("LD_PRELOAD", v);
	free(v);
	return ok;
}

/* --spool-size MiB as the shim's chunk count. */
static bool set_spool_size(const char *mib)
{
	unsigned long long n, chunks;
	char *end, v[16];

	if (!mib)
		return set_env("VHU_CAPTURE_SPOOL_CHUNKS", NULL);
	errno = 0;
	n = strtoull(mib, &end, 10);
	chunks = n * (1024 * 1024 / VHU_SPOOL_CHUNK_SIZE);
	if (errno || *end || end == mib || n > 1024 || chunks < VHU_SPOOL_CHUNKS_MIN ||
	    chunks > VHU_SPOOL_CHUNKS_MAX) {
		errorf("--spool-size %s: want MiB from 1 to 1024", mib);
		return false;
	}
	snprintf(v, sizeof(v), "%llu", chunks);
	return set_env("VHU_CAPTURE_SPOOL_CHUNKS", v);
}

/* ---- running the command ------------------------------------------------ */

/* Signals a user sends the launcher are meant for the command. */
static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 };
static volatile pid_t child_pid;

static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

/* The dispositions we were started with: the command gets them back. */
static struct sigaction saved_pipe, saved_xfsz, saved_fwd[sizeof(forwarded) / sizeof(forwarded[0])];

static void set_signals(void (*handler)(int))
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = handler;
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, &saved_fwd[i]);
	/* A reader gone or a file-size limit is a write error of ours. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &saved_pipe);
	sigaction(SIGXFSZ, &sa, &saved_xfsz);
}

static void restore_signals(void)
{
	size_t i;

	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &saved_fwd[i], NULL);
	sigaction(SIGPIPE, &saved_pipe, NULL);
	sigaction(SIGXFSZ, &saved_xfsz, NULL);
}

/* In the child: the command as if run directly, but for its stdout with
 * -w - (our stderr) and its death with us (a killed launcher must not
 * leave it running unrecorded). */
static void exec_command(char **cmd, bool stdout_is_capture, pid_t launcher)
{
	int err;

	restore_signals();
	if (stdout_is_capture && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		_exit(EXIT_SETUP);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != launcher)
		_exit(EXIT_SETUP);
	execvp(cmd[0], cmd);
	err = errno;
	errorf("cannot run %s: %s", cmd[0], strerror(err));
	_exit(err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

/* Our exit status: the command's, or its death by the same signal. */
static int pass_status(int status)
{
	if (WIFSIGNALED(status)) {
		struct rlimit none = { 0, 0 };
		int sig = WTERMSIG(status);

		setrlimit(RLIMIT_CORE, &none);	/* its core, if any, is dumped */
		signal(sig, SIG_DFL);
		raise(sig);
		return 128 + sig;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_SETUP;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* Records may be taken this late after their timestamp (a thread between
 * its clock read and its copy) and still go out in time order. */
#define HOLDBACK_NS (100u * 1000000u)
/* Between rounds the launcher sleeps, unless a round found this much:
 * fewer, bigger rounds cost the traced program's CPUs less. */
#define POLL_MS 5
#define BUSY_ROUND (4u << 20)

static void report(const struct vhu_merge_stats *st, const char *leftover)
{
	if (st->lost)
		errorf("%llu records lost: a spool was full (see --spool-size)",
		       (unsigned long long)st->lost);
	if (st->torn)
		errorf("%llu records cut by a killed process were left out",
		       (unsigned long long)st->torn);
	if (leftover)
		errorf("records of processes still running stay in %s "
		       "(" PROG " --merge %s -w FILE)", leftover, leftover);
}

/*
 * Runs the command as our child and merges the spools while it runs,
 * until it has ended and no process that may write a spool lives (its
 * children that took the shim along).  Processes that do not carry the
 * shim are not waited for.
 */
static int run(const struct options *o, struct vhu_sink *sink, const char *spool_dir)
{
	struct vhu_merge *m = vhu_merge_new(spool_dir, false, vhu_sink_block, sink);
	struct vhu_merge_stats st;
	int status = 0;
	bool child_done = false, alive;
	pid_t pid, self = getpid();

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		errorf("cannot fork: %s", strerror(errno));
		return EXIT_SETUP;
	}
	if (pid == 0)
		exec_command(o->cmd, o->file && strcmp(o->file, "-") == 0, self);
	child_pid = pid;
	for (;;) {
		size_t got = vhu_merge_poll(m, HOLDBACK_NS, false);
		int ws;
		pid_t done;

		vhu_sink_flush(sink);
		while ((done = waitpid(-1, &ws, WNOHANG)) > 0)
			if (done == pid) {
				status = ws;
				child_done = true;
			}
		if (child_done && !vhu_merge_writers_alive(m))
			break;
		if (got < BUSY_ROUND)
			sleep_ms(POLL_MS);
	}
	vhu_merge_poll(m, 0, true);
	alive = vhu_merge_writers_alive(m);
	vhu_merge_end(m, true, &st);
	vhu_sink_close(sink);
	report(&st, alive ? spool_dir : NULL);
	return pass_status(status);
}

/* --merge: the blocks of leftover spools, read only, into the output. */
static int merge_leftovers(const struct options *o, struct vhu_sink *sink)
{
	struct vhu_merge *m = vhu_merge_new(NULL, true, vhu_sink_block, sink);
	struct vhu_merge_stats st;
	bool ok = true;
	int i;

	for (i = 0; i < o->nspools; i++) {
		struct stat sb;

		if (stat(o->spools[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			struct vhu_merge *d = vhu_merge_new(o->spools[i], true, vhu_sink_block, sink);

			vhu_merge_poll(d, 0, true);
			vhu_merge_end(d, false, &st);
			ok = ok && st.bad == 0 && st.spools + st.empty > 0;
			if (!st.spools && !st.empty)
				errorf("%s: no spool in it", o->spools[i]);
			report(&st, NULL);
		} else if (vhu_merge_add_file(m, o->spools[i]) < 0) {
			ok = false;
		}
	}
	vhu_merge_poll(m, 0, true);
	vhu_merge_end(m, false, &st);
	report(&st, NULL);
	ok = vhu_sink_close(sink) && ok && st.bad == 0;
	return ok ? 0 : EXIT_SETUP;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	char shim[PATH_MAX], file[PATH_MAX + 64], spool_dir[PATH_MAX + 96];
	struct vhu_sink *sink;
	bool to_stdout;
	int st;

	if (wants_attach(argc, argv))
		return hand_to_attach(argv);
	st = parse_args(argc, argv, &o);
	if (st >= 0) {
		free(o.spools);
		return st;
	}
	set_signals(forward_signal);
	if (!o.file)
		o.file = DEFAULT_FILE;
	to_stdout = strcmp(o.file, "-") == 0;
	if (!o.merge && !find_shim(shim, sizeof(shim)))
		return EXIT_SETUP;
	sink = to_stdout ? prepare_stdout() : prepare_file(o.file, file, sizeof(file));
	if (!sink)
		return EXIT_SETUP;
	if (o.merge) {
		st = merge_leftovers(&o, sink);
		free(o.spools);
		return st;
	}
	if (!make_spool_dir(to_stdout ? NULL : file, spool_dir, sizeof(spool_dir)))
		return EXIT_SETUP;
	if (!set_env("VHU_CAPTURE_SPOOL", spool_dir) || !set_spool_size(o.spool_mib) ||
	    !set_env("VHU_CAPTURE_SOCKETS", o.sockets) ||
	    !set_env("VHU_CAPTURE_ALL_UNIX", o.all_unix ? "1" : NULL) || !set_preload(shim)) {
		rmdir(spool_dir);
		return EXIT_SETUP;
	}
	if (!o.quiet && !to_stdout)
		errorf("capturing to %s", file);
	return run(&o, sink, spool_dir);
}
