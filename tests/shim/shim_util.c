/* SPDX-License-Identifier: MIT */
/* shim_util.c - socket and message helpers shared by the shim test peers. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhu_le.h"
#include "vhu_record.h"
#include "shim_util.h"

size_t make_msg(uint8_t *out, uint32_t req, uint32_t flags, uint32_t len, uint8_t fill)
{
	vhu_put_le32(out, req);
	vhu_put_le32(out + 4, flags);
	vhu_put_le32(out + 8, len);
	memset(out + 12, fill, len);
	return 12 + len;
}

static void unix_address(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", path);
}

int listen_on(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	unix_address(&sun, path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 64) < 0)
		shim_fail("listen");
	return fd;
}

int connect_to(const char *path)
{
	struct sockaddr_un sun;
	int i;

	unix_address(&sun, path);
	for (i = 0; i < 500; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			shim_fail("socket");
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		close(fd);
		usleep(10000);
	}
	shim_fail("connect");
}

void send_fds(int fd, const void *buf, size_t len, const int *fds, int nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * SHIM_MAX_FDS)];
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (nfds) {
		memset(ctl, 0, sizeof(ctl));
		m.msg_control = ctl;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	if (sendmsg(fd, &m, 0) != (ssize_t)len)
		shim_fail("sendmsg");
}

int recv_fds(int fd, void *buf, size_t len, int *fds, int max)
{
	char ctl[CMSG_SPACE(sizeof(int) * SHIM_MAX_FDS)];
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	int n = 0;

	if (recvmsg(fd, &m, MSG_WAITALL | MSG_CMSG_CLOEXEC) != (ssize_t)len)
		shim_fail("recvmsg");
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		if (k > max - n)
			k = max - n;
		memcpy(fds + n, CMSG_DATA(c), sizeof(int) * (size_t)k);
		n += k;
	}
	return n;
}

void read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, (uint8_t *)buf + got, len - got);

		if (r <= 0)
			shim_fail("read");
		got += (size_t)r;
	}
}
