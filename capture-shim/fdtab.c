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
	vhu_slot_unlock(s);
	vhu_slot_lock(d);
	d->channel = tmp.channel;
	d->role = tmp.role;
	d->open_event = tmp.open_event;
	d->open_call = tmp.open_call;
	d->pend_len = tmp.pend_len;
	d->pend_dir = tmp.pend_dir;
	memcpy(d->pend, tmp.pend, sizeof(d->pend));
	/* A dup of one socketpair end is not that end's registered partner. */
	d->partner = -1;
	d->conn_id = tmp.conn_id;
	d->ino = tmp.ino;
	d->open_ts = tmp.open_ts;
	atomic_store_explicit(&d->state,
			      atomic_load(&tmp.state) == VHU_SLOT_PAIR ? VHU_SLOT_NONE :
			      atomic_load(&tmp.state), memory_order_release);
	vhu_slot_unlock(d);
}

/* A thread that held a slot lock at fork() does not exist in the child. */
void vhu_fdtab_after_fork(void)
{
	int i;

	for (i = 0; i < VHU_FDTAB_SIZE; i++)
		atomic_flag_clear(&vhu_fdtab[i].lock);
}
