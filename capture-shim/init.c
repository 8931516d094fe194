/* SPDX-License-Identifier: MIT */
/* \summary: shim start-up: real functions, settings, fork, process start */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"
#include "spool.h"

_Atomic(void *) vhu_real_fns[VHU_FN__COUNT];
struct vhu_settings vhu_cfg = { .spool_chunks = VHU_SPOOL_CHUNKS_DEFAULT };
VHU_TLS int vhu_busy;
atomic_bool vhu_capturing;

static const char *const real_names[VHU_FN__COUNT] = {
#define X(idx, name) [VHU_FN_##idx] = #name,
	VHU_REAL_FUNCS(X)
#undef X
};

/* Per-process part of the conn ids; the pid goes in the high half, so ids
 * stay unique across the processes writing one capture. */
static atomic_uint_fast32_t conn_seq;

uint64_t vhu_new_conn_id(void)
{
	uint32_t seq = (uint32_t)atomic_fetch_add(&conn_seq, 1) + 1;

	return ((uint64_t)vhu_getpid() << 32) | seq;
}

/*
 * The pid, asked of the kernel once per process: every record names it,
 * and a getpid per record was a sixth of the record's cost.  It is kept
 * in a page the kernel zeroes in the child of any fork (MADV_WIPEONFORK),
 * including a raw clone() that runs no atfork handler, so a child asks
 * again on its first record.  (A vfork child shares the page, and the
 * parent's pid, until it execs.)  Without such a page (kernel before
 * 4.14) every call asks.
 */
static _Atomic(_Atomic uint32_t *) pid_page;
/* The pid last asked, in ordinary memory: a fork child finds its
 * parent's here. */
static atomic_uint_fast32_t last_pid;

static void pid_cache_init(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t size = page > 0 ? (size_t)page : 4096;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	if (madvise(p, size, MADV_WIPEONFORK) < 0) {
		munmap(p, size);
		return;
	}
	atomic_store(&pid_page, (_Atomic uint32_t *)p);
}

uint32_t vhu_getpid(void)
{
	_Atomic uint32_t *cache = atomic_load_explicit(&pid_page, memory_order_relaxed);
	uint32_t pid = cache ? atomic_load_explicit(cache, memory_order_relaxed) : 0;

	if (!pid) {
		pid = (uint32_t)getpid();
		atomic_store_explicit(&last_pid, pid, memory_order_relaxed);
		if (cache)
			atomic_store_explicit(cache, pid, memory_order_relaxed);
	}
	return pid;
}

uint32_t vhu_last_pid(void)
{
	return (uint32_t)atomic_load_explicit(&last_pid, memory_order_relaxed);
}

/*
 * gettid once per thread: a sandbox may not allow it later (and it is a
 * system call per record otherwise).  The pid it was taken in tells a
 * fork child, whose thread keeps the parent's TLS: the one thread of a
 * fork child has the child's pid as its id, no need to ask.  A thread
 * that starts after a sandbox does not ask: its records say 0, unknown.
 */
static VHU_TLS uint32_t tid_cache, tid_cache_pid;

uint32_t vhu_gettid(uint32_t pid)
{
	if (tid_cache_pid == pid && tid_cache)
		return tid_cache;
	if (tid_cache_pid) {
		tid_cache = pid;	/* a fork child's only thread */
	} else {
		if (vhu_sandboxed())
			return 0;
		tid_cache = (uint32_t)syscall(SYS_gettid);
	}
	tid_cache_pid = pid;
	return tid_cache;
}

/* Is p one of the shim's own definitions? */
static bool is_ours(void *p)
{
	Dl_info self, it;

	return dladdr((void *)vhu_resolve, &self) && dladdr(p, &it) &&
	       self.dli_fbase == it.dli_fbase;
}

void *vhu_resolve(enum vhu_real_index idx)
{
	void *p;

	/* dlsym may allocate or take locks that call back into us. */
	vhu_busy++;
	p = dlsym(RTLD_NEXT, real_names[idx]);
	if (!p) {
		/* libc itself preloaded before us: nothing comes next. */
		p = dlsym(RTLD_DEFAULT, real_names[idx]);
		if (p && is_ours(p))
			p = NULL;
	}
	vhu_busy--;
	atomic_store_explicit(&vhu_real_fns[idx], p, memory_order_relaxed);
	return p;
}

static void copy_setting(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* Settings come from the environment the launcher prepared; secure_getenv
 * keeps set-id programs out of it. */
static bool read_settings(void)
{
	const char *v;

	v = secure_getenv("VHU_CAPTURE_SOCKETS");
	if (v && *v) {
		copy_setting(vhu_cfg.glob, sizeof(vhu_cfg.glob), v);
		vhu_cfg.have_glob = true;
	}
	v = secure_getenv("VHU_CAPTURE_ALL_UNIX");
	vhu_cfg.all_unix = v && *v && strcmp(v, "0") != 0;

	v = secure_getenv("VHU_CAPTURE_SPOOL_CHUNKS");
	if (v && *v) {
		char *end;
		unsigned long n = strtoul(v, &end, 10);

		if (*end || n < VHU_SPOOL_CHUNKS_MIN || n > VHU_SPOOL_CHUNKS_MAX) {
			vhu_say("VHU_CAPTURE_SPOOL_CHUNKS=", v, ": not a chunk count: capture stopped");
			return false;
		}
		vhu_cfg.spool_chunks = (uint32_t)n;
	}
	v = secure_getenv("VHU_CAPTURE_SPOOL");
	if (v && *v) {
		if (strlen(v) >= sizeof(vhu_cfg.spool_dir)) {
			vhu_say("VHU_CAPTURE_SPOOL: name too long", NULL, ": capture stopped");
			return false;
		}
		copy_setting(vhu_cfg.spool_dir, sizeof(vhu_cfg.spool_dir), v);
		return true;
	}
	return false;	/* loaded without a capture to write: stay passive */
}

void vhu_after_fork_child(void)
{
	vhu_busy = 0;
	vhu_fdtab_after_fork();
	vhu_events_after_fork();
	if (vhu_on())
		vhu_emit_process_start(VHU_CALL_FORK);
}

static atomic_flag init_done = ATOMIC_FLAG_INIT;

void vhu_init(void)
{
	int i;

	if (atomic_flag_test_and_set(&init_done))
		return;
	for (i = 0; i < VHU_FN__COUNT; i++)
		vhu_real(i);
	if (!read_settings())
		return;
	vhu_busy++;
	pid_cache_init();
	vhu_gettid(vhu_getpid());	/* at load, while it may still ask */
	vhu_sandbox_check_inherited();
	if (vhu_out_open() == 0) {
		atomic_store(&vhu_capturing, true);
		/* Children of fork() keep capturing; exec'd images start over
		 * from the environment, which LD_PRELOAD keeps them in. */
		pthread_atfork(NULL, NULL, vhu_after_fork_child);
	}
	vhu_busy--;
	if (vhu_on())
		vhu_emit_process_start(VHU_CALL_START);
}

__attribute__((constructor)) static void vhu_constructor(void)
{
	int saved = errno;

	vhu_init();
	errno = saved;
}
