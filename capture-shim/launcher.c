/* SPDX-License-Identifier: MIT */
/* \summary: vhost-user-capture: run a command with the capture shim preloaded */
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capfile.h"
#include "vhu_le.h"
#include "vhu_pcapng.h"
#include "vhu_record.h"

#define PROG "vhost-user-capture"
#define SHIM_NAME "libvhost-user-capture.so"
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
	bool all_unix;
	bool quiet;
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
	      "Run CMD with the vhost-user capture shim preloaded and record the\n"
	      "vhost-user traffic of CMD and its children to a pcapng file.\n"
	      "\n"
	      "  -w FILE         write to FILE (appended to; %p becomes the process id);\n"
	      "                  default " DEFAULT_FILE "\n"
	      "  -w -            stream pcapng to stdout; CMD's own stdout goes to stderr\n"
	      "  --sockets GLOB  record only unix sockets whose path matches GLOB (fnmatch),\n"
	      "                  from connect/accept on, whatever they carry\n"
	      "  --all-unix      record every unix stream socket from connect/accept on\n"
	      "  -q              no informational message\n"
	      "  -h, --help      this help\n"
	      "\n"
	      "Without --sockets/--all-unix, a connected or accepted unix socket is recorded\n"
	      "once its first bytes are a plausible vhost-user request.\n"
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

/* Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "-q") == 0) {
			o->quiet = true;
		} else if (strcmp(a, "--all-unix") == 0) {
			o->all_unix = true;
		} else if (is_opt(a, "-w")) {
			o->file = option_value(argc, argv, &i, "-w");
			if (!o->file)
				return EXIT_USAGE;
		} else if (is_opt(a, "--sockets")) {
			o->sockets = option_value(argc, argv, &i, "--sockets");
			if (!o->sockets)
				return EXIT_USAGE;
		} else {
			errorf("unknown option '%s' (try '" PROG " --help')", a);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		errorf("no command given (try '" PROG " --help')");
		return EXIT_USAGE;
	}
	if (o->file && !*o->file) {
		errorf("empty file name for -w");
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

/* The shim: $VHU_CAPTURE_LIB, next to us (build tree), or where it is
 * installed relative to us. */
static bool find_shim(char *out, size_t cap)
{
	static const char installed[] = "/" VHU_SHIM_RELDIR;
	static const char *const rel[] = {
		"", installed, "/../lib/vhost-user-capture", "/../lib",
	};
	const char *env = getenv("VHU_CAPTURE_LIB");
	char self[PATH_MAX], *slash;
	size_t i;
	ssize_t n;

	if (env && *env) {
		if (!realpath(env, out) || !readable_file(out)) {
			errorf("VHU_CAPTURE_LIB=%s: %s", env,
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

		snprintf(path, sizeof(path), "%s%s/" SHIM_NAME, self, rel[i]);
		if (readable_file(path) && realpath(path, out))
			return true;
	}
	errorf("cannot find " SHIM_NAME " next to %s or in its ../lib "
	       "(set VHU_CAPTURE_LIB to its path)", self);
	(void)cap;
	return false;
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

/* Creates the capture file (header included) so that errors show here,
 * and returns its absolute name, %p unexpanded, for the shims. */
static bool prepare_file(const char *name, char *abs, size_t cap)
{
	char path[PATH_MAX + 64];
	int fd;

	if (name[0] == '/') {
		snprintf(abs, cap, "%s", name);
	} else {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd))) {
			errorf("cannot get the current directory: %s", strerror(errno));
			return false;
		}
		if ((size_t)snprintf(abs, cap, "%s/%s", cwd, name) >= cap) {
			errorf("%s: file name too long", name);
			return false;
		}
	}
	/* After exec, the command has our pid: its shim opens this name. */
	if (vhu_capfile_expand(abs, getpid(), path, sizeof(path)) < 0) {
		errorf("%s: file name too long", name);
		return false;
	}
	if (!check_existing(path))
		return false;
	fd = vhu_capfile_open(path);
	if (fd < 0) {
		errorf("cannot write capture file %s: %s", path, strerror(-fd));
		return false;
	}
	close(fd);
	return true;
}

/* -w -: the header goes to stdout now; the shims get a copy of stdout at a
 * high number, and the command's stdout becomes our stderr so its output
 * cannot mix into the pcapng stream. */
static bool prepare_stdout(char *fdnum, size_t cap)
{
	struct rlimit rl;
	int hi = 100, fd, err;

	if (isatty(STDOUT_FILENO)) {
		errorf("refusing to write a pcapng stream to a terminal (use -w FILE or a pipe)");
		return false;
	}
	/* A reader already gone is our error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	err = vhu_capfile_write_header(STDOUT_FILENO);
	signal(SIGPIPE, SIG_DFL);
	if (err) {
		errorf("cannot write to stdout: %s", strerror(-err));
		return false;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur <= (rlim_t)hi)
		hi = rl.rlim_cur > 8 ? (int)rl.rlim_cur - 4 : 3;
	fd = fcntl(STDOUT_FILENO, F_DUPFD, hi);	/* no FD_CLOEXEC: it must survive exec */
	if (fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		errorf("cannot set up the output: %s", strerror(errno));
		return false;
	}
	snprintf(fdnum, cap, "%d", fd);
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

int main(int argc, char **argv)
{
	struct options o = { 0 };
	char shim[PATH_MAX], file[PATH_MAX + 64], fdnum[16];
	int st;

	st = parse_args(argc, argv, &o);
	if (st >= 0)
		return st;
	if (!o.file)
		o.file = DEFAULT_FILE;
	if (!find_shim(shim, sizeof(shim)))
		return EXIT_SETUP;
	if (strcmp(o.file, "-") == 0) {
		if (!prepare_stdout(fdnum, sizeof(fdnum)) ||
		    !set_env("VHU_CAPTURE_FD", fdnum) || !set_env("VHU_CAPTURE_FILE", NULL))
			return EXIT_SETUP;
	} else {
		if (!prepare_file(o.file, file, sizeof(file)) ||
		    !set_env("VHU_CAPTURE_FILE", file) || !set_env("VHU_CAPTURE_FD", NULL))
			return EXIT_SETUP;
	}
	if (!set_env("VHU_CAPTURE_SOCKETS", o.sockets) ||
	    !set_env("VHU_CAPTURE_ALL_UNIX", o.all_unix ? "1" : NULL) || !set_preload(shim))
		return EXIT_SETUP;
	if (!o.quiet && strcmp(o.file, "-") != 0)
		errorf("capturing to %s", file);
	fflush(NULL);
	execvp(o.cmd[0], o.cmd);
	st = errno;
	errorf("cannot run %s: %s", o.cmd[0], strerror(st));
	return st == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}
