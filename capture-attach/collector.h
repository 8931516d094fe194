/* SPDX-License-Identifier: MIT */
/*
 * collector.h - the user half of `vhost-user-capture -p/--all`.
 *
 *   attach.c   options, loading and attaching the BPF object, the poll loop
 *   records.c  kernel events -> capture records (connections, adoption,
 *              process starts), written with the core's record writer
 */
#ifndef VHU_COLLECTOR_H
#define VHU_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attach_event.h"

struct collector_cfg {
	int out_fd;
	const char *sockets;	/* --sockets GLOB, or NULL */
	int64_t clock_offset;	/* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	/* Marks a socket in the kernel map (VHU_ATT_TRACKED or _DROPPED). */
	void (*set_sock_state)(uint64_t sk, unsigned state);
};

struct collector_stats {
	uint64_t records;
	uint64_t write_errors;
	uint64_t connections;
};

void collector_init(const struct collector_cfg *cfg);
/* One event from the ring buffer (len bytes: the event and its data). */
int collector_event(const void *data, size_t len);
/* The PROCESS_START record of a process, at the attach or when first seen. */
void collector_process(uint32_t pid);
/* Writes the records gathered since the last call. */
void collector_flush(void);
const struct collector_stats *collector_stats(void);

#endif
