/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * attach.bpf.c - the kernel half of `vhost-user-capture -p/--all`.
 *
 * Two ways in, the cheaper first (attach.c falls back when the kernel
 * refuses it):
 *   - one BTF tracepoint program at the exit of every system call
 *     (tp_btf/sys_exit): it picks the calls it records by their number
 *     and reads their arguments from the saved registers, so a call is
 *     looked at once, after it moved its bytes;
 *   - the syscall tracepoints (sys_enter_X / sys_exit_X) of those calls:
 *     at entry a call is kept, its arguments waiting in a per-thread map
 *     for the exit.
 * Both then keep a call only if it comes from a traced process and its fd
 * is an AF_UNIX stream socket that is not known to be something else, and
 * at the exit read the bytes the call really moved and the fds it passed
 * and send them to the collector through a ring buffer.  close is seen at
 * its entry (its fd is gone at the exit) on its own syscall tracepoint in
 * both ways.  kprobes and fentry on the socket functions would cost other
 * calls nothing, but are not available on every kernel the tool runs on
 * (bench/attach/RESULTS.md).
 *
 * Sockets are known by their struct sock, resolved from the fd table of
 * the calling task at the moment of the call: a number closed and reused
 * meanwhile is a different socket.  A new socket is recorded from the first
 * call whose bytes start with a plausible vhost-user header; sockets that
 * fail VHU_ATT_MAX_MISSES times are dropped, and nothing is copied for them
 * afterwards.  All maps are bounded (LRU for the sockets).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "attach_event.h"

#define AF_UNIX 1
#define SOCK_STREAM 1
#define SOL_SOCKET 1
#define SCM_RIGHTS 1
#define MSG_PEEK 0x2
#define MSG_TRUNC 0x20
#define MSG_CTRUNC 0x8
#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* record flags, as in core/vhu_record.h */
#define RF_PEEK 0x1
#define RF_TRUNC 0x2
#define RF_CTRUNC 0x4
#define RF_SHORT 0x8
#define RF_CUT 0x10
#define RF_LOST 0x20

/* enum vhu_call, as in core/vhu_record.h */
enum {
	CALL_SENDMSG = 1, CALL_RECVMSG = 2, CALL_SENDTO = 7, CALL_RECVFROM = 8,
	CALL_WRITE = 9, CALL_READ = 10, CALL_WRITEV = 11, CALL_READV = 12,
	CALL_CONNECT = 13, CALL_ACCEPT = 14, CALL_ACCEPT4 = 15, CALL_CLOSE = 17,
};

/* 64-bit lengths and this empty asm keep the compiler from checking one
 * copy of a length and passing another to a helper (the verifier then
 * sees no bound). */
#define KEEP(v) asm volatile("" : "+r"(v))

char LICENSE[] SEC("license") = "Dual MIT/GPL";

const volatile struct vhu_att_config cfg = {};

/* Processes to record (tgid -> 1); forks of a target join it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct vhu_att_sock);
} socks SEC(".maps");

/* A call between its entry and its exit, per thread. */
struct pending {
	__u64 sk;
	__u64 arg;		/* buffer, iovec array or msghdr */
	__u64 len;		/* buffer length or iovec count */
	__u32 call;
	__u32 flags;		/* MSG_* of send/recv calls */
	__s32 fd;
	__u32 kind;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct pending);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);	/* the collector may resize it */
} events SEC(".maps");

/* Scratch space for one event, per CPU (max_entries set to the number of
 * CPUs by the collector): the fixed part, the fds, and room for twice the
 * data after them, so the verifier can see every copy stays inside.  Only
 * the fds and the data there are sent. */
#define FDS_SIZE (VHU_ATT_MAX_FDS * sizeof(struct vhu_att_fd))

struct scratch {
	struct vhu_att_event ev;
	__u8 rest[FDS_SIZE + 2 * VHU_ATT_DATA_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static const struct vhu_att_event zero_event;

/* [0] events the ring buffer had no room for, [1] events dropped because
 * the CPU's scratch space was in use (a preempted call). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Per CPU: the scratch space is in use (a second call on the same CPU,
 * the first one preempted, must not overwrite it); an event was lost, so
 * the next one carries VHU_RF_LOST. */
struct cpu_state {
	__u32 busy;
	__u32 lost_before;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_state);
} busy SEC(".maps");

static void count_lost(__u32 which)
{
	__u64 *n = bpf_map_lookup_elem(&lost, &which);

	if (n)
		*n += 1;
}

static bool traced_process(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	return cfg.all_pids || bpf_map_lookup_elem(&targets, &tgid);
}

/* The task's fd table is walked with plain loads through the BTF pointer
 * of the current task (the verifier makes them fault-safe), not with a
 * helper call per pointer: this runs for every call that may be recorded,
 * most of which are not. */
static struct file *fd_file(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct files_struct *files = task->files;
	struct fdtable *fdt;
	struct file *f = NULL;

	if (!files)
		return NULL;
	fdt = files->fdt;
	if (fd < 0 || !fdt || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]);
	return f;
}

/* The struct sock of fd if it is a socket (any family), else NULL. */
static struct sock *file_sock(struct file *f)
{
	struct socket *so;

	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	return so ? BPF_CORE_READ(so, sk) : NULL;
}

/* The cheapest tests first: a pipe or a file is done with after its
 * mode, a datagram socket after its type. */
static struct sock *unix_stream_sock(int fd)
{
	struct file *f = fd_file(fd);
	struct socket *so;
	struct sock *sk;

	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	if (!so || BPF_CORE_READ(so, type) != SOCK_STREAM)
		return NULL;
	sk = BPF_CORE_READ(so, sk);
	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_family) != AF_UNIX)
		return NULL;
	return sk;
}

/* The unix stream socket of fd in a traced process (0 if none) and
 * what is known of it (*st NULL if nothing yet). */
static __u64 traced_sock(int fd, struct vhu_att_sock **st)
{
	struct sock *sk;
	__u64 id;

	if (!traced_process())
		return 0;
	sk = unix_stream_sock(fd);
	if (!sk)
		return 0;
	id = (__u64)sk;
	*st = bpf_map_lookup_elem(&socks, &id);
	return id;
}

/* Entry: keep the call if it may have to be recorded. */
static int enter(int fd, __u32 call, __u64 arg, __u64 len, __u32 flags)
{
	struct vhu_att_sock *st = NULL;
	struct pending p = {};
	__u64 id = traced_sock(fd, &st);

	if (!id || (st && st->state == VHU_ATT_DROPPED))
		return 0;
	p.sk = id;
	p.arg = arg;
	p.len = len;
	p.call = call;
	p.flags = flags;
	p.fd = fd;
	id = bpf_get_current_pid_tgid();
	bpf_map_update_elem(&calls, &id, &p, BPF_ANY);
	return 0;
}

static struct pending *take_pending(void)
{
	__u64 id = bpf_get_current_pid_tgid();

	return bpf_map_lookup_elem(&calls, &id);
}

static void forget_pending(void)
{
	__u64 id = bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&calls, &id);
}

/* First bytes of a vhost-user message: a request id in range, version 1
 * and no reserved flag bits, a payload size within the limit. */
static bool plausible_header(const __u8 *h)
{
	__u32 req = h[0] | (h[1] << 8) | (h[2] << 16) | ((__u32)h[3] << 24);
	__u32 flags = h[4] | (h[5] << 8) | (h[6] << 16) | ((__u32)h[7] << 24);
	__u32 size = h[8] | (h[9] << 8) | (h[10] << 16) | ((__u32)h[11] << 24);

	return req >= 1 && req < 128 && (flags & 0x3) == 1 && !(flags & ~0xfu) &&
	       size <= VHU_ATT_MAX_PAYLOAD;
}

/* The user buffers of a call as an iovec array (or one buffer). */
struct bufs {
	__u64 iov;	/* user pointer to struct iovec[], or 0 */
	__u64 base;	/* the one buffer when iov is 0 */
	__u64 n;	/* iovec count, or the buffer length */
};

static void call_bufs(const struct pending *p, struct bufs *b)
{
	b->iov = 0;
	b->base = 0;
	b->n = 0;
	switch (p->call) {
	case CALL_SENDMSG:
	case CALL_RECVMSG: {
		struct user_msghdr m;

		if (bpf_probe_read_user(&m, sizeof(m), (void *)p->arg))
			return;
		b->iov = (__u64)m.msg_iov;
		b->n = m.msg_iovlen;
		return;
	}
	case CALL_WRITEV:
	case CALL_READV:
		b->iov = p->arg;
		b->n = p->len;
		return;
	default:
		b->base = p->arg;
		b->n = p->len;
	}
}

/* Copies the first bytes moved (up to VHU_ATT_DATA_MAX) into out;
 * returns how many. */

static __u32 copy_moved(const struct bufs *b, __u32 moved, __u8 *out)
{
	__u64 off = 0, n;
	int i;

	if (moved > VHU_ATT_DATA_MAX)
		moved = VHU_ATT_DATA_MAX;
	if (!b->iov) {
		n = moved < b->n ? moved : b->n;
		KEEP(n);
		if (n > VHU_ATT_DATA_MAX)
			return 0;
		if (bpf_probe_read_user(out, n, (void *)b->base))
			return 0;
		return n;
	}
	for (i = 0; i < VHU_ATT_MAX_IOV; i++) {
		struct iovec v;

		if (i >= b->n || off >= moved)
			break;
		if (bpf_probe_read_user(&v, sizeof(v), (void *)(b->iov + i * sizeof(v))))
			break;
		n = moved - off;
		if (n > v.iov_len)
			n = v.iov_len;
		KEEP(n);
		KEEP(off);
		if (off >= VHU_ATT_DATA_MAX || n > VHU_ATT_DATA_MAX)
			break;
		if (n && bpf_probe_read_user(out + off, n, v.iov_base))
			break;
		off += n;
	}
	return off;
}

/* The first 12 bytes moved, for the first-bytes test. */
static bool first_header(const struct bufs *b, __u8 *h)
{
	__u64 base = b->base;

	if (b->iov) {
		struct iovec v;

		if (!b->n || bpf_probe_read_user(&v, sizeof(v), (void *)b->iov))
			return false;
		if (v.iov_len < 12)
			return false;
		base = (__u64)v.iov_base;
	} else if (b->n < 12) {
		return false;
	}
	return bpf_probe_read_user(h, 12, (void *)base) == 0;
}

static void describe_fd(struct vhu_att_fd *d, int fd)
{
	struct file *f = fd_file(fd);
	struct inode *ino;
	struct sock *sk;
	const unsigned char *name;

	__builtin_memset(d, 0, sizeof(*d));
	d->fd = fd;
	if (!f)
		return;
	ino = BPF_CORE_READ(f, f_inode);
	d->mode = BPF_CORE_READ(ino, i_mode);
	d->ino = BPF_CORE_READ(ino, i_ino);
	d->size = BPF_CORE_READ(ino, i_size);
	d->dev = BPF_CORE_READ(ino, i_sb, s_dev);
	d->magic = BPF_CORE_READ(ino, i_sb, s_magic);
	name = BPF_CORE_READ(f, f_path.dentry, d_name.name);
	if (name) {
		long n = bpf_probe_read_kernel_str(d->name, sizeof(d->name), name);

		d->name_len = n > 1 ? (unsigned short)(n - 1) : 0;
	}
	sk = file_sock(f);
	if (sk) {
		struct unix_sock *u = (struct unix_sock *)sk;

		d->sk = (__u64)sk;
		if (BPF_CORE_READ(sk, __sk_common.skc_family) == AF_UNIX)
			d->peer_sk = (__u64)BPF_CORE_READ(u, peer);
	}
}

/* The fds of an SCM_RIGHTS control message of a sendmsg/recvmsg. */
static void passed_fds(struct scratch *s, __u64 msg)
{
	struct vhu_att_event *ev = &s->ev;
	struct user_msghdr m;
	struct cmsghdr c;
	int fds[VHU_ATT_MAX_FDS];
	__u32 n, i;

	if (bpf_probe_read_user(&m, sizeof(m), (void *)msg) || !m.msg_control ||
	    m.msg_controllen < sizeof(c))
		return;
	if (bpf_probe_read_user(&c, sizeof(c), m.msg_control))
		return;
	if (c.cmsg_level != SOL_SOCKET || c.cmsg_type != SCM_RIGHTS || c.cmsg_len < sizeof(c))
		return;
	n = (c.cmsg_len - sizeof(c)) / sizeof(int);
	ev->nfds = n > 255 ? 255 : n;
	if (n > VHU_ATT_MAX_FDS)
		n = VHU_ATT_MAX_FDS;
	if (bpf_probe_read_user(fds, sizeof(fds), (char *)m.msg_control + sizeof(c)))
		return;
	for (i = 0; i < VHU_ATT_MAX_FDS; i++) {
		if (i >= n)
			break;
		describe_fd((struct vhu_att_fd *)(s->rest + i * sizeof(struct vhu_att_fd)), fds[i]);
	}
	ev->nfd_items = n;
}

/* sun_path of the socket's own address, or of its peer's when it has
 * none (the connecting end). */
static void sock_path(struct vhu_att_event *ev, struct sock *sk)
{
	struct unix_sock *u = (struct unix_sock *)sk;
	struct unix_address *a = BPF_CORE_READ(u, addr);
	__u64 n;
	int len;

	if (!a) {
		struct unix_sock *peer = (struct unix_sock *)BPF_CORE_READ(u, peer);

		if (peer)
			a = BPF_CORE_READ(peer, addr);
	}
	if (!a)
		return;
	len = BPF_CORE_READ(a, len) - (int)sizeof(unsigned short);
	if (len <= 0)
		return;
	n = len;
	if (n > VHU_ATT_PATH_MAX)
		n = VHU_ATT_PATH_MAX;
	KEEP(n);
	if (n > VHU_ATT_PATH_MAX ||
	    bpf_probe_read_kernel(ev->path, n, __builtin_preserve_access_index(&a->name[0].sun_path)))
		return;
	ev->path_len = n;
}

static void peer_cred(struct vhu_att_event *ev, struct sock *sk)
{
	struct pid *pid = BPF_CORE_READ(sk, sk_peer_pid);
	const struct cred *cred = BPF_CORE_READ(sk, sk_peer_cred);

	if (!cred)
		return;
	ev->has_cred = 1;
	ev->peer_pid = pid ? BPF_CORE_READ(pid, numbers[0].nr) : 0;
	ev->peer_uid = BPF_CORE_READ(cred, euid.val);
	ev->peer_gid = BPF_CORE_READ(cred, egid.val);
}

static struct vhu_att_event *event_begin(struct scratch **sp)
{
	__u32 zero = 0;
	struct cpu_state *b = bpf_map_lookup_elem(&busy, &zero);
	struct task_struct *task;
	struct scratch *s;
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 id = bpf_get_current_pid_tgid();

	if (!b)
		return NULL;
	if (b->busy) {
		count_lost(1);
		b->lost_before = 1;
		return NULL;
	}
	s = bpf_map_lookup_elem(&scratch, &cpu);
	if (!s)
		return NULL;
	b->busy = 1;
	/* no memset in BPF: copy a zeroed event over it */
	if (bpf_probe_read_kernel(&s->ev, sizeof(s->ev), &zero_event)) {
		b->busy = 0;
		return NULL;
	}
	if (b->lost_before)
		s->ev.flags = RF_LOST;
	s->ev.ts = bpf_ktime_get_ns();
	s->ev.tgid = id >> 32;
	s->ev.tid = (__u32)id;
	task = (struct task_struct *)bpf_get_current_task_btf();
	s->ev.ppid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_get_current_comm(s->ev.comm, sizeof(s->ev.comm));
	*sp = s;
	return &s->ev;
}

/* Wakes the collector only when the buffer fills up: it also drains it
 * every 100 ms, and a wakeup per event would cost more than the event. */
static __u64 wakeup_flag(void)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);

	return avail > size / 8 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* Sends the fixed part and the first len bytes after it (fds, data). */
static void event_send(struct scratch *s, __u64 len)
{
	__u32 zero = 0;
	struct cpu_state *b = bpf_map_lookup_elem(&busy, &zero);
	bool lost;

	KEEP(len);
	if (len > FDS_SIZE + VHU_ATT_DATA_MAX)
		len = FDS_SIZE + VHU_ATT_DATA_MAX;
	lost = bpf_ringbuf_output(&events, s, sizeof(s->ev) + len, wakeup_flag()) != 0;
	if (lost)
		count_lost(0);
	if (b) {
		b->busy = 0;
		b->lost_before = lost;
	}
}

/* A data call that moved ret > 0 bytes over the unix stream socket p->sk:
 * decide on a new socket, record a tracked one. */
static void record_data(const struct pending *p, long ret)
{
	struct vhu_att_sock *st, fresh = {};
	struct vhu_att_event *ev;
	struct scratch *s = NULL;
	struct bufs b;
	__u64 sk, fds_len;
	__u32 n;
	bool recv;

	sk = p->sk;
	call_bufs(p, &b);
	st = bpf_map_lookup_elem(&socks, &sk);
	if (!st) {
		fresh.state = VHU_ATT_CANDIDATE;
		bpf_map_update_elem(&socks, &sk, &fresh, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&socks, &sk);
		if (!st)
			return;
	}
	if (st->state == VHU_ATT_DROPPED)
		return;
	if (st->state == VHU_ATT_CANDIDATE && !cfg.all_unix) {
		__u8 h[12];

		if (!first_header(&b, h) || !plausible_header(h)) {
			if (++st->misses >= VHU_ATT_MAX_MISSES)
				st->state = VHU_ATT_DROPPED;
			return;
		}
	}
	ev = event_begin(&s);
	if (!ev)
		return;
	recv = p->call == CALL_RECVMSG || p->call == CALL_RECVFROM ||
	       p->call == CALL_READ || p->call == CALL_READV;
	ev->kind = recv ? VHU_ATT_DATA_RECV : VHU_ATT_DATA_SENT;
	ev->call = p->call;
	ev->fd = p->fd;
	ev->sk = sk;
	ev->moved = ret;
	ev->opened = st->opened;
	if (st->state == VHU_ATT_CANDIDATE)
		sock_path(ev, (struct sock *)sk);
	st->state = VHU_ATT_TRACKED;
	if (recv && (p->flags & MSG_PEEK))
		ev->flags |= RF_PEEK;
	if (p->call == CALL_SENDMSG || p->call == CALL_RECVMSG) {
		__u32 mflags = 0;

		passed_fds(s, p->arg);
		if (recv && !bpf_probe_read_user(&mflags, sizeof(mflags),
						 (char *)p->arg + offsetof(struct user_msghdr, msg_flags))) {
			if (mflags & MSG_TRUNC)
				ev->flags |= RF_TRUNC;
			if (mflags & MSG_CTRUNC)
				ev->flags |= RF_CTRUNC;
		}
	}
	fds_len = (__u64)ev->nfd_items * sizeof(struct vhu_att_fd);
	KEEP(fds_len);
	if (fds_len > FDS_SIZE)
		fds_len = FDS_SIZE;
	n = copy_moved(&b, (__u32)ret, s->rest + fds_len);
	ev->data_len = n;
	if (n < (__u32)ret)
		ev->flags |= RF_CUT;
	event_send(s, fds_len + n);
}

/* connect() and accept() of a traced process that returned ret: a unix
 * stream socket opened after the attach. */
static void record_open(const struct pending *p, long ret, __u32 kind)
{
	struct vhu_att_sock fresh = { .state = VHU_ATT_CANDIDATE, .opened = 1 };
	struct vhu_att_event *ev;
	struct scratch *s = NULL;
	struct sock *sk;
	__u64 id;
	int fd;

	fd = kind == VHU_ATT_ACCEPT ? (int)ret : p->fd;
	if (ret < 0 || (kind == VHU_ATT_CONNECT && ret != 0))
		return;
	sk = unix_stream_sock(fd);
	if (!sk)
		return;
	id = (__u64)sk;
	if (cfg.all_unix)
		fresh.state = VHU_ATT_TRACKED;
	bpf_map_update_elem(&socks, &id, &fresh, BPF_ANY);
	ev = event_begin(&s);
	if (!ev)
		return;
	ev->kind = kind;
	ev->call = p->call;
	ev->fd = fd;
	ev->sk = id;
	ev->opened = 1;
	sock_path(ev, sk);
	peer_cred(ev, sk);
	event_send(s, 0);
}

/* ---- the exit of every system call (BTF tracepoint) ---------------------- */

/* The system calls recorded, by their number in the native table; a task
 * of another ABI (32-bit on a 64-bit kernel) numbers them otherwise and is
 * not looked at, as the syscall tracepoints do not look at it. */
#if defined(__TARGET_ARCH_x86)
enum {
	NR_READ = 0, NR_WRITE = 1, NR_READV = 19, NR_WRITEV = 20, NR_CONNECT = 42,
	NR_ACCEPT = 43, NR_SENDTO = 44, NR_RECVFROM = 45, NR_SENDMSG = 46,
	NR_RECVMSG = 47, NR_ACCEPT4 = 288,
};
#define USER_CS_64 0x33		/* __USER_CS: a 64-bit task */

static long native_call(const struct pt_regs *regs)
{
	return regs->cs == USER_CS_64 ? (long)regs->orig_ax : -1;
}
#define HAVE_CALL_TABLE 1
#elif defined(__TARGET_ARCH_arm64)
enum {	/* asm-generic/unistd.h */
	NR_READ = 63, NR_WRITE = 64, NR_READV = 65, NR_WRITEV = 66, NR_ACCEPT = 202,
	NR_CONNECT = 203, NR_SENDTO = 206, NR_RECVFROM = 207, NR_SENDMSG = 211,
	NR_RECVMSG = 212, NR_ACCEPT4 = 242,
};
#define PSR_MODE32_BIT 0x10	/* an AArch32 task */

static long native_call(const struct pt_regs *regs)
{
	return regs->pstate & PSR_MODE32_BIT ? -1 : (long)regs->syscallno;
}
#define HAVE_CALL_TABLE 1
#endif

#ifdef HAVE_CALL_TABLE
/* The call's own kind and arguments, from its number and the registers it
 * was made with; false for a call that is not recorded. */
static bool call_of(const struct pt_regs *regs, struct pending *p, __u32 *open_kind)
{
	unsigned long a1 = PT_REGS_PARM2_SYSCALL(regs), a2 = PT_REGS_PARM3_SYSCALL(regs);

	*open_kind = 0;
	switch (native_call(regs)) {
	case NR_READ:	p->call = CALL_READ; break;
	case NR_WRITE:	p->call = CALL_WRITE; break;
	case NR_READV:	p->call = CALL_READV; break;
	case NR_WRITEV:	p->call = CALL_WRITEV; break;
	case NR_SENDTO:	p->call = CALL_SENDTO; p->flags = PT_REGS_PARM4_SYSCALL(regs); break;
	case NR_RECVFROM: p->call = CALL_RECVFROM; p->flags = PT_REGS_PARM4_SYSCALL(regs); break;
	case NR_SENDMSG: p->call = CALL_SENDMSG; p->flags = a2; a2 = 0; break;
	case NR_RECVMSG: p->call = CALL_RECVMSG; p->flags = a2; a2 = 0; break;
	case NR_CONNECT: p->call = CALL_CONNECT; *open_kind = VHU_ATT_CONNECT; break;
	case NR_ACCEPT:	p->call = CALL_ACCEPT; *open_kind = VHU_ATT_ACCEPT; break;
	case NR_ACCEPT4: p->call = CALL_ACCEPT4; *open_kind = VHU_ATT_ACCEPT; break;
	default:
		return false;
	}
	p->fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
	p->arg = a1;
	p->len = a2;
	return true;
}

/* Cheapest test first: the call's number, then what it returned, then the
 * process, and only then the fd table. */
SEC("tp_btf/sys_exit")
int BPF_PROG(exit_any, struct pt_regs *regs, long ret)
{
	struct vhu_att_sock *st = NULL;
	struct pending p = {};
	__u32 open_kind;

	if (!call_of(regs, &p, &open_kind))
		return 0;
	if (open_kind) {
		if (traced_process())
			record_open(&p, ret, open_kind);
		return 0;
	}
	if (ret <= 0)
		return 0;
	p.sk = traced_sock(p.fd, &st);
	if (p.sk && !(st && st->state == VHU_ATT_DROPPED))
		record_data(&p, ret);
	return 0;
}
#endif

/* ---- the syscall tracepoints of the recorded calls ------------------------ */

/* ENTER(name, call, buffer argument, length argument or -1, flags argument or -1) */
#define ENTER(name, call, buf, len, flags) \
	SEC("tracepoint/syscalls/sys_enter_" #name) \
	int enter_##name(struct trace_event_raw_sys_enter *ctx) \
	{ \
		return enter(ctx->args[0], call, ctx->args[buf], \
			     (len) < 0 ? 0 : ctx->args[(len) & 3], \
			     (flags) < 0 ? 0 : ctx->args[(flags) & 3]); \
	}

ENTER(sendmsg, CALL_SENDMSG, 1, -1, 2)
ENTER(recvmsg, CALL_RECVMSG, 1, -1, 2)
ENTER(sendto, CALL_SENDTO, 1, 2, 3)
ENTER(recvfrom, CALL_RECVFROM, 1, 2, 3)
ENTER(write, CALL_WRITE, 1, 2, -1)
ENTER(read, CALL_READ, 1, 2, -1)
ENTER(writev, CALL_WRITEV, 1, 2, -1)
ENTER(readv, CALL_READV, 1, 2, -1)

/* connect, accept: any socket of a traced process; the exit looks at
 * what it is. */
static int enter_open(__u32 call, int fd)
{
	struct pending p = { .call = call, .fd = fd };
	__u64 id = bpf_get_current_pid_tgid();

	if (traced_process())
		bpf_map_update_elem(&calls, &id, &p, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_connect")
int enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	return enter_open(CALL_CONNECT, ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_enter_accept")
int enter_accept(struct trace_event_raw_sys_enter *ctx)
{
	return enter_open(CALL_ACCEPT, ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_enter_accept4")
int enter_accept4(struct trace_event_raw_sys_enter *ctx)
{
	return enter_open(CALL_ACCEPT4, ctx->args[0]);
}

/* close: a tracked socket's fd goes away (the socket may live on in a dup
 * or another process: the collector keeps its state per process). */
SEC("tracepoint/syscalls/sys_enter_close")
int enter_close(struct trace_event_raw_sys_enter *ctx)
{
	struct vhu_att_sock *st = NULL;
	struct vhu_att_event *ev;
	struct scratch *s = NULL;
	int fd = ctx->args[0];
	__u64 id = traced_sock(fd, &st);

	if (!id || !st || st->state != VHU_ATT_TRACKED)
		return 0;
	ev = event_begin(&s);
	if (!ev)
		return 0;
	ev->kind = VHU_ATT_CLOSE;
	ev->call = CALL_CLOSE;
	ev->fd = fd;
	ev->sk = id;
	event_send(s, 0);
	return 0;
}

/* ---- exits --------------------------------------------------------------- */

/* Exit of a data call kept at its entry. */
static int exit_data(long ret)
{
	struct pending *p = take_pending();

	if (!p)
		return 0;
	if (ret > 0)
		record_data(p, ret);
	forget_pending();
	return 0;
}

static int exit_open(long ret, __u32 kind)
{
	struct pending *p = take_pending();

	if (!p)
		return 0;
	record_open(p, ret, kind);
	forget_pending();
	return 0;
}

#define EXIT_DATA(name) \
	SEC("tracepoint/syscalls/sys_exit_" #name) \
	int exit_##name(struct trace_event_raw_sys_exit *ctx) \
	{ \
		return exit_data(ctx->ret); \
	}

EXIT_DATA(sendmsg)
EXIT_DATA(recvmsg)
EXIT_DATA(sendto)
EXIT_DATA(recvfrom)
EXIT_DATA(write)
EXIT_DATA(read)
EXIT_DATA(writev)
EXIT_DATA(readv)

SEC("tracepoint/syscalls/sys_exit_connect")
int exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	return exit_open(ctx->ret, VHU_ATT_CONNECT);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return exit_open(ctx->ret, VHU_ATT_ACCEPT);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return exit_open(ctx->ret, VHU_ATT_ACCEPT);
}

/* Children of a target are targets too. */
SEC("tracepoint/sched/sched_process_fork")
int on_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	__u32 parent = bpf_get_current_pid_tgid() >> 32, child = ctx->child_pid;
	__u8 one = 1;

	if (!cfg.all_pids && bpf_map_lookup_elem(&targets, &parent))
		bpf_map_update_elem(&targets, &child, &one, BPF_ANY);
	return 0;
}
