/* SPDX-License-Identifier: MIT */
/* \summary: the launcher reads the spools and merges their blocks in time order */
#define _GNU_SOURCE
#include "merge.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spool.h"
#include "vhu_le.h"
#include "vhu_pcapng.h"
#include "vhu_record.h"

/*
 * Bytes past a chunk's committed end that a block cut by a kill can have
 * written: the longest block (head, tags, record with fd items, a piece
 * of data, tail) with room to spare.  Cleared when the chunk is freed, so
 * that a cut block is told from an old one.
 */
#define MAX_BLOCK (VHU_SPOOL_PIECE + 16384u)

/* Bytes taken from a chunk in one copy; freed when its last block is out. */
struct batch {
	size_t refs;
	uint8_t bytes[];
};

/* A block taken, waiting for its turn. */
struct pending {
	uint64_t ts;		/* never older than the one before it in its chunk */
	uint64_t claim;		/* its chunk's claim number: orders equal times */
	struct batch *batch;
	const uint8_t *block;
	uint32_t len;
	uint32_t pid;
};

/* The blocks of one chunk, in their order: a queue. */
struct queue {
	struct pending *p;
	size_t head, n, cap;
};

struct chunk_state {
	uint64_t consumed;	/* bytes taken (mirrors the chunk's, when written) */
	uint64_t last_ts;	/* newest timestamp taken: a chunk's order is kept */
	struct queue q;
};

struct spool {
	char *path;
	uint8_t *map;
	size_t size;
	uint32_t nchunks;
	uint32_t creator;
	struct chunk_state *cs;
};

struct vhu_merge {
	char *dir;
	bool readonly;
	vhu_merge_sink sink;
	void *ctx;
	bool sink_stopped;
	struct spool *spools;
	unsigned nspools;
	char **refused;		/* files in dir that are not spools: said once */
	unsigned nrefused;
	uint64_t next_slow;	/* when to look for spools and writers again */
	struct vhu_merge_stats st;
};

static void warn(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "vhost-user-capture: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q) {
		fputs("vhost-user-capture: out of memory\n", stderr);
		exit(1);
	}
	return q;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xrealloc(NULL, n), s, n);
}

struct vhu_merge *vhu_merge_new(const char *dir, bool readonly, vhu_merge_sink sink, void *ctx)
{
	struct vhu_merge *m = xrealloc(NULL, sizeof(*m));

	memset(m, 0, sizeof(*m));
	m->dir = dir ? xstrdup(dir) : NULL;
	m->readonly = readonly;
	m->sink = sink;
	m->ctx = ctx;
	return m;
}

/* Does the maps file at path name the spool file base (blen bytes)?
 * -errno if it cannot be read. */
static int maps_file_names(const char *path, const char *base, size_t blen)
{
	char buf[65536 + 256];
	size_t keep = 0;
	bool found = false;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (!found && (n = read(fd, buf + keep, sizeof(buf) - 1 - keep)) > 0) {
		size_t len = keep + (size_t)n;

		buf[len] = 0;
		found = memmem(buf, len, base, blen) != NULL;
		/* A name cut at the end of this read is whole in the next. */
		keep = len < blen ? len : blen;
		memmove(buf, buf + len - keep, keep);
	}
	close(fd);
	return found;
}

/* The id a task has in its innermost pid namespace (the last number of
 * the NSpid line of its status file), or 0. */
static uint32_t innermost_id(const char *status_path)
{
	char buf[4096], *line, *end;
	uint32_t id = 0;
	ssize_t n;
	int fd = open(status_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	line = strstr(buf, "\nNSpid:");
	if (!line)
		return 0;
	for (line += 7; *line && *line != '\n'; line = end) {
		unsigned long v = strtoul(line, &end, 10);

		if (end == line)
			break;
		id = (uint32_t)v;
	}
	return id;
}

/* Is there a task whose id in its own pid namespace is id, in a process
 * that maps the spool?  Asked when /proc/<id> says no (or cannot say): a
 * writer in a pid namespace of its own (a sandboxed back-end) records the
 * ids it has there, which name other processes, or none, out here. */
static bool namespaced_writer(uint32_t id, const char *base, size_t blen)
{
	char path[2 * 256 + 32];
	struct dirent *p, *t;
	bool found = false;
	DIR *proc = opendir("/proc"), *tasks;

	if (!proc)
		return true;	/* cannot tell: it may */
	while (!found && (p = readdir(proc)) != NULL) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", p->d_name);
		tasks = opendir(path);
		if (!tasks)
			continue;
		while ((t = readdir(tasks)) != NULL) {
			if (t->d_name[0] < '1' || t->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/task/%s/status", p->d_name, t->d_name);
			if (innermost_id(path) != id)
				continue;
			snprintf(path, sizeof(path), "/proc/%s/maps", p->d_name);
			found = maps_file_names(path, base, blen) > 0;
			break;
		}
		closedir(tasks);
	}
	closedir(proc);
	return found;
}

/* Does process or thread id still map the spool?  A process that exec'd
 * into an image without the shim keeps its id but cannot write it. */
static bool maps_spool(uint32_t id, const struct spool *sp)
{
	const char *base = strrchr(sp->path, '/');
	char path[40];
	size_t blen;
	int r;

	base = base ? base + 1 : sp->path;
	blen = strlen(base);
	if (blen >= 256)
		return true;
	snprintf(path, sizeof(path), "/proc/%u/maps", id);
	r = maps_file_names(path, base, blen);
	if (r > 0)
		return true;
	/* Not here (or not readable): perhaps a writer in a pid namespace. */
	return namespaced_writer(id, base, blen);
}

/* Can id still write to the spool?  A task that is gone out here may still
 * be a writer in a pid namespace of its own (maps_spool looks there). */
static bool writer_alive(uint32_t id, const struct spool *sp)
{
	if (id == 0 || id == VHU_SPOOL_SEALED)
		return false;
	return maps_spool(id, sp);
}

/* A spool file the header of which is complete and agrees with its size;
 * -EAGAIN if its writer is still creating it. */
static int check_header(const struct vhu_spool_hdr *h, size_t size)
{
	if (size < VHU_SPOOL_HDR_SIZE)
		return -EAGAIN;
	if (memcmp(h->magic, VHU_SPOOL_MAGIC, sizeof(h->magic)) != 0)
		return -EAGAIN;
	atomic_thread_fence(memory_order_acquire);
	if (h->version != VHU_SPOOL_VERSION || h->hdr_size != VHU_SPOOL_HDR_SIZE ||
	    h->chunk_size != VHU_SPOOL_CHUNK_SIZE || h->nchunks < VHU_SPOOL_CHUNKS_MIN ||
	    h->nchunks > VHU_SPOOL_CHUNKS_MAX)
		return -EINVAL;
	/* Mapped while its writer was still giving it its blocks: the size
	 * was taken before the header was complete.  Map it again later. */
	if (vhu_spool_file_size(h->nchunks) > size)
		return -EAGAIN;
	if (vhu_spool_file_size(h->nchunks) != size)
		return -EINVAL;
	return 0;
}

/* Opens and maps path; 0, -EAGAIN (not ready yet) or another -errno. */
static int map_spool(struct vhu_merge *m, const char *path, struct spool *sp)
{
	struct stat st;
	void *map;
	int fd, err;
	uint32_t i;

	fd = open(path, (m->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if ((size_t)st.st_size < VHU_SPOOL_HDR_SIZE) {
		close(fd);
		return -EAGAIN;
	}
	map = mmap(NULL, (size_t)st.st_size, m->readonly ? PROT_READ : PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, 0);
	err = map == MAP_FAILED ? -errno : 0;
	close(fd);
	if (err)
		return err;
	err = check_header(map, (size_t)st.st_size);
	if (err) {
		munmap(map, (size_t)st.st_size);
		return err;
	}
	sp->path = xstrdup(path);
	sp->map = map;
	sp->size = (size_t)st.st_size;
	sp->nchunks = ((struct vhu_spool_hdr *)map)->nchunks;
	sp->creator = ((struct vhu_spool_hdr *)map)->creator_pid;
	sp->cs = xrealloc(NULL, sp->nchunks * sizeof(*sp->cs));
	memset(sp->cs, 0, sp->nchunks * sizeof(*sp->cs));
	for (i = 0; i < sp->nchunks; i++) {
		struct vhu_spool_chunk *c = vhu_spool_chunk_at(map, i);
		uint64_t done = atomic_load(&c->consumed);

		sp->cs[i].consumed = done <= VHU_SPOOL_CHUNK_DATA ? done : 0;
	}
	return 0;
}

static bool have_spool(const struct vhu_merge *m, const char *path)
{
	unsigned i;

	for (i = 0; i < m->nspools; i++)
		if (strcmp(m->spools[i].path, path) == 0)
			return true;
	for (i = 0; i < m->nrefused; i++)
		if (strcmp(m->refused[i], path) == 0)
			return true;
	return false;
}

static void refuse(struct vhu_merge *m, const char *path, int err)
{
	warn("%s: %s: not read", path, err == -EINVAL || err == -EAGAIN ?
	     "not a spool (or from another version)" : strerror(-err));
	m->refused = xrealloc(m->refused, (m->nrefused + 1) * sizeof(*m->refused));
	m->refused[m->nrefused++] = xstrdup(path);
}

/* Is path a file of zeros or nothing, as a spool is before its header? */
static bool is_blank(const char *path)
{
	uint8_t buf[VHU_SPOOL_HDR_SIZE];
	ssize_t n, i;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	for (i = 0; i < n; i++)
		if (buf[i])
			return false;
	return n >= 0;
}

/* Adds path; a spool not complete yet is tried again later unless final. */
static int add_spool(struct vhu_merge *m, const char *path, bool final)
{
	struct spool sp;
	int err;

	if (have_spool(m, path))
		return 0;
	memset(&sp, 0, sizeof(sp));
	err = map_spool(m, path, &sp);
	if (err == -EAGAIN && !final)
		return err;
	if (err == -EAGAIN && is_blank(path)) {
		/* Its process was killed while making it: nothing in it. */
		m->st.empty++;
		m->refused = xrealloc(m->refused, (m->nrefused + 1) * sizeof(*m->refused));
		m->refused[m->nrefused++] = xstrdup(path);
		return 0;
	}
	if (err) {
		refuse(m, path, err);
		return err;
	}
	m->spools = xrealloc(m->spools, (m->nspools + 1) * sizeof(*m->spools));
	m->spools[m->nspools++] = sp;
	return 0;
}

int vhu_merge_add_file(struct vhu_merge *m, const char *path)
{
	return add_spool(m, path, true);
}

static void scan_dir(struct vhu_merge *m, bool final)
{
	size_t suf = strlen(VHU_SPOOL_SUFFIX);
	struct dirent *e;
	DIR *d;

	if (!m->dir || !(d = opendir(m->dir)))
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char path[4096 + 256];

		if (n <= suf || strcmp(e->d_name + n - suf, VHU_SPOOL_SUFFIX) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", m->dir, e->d_name);
		add_spool(m, path, final);
	}
	closedir(d);
}

static void push(struct queue *q, const struct pending *p)
{
	if (q->head && q->head == q->n) {
		q->head = 0;
		q->n = 0;
	}
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 256;
		q->p = xrealloc(q->p, q->cap * sizeof(*q->p));
	}
	q->p[q->n++] = *p;
}

static void release(struct batch *b)
{
	if (--b->refs == 0)
		free(b);
}

/* The recording process named in the block's record; 0 if unreadable. */
static uint32_t block_pid(const uint8_t *b, uint32_t total)
{
	uint32_t caplen = vhu_get_le32(b + 20);
	long off;

	if (caplen > total - 32)
		return 0;
	off = vhu_exp_pdu_skip(b + VHU_PCAPNG_EPB_HEAD, caplen, NULL);
	if (off < 0 || caplen - (uint32_t)off < VHU_REC_HDR_LEN)
		return 0;
	return vhu_get_le32(b + VHU_PCAPNG_EPB_HEAD + off + 8);
}

/* Takes the blocks of chunk i between what was taken and committed, in
 * one copy. */
static size_t take_chunk(struct vhu_merge *m, struct spool *sp, uint32_t i, uint64_t committed)
{
	struct vhu_spool_chunk *c = vhu_spool_chunk_at(sp->map, i);
	struct chunk_state *cs = &sp->cs[i];
	uint64_t pos = 0, len = committed - cs->consumed;
	/* Set before the blocks were committed, and kept until we free it. */
	uint64_t claim = atomic_load_explicit(&c->seq, memory_order_relaxed);
	struct batch *bt;

	if (len == 0)
		return 0;
	bt = xrealloc(NULL, sizeof(*bt) + len);
	bt->refs = 1;
	memcpy(bt->bytes, vhu_spool_chunk_data(c) + cs->consumed, len);
	while (pos < len) {
		const uint8_t *b = bt->bytes + pos;
		uint32_t type = len - pos >= 12 ? vhu_get_le32(b) : 0, total = 0;
		struct pending p;

		if (type == VHU_PCAPNG_EPB_TYPE)
			total = vhu_get_le32(b + 4);
		if (type != VHU_PCAPNG_EPB_TYPE || total < 32 || total % 4 ||
		    total > len - pos || vhu_get_le32(b + total - 4) != total) {
			char where[64];

			snprintf(where, sizeof(where), "chunk %u at %llu", i,
				 (unsigned long long)(cs->consumed + pos));
			warn("%s: %s: not a block, the rest of the chunk skipped", sp->path, where);
			m->st.bad++;
			break;
		}
		p.ts = (uint64_t)vhu_get_le32(b + 12) << 32 | vhu_get_le32(b + 16);
		if (p.ts < cs->last_ts)
			p.ts = cs->last_ts;
		cs->last_ts = p.ts;
		p.claim = claim;
		p.batch = bt;
		p.block = b;
		p.len = total;
		p.pid = block_pid(b, total);
		bt->refs++;
		push(&cs->q, &p);
		pos += total;
	}
	release(bt);
	cs->consumed = committed;
	if (!m->readonly)
		atomic_store(&c->consumed, cs->consumed);
	return (size_t)len;
}

/* Were bytes written past committed (a block its writer did not finish)? */
static bool torn_after(struct vhu_spool_chunk *c, uint64_t committed)
{
	return committed + 4 <= VHU_SPOOL_CHUNK_DATA &&
	       vhu_get_le32(vhu_spool_chunk_data(c) + committed) != 0;
}

/* Gives chunk i back to the writers: read to its end, its owner done. */
static void free_chunk(struct spool *sp, uint32_t i, uint64_t committed)
{
	struct vhu_spool_chunk *c = vhu_spool_chunk_at(sp->map, i);
	uint64_t used = committed + MAX_BLOCK;

	memset(vhu_spool_chunk_data(c), 0, used < VHU_SPOOL_CHUNK_DATA ? used : VHU_SPOOL_CHUNK_DATA);
	atomic_store(&c->consumed, 0);
	atomic_store(&c->committed, 0);
	atomic_store(&c->seq, 0);
	sp->cs[i].consumed = 0;
	sp->cs[i].last_ts = 0;
	atomic_store_explicit(&c->owner, VHU_SPOOL_FREE, memory_order_release);
}

/* Takes what every chunk of the spool committed; with slow, also frees
 * the chunks read to the end whose writer is gone (sealed ones always). */
static size_t poll_spool(struct vhu_merge *m, struct spool *sp, bool slow, bool final)
{
	size_t got = 0;
	uint32_t i;

	for (i = 0; i < sp->nchunks; i++) {
		struct vhu_spool_chunk *c = vhu_spool_chunk_at(sp->map, i);
		uint32_t owner = atomic_load_explicit(&c->owner, memory_order_acquire);
		uint64_t committed = atomic_load_explicit(&c->committed, memory_order_acquire);
		bool done;

		if (owner == VHU_SPOOL_FREE && !m->readonly)
			continue;
		if (committed > VHU_SPOOL_CHUNK_DATA || committed < sp->cs[i].consumed) {
			m->st.bad++;
			committed = sp->cs[i].consumed;
		}
		got += take_chunk(m, sp, i, committed);
		if (m->readonly) {
			if (final && owner != VHU_SPOOL_SEALED && torn_after(c, committed))
				m->st.torn++;
			continue;
		}
		if (owner != VHU_SPOOL_SEALED && !slow)
			continue;
		done = owner == VHU_SPOOL_SEALED || !writer_alive(owner, sp);
		/* A writer that died after we loaded committed may have
		 * committed more: take that on the next round. */
		if (!done || atomic_load_explicit(&c->committed, memory_order_acquire) != committed)
			continue;
		if (owner != VHU_SPOOL_SEALED && torn_after(c, committed))
			m->st.torn++;
		free_chunk(sp, i, committed);
	}
	return got;
}

/*
 * Is a's next block to go out before b's?  Older first.  Blocks of one
 * time and spool go in the order their chunks were claimed: a call that
 * moved more than a chunk holds (its pieces share the call's time) fills
 * chunks in claim order, and claims wrap around the spool, so a piece's
 * chunk index says nothing about its place.
 */
static bool goes_before(const struct pending *a, const struct spool *sa,
			const struct pending *b, const struct spool *sb)
{
	if (a->ts != b->ts)
		return a->ts < b->ts;
	return sa == sb && a->claim < b->claim;
}

/* The queue whose next block goes out first; NULL if all are empty. */
static struct queue *oldest(struct vhu_merge *m)
{
	struct queue *best = NULL;
	const struct spool *best_sp = NULL;
	unsigned i;
	uint32_t k;

	for (i = 0; i < m->nspools; i++)
		for (k = 0; k < m->spools[i].nchunks; k++) {
			struct queue *q = &m->spools[i].cs[k].q;

			if (q->head < q->n &&
			    (!best || goes_before(&q->p[q->head], &m->spools[i],
						  &best->p[best->head], best_sp))) {
				best = q;
				best_sp = &m->spools[i];
			}
		}
	return best;
}

/* Hands out the pending blocks up to cutoff, in time order; a chunk's
 * blocks keep their order. */
static void hand_out(struct vhu_merge *m, uint64_t cutoff)
{
	struct queue *q;

	while ((q = oldest(m)) && q->p[q->head].ts <= cutoff) {
		struct pending *p = &q->p[q->head++];

		if (!m->sink_stopped && !m->sink(m->ctx, p->pid, p->block, p->len))
			m->sink_stopped = true;
		m->st.records++;
		release(p->batch);
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Looking for new spools and for writers gone costs system calls: not on
 * every round. */
#define SLOW_EVERY_NS (100u * 1000000u)

size_t vhu_merge_poll(struct vhu_merge *m, uint64_t holdback_ns, bool final)
{
	uint64_t now = now_ns();
	bool slow = final || now >= m->next_slow;
	size_t got = 0;
	unsigned i;

	if (slow) {
		scan_dir(m, final);
		m->next_slow = now + SLOW_EVERY_NS;
	}
	for (i = 0; i < m->nspools; i++)
		got += poll_spool(m, &m->spools[i], slow, final);
	hand_out(m, final ? UINT64_MAX : now - holdback_ns);
	return got;
}

bool vhu_merge_writers_alive(struct vhu_merge *m)
{
	unsigned i;
	uint32_t k;

	for (i = 0; i < m->nspools; i++) {
		struct spool *sp = &m->spools[i];

		if (writer_alive(sp->creator, sp))
			return true;
		for (k = 0; k < sp->nchunks; k++) {
			uint32_t owner = atomic_load(&vhu_spool_chunk_at(sp->map, k)->owner);

			if (owner != VHU_SPOOL_FREE && owner != VHU_SPOOL_SEALED &&
			    writer_alive(owner, sp))
				return true;
		}
	}
	return false;
}

/* Everything in the spool taken and freed, and nobody left to write? */
static bool spool_finished(struct spool *sp)
{
	uint32_t k;

	if (writer_alive(sp->creator, sp))
		return false;
	for (k = 0; k < sp->nchunks; k++)
		if (atomic_load(&vhu_spool_chunk_at(sp->map, k)->owner) != VHU_SPOOL_FREE)
			return false;
	return true;
}

void vhu_merge_end(struct vhu_merge *m, bool remove, struct vhu_merge_stats *st)
{
	unsigned i;
	uint32_t k;

	for (i = 0; i < m->nspools; i++) {
		struct spool *sp = &m->spools[i];

		m->st.lost += atomic_load(&((struct vhu_spool_hdr *)sp->map)->lost);
		if (remove && !m->readonly && spool_finished(sp))
			unlink(sp->path);
		munmap(sp->map, sp->size);
		free(sp->path);
		for (k = 0; k < sp->nchunks; k++) {
			struct queue *q = &sp->cs[k].q;

			for (; q->head < q->n; q->head++)
				release(q->p[q->head].batch);
			free(q->p);
		}
		free(sp->cs);
	}
	m->st.spools = m->nspools;
	if (remove && m->dir)
		rmdir(m->dir);
	for (i = 0; i < m->nrefused; i++)
		free(m->refused[i]);
	if (st)
		*st = m->st;
	free(m->refused);
	free(m->spools);
	free(m->dir);
	free(m);
}
