/* SPDX-License-Identifier: MIT */
/* \summary: the shim's spool: created and mapped at start, records copied in */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include "spool.h"
#include "vhu_pcapng.h"

/*
 * This process's spool (spool.h), mapped MAP_SHARED by the constructor of
 * the image that created it and shared with its fork children.  Nothing
 * here makes a system call once the spool is mapped: a sandbox the
 * program installs later cannot be offended by a record.
 */
static _Atomic(struct vhu_spool_hdr *) spool;
static uint32_t spool_nchunks;

/* The chunk this thread appends to, and the process it claimed it in: a
 * fork child's thread inherits the parent's values and claims its own. */
static VHU_TLS struct vhu_spool_chunk *cur_chunk;
static VHU_TLS uint32_t cur_chunk_pid;
/* A record being written on this thread: a signal handler's record must
 * not append to the same chunk underneath it. */
static VHU_TLS int in_record;

/* Is fd 2 a place for our few start-up messages (not a socket the
 * program speaks a protocol on)?  0 not known yet, 1 yes, -1 no. */
static int stderr_is_ours;

uint64_t vhu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void note_stderr(void)
{
	struct stat st;

	stderr_is_ours = fstat(2, &st) == 0 && !S_ISSOCK(st.st_mode) ? 1 : -1;
}

/* Our messages go straight to the kernel: no stdio, no hook. */
static void say_raw(const char *s)
{
	size_t n = strlen(s);

	if (!stderr_is_ours)
		note_stderr();
	if (stderr_is_ours < 0)
		return;
	while (n) {
		long w = syscall(SYS_write, 2, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static size_t put_decimal(char *out, unsigned v)
{
	char tmp[12];
	size_t k = 0, n = 0;

	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k)
		out[n++] = tmp[--k];
	return n;
}

/* "vhost-user-capture: pid N: ": several processes may share a stderr. */
static void say_prefix(void)
{
	char out[12];

	out[put_decimal(out, (unsigned)getpid())] = 0;
	say_raw("vhost-user-capture: pid ");
	say_raw(out);
	say_raw(": ");
}

void vhu_say(const char *a, const char *b, const char *c)
{
	say_prefix();
	say_raw(a);
	if (b)
		say_raw(b);
	if (c)
		say_raw(c);
	say_raw("\n");
}

void vhu_stop(const char *what, int err)
{
	const char *desc = err ? strerrordesc_np(err) : NULL;

	if (!atomic_exchange(&vhu_capturing, false))
		return;		/* another thread said it already */
	say_prefix();
	say_raw(what);
	if (desc) {
		say_raw(": ");
		say_raw(desc);
	}
	say_raw(": capture stopped\n");
}

/* ---- creating the spool ------------------------------------------------ */

/* dir/PID-N.spool, the first N free: an exec'd image keeps its pid and
 * gets a spool of its own next to its former image's. */
static int create_spool_file(char *path, size_t cap)
{
	size_t dlen = strlen(vhu_cfg.spool_dir);
	unsigned n;

	if (dlen + 32 + sizeof(VHU_SPOOL_SUFFIX) > cap)
		return -ENAMETOOLONG;
	for (n = 0; n < 1000; n++) {
		char *p = path + dlen;
		int fd;

		memcpy(path, vhu_cfg.spool_dir, dlen);
		*p++ = '/';
		p += put_decimal(p, (unsigned)getpid());
		*p++ = '-';
		p += put_decimal(p, n);
		memcpy(p, VHU_SPOOL_SUFFIX, sizeof(VHU_SPOOL_SUFFIX));
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

/*
 * Gives the file its blocks now, so that a full disk is an error here and
 * never a SIGBUS on a record's memory copy later.  A file-size limit of
 * the program's is an error here too, not its SIGXFSZ.
 */
static int size_spool_file(int fd, uint64_t size)
{
	sigset_t xfsz, old, pend;
	struct timespec zero = { 0, 0 };
	bool was_pending;
	int err;

	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	pthread_sigmask(SIG_BLOCK, &xfsz, &old);
	sigpending(&pend);
	was_pending = sigismember(&pend, SIGXFSZ);
	err = posix_fallocate(fd, 0, (off_t)size);
	if (err && !was_pending)
		sigtimedwait(&xfsz, NULL, &zero);	/* ours, not the program's */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -err;
}

static void init_header(struct vhu_spool_hdr *h, uint32_t nchunks)
{
	h->version = VHU_SPOOL_VERSION;
	h->hdr_size = VHU_SPOOL_HDR_SIZE;
	h->chunk_size = VHU_SPOOL_CHUNK_SIZE;
	h->nchunks = nchunks;
	h->creator_pid = (uint32_t)getpid();
	/* The magic last: a reader trusts the header once it sees it. */
	atomic_thread_fence(memory_order_release);
	memcpy(h->magic, VHU_SPOOL_MAGIC, sizeof(h->magic));
}

static void say_spool_error(const char *path, int err)
{
	say_prefix();
	say_raw("cannot create the spool ");
	say_raw(path);
	say_raw(": ");
	say_raw(strerrordesc_np(err));
	say_raw(": capture stopped\n");
}

int vhu_out_open(void)
{
	char path[sizeof(vhu_cfg.spool_dir) + 48];
	uint32_t nchunks = vhu_cfg.spool_chunks;
	uint64_t size = vhu_spool_file_size(nchunks);
	int (*real_close)(int) = vhu_real(VHU_FN_CLOSE);
	void *map;
	int fd, err;

	fd = create_spool_file(path, sizeof(path));
	if (fd < 0) {
		say_spool_error(fd == -ENAMETOOLONG ? vhu_cfg.spool_dir : path, -fd);
		return -1;
	}
	err = size_spool_file(fd, size);
	map = err ? MAP_FAILED : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED && !err)
		err = -errno;
	real_close(fd);
	if (err) {
		unlink(path);
		say_spool_error(path, -err);
		return -1;
	}
	init_header(map, nchunks);
	spool_nchunks = nchunks;
	atomic_store(&spool, (struct vhu_spool_hdr *)map);
	return 0;
}

/* ---- writing a record -------------------------------------------------- */

/* A free chunk, now owned by tid; NULL if every chunk is taken. */
static struct vhu_spool_chunk *claim_chunk(struct vhu_spool_hdr *sp, uint32_t pid,
					   uint32_t tid)
{
	uint32_t tries;

	for (tries = 0; tries < spool_nchunks; tries++) {
		uint64_t k = atomic_fetch_add_explicit(&sp->claims, 1, memory_order_relaxed);
		struct vhu_spool_chunk *c = vhu_spool_chunk_at(sp, (uint32_t)(k % spool_nchunks));
		uint32_t expect = VHU_SPOOL_FREE;

		if (atomic_compare_exchange_strong_explicit(&c->owner, &expect, tid,
							    memory_order_acquire,
							    memory_order_relaxed)) {
			c->pid = pid;
			atomic_store_explicit(&c->seq, k, memory_order_relaxed);
			return c;
		}
	}
	return NULL;
}

static void seal_chunk(struct vhu_spool_chunk *c)
{
	atomic_store_explicit(&c->owner, VHU_SPOOL_SEALED, memory_order_release);
}

/* Where this thread's next block of len bytes goes: its chunk, or a new
 * one (the old one sealed).  NULL: no room, the record is lost. */
static struct vhu_spool_chunk *chunk_for(struct vhu_spool_hdr *sp, size_t len, bool nested)
{
	uint32_t pid = vhu_getpid(), tid = vhu_gettid(pid);
	struct vhu_spool_chunk *c = nested || cur_chunk_pid != pid ? NULL : cur_chunk;

	if (c && VHU_SPOOL_CHUNK_DATA - atomic_load_explicit(&c->committed,
							     memory_order_relaxed) < len) {
		seal_chunk(c);
		c = NULL;
	}
	if (!c) {
		/* A thread whose id is not known (it started in a sandbox)
		 * owns its chunk under its process's id. */
		c = claim_chunk(sp, pid, tid ? tid : pid);
		if (!nested) {
			cur_chunk = c;
			cur_chunk_pid = pid;
		}
	}
	return c;
}

static void note_lost(struct vhu_spool_hdr *sp)
{
	atomic_fetch_add_explicit(&sp->lost, 1, memory_order_relaxed);
	atomic_store_explicit(&sp->lost_pending, 1, memory_order_relaxed);
}

/* Copies len bytes from offset off of the iovecs to out. */
static void copy_iov(uint8_t *out, const struct iovec *iov, int n, size_t off, size_t len)
{
	int i;

	for (i = 0; i < n && len; i++) {
		size_t k = iov[i].iov_len;

		if (off >= k) {
			off -= k;
			continue;
		}
		k -= off;
		if (k > len)
			k = len;
		memcpy(out, (const uint8_t *)iov[i].iov_base + off, k);
		out += k;
		len -= k;
		off = 0;
	}
}

void vhu_out_record(int p2p_dir, const uint8_t *rec, size_t rec_len,
		    const struct iovec *data, int ndata, size_t data_off,
		    uint32_t data_len, uint32_t orig_data_len, uint64_t ts_ns)
{
	struct vhu_spool_hdr *sp = atomic_load_explicit(&spool, memory_order_relaxed);
	uint32_t epb_flags = p2p_dir == 0 ? VHU_EPB_OUTBOUND : p2p_dir == 1 ? VHU_EPB_INBOUND : 0;
	size_t exp_len = VHU_EXP_PDU_MAX, caplen, total, off;
	struct vhu_spool_chunk *c;
	uint8_t *p;
	bool nested;

	if (!sp || !vhu_on())
		return;
	nested = in_record++ > 0;
	/* The exported-PDU tags are written in place; their length is known
	 * only then, so the room asked for assumes the longest. */
	caplen = exp_len + rec_len + data_len;
	total = vhu_pcapng_epb_total((uint32_t)caplen);
	c = total <= VHU_SPOOL_CHUNK_DATA ? chunk_for(sp, total, nested) : NULL;
	if (!c) {
		note_lost(sp);
		goto out;
	}
	off = atomic_load_explicit(&c->committed, memory_order_relaxed);
	p = vhu_spool_chunk_data(c) + off;
	exp_len = vhu_exp_pdu_write(p + VHU_PCAPNG_EPB_HEAD, p2p_dir);
	caplen = exp_len + rec_len + data_len;
	vhu_pcapng_epb_head(p, ts_ns, (uint32_t)caplen,
			    (uint32_t)(caplen - data_len + orig_data_len));
	p += VHU_PCAPNG_EPB_HEAD + exp_len;
	memcpy(p, rec, rec_len);
	if (rec_len >= VHU_REC_HDR_LEN &&
	    atomic_load_explicit(&sp->lost_pending, memory_order_relaxed) &&
	    atomic_exchange_explicit(&sp->lost_pending, 0, memory_order_relaxed))
		p[28] |= VHU_RF_LOST;	/* flags, u16 little-endian at 28 */
	p += rec_len;
	copy_iov(p, data, ndata, data_off, data_len);
	p += data_len;
	vhu_pcapng_epb_tail(p, (uint32_t)caplen, epb_flags);
	atomic_store_explicit(&c->committed, off + vhu_pcapng_epb_total((uint32_t)caplen),
			      memory_order_release);
	if (nested)
		seal_chunk(c);
out:
	in_record--;
}
