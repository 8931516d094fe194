/* SPDX-License-Identifier: MIT */
/*
 * shim_errno.c - every hooked call, on recorded sockets, in success and
 * error cases: prints "case ret errno" lines.  The test runs it bare and
 * under the shim (--all-unix, so every socket here is recorded) and the two
 * outputs must be identical: the shim changes no return value and no errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhu_proto.h"

ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
		       struct sockaddr *addr, socklen_t *addrlen);

/* An errno value no call sets: it must survive successful calls. */
#define SENTINEL EDOM

static void show(const char *name, long ret)
{
	int e = errno;

	printf("%-28s ret=%ld errno=%s\n", name, ret, ret < 0 || e != SENTINEL ?
	       strerrorname_np(e) : "unchanged");
	errno = SENTINEL;
}

#define T(name, expr) do { errno = SENTINEL; show(name, (long)(expr)); } while (0)

static uint8_t hdr[12] = { VHU_GET_FEATURES, 0, 0, 0, VHU_VERSION, 0, 0, 0, 0, 0, 0, 0 };

static void on_alarm(int sig)
{
	(void)sig;
}

/* A connected pair through a listener: c connect()ed, s accept()ed. */
static void make_pair(const char *path, int *c, int *s)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int l = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	if (l < 0 || bind(l, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(l, 4) < 0)
		exit(1);
	*c = socket(AF_UNIX, SOCK_STREAM, 0);
	T("connect", connect(*c, (struct sockaddr *)&sun, sizeof(sun)));
	T("connect again (EISCONN)", connect(*c, (struct sockaddr *)&sun, sizeof(sun)));
	T("accept non-listening", accept(*c, NULL, NULL));
	T("accept4 bad flags", accept4(l, NULL, NULL, 0x7fff0000));
	*s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	printf("accept4 ok=%d\n", *s >= 0);
	close(l);
	unlink(path);
}

static void nonblocking_cases(int s)
{
	uint8_t buf[64];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct mmsghdr mm = { .msg_hdr = m };

	T("F_SETFL O_NONBLOCK", fcntl(s, F_SETFL, O_NONBLOCK));
	T("read EAGAIN", read(s, buf, sizeof(buf)));
	T("recv EAGAIN", recv(s, buf, sizeof(buf), 0));
	T("recvfrom EAGAIN", recvfrom(s, buf, sizeof(buf), 0, NULL, NULL));
	T("recvmsg EAGAIN", recvmsg(s, &m, 0));
	T("readv EAGAIN", readv(s, &iov, 1));
	T("recvmmsg EAGAIN", recvmmsg(s, &mm, 1, 0, NULL));
	T("__read_chk EAGAIN", __read_chk(s, buf, sizeof(buf), sizeof(buf)));
	T("__recv_chk EAGAIN", __recv_chk(s, buf, sizeof(buf), sizeof(buf), 0));
	T("__recvfrom_chk EAGAIN", __recvfrom_chk(s, buf, sizeof(buf), sizeof(buf), 0, NULL, NULL));
	T("F_SETFL blocking", fcntl(s, F_SETFL, 0));
}

static void data_cases(int c, int s)
{
	uint8_t buf[64];
	struct iovec iov[2] = { { hdr, 4 }, { hdr + 4, 8 } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	struct mmsghdr mm[2];

	T("write", write(c, hdr, 12));
	T("read", read(s, buf, sizeof(buf)));
	T("writev", writev(c, iov, 2));
	T("readv", readv(s, iov, 2));
	T("sendmsg", sendmsg(c, &m, 0));
	T("recvmsg", recvmsg(s, &m, 0));
	T("send", send(c, hdr, 12, 0));
	T("recv MSG_PEEK", recv(s, buf, 8, MSG_PEEK));
	T("recv after peek", recv(s, buf, sizeof(buf), 0));
	T("sendto", sendto(c, hdr, 12, 0, NULL, 0));
	T("recvfrom", recvfrom(s, buf, sizeof(buf), 0, NULL, NULL));
	memset(mm, 0, sizeof(mm));
	mm[0].msg_hdr.msg_iov = &iov[0];
	mm[0].msg_hdr.msg_iovlen = 1;
	mm[1].msg_hdr.msg_iov = &iov[1];
	mm[1].msg_hdr.msg_iovlen = 1;
	T("sendmmsg", sendmmsg(c, mm, 2, 0));
	T("__read_chk", __read_chk(s, buf, 4, sizeof(buf)));
	T("__recv_chk", __recv_chk(s, buf, 4, sizeof(buf), MSG_WAITALL));
	T("__recvfrom_chk", __recvfrom_chk(s, buf, 4, sizeof(buf), 0, NULL, NULL));
}

/* A blocking receive interrupted by a signal without SA_RESTART. */
static void eintr_cases(int s)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { 0, 50000 } };
	uint8_t buf[16];

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	T("recv EINTR", recv(s, buf, sizeof(buf), 0));
	setitimer(ITIMER_REAL, &it, NULL);
	T("read EINTR", read(s, buf, sizeof(buf)));
}

/* Fills the socket buffer: a short count, then EAGAIN. */
static void partial_write_cases(int c, int s)
{
	static uint8_t big[65536];
	int small = 4096, shorts = 0, full = 0;
	ssize_t r;

	memcpy(big, hdr, sizeof(hdr));
	setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	T("F_SETFL O_NONBLOCK c", fcntl(c, F_SETFL, O_NONBLOCK));
	while ((r = send(c, big, sizeof(big), 0)) > 0) {
		if (r < (ssize_t)sizeof(big))
			shorts++;
		else
			full++;
	}
	printf("partial writes: some short=%d last errno=%s\n", shorts > 0,
	       strerrorname_np(errno));
	T("F_SETFL blocking c", fcntl(c, F_SETFL, 0));
	T("F_SETFL O_NONBLOCK s", fcntl(s, F_SETFL, O_NONBLOCK));
	while (read(s, big, sizeof(big)) > 0)
		;
	T("F_SETFL blocking s", fcntl(s, F_SETFL, 0));
	(void)full;
}

static void bad_fd_cases(void)
{
	uint8_t buf[16];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct mmsghdr mm = { .msg_hdr = m };
	int sv[2];

	T("read EBADF", read(-1, buf, sizeof(buf)));
	T("write EBADF", write(9999, buf, 1));
	T("readv EBADF", readv(9999, &iov, 1));
	T("writev EBADF", writev(9999, &iov, 1));
	T("send EBADF", send(9999, buf, 1, 0));
	T("recv EBADF", recv(9999, buf, 1, 0));
	T("sendto EBADF", sendto(9999, buf, 1, 0, NULL, 0));
	T("recvfrom EBADF", recvfrom(9999, buf, 1, 0, NULL, NULL));
	T("sendmsg EBADF", sendmsg(-1, &m, 0));
	T("recvmsg EBADF", recvmsg(-1, &m, 0));
	T("sendmmsg EBADF", sendmmsg(-1, &mm, 1, 0));
	T("recvmmsg EBADF", recvmmsg(-1, &mm, 1, 0, NULL));
	T("close EBADF", close(9999));
	T("dup EBADF", dup(9999));
	T("dup2 EBADF", dup2(9999, 50));
	T("dup3 same fd EINVAL", dup3(0, 0, 0));
	T("fcntl F_DUPFD EBADF", fcntl(9999, F_DUPFD, 0));
	T("close_range EINVAL", close_range(10, 5, 0));
	T("socketpair AF_INET", socketpair(AF_INET, SOCK_STREAM, 0, sv));
	T("connect ENOENT", connect(socket(AF_UNIX, SOCK_STREAM, 0),
				    (struct sockaddr *)&(struct sockaddr_un){
					    .sun_family = AF_UNIX, .sun_path = "/nonexistent/x" },
				    sizeof(struct sockaddr_un)));
}

static void alias_cases(int c, int s)
{
	uint8_t buf[16];
	int d, e;

	d = dup(c);
	T("write on dup", write(d, hdr, 12));
	T("close dup", close(d));
	e = fcntl(c, F_DUPFD_CLOEXEC, 100);
	printf("F_DUPFD_CLOEXEC >= 100: %d\n", e >= 100);
	T("dup2 onto alias", dup2(c, e));
	T("dup3 onto alias", dup3(c, e, O_CLOEXEC));
	T("read via s", read(s, buf, 12));
	T("close alias", close(e));
}

static void peer_gone_cases(int c, int s)
{
	signal(SIGPIPE, SIG_IGN);
	T("close s", close(s));
	T("send MSG_NOSIGNAL EPIPE", send(c, hdr, 12, MSG_NOSIGNAL));
	T("write EPIPE", write(c, hdr, 12));
	T("close c", close(c));
	T("close c again", close(c));
}

int main(int argc, char **argv)
{
	char path[108];
	int c, s, sv[2];

	snprintf(path, sizeof(path), "%s", argc > 1 ? argv[1] : "shim_errno.sock");
	setvbuf(stdout, NULL, _IOLBF, 0);
	make_pair(path, &c, &s);
	T("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	T("write on pair", write(sv[0], hdr, 12));
	T("close pair", close(sv[0]) + close(sv[1]));
	data_cases(c, s);
	nonblocking_cases(s);
	eintr_cases(s);
	partial_write_cases(c, s);
	alias_cases(c, s);
	bad_fd_cases();
	T("closefrom survivors", (closefrom(200), fcntl(c, F_GETFD) >= 0));
	/* A program closing "every fd but its own" must not see ours. */
	{
		int fd, closed = 0;

		for (fd = 3; fd < 4096; fd++)
			if (fd != c && fd != s && close(fd) == 0)
				closed++;
		printf("close sweep: %d closed\n", closed);
	}
	peer_gone_cases(c, s);
	return 0;
}
