/* SPDX-License-Identifier: MIT */
/* \summary: open a capture file for appending; write its header once */
#include "capfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/resource.h>
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

int vhu_capfile_open(const char *path)
{
	struct stat st;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	/* The lock orders the "is it empty? then write the header" step of
	 * processes opening the same file at the same moment; records are
	 * appended later without it (one write each). */
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			err = -errno;
			goto fail;
		}
	}
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if (S_ISREG(st.st_mode) && st.st_size == 0)
		err = vhu_capfile_write_header(fd);
	flock(fd, LOCK_UN);
	if (err)
		goto fail;
	return fd;
fail:
	close(fd);
	return err;
}

int vhu_capfile_move_high(int fd, int cloexec)
{
	struct rlimit rl;
	int base = 1000, moved;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur <= 1024)
		base = (int)(rl.rlim_cur / 2);
	if (base <= fd)
		return fd;
	moved = fcntl(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, base);
	if (moved < 0)
		return fd;	/* the low number works too */
	close(fd);
	return moved;
}
