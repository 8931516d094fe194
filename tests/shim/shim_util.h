/* SPDX-License-Identifier: MIT */
/*
 * shim_util.h - socket and message helpers shared by the shim test peers
 * (shim_peer.c, shim_seccomp.c).
 *
 * Every helper either does its whole job or calls shim_fail(), which each
 * program defines: shim_seccomp's must keep to the few system calls its
 * filter allows once the back-end is sandboxed.
 */
#ifndef SHIM_UTIL_H
#define SHIM_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Defined by the program: reports what failed and exits, never returns. */
__attribute__((noreturn)) void shim_fail(const char *what);

/* A message: 12-byte header and len payload bytes of value fill. */
size_t make_msg(uint8_t *out, uint32_t req, uint32_t flags, uint32_t len, uint8_t fill);

/* A listening unix stream socket on path (an old file there removed). */
int listen_on(const char *path);

/* A connection to path, retried for a while: the listener may be starting. */
int connect_to(const char *path);

/* One sendmsg of all len bytes with nfds fds (up to SHIM_MAX_FDS). */
void send_fds(int fd, const void *buf, size_t len, const int *fds, int nfds);

/* recvmsg of exactly len bytes; returns the number of fds received. */
int recv_fds(int fd, void *buf, size_t len, int *fds, int max);

/* read() until len bytes have come. */
void read_full(int fd, void *buf, size_t len);

#define SHIM_MAX_FDS 8

#endif
