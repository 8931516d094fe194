/* SPDX-License-Identifier: MIT */
/*
 * capfile.h - opening a capture file for appending: several launchers may
 * append to one file, and only the first one (the file is empty) writes
 * the pcapng section and interface headers.
 */
#ifndef VHU_CAPFILE_H
#define VHU_CAPFILE_H

#include <stddef.h>

#define VHU_CAPFILE_APPL "vhost-user-capture"

/* Copies name to out with every "%p" replaced by pid and "%%" by "%".
 * Returns 0, or -1 if it does not fit. */
int vhu_capfile_expand(const char *name, int pid, char *out, size_t cap);

/* Errors of vhu_capfile_open beyond errno's (negated like them). */
#define VHU_CAPFILE_NOT_REGULAR 10001
#define VHU_CAPFILE_NOT_OURS 10002

/* Opens path for appending: an existing regular file owned by us, or a
 * new one (O_EXCL, mode 0600); never follows a symbolic link nor opens a
 * FIFO or device.  Writes SHB+IDB if the file is empty, under
 * flock(LOCK_EX).  Returns the fd or -errno / -VHU_CAPFILE_*. */
int vhu_capfile_open(const char *path);
/* The text of an error vhu_capfile_open returned (negated back). */
const char *vhu_capfile_strerror(int err);

/* Writes SHB+IDB to fd (the launcher's "-w -").  Returns 0 or -errno. */
int vhu_capfile_write_header(int fd);

#endif
