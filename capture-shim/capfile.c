/* SPDX-License-Identifier: MIT */
/* \summary: open a capture file for appending, safely; write its header once */
#include "capfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhu_pcapng.h"

static void put_uint(char *out, size_t *n, unsigned v)
{
	char tmp[12];
	int k = 0;

	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k)
		out[(*n)++] = tmp[--k];
}

int vhu_capfile_expand(const char *name, int pid, char *out, size_t cap)
{
	size_t n = 0;

	for (; *name; name++) {
		if (cap - n < 12)
			return -1;
		if (name[0] == '%' && name[1] == 'p') {
			put_uint(out, &n, (unsigned)pid);
			name++;
		} else if (name[0] == '%' && name[1] == '%') {
			out[n++] = '%';
			name++;
		} else {
			out[n++] = *name;
		}
	}
	out[n] = 0;
	return 0;
}

/* write() until done: the header is small, a short write means trouble. */
static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int vhu_capfile_write_header(int fd)
{
	uint8_t hdr[VHU_PCAPNG_HEADER_MAX];
	size_t len = vhu_pcapng_file_header(hdr, sizeof(hdr), VHU_CAPFILE_APPL);

	return write_all(fd, hdr, len);
}

/*
 * The capture target: an existing regular file of ours, or a new one made
 * with O_EXCL.  A FIFO, device or another user's file planted at the name
 * in a shared directory is refused, never written to (nor waited on).
 */
static int open_target(const char *path)
{
	const int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
	struct stat st;
	int fd, tries;

	for (tries = 0; tries < 10; tries++) {
		fd = open(path, flags);
		if (fd < 0 && errno == ENOENT) {
			fd = open(path, flags | O_CREAT | O_EXCL, 0600);
			if (fd < 0 && errno == EEXIST)
				continue;	/* made meanwhile: look again */
		}
		/* ELOOP: a symbolic link; ENXIO: a FIFO nobody reads. */
		if (fd < 0)
			return errno == ELOOP || errno == ENXIO ? -VHU_CAPFILE_NOT_REGULAR : -errno;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			return -VHU_CAPFILE_NOT_REGULAR;
		}
		if (st.st_uid != geteuid()) {
			close(fd);
			return -VHU_CAPFILE_NOT_OURS;
		}
		fcntl(fd, F_SETFL, O_APPEND);
		return fd;
	}
	return -EEXIST;
}

const char *vhu_capfile_strerror(int err)
{
	if (err == VHU_CAPFILE_NOT_REGULAR)
		return "not a regular file (or a symbolic link)";
	if (err == VHU_CAPFILE_NOT_OURS)
		return "owned by another user";
	return strerror(err);
}

int vhu_capfile_open(const char *path)
{
	struct stat st;
	int fd, err = 0;

	fd = open_target(path);
	if (fd < 0)
		return fd;
	/* The lock orders the "is it empty? then write the header" step of
	 * processes opening the same file at the same moment; blocks are
	 * appended later without it (whole blocks per write). */
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			err = -errno;
			goto fail;
		}
	}
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if (st.st_size == 0)
		err = vhu_capfile_write_header(fd);
	flock(fd, LOCK_UN);
	if (err)
		goto fail;
	return fd;
fail:
	close(fd);
	return err;
}
