/* SPDX-License-Identifier: MIT */
/*
 * peer_fds.c - the real fds the peer passes, and checks of the ones it gets.
 *
 * Messages carry what real peers pass (memfds for memory, eventfds for
 * vring notifications, socketpair ends for the extra channels, a pipe for
 * device state), so the shim sees and describes real kernel objects.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "peer.h"

int peer_memfd(const char *name, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int peer_eventfd(void)
{
	return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

/* Returns the write end of a pipe; *other gets the read end. */
int peer_pipe_end(int *other)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	*other = p[0];
	return p[1];
}

int peer_socketpair_end(int *other)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	*other = sv[0];
	return sv[1];
}

/* The fd POSTCOPY_ADVISE answers with; an eventfd stands in where the
 * kernel refuses userfaultfd (containers, vm.unprivileged_userfaultfd). */
int peer_userfaultfd(void)
{
#ifdef SYS_userfaultfd
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd >= 0)
		return fd;
#endif
	return peer_eventfd();
}

enum vhu_fd_kind peer_fd_kind(int fd)
{
	char path[64], target[256];
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return VHU_FDK_OTHER;
	if (S_ISSOCK(st.st_mode))
		return VHU_FDK_SOCKET;
	if (S_ISFIFO(st.st_mode))
		return VHU_FDK_PIPE;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return VHU_FDK_OTHER;
	target[n] = '\0';
	if (strncmp(target, "/memfd:", 7) == 0)
		return VHU_FDK_MEMFD;
	if (strcmp(target, "anon_inode:[eventfd]") == 0)
		return VHU_FDK_EVENTFD;
	if (S_ISREG(st.st_mode))
		return VHU_FDK_REGULAR;
	return VHU_FDK_OTHER;
}

const char *peer_fd_kind_name(enum vhu_fd_kind k)
{
	return vhu_fd_kind_name(k);
}

off_t peer_fd_size(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	return st.st_size;
}
