/* SPDX-License-Identifier: MIT */
/*
 * vhu_size_limits.h - the table behind vhu_msg_size_limit(), for the core's
 * own readers: the reassembler asks for every header it reads, and a call
 * there (and the one around it) was most of what the answer cost.  The
 * table is made from the walker's layouts (vhu_walk.c) on first use.
 */
#ifndef VHU_SIZE_LIMITS_H
#define VHU_SIZE_LIMITS_H

#include <stdatomic.h>
#include <stdint.h>

#include "vhu_proto.h"

_Static_assert((unsigned)VHU_BE_REQ_MAX <= (unsigned)VHU_FE_REQ_MAX &&
	       (unsigned)VHU_GPU_REQ_MAX <= (unsigned)VHU_FE_REQ_MAX,
	       "the main channel has the most ids");
extern uint32_t vhu_size_limits[VHU_CHAN_GPU + 1][VHU_FE_REQ_MAX + 1];
extern atomic_bool vhu_size_limits_made;

/* The first time: the table is made, then read. */
uint32_t vhu_size_limit_first(unsigned channel, uint32_t request);

/* vhu_msg_size_limit(), inline: once made, a load of the flag says so. */
static inline uint32_t vhu_size_limit(unsigned channel, uint32_t request)
{
	if (request > VHU_FE_REQ_MAX)
		return 0;	/* no row on any channel */
	if (!atomic_load_explicit(&vhu_size_limits_made, memory_order_acquire))
		return vhu_size_limit_first(channel, request);
	/* an unknown channel is read as the main one, as by vhu_msg_lookup() */
	return vhu_size_limits[channel <= VHU_CHAN_GPU ? channel : VHU_CHAN_MAIN][request];
}

#endif
