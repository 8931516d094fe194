/* SPDX-License-Identifier: MIT */
/* \summary: the capture fd and the one-write-per-record EPB writer */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "capfile.h"
#include "shim.h"
#include "vhu_pcapng.h"

/*
 * A record up to this size is copied into one buffer and written with
 * write(): for the usual small records that costs less than the kernel's
 * import and walk of a writev's iovecs.  Bigger ones (payloads, fd names)
 * go out with writev from the caller's buffers.  One system call either way.
 */
#define VHU_OUT_FLAT_MAX 1024

static atomic_int out_fd = -1;
static bool out_is_pipe;	/* EPIPE/SIGPIPE possible; PIPE_BUF atomicity */
static bool out_fsize_limited;	/* RLIMIT_FSIZE set: EFBIG/SIGXFSZ possible */
static bool name_has_pid;	/* reopen after fork */

/*
 * A pipe keeps a write whole only up to PIPE_BUF bytes, and a big write
 * can be split with another writer's bytes in between.  So on a pipe,
 * every record is written holding a mutex (threads of this process) and
 * a flock (other processes).  The flock needs an open file description of
 * the pipe that is this process's own: opened from /proc/self/fd, not
 * inherited.
 */
static pthread_mutex_t pipe_write_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int pipe_lock_fd = -1;

/*
 * /proc/self/fd as a directory fd, opened at start: passed fds are named
 * through it with readlinkat(), which works after the program chrooted
 * into a directory without /proc (virtiofsd's sandbox).  "self" is
 * resolved when it is opened, so a fork child opens its own.
 */
static atomic_int proc_fd_dir = -1;

uint64_t vhu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Our messages go straight to the kernel: no stdio, no hook. */
static void say_raw(const char *s)
{
	size_t n = strlen(s);

	while (n) {
		long w = syscall(SYS_write, 2, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* "vhost-user-capture: pid N: ": several processes may share a stderr. */
static void say_prefix(void)
{
	char num[12];
	unsigned v = (unsigned)getpid();
	int k = 0;
	char out[12];
	int n = 0;

	do {
		num[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k)
		out[n++] = num[--k];
	out[n] = 0;
	say_raw("vhost-user-capture: pid ");
	say_raw(out);
	say_raw(": ");
}

void vhu_say(const char *a, const char *b, const char *c)
{
	say_prefix();
	say_raw(a);
	if (b)
		say_raw(b);
	if (c)
		say_raw(c);
	say_raw("\n");
}

void vhu_stop(const char *what, int err)
{
	const char *desc = err ? strerrordesc_np(err) : NULL;

	if (!atomic_exchange(&vhu_capturing, false))
		return;		/* another thread said it already */
	say_prefix();
	say_raw(what);
	if (desc) {
		say_raw(": ");
		say_raw(desc);
	}
	say_raw(": capture stopped\n");
	/* The fd stays open: another thread may be about to write to it, and
	 * closing would let the program reuse the number under its feet. */
}

int vhu_out_fd(void)
{
	return atomic_load_explicit(&out_fd, memory_order_relaxed);
}

static void note_output_kind(int fd)
{
	struct stat st;
	struct rlimit rl;

	out_is_pipe = fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	out_fsize_limited = !out_is_pipe && getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
			    rl.rlim_cur != RLIM_INFINITY;
}

static void open_pipe_lock(void)
{
	char link[32] = "/proc/self/fd/";
	int fd = vhu_out_fd(), n = 14, k = 0;
	char tmp[12];

	if (!out_is_pipe || fd < 0)
		return;
	do {
		tmp[k++] = (char)('0' + fd % 10);
		fd /= 10;
	} while (fd);
	while (k)
		link[n++] = tmp[--k];
	link[n] = 0;
	fd = open(link, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0)
		fd = vhu_capfile_move_high(fd, 1);
	atomic_store(&pipe_lock_fd, fd);
}

static int open_named(void)
{
	char path[sizeof(vhu_cfg.file) + 16];
	int fd;

	if (vhu_capfile_expand(vhu_cfg.file, getpid(), path, sizeof(path)) < 0) {
		vhu_say("capture file name too long: ", vhu_cfg.file, ": capture stopped");
		return -1;
	}
	fd = vhu_capfile_open(path);
	if (fd < 0) {
		say_prefix();
		say_raw(path);
		say_raw(": ");
		say_raw(strerrordesc_np(-fd));
		say_raw(": capture stopped\n");
		return -1;
	}
	return vhu_capfile_move_high(fd, 1);
}

static void open_proc_fd_dir(void)
{
	int fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0)
		fd = vhu_capfile_move_high(fd, 1);
	atomic_store(&proc_fd_dir, fd);
}

int vhu_out_proc_fd_dir(void)
{
	return atomic_load_explicit(&proc_fd_dir, memory_order_relaxed);
}

int vhu_out_open(void)
{
	int fd;

	if (vhu_cfg.inherited_fd >= 0) {
		fd = vhu_cfg.inherited_fd;
		if (fcntl(fd, F_GETFD) < 0) {
			vhu_say("VHU_CAPTURE_FD is not an open fd", NULL, ": capture stopped");
			return -1;
		}
	} else {
		name_has_pid = strstr(vhu_cfg.file, "%p") != NULL;
		fd = open_named();
		if (fd < 0)
			return -1;
	}
	note_output_kind(fd);
	atomic_store(&out_fd, fd);
	open_pipe_lock();
	open_proc_fd_dir();
	return 0;
}

void vhu_out_reopen_after_fork(void)
{
	int fd;

	pthread_mutex_init(&pipe_write_lock, NULL);
	/* In a sandbox the child opens nothing: it writes to its parent's
	 * capture (and names no fds). */
	if (vhu_sandboxed())
		return;
	fd = atomic_exchange(&proc_fd_dir, -1);
	if (fd >= 0)
		((int (*)(int))vhu_real(VHU_FN_CLOSE))(fd);
	open_proc_fd_dir();
	if (out_is_pipe) {
		/* The parent's lock description is shared with us: get ours. */
		int old = atomic_exchange(&pipe_lock_fd, -1);

		if (old >= 0)
			((int (*)(int))vhu_real(VHU_FN_CLOSE))(old);
		open_pipe_lock();
	}
	if (!name_has_pid)
		return;		/* the shared O_APPEND file description is right */
	fd = atomic_exchange(&out_fd, -1);
	if (fd >= 0)
		((int (*)(int))vhu_real(VHU_FN_CLOSE))(fd);
	vhu_busy++;
	fd = open_named();
	vhu_busy--;
	if (fd < 0) {
		atomic_store(&vhu_capturing, false);
		return;
	}
	atomic_store(&out_fd, fd);
}

void vhu_out_own_fds(int *own)
{
	own[0] = vhu_out_fd();
	own[1] = atomic_load_explicit(&pipe_lock_fd, memory_order_relaxed);
	own[2] = vhu_out_proc_fd_dir();
}

bool vhu_out_owns(int fd)
{
	return fd >= 0 && (fd == vhu_out_fd() ||
			   fd == atomic_load_explicit(&pipe_lock_fd, memory_order_relaxed) ||
			   fd == vhu_out_proc_fd_dir());
}

void vhu_out_move_away(int fd)
{
	int cur, moved;

	if (fd < 0)
		return;
	if (fd == atomic_load(&pipe_lock_fd)) {
		moved = fcntl(fd, F_DUPFD_CLOEXEC, fd + 1);
		atomic_store(&pipe_lock_fd, moved);
		((int (*)(int))vhu_real(VHU_FN_CLOSE))(fd);
		return;
	}
	if (fd == vhu_out_proc_fd_dir()) {
		moved = fcntl(fd, F_DUPFD_CLOEXEC, fd + 1);
		atomic_store(&proc_fd_dir, moved);
		((int (*)(int))vhu_real(VHU_FN_CLOSE))(fd);
		return;
	}
	cur = vhu_out_fd();
	if (fd != cur)
		return;
	/* The launcher's pipe must survive exec; a file is reopened by name. */
	moved = fcntl(cur, vhu_cfg.inherited_fd >= 0 ? F_DUPFD : F_DUPFD_CLOEXEC, cur + 1);
	if (moved < 0) {
		vhu_stop("cannot move the capture fd out of the program's way", errno);
		return;
	}
	atomic_store(&out_fd, moved);
	((int (*)(int))vhu_real(VHU_FN_CLOSE))(cur);
}

/* Blocks sig on this thread for our write; remembers whether one was
 * already pending so we consume only the one our write raised. */
struct sig_guard {
	int sig;
	bool blocked;		/* we blocked it */
	bool was_pending;
	sigset_t old;
};

static void sig_guard_on(struct sig_guard *g, int sig)
{
	sigset_t set;

	g->sig = sig;
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
	g->blocked = !sigismember(&g->old, sig);
	g->was_pending = false;
	if (!g->blocked) {
		/* The program blocks it itself: rare, pay for a check. */
		sigset_t pend;

		sigpending(&pend);
		g->was_pending = sigismember(&pend, sig);
	}
}

static void sig_guard_off(struct sig_guard *g, bool failed)
{
	if (failed && !g->was_pending) {
		sigset_t set, pend;
		struct timespec zero = { 0, 0 };

		sigemptyset(&set);
		sigaddset(&set, g->sig);
		sigpending(&pend);
		if (sigismember(&pend, g->sig))
			sigtimedwait(&set, NULL, &zero);
	}
	if (g->blocked)
		pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* write() or writev() until all is written; returns 0 or errno. */
static int write_fully(int fd, struct iovec *iov, int n)
{
	ssize_t (*real_writev)(int, const struct iovec *, int) = vhu_real(VHU_FN_WRITEV);
	ssize_t (*real_write)(int, const void *, size_t) = vhu_real(VHU_FN_WRITE);

	while (n > 0) {
		ssize_t w = n == 1 ? real_write(fd, iov->iov_base, iov->iov_len) :
				     real_writev(fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (w == 0)
			return EIO;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static void write_record(struct iovec *iov, int n)
{
	int fd = vhu_out_fd(), lock = atomic_load(&pipe_lock_fd), err;
	struct sig_guard g;
	bool guard = out_is_pipe || out_fsize_limited;

	if (fd < 0 || !vhu_on())
		return;
	if (guard)
		sig_guard_on(&g, out_is_pipe ? SIGPIPE : SIGXFSZ);
	if (out_is_pipe) {
		pthread_mutex_lock(&pipe_write_lock);
		if (lock >= 0)
			while (flock(lock, LOCK_EX) < 0 && errno == EINTR)
				;
	}
	err = write_fully(fd, iov, n);
	if (out_is_pipe) {
		if (lock >= 0)
			flock(lock, LOCK_UN);
		pthread_mutex_unlock(&pipe_write_lock);
	}
	if (guard)
		sig_guard_off(&g, err != 0);
	if (err)
		vhu_stop(err == EPIPE ? "the capture reader went away" :
			 "cannot write the capture", err);
}

/* If the n pieces of iov fit in flat (cap bytes), copies them there and
 * makes iov[0] the one piece: returns the new count, 1 or n. */
static int flatten(struct iovec *iov, int n, uint8_t *flat, size_t cap)
{
	size_t len = 0;
	int i;

	for (i = 0; i < n; i++)
		len += iov[i].iov_len;
	if (len > cap)
		return n;
	len = 0;
	for (i = 0; i < n; i++) {
		memcpy(flat + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	iov[0].iov_base = flat;
	iov[0].iov_len = len;
	return 1;
}

void vhu_out_record(int p2p_dir, const uint8_t *rec, size_t rec_len,
		    const struct iovec *data, int ndata, uint32_t data_len,
		    uint32_t orig_data_len, uint64_t ts_ns)
{
	uint8_t head[VHU_PCAPNG_EPB_HEAD + VHU_EXP_PDU_MAX];
	uint8_t tail[VHU_PCAPNG_EPB_TAIL_MAX];
	uint8_t flat[VHU_OUT_FLAT_MAX];
	struct iovec iov[VHU_OUT_MAX_IOV + 3];
	size_t exp_len, caplen;
	uint32_t epb_flags = 0, left = data_len;
	int i, n = 0;
	exp_len = vhu_exp_pdu_write(head + VHU_PCAPNG_EPB_HEAD, p2p_dir);
	caplen = exp_len + rec_len + data_len;
	vhu_pcapng_epb_head(head, ts_ns, (uint32_t)caplen,
			    (uint32_t)(caplen - data_len + orig_data_len));
	if (p2p_dir == 0)
		epb_flags = VHU_EPB_OUTBOUND;
	else if (p2p_dir == 1)
		epb_flags = VHU_EPB_INBOUND;

	iov[n].iov_base = head;
	iov[n++].iov_len = VHU_PCAPNG_EPB_HEAD + exp_len;
	iov[n].iov_base = (void *)rec;
	iov[n++].iov_len = rec_len;
	for (i = 0; i < ndata && left && n < VHU_OUT_MAX_IOV + 2; i++) {
		size_t len = data[i].iov_len < left ? data[i].iov_len : left;

		if (!len)
			continue;
		iov[n].iov_base = data[i].iov_base;
		iov[n++].iov_len = len;
		left -= (uint32_t)len;
	}
	iov[n].iov_base = tail;
	iov[n++].iov_len = vhu_pcapng_epb_tail(tail, (uint32_t)caplen, epb_flags);
	write_record(iov, flatten(iov, n, flat, sizeof(flat)));
}
