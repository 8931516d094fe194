/* SPDX-License-Identifier: MIT */
/*
 * vhost-user-extcap - Wireshark's external capture interface for the
 * vhost-user toolkit.  Two interfaces in Wireshark's list, both streaming
 * vhost-user-capture's pcapng into the fifo Wireshark reads:
 *   "vhost-user: launch"  runs a command line under the capture shim
 *   "vhost-user: attach"  attaches to running processes with eBPF
 *                         (vhost-user-capture -p/--all; root only)
 *
 * Wireshark calls an extcap program in four ways (see extcap(4)):
 *   --extcap-interfaces                     which interfaces exist
 *   --extcap-interface IF --extcap-dlts     the link type of IF
 *   --extcap-interface IF --extcap-config   the options of IF, for its dialog
 *   --extcap-interface IF --capture --fifo PATH [options]
 *                                           capture until SIGTERM
 * It shows what the program wrote to stderr in an error dialog, so every
 * failure is one line there; the command's own output goes to a log file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "vhost-user-extcap"
#define IF_LAUNCH "vhost-user-launch"
#define IF_ATTACH "vhost-user-attach"

#ifndef VHU_VERSION
#define VHU_VERSION "unknown"
#endif
/* Where cmake --install puts the launcher; VHU_CAPTURE overrides it. */
#ifndef VHU_CAPTURE_PATH
#define VHU_CAPTURE_PATH "/usr/bin/vhost-user-capture"
#endif

/* Exit statuses, as Wireshark's own extcap programs use them. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* The link type of every record: exported PDUs (docs/capture-format.md). */
#define LINKTYPE_WIRESHARK_UPPER_PDU 252

struct options {
	bool list_interfaces, list_dlts, config, capture;
	const char *interface;
	const char *fifo;
	const char *command;	/* --command: a shell command line */
	const char *workdir;	/* --workdir */
	const char *sockets;	/* --sockets GLOB */
	bool all_unix;		/* --all-unix */
	const char *log;	/* --log FILE: the command's stdout and stderr */
	const char *pids;	/* attach: --pids "PID[,PID...]" */
	bool all;		/* attach: --all */
};

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- what Wireshark asks before a capture ------------------------------ */

static void print_interfaces(void)
{
	printf("extcap {version=%s}{display=vhost-user toolkit}\n", VHU_VERSION);
	printf("interface {value=%s}{display=vhost-user: attach to running processes (eBPF, root)}\n",
	       IF_ATTACH);
	printf("interface {value=%s}{display=vhost-user: launch a program under the capture shim}\n",
	       IF_LAUNCH);
}

static bool is_attach(const struct options *o)
{
	return o->interface && strcmp(o->interface, IF_ATTACH) == 0;
}

static bool known_interface(const char *name)
{
	return name && (strcmp(name, IF_LAUNCH) == 0 || strcmp(name, IF_ATTACH) == 0);
}

static void print_dlts(void)
{
	printf("dlt {number=%d}{name=WIRESHARK_UPPER_PDU}"
	       "{display=vhost-user capture records}\n", LINKTYPE_WIRESHARK_UPPER_PDU);
}

/*
 * The options dialog.  Validation patterns are checked by Wireshark before
 * it starts the capture; check_options() checks the same again, since
 * tshark passes -o values without a dialog.
 */
static void print_config_attach(void)
{
	printf("arg {number=0}{call=--pids}{display=Process ids}{type=string}"
	       "{validation=^[0-9, ]*$}"
	       "{tooltip=The processes to attach to, separated by commas (e.g. a QEMU's and its "
	       "back-end's: pidof qemu-system-x86_64); their threads and the children they "
	       "fork later are recorded too}\n");
	printf("arg {number=1}{call=--all}{display=Every process}{type=boolflag}{default=false}"
	       "{tooltip=Record every vhost-user connection on the host instead of the listed processes}\n");
	printf("arg {number=2}{call=--sockets}{display=Socket path glob}{type=string}"
	       "{tooltip=Record only unix sockets whose path matches this pattern (fnmatch)}\n");
}

static void print_config_launch(void)
{
	printf("arg {number=0}{call=--command}{display=Command line}{type=string}{required=true}"
	       "{validation=\\S}"
	       "{tooltip=The program to run and its arguments, as a shell command line: "
	       "it and its children are recorded (e.g. a back-end and a front-end started by a script)}\n");
	printf("arg {number=1}{call=--workdir}{display=Working directory}{type=string}"
	       "{validation=^(/.*)?$}"
	       "{tooltip=The directory the command runs in, an absolute path (default: the one Wireshark runs in)}\n");
	printf("arg {number=2}{call=--sockets}{display=Socket path glob}{type=string}"
	       "{tooltip=Record only unix sockets whose path matches this pattern (fnmatch), "
	       "whatever they carry; empty: sockets whose first bytes are vhost-user}\n");
	printf("arg {number=3}{call=--all-unix}{display=Every unix stream socket}{type=boolflag}"
	       "{default=false}{tooltip=Record every unix stream socket of the command}\n");
	printf("arg {number=4}{call=--log}{display=Output of the command}{type=fileselect}"
	       "{mustexist=false}{tooltip=A file that receives the command's standard output "
	       "and error (default: discarded)}\n");
}

/* ---- checks ------------------------------------------------------------- */

/* Is the first word of a shell command line something sh can run?  Only
 * a plain word is checked (no quotes, no variables, no redirections first):
 * anything else is left to the shell, whose message reaches the dialog. */
static bool first_word_runnable(const char *cmd, char *word, size_t cap)
{
	size_t n = 0;
	const char *path, *p;

	while (*cmd == ' ' || *cmd == '\t')
		cmd++;
	while (cmd[n] && !strchr(" \t\n;&|<>()", cmd[n]) && n + 1 < cap)
		n++;
	memcpy(word, cmd, n);
	word[n] = 0;
	if (n == 0 || strpbrk(word, "\"'$`\\=*?[~"))
		return true;
	if (strchr(word, '/'))
		return access(word, X_OK) == 0;
	/* Shell keywords and builtins need no file. */
	static const char *const builtins[] = {
		"exec", "cd", "set", "export", "env", "if", "for", "while", "case", "{",
		"command", "eval", ".", "true", "false", "ulimit", "umask", "trap", NULL
	};
	for (int i = 0; builtins[i]; i++)
		if (strcmp(word, builtins[i]) == 0)
			return true;
	path = getenv("PATH");
	for (p = path ? path : "/usr/bin:/bin"; *p;) {
		const char *end = strchrnul(p, ':');
		char full[PATH_MAX];

		if (snprintf(full, sizeof(full), "%.*s/%s", (int)(end - p), end == p ? "." : p,
			     word) < (int)sizeof(full) && access(full, X_OK) == 0)
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

static const char *launcher_path(void);

/* Most process ids one attach takes from the dialog, and the longest
 * number (attach_args() copies each into a buffer of this size). */
#define MAX_PIDS 32
#define PID_TEXT_MAX 16

/* Attach: the process ids are numbers of running processes, as many as
 * attach_args() passes on, so that none is left out unsaid. */
static bool check_pids(const char *pids)
{
	const char *p = pids;
	int n = 0;

	while (*p) {
		char *end;
		long pid;

		p += strspn(p, ", ");
		if (!*p)
			break;
		errno = 0;
		pid = strtol(p, &end, 10);
		if (end == p || errno || pid <= 0 || pid > 4194304 || end - p >= PID_TEXT_MAX ||
		    (*end && !strchr(", ", *end))) {
			fail("process ids: '%s' is not a list of numbers", pids);
			return false;
		}
		if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
			fail("process %ld does not exist", pid);
			return false;
		}
		if (++n > MAX_PIDS) {
			fail("process ids: at most %d processes", MAX_PIDS);
			return false;
		}
		p = end;
	}
	if (n == 0) {
		fail("no process: set \"Process ids\" or check \"Every process\"");
		return false;
	}
	return true;
}

static bool check_launch(const struct options *o)
{
	struct stat st;
	char word[256];

	if (!o->command || !o->command[strspn(o->command, " \t\n")]) {
		fail("no command line: set the interface's \"Command line\" option");
		return false;
	}
	if (o->workdir && *o->workdir) {
		if (stat(o->workdir, &st) != 0) {
			fail("working directory %s: %s", o->workdir, strerror(errno));
			return false;
		}
		if (!S_ISDIR(st.st_mode)) {
			fail("working directory %s: not a directory", o->workdir);
			return false;
		}
	}
	if (!first_word_runnable(o->command, word, sizeof(word))) {
		fail("%s: command not found (in the command line \"%s\")", word, o->command);
		return false;
	}
	return true;
}

static bool check_options(const struct options *o)
{
	if (!known_interface(o->interface)) {
		fail("unknown interface '%s' (this program offers %s and %s)",
		     o->interface ? o->interface : "", IF_LAUNCH, IF_ATTACH);
		return false;
	}
	if (!o->fifo) {
		fail("--capture needs --fifo PATH");
		return false;
	}
	if (access(launcher_path(), X_OK) != 0) {
		fail("cannot run the capture launcher %s: %s (install vhost-user-tools, or set VHU_CAPTURE)",
		     launcher_path(), strerror(errno));
		return false;
	}
	if (is_attach(o))
		return o->all || check_pids(o->pids ? o->pids : "");
	return check_launch(o);
}

/* ---- the capture -------------------------------------------------------- */

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static const char *launcher_path(void)
{
	const char *env = getenv("VHU_CAPTURE");

	return env && *env ? env : VHU_CAPTURE_PATH;
}

/* The launcher's arguments for an attach: -p for each process, or --all. */
static int attach_args(const struct options *o, const char **argv, int n, char pids[][PID_TEXT_MAX])
{
	const char *p = o->pids ? o->pids : "";
	int k = 0;

	if (o->all) {
		argv[n++] = "--all";
		return n;
	}
	while (*p && k < MAX_PIDS) {
		size_t len;

		p += strspn(p, ", ");
		len = strspn(p, "0123456789");
		if (len == 0 || len >= sizeof(pids[0]))
			break;
		memcpy(pids[k], p, len);
		pids[k][len] = 0;
		argv[n++] = "-p";
		argv[n++] = pids[k++];
		p += len;
	}
	return n;
}

/* In the child: the launcher, in a process group of its own so that a stop
 * reaches the command and all its children, writing pcapng into the fifo. */
static void run_launcher(const struct options *o, int fifo_fd, int log_fd)
{
	const char *argv[16 + 2 * MAX_PIDS];
	char pids[MAX_PIDS][PID_TEXT_MAX];
	int n = 0;

	setpgid(0, 0);
	if (o->workdir && *o->workdir && chdir(o->workdir) != 0) {
		dprintf(log_fd, PROG ": cannot enter %s: %s\n", o->workdir, strerror(errno));
		_exit(126);
	}
	if (dup2(fifo_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0)
		_exit(126);
	argv[n++] = launcher_path();
	argv[n++] = "-q";
	argv[n++] = "-w";
	argv[n++] = "-";
	if (o->sockets && *o->sockets) {
		argv[n++] = "--sockets";
		argv[n++] = o->sockets;
	}
	if (is_attach(o)) {
		n = attach_args(o, argv, n, pids);
	} else {
		if (o->all_unix)
			argv[n++] = "--all-unix";
		argv[n++] = "--";
		argv[n++] = "/bin/sh";
		argv[n++] = "-c";
		argv[n++] = o->command;
	}
	argv[n] = NULL;
	execv(argv[0], (char *const *)argv);
	dprintf(log_fd, PROG ": cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* The last line of the log (the command's last words), for the dialog. */
static void last_line(int fd, char *out, size_t cap)
{
	off_t end = lseek(fd, 0, SEEK_END);
	off_t start = end > (off_t)cap ? end - (off_t)cap + 1 : 0;
	ssize_t n;
	char *nl;

	out[0] = 0;
	if (end <= 0 || (n = pread(fd, out, cap - 1, start)) <= 0)
		return;
	out[n] = 0;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = 0;
	nl = strrchr(out, '\n');
	if (nl)
		memmove(out, nl + 1, strlen(nl + 1) + 1);
}

static int capture(const struct options *o)
{
	struct sigaction sa = { .sa_handler = on_stop };
	int fifo_fd, log_fd, status = 0;
	const char *what;
	char why[512];
	pid_t pid;

	if (!check_options(o))
		return EXIT_FAIL;
	fifo_fd = open(o->fifo, O_WRONLY | O_CLOEXEC);
	if (fifo_fd < 0) {
		fail("cannot open the fifo %s: %s", o->fifo, strerror(errno));
		return EXIT_FAIL;
	}
	/* The log is also where the launcher's own errors go: an anonymous
	 * file unless the user named one. */
	if (o->log && *o->log)
		log_fd = open(o->log, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	else
		log_fd = open("/tmp", O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		fail("cannot open the log %s: %s", o->log && *o->log ? o->log : "(temporary)",
		     strerror(errno));
		return EXIT_FAIL;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		return EXIT_FAIL;
	}
	if (pid == 0)
		run_launcher(o, fifo_fd, log_fd);
	setpgid(pid, pid);	/* also here: no race with an early stop */
	close(fifo_fd);

	/* Wait for the command to end or for Wireshark to stop the capture;
	 * a stop is passed on to the whole group, and the launcher then closes
	 * the capture cleanly before it exits. */
	for (;;) {
		if (stop_requested == 1) {
			kill(-pid, SIGTERM);
			stop_requested = 2;
		}
		if (waitpid(pid, &status, 0) == pid)
			break;
		if (errno != EINTR) {
			fail("waitpid: %s", strerror(errno));
			return EXIT_FAIL;
		}
	}
	if (stop_requested)
		return EXIT_OK;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return EXIT_OK;
	last_line(log_fd, why, sizeof(why));
	what = is_attach(o) ? "the attach" : "the command";
	if (WIFEXITED(status))
		fail("%s exited with status %d%s%s", what, WEXITSTATUS(status),
		     why[0] ? ": " : "", why);
	else
		fail("%s was killed by signal %d (%s)%s%s", what, WTERMSIG(status),
		     strsignal(WTERMSIG(status)), why[0] ? ": " : "", why);
	return EXIT_FAIL;
}

/* ---- command line ------------------------------------------------------- */

enum {
	OPT_INTERFACES = 256, OPT_INTERFACE, OPT_DLTS, OPT_CONFIG, OPT_CAPTURE, OPT_FIFO,
	OPT_VERSION, OPT_FILTER, OPT_COMMAND, OPT_WORKDIR, OPT_SOCKETS, OPT_ALL_UNIX, OPT_LOG,
	OPT_PIDS, OPT_ALL, OPT_HELP
};

static const struct option long_options[] = {
	{ "extcap-interfaces", no_argument, NULL, OPT_INTERFACES },
	{ "extcap-interface", required_argument, NULL, OPT_INTERFACE },
	{ "extcap-dlts", no_argument, NULL, OPT_DLTS },
	{ "extcap-config", no_argument, NULL, OPT_CONFIG },
	{ "capture", no_argument, NULL, OPT_CAPTURE },
	{ "fifo", required_argument, NULL, OPT_FIFO },
	{ "extcap-version", optional_argument, NULL, OPT_VERSION },
	{ "extcap-capture-filter", required_argument, NULL, OPT_FILTER },
	{ "command", required_argument, NULL, OPT_COMMAND },
	{ "workdir", required_argument, NULL, OPT_WORKDIR },
	{ "sockets", required_argument, NULL, OPT_SOCKETS },
	{ "all-unix", no_argument, NULL, OPT_ALL_UNIX },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "pids", required_argument, NULL, OPT_PIDS },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

static void usage(FILE *out)
{
	fputs("Usage: " PROG " --extcap-interfaces\n"
	      "       " PROG " --extcap-interface IF --extcap-dlts|--extcap-config\n"
	      "       " PROG " --extcap-interface " IF_LAUNCH " --capture --fifo PATH\n"
	      "                --command CMDLINE [--workdir DIR] [--sockets GLOB] [--all-unix]\n"
	      "                [--log FILE]\n"
	      "       " PROG " --extcap-interface " IF_ATTACH " --capture --fifo PATH\n"
	      "                --pids PID[,PID...] | --all  [--sockets GLOB]\n"
	      "Wireshark's external capture program for vhost-user: runs CMDLINE (with\n"
	      "/bin/sh -c) under vhost-user-capture, or attaches to running processes\n"
	      "(vhost-user-capture -p/--all), and writes the capture into PATH until it\n"
	      "is stopped (SIGTERM) or the command or the processes end.\n"
	      "Environment: VHU_CAPTURE overrides the launcher's path.\n", out);
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_INTERFACES: o.list_interfaces = true; break;
		case OPT_INTERFACE: o.interface = optarg; break;
		case OPT_DLTS: o.list_dlts = true; break;
		case OPT_CONFIG: o.config = true; break;
		case OPT_CAPTURE: o.capture = true; break;
		case OPT_FIFO: o.fifo = optarg; break;
		case OPT_VERSION: break;	/* Wireshark's version: nothing depends on it */
		case OPT_FILTER: break;		/* no capture filter: the interface offers none */
		case OPT_COMMAND: o.command = optarg; break;
		case OPT_WORKDIR: o.workdir = optarg; break;
		case OPT_SOCKETS: o.sockets = optarg; break;
		case OPT_ALL_UNIX: o.all_unix = true; break;
		case OPT_LOG: o.log = optarg; break;
		case OPT_PIDS: o.pids = optarg; break;
		case OPT_ALL: o.all = true; break;
		case 'h':
		case OPT_HELP: usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fail("unexpected argument %s", argv[optind]);
		return EXIT_USAGE;
	}
	if (o.list_interfaces) {
		print_interfaces();
		return EXIT_OK;
	}
	if (o.interface && !known_interface(o.interface)) {
		fail("unknown interface '%s' (this program offers %s and %s)", o.interface,
		     IF_LAUNCH, IF_ATTACH);
		return EXIT_USAGE;
	}
	if (o.list_dlts && o.interface) {
		print_dlts();
		return EXIT_OK;
	}
	if (o.config && o.interface) {
		if (is_attach(&o))
			print_config_attach();
		else
			print_config_launch();
		return EXIT_OK;
	}
	if (o.capture)
		return capture(&o);
	usage(stderr);
	return EXIT_USAGE;
}
