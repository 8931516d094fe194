/* SPDX-License-Identifier: MIT */
/*
 * peer_log.c - the peer's own account of what it sent and received.
 *
 * One line per message, e.g.
 *   sent VHOST_USER_SET_MEM_TABLE flags=0x9 size=72 nfds=2 chan=main role=frontend
 * Both processes of a pair append to the same file; O_APPEND and one
 * write() per line keep the lines whole.  Names come from the core.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"
#include "vhu_msgs.h"

static int log_fd = -1;

int peer_log_open(const char *path)
{
	log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log_fd < 0) {
		peer_err("peer", "cannot open log %s: %s", path,
			 strerror(errno));
		return PEER_ERR;
	}
	return PEER_OK;
}

const char *peer_msg_label(unsigned channel, uint32_t request, char *buf,
			   size_t len)
{
	const char *name = vhu_msg_name(channel, request);

	if (name)
		return name;
	snprintf(buf, len, "UNKNOWN_%u", request);
	return buf;
}

void peer_log_msg(const struct peer_conn *c, const char *dir,
		  const struct peer_msg *m, const char *note)
{
	char line[256], unknown[32];
	int n;

	if (log_fd < 0)
		return;
	n = snprintf(line, sizeof(line),
		     "%s %s flags=0x%x size=%u nfds=%d chan=%s role=%s%s%s\n",
		     dir, peer_msg_label(c->channel, m->request, unknown,
					 sizeof(unknown)),
		     m->flags, m->size, m->nfds, vhu_channel_name(c->channel),
		     c->role, note ? " " : "", note ? note : "");
	if (n > 0 && (size_t)n < sizeof(line) &&
	    write(log_fd, line, (size_t)n) != n)
		peer_err(c->role, "log write failed");
}

void peer_err(const char *role, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "vhu-test-peer[%s]: ", role);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	/* One write per line: the two processes of a pair share stderr. */
	n = (int)strlen(line);
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
