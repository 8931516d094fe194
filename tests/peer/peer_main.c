/* SPDX-License-Identifier: MIT */
/*
 * peer_main.c - vhu-test-peer: command line, sockets, and the pair mode.
 *
 *   vhu-test-peer backend  --socket PATH [opts]   listen, answer one connection
 *   vhu-test-peer frontend --socket PATH [opts]   connect, drive the script
 *   vhu-test-peer pair [opts]                     both, in two processes
 *
 * In pair mode the exit status is the documented one of the script when
 * both sides ended as documented (0 for the good scripts), 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "peer.h"

/* Documented outcome of each script: front-end and back-end exit status. */
const struct peer_script_info peer_scripts[SCRIPT__COUNT] = {
	[SCRIPT_HANDSHAKE] = { "handshake", PEER_OK, PEER_OK },
	[SCRIPT_HANDSHAKE_PACKED] = { "handshake-packed", PEER_OK, PEER_OK },
	[SCRIPT_ALL] = { "all", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_CLOSE] = { "broken-close", PEER_TRUNCATED, PEER_OK },
	[SCRIPT_BROKEN_FLAGS] = { "broken-flags", PEER_BAD_FLAGS, PEER_OK },
	[SCRIPT_BROKEN_FDS] = { "broken-fds", PEER_REJECTED, PEER_INVALID },
	[SCRIPT_BROKEN_OVERSIZE] = { "broken-oversize", PEER_OK, PEER_INVALID },
	[SCRIPT_BROKEN_NOREPLY] = { "broken-noreply", PEER_NO_REPLY, PEER_OK },
	[SCRIPT_BROKEN_UNKNOWN] = { "broken-unknown", PEER_REJECTED, PEER_UNKNOWN },
	[SCRIPT_BROKEN_EXTRA_REPLY] = { "broken-extra-reply", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_NEED_REPLY] = { "broken-need-reply", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_GATE] = { "broken-gate", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_FEATURES] = { "broken-features", PEER_OK, PEER_INVALID },
	[SCRIPT_BROKEN_OVERLAP] = { "broken-overlap", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_SLOTS] = { "broken-slots", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_REM_REGION] = { "broken-rem-region", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_REGION_FD] = { "broken-region-fd", PEER_REJECTED, PEER_INVALID },
	[SCRIPT_BROKEN_REGION_SIZE] = { "broken-region-size", PEER_REJECTED, PEER_INVALID },
	[SCRIPT_BROKEN_RING_ADDR] = { "broken-ring-addr", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_RING_INDEX] = { "broken-ring-index", PEER_OK, PEER_INVALID },
	[SCRIPT_BROKEN_RING_NUM] = { "broken-ring-num", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_VRING_BASE] = { "broken-vring-base", PEER_INVALID, PEER_OK },
	[SCRIPT_BROKEN_LOG_SIZE] = { "broken-log-size", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_LOG_ALL] = { "broken-log-all", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_CTRUNC] = { "broken-ctrunc", PEER_CLOSED, PEER_INVALID },
	[SCRIPT_BROKEN_ORDER] = { "broken-order", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_REGIONS] = { "broken-regions", PEER_REJECTED, PEER_INVALID },
	[SCRIPT_BROKEN_TABLE_SLOTS] = { "broken-table-slots", PEER_REJECTED, PEER_INVALID },
	[SCRIPT_BROKEN_POSTCOPY] = { "broken-postcopy", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_NO_PFEATURES] = { "broken-no-pfeatures", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_ENABLE] = { "broken-enable", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_RING_LARGE] = { "broken-ring-large", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_RECONNECT] = { "broken-reconnect", PEER_OK, PEER_OK },
	[SCRIPT_BROKEN_RESET] = { "broken-reset", PEER_INVALID, PEER_OK },
};

unsigned peer_script_sessions(enum peer_script s)
{
	/* broken-reconnect connects again after its first session */
	return s == SCRIPT_BROKEN_RECONNECT ? 2 : 1;
}

static void usage(void)
{
	size_t i;

	fprintf(stderr,
		"usage: vhu-test-peer backend|frontend --socket PATH [options]\n"
		"       vhu-test-peer pair [options]\n"
		"options:\n"
		"  --script NAME   what the front-end drives (default handshake)\n"
		"  --io NAME       sendmsg (default), send, sendto, write, writev,\n"
		"                  sendmmsg, split, coalesce (or the recv names)\n"
		"  --log FILE      append one line per message sent and received\n"
		"  --timeout MS    bound on every wait (default 10000)\n"
		"  --socketpair    pair: a socketpair instead of a socket path\n"
		"  --healthy       a broken-* script without its fault (both sides exit 0)\n"
		"scripts:");
	for (i = 0; i < SCRIPT__COUNT; i++)
		fprintf(stderr, " %s", peer_scripts[i].name);
	fprintf(stderr, "\n");
}

static bool parse_script(const char *s, enum peer_script *out)
{
	int i;

	for (i = 0; i < SCRIPT__COUNT; i++) {
		if (strcmp(s, peer_scripts[i].name) == 0) {
			*out = (enum peer_script)i;
			return true;
		}
	}
	return false;
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		peer_err("peer", "socket path too long: %s", path);
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (unix_addr(path, &sa) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 1) < 0) {
		peer_err("backend", "cannot listen on %s: %s", path,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int accept_one(int lfd, int timeout_ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int fd;

	if (poll(&p, 1, timeout_ms) <= 0) {
		peer_err("backend", "no connection within %d ms", timeout_ms);
		return -1;
	}
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		peer_err("backend", "accept: %s", strerror(errno));
	return fd;
}

/* Connects, retrying while the back-end is not listening yet. */
static int connect_to(const char *path, int timeout_ms)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	struct sockaddr_un sa;
	int fd, waited = 0;

	if (unix_addr(path, &sa) < 0)
		return -1;
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		if ((errno != ENOENT && errno != ECONNREFUSED) ||
		    waited >= timeout_ms) {
			peer_err("frontend", "cannot connect to %s: %s", path,
				 strerror(errno));
			return -1;
		}
		nanosleep(&pause, NULL);
		waited += 10;
	}
}

static int accept_on(const void *lfd, int timeout_ms)
{
	return accept_one(*(const int *)lfd, timeout_ms);
}

static int connect_on(const void *path, int timeout_ms)
{
	return connect_to(path, timeout_ms);
}

/* Runs one side of the script once per connection it makes (a reconnect
 * makes two), each after the previous one closed: the status of the
 * first one that did not end well. */
static int run_sessions(const struct peer_opts *o, int (*open_conn)(const void *, int),
			const void *where, int (*run)(int, const struct peer_opts *))
{
	struct peer_opts so = *o;
	int fd, ret, status = PEER_OK;

	for (so.session = 0; so.session < peer_script_sessions(o->script); so.session++) {
		fd = open_conn(where, o->timeout_ms);
		if (fd < 0)
			return PEER_ERR;
		ret = run(fd, &so);
		if (status == PEER_OK)
			status = ret;
	}
	return status;
}

static int serve_sessions(int lfd, const struct peer_opts *o)
{
	return run_sessions(o, accept_on, &lfd, peer_backend_run);
}

static int run_backend(const char *path, const struct peer_opts *o)
{
	int lfd, ret;

	lfd = listen_on(path);
	if (lfd < 0)
		return PEER_ERR;
	ret = serve_sessions(lfd, o);
	close(lfd);
	return ret;
}

static int run_frontend(const char *path, const struct peer_opts *o)
{
	return run_sessions(o, connect_on, path, peer_frontend_run);
}

static int child_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return PEER_ERR;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	peer_err("pair", "back-end killed by signal %d", WTERMSIG(st));
	return 128 + WTERMSIG(st);
}

/* Compares both outcomes with the documented ones. */
static int pair_verdict(const struct peer_opts *o, int fe, int be)
{
	const struct peer_script_info *s = &peer_scripts[o->script];
	int fe_doc = o->healthy ? PEER_OK : s->frontend_status;
	int be_doc = o->healthy ? PEER_OK : s->backend_status;

	if (fe != fe_doc || be != be_doc) {
		fprintf(stderr,
			"pair: %s: front-end exit %d (documented %d), back-end exit %d (documented %d)\n",
			s->name, fe, fe_doc, be, be_doc);
		return PEER_ERR;
	}
	fprintf(stderr, "pair: %s: front-end exit %d, back-end exit %d, as documented\n",
		s->name, fe, be);
	return fe ? fe : be;
}

static int run_pair(const struct peer_opts *o)
{
	char dir[256], path[300];
	const char *tmp = getenv("TMPDIR");
	int sv[2] = { -1, -1 };
	int fe, be;
	pid_t pid;

	dir[0] = '\0';
	if (o->use_socketpair) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return PEER_ERR;
	} else {
		snprintf(dir, sizeof(dir), "%s/vhu-peer-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			peer_err("pair", "mkdtemp: %s", strerror(errno));
			return PEER_ERR;
		}
		snprintf(path, sizeof(path), "%s/vhost-user.sock", dir);
		sv[1] = listen_on(path);
		if (sv[1] < 0) {
			rmdir(dir);
			return PEER_ERR;
		}
	}
	pid = fork();
	if (pid < 0)
		return PEER_ERR;
	if (pid == 0) {
		close(sv[0]);
		if (!o->use_socketpair)
			_exit(serve_sessions(sv[1], o));
		_exit(peer_backend_run(sv[1], o));
	}
	close(sv[1]);
	if (o->use_socketpair)
		fe = peer_frontend_run(sv[0], o);
	else
		fe = run_frontend(path, o);
	be = child_status(pid);
	if (!o->use_socketpair) {
		unlink(path);
		rmdir(dir);
	}
	return pair_verdict(o, fe, be);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "script", required_argument, NULL, 'S' },
		{ "io", required_argument, NULL, 'i' },
		{ "log", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "socketpair", no_argument, NULL, 'p' },
		{ "healthy", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct peer_opts o = { .script = SCRIPT_HANDSHAKE, .io = PEER_IO_MSG,
			       .timeout_ms = 10000 };
	const char *mode, *path = NULL;
	int c;

	if (argc < 2) {
		usage();
		return PEER_USAGE;
	}
	mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'S':
			if (!parse_script(optarg, &o.script)) {
				fprintf(stderr, "unknown script %s\n", optarg);
				return PEER_USAGE;
			}
			break;
		case 'i':
			if (!peer_io_parse(optarg, &o.io)) {
				fprintf(stderr, "unknown I/O mode %s\n", optarg);
				return PEER_USAGE;
			}
			break;
		case 'l':
			if (peer_log_open(optarg) != PEER_OK)
				return PEER_ERR;
			break;
		case 't':
			o.timeout_ms = atoi(optarg);
			break;
		case 'p':
			o.use_socketpair = true;
			break;
		case 'H':
			o.healthy = true;
			break;
		case 'h':
			usage();
			return PEER_OK;
		default:
			usage();
			return PEER_USAGE;
		}
	}
	/* A closed peer must show up as an error, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (o.use_socketpair && peer_script_sessions(o.script) > 1) {
		fprintf(stderr, "%s connects again: it needs a socket path, not --socketpair\n",
			peer_scripts[o.script].name);
		return PEER_USAGE;
	}
	if (strcmp(mode, "pair") == 0)
		return run_pair(&o);
	if (!path || optind != argc) {
		usage();
		return PEER_USAGE;
	}
	if (strcmp(mode, "backend") == 0)
		return run_backend(path, &o);
	if (strcmp(mode, "frontend") == 0)
		return run_frontend(path, &o);
	usage();
	return PEER_USAGE;
}
