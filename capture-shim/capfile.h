/* SPDX-License-Identifier: MIT */
/*
 * capfile.h - opening a capture file for appending, shared by the launcher
 * and the shim: several processes append to one file, and only the first
 * one (the file is empty) writes the pcapng section and interface headers.
 */
#ifndef VHU_CAPFILE_H
#define VHU_CAPFILE_H

#include <stddef.h>

#define VHU_CAPFILE_APPL "vhost-user-capture"

/* Copies name to out with every "%p" replaced by pid and "%%" by "%".
 * Returns 0, or -1 if it does not fit. */
int vhu_capfile_expand(const char *name, int pid, char *out, size_t cap);

/* Opens path with O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC|O_NOFOLLOW, mode
 * 0600, and writes SHB+IDB if the file is empty, under flock(LOCK_EX).
 * Returns the fd or -errno. */
int vhu_capfile_open(const char *path);

/* Moves fd to a high number (out of the way of programs that expect the
 * low ones free), closing the old one; returns the fd to use. */
int vhu_capfile_move_high(int fd, int cloexec);

/* Writes SHB+IDB to fd (the launcher's "-w -").  Returns 0 or -errno. */
int vhu_capfile_write_header(int fd);

#endif
