/* SPDX-License-Identifier: MIT */
/* \summary: the shim's fd table: a static array indexed by fd, no malloc */
#include <string.h>

#include "shim.h"

/*
 * One slot per fd number below VHU_FDTAB_SIZE; higher fds are simply not
 * tracked.  The state byte is read without the lock on every hooked call
 * (the whole cost for an untracked fd); the rest of a slot changes under
 * its lock, which is never held across a traced call.
 */
struct vhu_slot vhu_fdtab[VHU_FDTAB_SIZE];
struct vhu_open_info vhu_open_infos[VHU_OPEN_INFOS];

/* Where the next search for a free entry starts: entries are taken and
 * given back in about that order, so the search is short. */
static atomic_uint open_info_hint;

uint16_t vhu_open_info_get(void)
{
	unsigned start = atomic_fetch_add(&open_info_hint, 1), i;

	for (i = 0; i < VHU_OPEN_INFOS; i++) {
		unsigned k = (start + i) % VHU_OPEN_INFOS;

		if (!atomic_flag_test_and_set(&vhu_open_infos[k].used))
			return (uint16_t)(k + 1);
	}
	return 0;
}

void vhu_open_info_put(uint16_t idx)
{
	if (idx && idx <= VHU_OPEN_INFOS)
		atomic_flag_clear(&vhu_open_infos[idx - 1].used);
}

struct vhu_open_info *vhu_open_info_at(uint16_t idx)
{
	return idx && idx <= VHU_OPEN_INFOS ? &vhu_open_infos[idx - 1] : NULL;
}

/* The slot no longer needs its open info (locked by the caller). */
void vhu_slot_drop_open_info(struct vhu_slot *s)
{
	vhu_open_info_put(s->open_info);
	s->open_info = 0;
}

/* A copy of from's open info for an alias, or 0. */
static uint16_t open_info_dup(uint16_t from)
{
	struct vhu_open_info *src = vhu_open_info_at(from), *dst;
	uint16_t idx;

	if (!src || !(idx = vhu_open_info_get()))
		return 0;
	dst = vhu_open_info_at(idx);
	dst->path_len = src->path_len;
	dst->has_cred = src->has_cred;
	memcpy(dst->cred, src->cred, sizeof(dst->cred));
	memcpy(dst->path, src->path, src->path_len);
	return idx;
}

void vhu_slot_lock(struct vhu_slot *s)
{
	while (atomic_flag_test_and_set_explicit(&s->lock, memory_order_acquire))
		;
}

void vhu_slot_unlock(struct vhu_slot *s)
{
	atomic_flag_clear_explicit(&s->lock, memory_order_release);
}

void vhu_slot_clear(int fd, struct vhu_slot *old)
{
	struct vhu_slot *s = vhu_slot(fd);

	if (!s)
		return;
	vhu_slot_lock(s);
	if (old) {
		memcpy(old, s, sizeof(*old));
		atomic_flag_clear(&old->lock);
	}
	atomic_store_explicit(&s->state, VHU_SLOT_NONE, memory_order_release);
	s->pend_len = 0;
	s->partner = -1;
	atomic_store_explicit(&s->seq, 0, memory_order_relaxed);
	vhu_slot_drop_open_info(s);
	vhu_slot_unlock(s);
}

void vhu_slot_copy(int to, int from)
{
	struct vhu_slot *d = vhu_slot(to), *s = vhu_slot(from), tmp;

	if (!d || to == from)
		return;
	if (!s) {
		vhu_slot_clear(to, NULL);
		return;
	}
	vhu_slot_lock(s);
	memcpy(&tmp, s, sizeof(tmp));
	/* The alias gets its own copy: either may be promoted first. */
	tmp.open_info = atomic_load(&s->state) == VHU_SLOT_CANDIDATE ?
			open_info_dup(s->open_info) : 0;
	vhu_slot_unlock(s);
	vhu_slot_lock(d);
	vhu_slot_drop_open_info(d);
	d->channel = tmp.channel;
	d->role = tmp.role;
	d->open_event = tmp.open_event;
	d->open_call = tmp.open_call;
	d->pend_len = tmp.pend_len;
	d->pend_dir = tmp.pend_dir;
	memcpy(d->pend, tmp.pend, sizeof(d->pend));
	d->open_info = tmp.open_info;
	/* A dup of a socketpair end stays a pair end: it names the same
	 * socket, and it may be the number that goes out in id 21/33 (a
	 * sender that keeps a copy until the message leaves). */
	d->partner = tmp.partner;
	d->conn_id = tmp.conn_id;
	/* Records are numbered per fd: the alias numbers its own from 1. */
	atomic_store_explicit(&d->seq, 0, memory_order_relaxed);
	d->ino = tmp.ino;
	d->partner_ino = tmp.partner_ino;
	d->open_ts = tmp.open_ts;
	atomic_store_explicit(&d->state, atomic_load(&tmp.state), memory_order_release);
	vhu_slot_unlock(d);
}

/* A thread that held a slot lock at fork() does not exist in the child. */
void vhu_fdtab_after_fork(void)
{
	int i;

	for (i = 0; i < VHU_FDTAB_SIZE; i++)
		atomic_flag_clear(&vhu_fdtab[i].lock);
}
