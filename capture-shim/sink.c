/* SPDX-License-Identifier: MIT */
/* \summary: the launcher's capture output: one file, a file per process, or stdout */
#define _GNU_SOURCE
#include "sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capfile.h"

#define GATHER (256u * 1024u)

struct pid_file {
	uint32_t pid;
	int fd;
};

struct vhu_sink {
	char *name;		/* NULL: stdout */
	bool per_pid;
	int fd;			/* one output: the file or stdout */
	struct pid_file *files;
	size_t nfiles;
	bool stopped;
	size_t len;
	uint8_t buf[GATHER];
};

/* One line, as the shim's: several processes may share a stderr. */
static void stop(struct vhu_sink *s, const char *what, int err)
{
	if (s->stopped)
		return;
	s->stopped = true;
	fprintf(stderr, "vhost-user-capture: pid %d: %s: %s: capture stopped\n", (int)getpid(),
		what, vhu_capfile_strerror(err));
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void put(struct vhu_sink *s, int fd, const uint8_t *p, size_t len)
{
	int err = write_all(fd, p, len);

	if (err)
		stop(s, err == EPIPE ? "the capture reader went away" : "cannot write the capture",
		     err);
}

static int open_expanded(const char *name, uint32_t pid)
{
	char path[4096 + 64];
	int fd;

	if (vhu_capfile_expand(name, (int)pid, path, sizeof(path)) < 0) {
		fprintf(stderr, "vhost-user-capture: %s: file name too long\n", name);
		return -1;
	}
	fd = vhu_capfile_open(path);
	if (fd < 0)
		fprintf(stderr, "vhost-user-capture: cannot write capture file %s: %s\n", path,
			vhu_capfile_strerror(-fd));
	return fd;
}

struct vhu_sink *vhu_sink_new(const char *name)
{
	struct vhu_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->fd = 1;
	if (name) {
		s->name = strdup(name);
		s->per_pid = strstr(name, "%p") != NULL;
		s->fd = s->per_pid ? -1 : open_expanded(name, 0);
		if (!s->name || (!s->per_pid && s->fd < 0)) {
			free(s->name);
			free(s);
			return NULL;
		}
	}
	return s;
}

/* The file of process pid (%p), opened on its first block. */
static int pid_fd(struct vhu_sink *s, uint32_t pid)
{
	struct pid_file *f;
	size_t i;

	for (i = 0; i < s->nfiles; i++)
		if (s->files[i].pid == pid)
			return s->files[i].fd;
	f = realloc(s->files, (s->nfiles + 1) * sizeof(*f));
	if (!f)
		return -1;
	s->files = f;
	f[s->nfiles].pid = pid;
	f[s->nfiles].fd = open_expanded(s->name, pid);
	return f[s->nfiles++].fd;
}

void vhu_sink_flush(struct vhu_sink *s)
{
	if (s->len && !s->stopped)
		put(s, s->fd, s->buf, s->len);
	s->len = 0;
}

bool vhu_sink_block(void *sink, uint32_t pid, const uint8_t *block, size_t len)
{
	struct vhu_sink *s = sink;
	int fd;

	if (s->stopped)
		return false;
	if (s->per_pid) {
		fd = pid_fd(s, pid);
		if (fd >= 0)
			put(s, fd, block, len);
		return !s->stopped;
	}
	if (len > sizeof(s->buf) - s->len)
		vhu_sink_flush(s);
	if (len > sizeof(s->buf)) {
		put(s, s->fd, block, len);
	} else {
		memcpy(s->buf + s->len, block, len);
		s->len += len;
	}
	return !s->stopped;
}

bool vhu_sink_close(struct vhu_sink *s)
{
	bool ok;
	size_t i;

	vhu_sink_flush(s);
	ok = !s->stopped;
	for (i = 0; i < s->nfiles; i++)
		if (s->files[i].fd >= 0)
			close(s->files[i].fd);
	if (s->name && s->fd >= 0)
		close(s->fd);
	free(s->files);
	free(s->name);
	free(s);
	return ok;
}
