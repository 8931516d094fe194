/* SPDX-License-Identifier: MIT */
/* feed.h - build capture records the way the shim does and feed a session */
#ifndef FEED_H
#define FEED_H

#include <stdint.h>

#include "vhu_session.h"

struct feeder {
	struct vhu_session *s;
	uint64_t frame;
	uint64_t ts_ns;
	uint8_t role;		/* role of the recording process in data records (0: unknown) */
};

/* A data record of len bytes with nfds fds of kind; event DATA_SENT or RECV. */
void feed_data(struct feeder *f, uint64_t conn, uint8_t channel, uint8_t event, uint32_t pid,
	       const uint8_t *data, uint32_t len, unsigned nfds, uint8_t kind, uint16_t flags);
/* A connect/adopt/close/process-start record. */
void feed_event(struct feeder *f, uint64_t conn, uint8_t channel, uint8_t event, uint32_t pid,
		uint64_t link, const char *comm, const char *cmdline);
/* Builds the record bytes into buf (returns length). */
uint32_t build_record(uint8_t *buf, uint32_t cap, uint64_t conn, uint8_t channel, uint8_t event,
		      uint32_t pid, const uint8_t *data, uint32_t len, unsigned nfds, uint8_t kind,
		      uint16_t flags);

#endif
