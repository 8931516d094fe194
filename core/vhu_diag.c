/* SPDX-License-Identifier: MIT */
/*
 * \summary: the findings engine: the rule table and the rules, run by the
 * session on every message against what was negotiated before it.
 *
 * Each rule is calibrated on real peers (QEMU, DPDK, qemu-storage-daemon,
 * virtiofsd, rust-vmm back-ends): a rule that fires on a healthy session is
 * a bug of the rule.  Where the spec leaves room (the unit of
 * GET_QUEUE_NUM, ring order), the rules judge only what it forbids.
 */
#include "vhu_diag.h"
#include "vhu_format.h"
#include "vhu_le.h"
#include "vhu_msgs.h"
#include "vhu_proto.h"
#include "vhu_session.h"
#include "vhu_walk.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the rule table ------------------------------------------------------ */

static const struct vhu_rule rules[VHU_RULE__COUNT] = {
#define VHU_X_RULE_ROW(id, ab, sev, grp, sec, sum) \
	[VHU_RULE_##id] = { ab, VHU_SEV_##sev, sec, { "rule." ab, VHU_SEV_##sev, VHU_GRP_##grp, sum } },
	VHU_RULE_LIST(VHU_X_RULE_ROW)
#undef VHU_X_RULE_ROW
};

const struct vhu_rule *vhu_rule_get(int rule)
{
	if (rule < 0 || rule >= VHU_RULE__COUNT)
		return NULL;
	return &rules[rule];
}

int vhu_rule_of_note(int note_id)
{
	if (note_id < VHU_N__COUNT || note_id >= VHU_NOTE_ID_COUNT)
		return -1;
	return note_id - VHU_N__COUNT;
}

const char *vhu_finding_severity(enum vhu_severity s)
{
	switch (s) {
	case VHU_SEV_ERROR: return "error";
	case VHU_SEV_WARN: return "warning";
	case VHU_SEV_NOTE: return "note";
	case VHU_SEV_CHAT: return "chat";
	}
	return "unknown";
}

/* ---- per-connection state ------------------------------------------------ */

struct region {
	uint64_t gpa, size, uva;
};

#define PATHS_KEPT 32

struct path_features {
	uint64_t key;		/* 0: free */
	uint64_t conn_id, pconn_id;	/* the connections that negotiated each */
	uint64_t features, pfeatures;
	bool features_set, pfeatures_set;
};

struct vhu_diag_paths {
	struct path_features p[PATHS_KEPT];
	unsigned next;		/* slot to reuse when all are taken */
};

struct vhu_diag_conn {
	struct vhu_diag_paths *paths;
	uint64_t path_key;
	bool saw_start;		/* GET_FEATURES seen: the capture has the start */
	bool owner;		/* SET_OWNER seen */
	bool log_fd;		/* SET_LOG_FD seen */
	bool have_table;	/* a memory table is in force */
	uint64_t queue_num;	/* GET_QUEUE_NUM reply, 0: unknown */
	uint64_t max_slots;	/* GET_MAX_MEM_SLOTS reply, 0: unknown */
	uint64_t reset_frame;	/* the last RESET_DEVICE, 0: none */
	uint64_t reset_rings;	/* rings 0..63 it reset whose base was not set since */
	uint32_t nregions;	/* regions in force (may exceed the kept ones) */
	uint32_t kept;		/* regions kept in r[] */
	struct region r[VHU_DIAG_MAX_REGIONS];
};

struct vhu_diag_paths *vhu_diag_paths_new(void)
{
	return calloc(1, sizeof(struct vhu_diag_paths));
}

void vhu_diag_paths_free(struct vhu_diag_paths *p)
{
	free(p);
}

uint64_t vhu_diag_path_key(const char *path, uint32_t len, bool connected)
{
	uint64_t h = 14695981039346656037ull;	/* FNV-1a */
	uint32_t i;

	if (!path || !len)
		return 0;
	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)path[i]) * 1099511628211ull;
	h ^= connected;
	return h ? h : 1;
}

struct vhu_diag_conn *vhu_diag_conn_new(struct vhu_diag_paths *paths, uint64_t path_key)
{
	struct vhu_diag_conn *dc = calloc(1, sizeof(*dc));

	if (dc) {
		dc->paths = paths;
		dc->path_key = path_key;
	}
	return dc;
}

void vhu_diag_conn_free(struct vhu_diag_conn *dc)
{
	free(dc);
}

/* ---- adding a finding ---------------------------------------------------- */

struct judge {
	struct vhu_diag_conn *dc;
	const struct vhu_msg *m;
	const struct vhu_msg_info *mi;
	const struct vhu_msg_desc *d;
	const uint8_t *pl;	/* payload */
	uint32_t plen;
	struct vhu_findings *out;
};

static void finding_init(struct vhu_finding *f, enum vhu_rule_id rule, uint64_t conn_id,
			 uint8_t channel, uint32_t request, uint64_t frame, uint64_t related)
{
	memset(f, 0, sizeof(*f));
	f->rule = (uint16_t)rule;
	f->channel = channel;
	f->request = request;
	f->frame = frame;
	f->related_frame = related;
	f->conn_id = conn_id;
}

static const char *short_name(const struct judge *j)
{
	return j->d ? j->d->summary_name : "request";
}

static void add(struct judge *j, enum vhu_rule_id rule, uint64_t related, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(struct judge *j, enum vhu_rule_id rule, uint64_t related, const char *fmt, ...)
{
	struct vhu_finding *f;
	va_list ap;

	if (j->out->n >= VHU_MAX_FINDINGS) {
		j->out->dropped++;
		return;
	}
	f = &j->out->f[j->out->n++];
	finding_init(f, rule, j->mi->conn_id, j->mi->channel, j->m->request, j->mi->frame, related);
	if (j->out->no_text)
		return;
	/* the core's formatter: the same text as vsnprintf's, without a
	 * FILE set up per finding */
	va_start(ap, fmt);
	vhu_vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
}

static bool have(const struct judge *j, uint32_t off, uint32_t len)
{
	return off <= j->plen && len <= j->plen - off;
}

static uint64_t u64_at(const struct judge *j, uint32_t off)
{
	return have(j, off, 8) ? vhu_get_le64(j->pl + off) : 0;
}

static uint32_t u32_at(const struct judge *j, uint32_t off)
{
	return have(j, off, 4) ? vhu_get_le32(j->pl + off) : 0;
}

static bool negotiated(const struct vhu_msg_info *mi, unsigned pf)
{
	return mi->pfeatures_set && (mi->pfeatures & VHU_BIT(pf));
}

/* ---- header, replies, fds (every channel) -------------------------------- */

/*
 * The session knows who sent a message from the record (the process that
 * sent or received it, and its role); the REPLY bit must agree.  Not on
 * the GPU socket: vhost-user-gpu sends its UPDATEs with flags 0x5.
 */
static void judge_header(struct judge *j)
{
	const struct vhu_msg_info *mi = j->mi;
	uint32_t v = j->m->flags & VHU_FLAG_VERSION_MASK;
	bool reply_bit = (j->m->flags & VHU_FLAG_REPLY) != 0;

	if (mi->channel != VHU_CHAN_GPU && reply_bit != mi->is_reply)
		add(j, VHU_RULE_BAD_FLAGS, 0, "%s sent by the %s %s the REPLY flag (flags 0x%x)",
		    short_name(j), vhu_side_name(mi->sender), reply_bit ? "with" : "without", j->m->flags);
	if (mi->channel != VHU_CHAN_GPU && v != VHU_VERSION)
		add(j, VHU_RULE_BAD_FLAGS, 0, "%s%s with version %u in the flags (0x%x), expected %u",
		    short_name(j), mi->is_reply ? " reply" : "", v, j->m->flags, VHU_VERSION);
	/* a reply whose request came before the capture started is no fault */
	if (mi->is_reply && !mi->matched && !mi->request_before_capture)
		add(j, VHU_RULE_UNEXPECTED_REPLY, 0, "%s reply, but no %s request is waiting for one",
		    short_name(j), short_name(j));
}

static void judge_fds(struct judge *j)
{
	int want;

	if (j->mi->rec_flags & VHU_RF_CTRUNC)
		add(j, VHU_RULE_FDS_DROPPED, 0,
		    "the kernel dropped fds sent with %s (MSG_CTRUNC): the receiver's buffer was too small",
		    short_name(j));
	if (!j->d || j->m->status != VHU_MSG_OK)
		return;
	want = vhu_walk_expected_fds(j->m, j->mi, j->d);
	if (want >= 0 && (uint32_t)want != j->m->nfds)
		add(j, VHU_RULE_FD_COUNT, 0, "%s%s carries %u fds, %d expected", short_name(j),
		    j->mi->is_reply ? " reply" : "", j->m->nfds, want);
}

/* NEED_REPLY changes the reply only of requests that are not always
 * answered; QEMU sets it on IOTLB_MSG and POSTCOPY_* whatever was
 * negotiated, which changes nothing there. */
static void judge_need_reply(struct judge *j)
{
	if (!(j->m->flags & VHU_FLAG_NEED_REPLY) || j->mi->channel == VHU_CHAN_GPU || !j->d)
		return;
	if (j->d->reply_rule == VHU_R_ALWAYS || j->d->reply_rule == VHU_R_NEVER)
		return;
	if (!negotiated(j->mi, VHU_PF_REPLY_ACK) && !j->mi->pfeatures_unknown)
		add(j, VHU_RULE_NEED_REPLY_NO_ACK, 0,
		    "%s with NEED_REPLY, but REPLY_ACK was not negotiated: the peer need not answer",
		    short_name(j));
}

/* The gate column of the message table. */
static void judge_gate(struct judge *j)
{
	const struct vhu_msg_info *mi = j->mi;
	int gate = j->d ? j->d->gate : -1;

	/* negotiated before an attach: the sender knows, the capture not */
	if (gate < 0 || mi->channel == VHU_CHAN_GPU || mi->pfeatures_unknown)
		return;
	if (!mi->pfeatures_set)
		add(j, VHU_RULE_NOT_NEGOTIATED, 0,
		    "%s needs protocol feature %s (bit %d), but no SET_PROTOCOL_FEATURES came before it",
		    short_name(j), vhu_pfeature_name((unsigned)gate), gate);
	else if (!(mi->pfeatures & VHU_BIT(gate)))
		add(j, VHU_RULE_NOT_NEGOTIATED, 0,
		    "%s needs protocol feature %s (bit %d), not negotiated (protocol features 0x%" PRIx64 ")",
		    short_name(j), vhu_pfeature_name((unsigned)gate), gate, mi->pfeatures);
}

/* ---- features ------------------------------------------------------------ */

/*
 * A reconnect or a restore negotiates again on the same socket path; bits
 * that were there before and are gone now (LOG_ALL, INFLIGHT_SHMFD) are
 * the classic loss (cloud-hypervisor#8918).  Compared: the first
 * SET_FEATURES / SET_PROTOCOL_FEATURES of a session with the last of the
 * previous session on the path.
 */
static struct path_features *path_slot(struct vhu_diag_paths *ps, uint64_t key)
{
	unsigned i;

	for (i = 0; i < PATHS_KEPT; i++)
		if (ps->p[i].key == key)
			return &ps->p[i];
	for (i = 0; i < PATHS_KEPT; i++)
		if (!ps->p[i].key)
			break;
	if (i == PATHS_KEPT)
		i = ps->next++ % PATHS_KEPT;
	memset(&ps->p[i], 0, sizeof(ps->p[i]));
	ps->p[i].key = key;
	return &ps->p[i];
}

static void judge_path_features(struct judge *j, bool protocol, uint64_t v)
{
	struct vhu_diag_conn *dc = j->dc;
	struct path_features *pf;
	uint64_t *last, *conn;
	char prev[VHU_CONN_TEXT_MAX];
	bool *set;

	if (!dc->paths || !dc->path_key)
		return;
	pf = path_slot(dc->paths, dc->path_key);
	last = protocol ? &pf->pfeatures : &pf->features;
	set = protocol ? &pf->pfeatures_set : &pf->features_set;
	conn = protocol ? &pf->pconn_id : &pf->conn_id;
	/* within a session the last value counts (LOG_ALL comes and goes);
	 * each kind is compared with its own previous session, whichever of
	 * the two a new session sends first */
	if (*set && *conn != j->mi->conn_id && *last != v) {
		vhu_format_conn(prev, sizeof(prev), *conn);
		add(j, VHU_RULE_FEATURES_CHANGED, 0,
		    "%s 0x%" PRIx64 " on a new session over the same socket: the previous one (conn %s) had 0x%"
		    PRIx64 " (lost 0x%" PRIx64 ", new 0x%" PRIx64 ")", short_name(j), v,
		    prev, *last, *last & ~v, v & ~*last);
	}
	*conn = j->mi->conn_id;
	*last = v;
	*set = true;
}

static void judge_features(struct judge *j)
{
	const struct vhu_msg_info *mi = j->mi;
	uint64_t v, extra;
	uint32_t r = j->m->request;

	switch (r) {
	case VHU_GET_PROTOCOL_FEATURES:
	case VHU_SET_PROTOCOL_FEATURES:
	case VHU_SET_VRING_ENABLE:
	case VHU_SET_FEATURES:
		break;
	default:
		return;	/* the rules below are about these four only */
	}
	v = u64_at(j, 0);
	if (r == VHU_GET_PROTOCOL_FEATURES || r == VHU_SET_PROTOCOL_FEATURES) {
		/* "Only legal if feature bit VHOST_USER_F_PROTOCOL_FEATURES is
		 * present in VHOST_USER_GET_FEATURES." */
		if (mi->offered_features && !(mi->offered_features & VHU_BIT(VHU_VIRTIO_F_PROTOCOL_FEATURES)))
			add(j, VHU_RULE_NOT_NEGOTIATED, 0,
			    "%s, but the back-end did not offer VHOST_USER_F_PROTOCOL_FEATURES (features 0x%" PRIx64 ")",
			    short_name(j), mi->offered_features);
	}
	/* "This request should be sent only when
	 * VHOST_USER_F_PROTOCOL_FEATURES has been negotiated." */
	if (r == VHU_SET_VRING_ENABLE && mi->features_set &&
	    !(mi->features & VHU_BIT(VHU_VIRTIO_F_PROTOCOL_FEATURES)))
		add(j, VHU_RULE_NOT_NEGOTIATED, 0,
		    "SET_VRING_ENABLE, but SET_FEATURES (0x%" PRIx64 ") did not ack VHOST_USER_F_PROTOCOL_FEATURES",
		    mi->features);
	if (!have(j, 0, 8))
		return;
	if (r == VHU_SET_FEATURES || r == VHU_SET_PROTOCOL_FEATURES)
		judge_path_features(j, r == VHU_SET_PROTOCOL_FEATURES, v);
	if (r == VHU_SET_FEATURES && mi->offered_features) {
		extra = v & ~mi->offered_features;
		if (extra)
			add(j, VHU_RULE_NOT_OFFERED, 0,
			    "SET_FEATURES 0x%" PRIx64 " acks bits 0x%" PRIx64 " the back-end did not offer (0x%" PRIx64 ")",
			    v, extra, mi->offered_features);
	}
	if (r == VHU_SET_PROTOCOL_FEATURES && mi->offered_pfeatures) {
		extra = v & ~mi->offered_pfeatures;
		if (extra)
			add(j, VHU_RULE_NOT_OFFERED, 0,
			    "SET_PROTOCOL_FEATURES 0x%" PRIx64 " acks bits 0x%" PRIx64
			    " the back-end did not offer (0x%" PRIx64 ")", v, extra, mi->offered_pfeatures);
	}
	/* judged once protocol features are negotiated: LOG_SHMFD may come */
	if (r == VHU_SET_FEATURES && (v & VHU_BIT(VHU_VIRTIO_F_LOG_ALL)) && mi->pfeatures_set &&
	    !negotiated(mi, VHU_PF_LOG_SHMFD) && !(j->dc && j->dc->log_fd))
		add(j, VHU_RULE_LOG_ALL_NO_LOG, 0,
		    "SET_FEATURES sets LOG_ALL, but LOG_SHMFD was not negotiated and no SET_LOG_FD came: "
		    "the back-end has no log to write");
}

/* ---- memory -------------------------------------------------------------- */

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen && a + alen > a && b + blen > b;
}

static void read_region(const struct judge *j, uint32_t off, struct region *r, uint64_t *mmap_off)
{
	r->gpa = u64_at(j, off);
	r->size = u64_at(j, off + 8);
	r->uva = u64_at(j, off + 16);
	*mmap_off = u64_at(j, off + 24);
}

static bool fd_is_memory(uint8_t kind)
{
	return kind != VHU_FDK_EVENTFD && kind != VHU_FDK_SOCKET && kind != VHU_FDK_PIPE;
}

/* The fd of a region: its kind must be memory, and where the shim
 * recorded its size, the mapping must fit in it. */
static void judge_region_fd(struct judge *j, unsigned idx, const struct region *r,
			    uint64_t mmap_off, const struct vhu_fdinfo *fd)
{
	if (!fd)
		return;
	if (!fd_is_memory(fd->kind)) {
		add(j, VHU_RULE_REGION_FD_KIND, 0, "%s region %u (gpa 0x%" PRIx64 ") is backed by an fd of kind %s, not memory",
		    short_name(j), idx, r->gpa, vhu_fd_kind_name(fd->kind));
		return;
	}
	if (fd->size && (fd->kind == VHU_FDK_MEMFD || fd->kind == VHU_FDK_REGULAR) &&
	    (mmap_off > fd->size || r->size > fd->size - mmap_off))
		add(j, VHU_RULE_REGION_BEYOND_FD, 0,
		    "%s region %u: mmap_offset 0x%" PRIx64 " + size 0x%" PRIx64 " is beyond the fd's 0x%" PRIx64 " bytes",
		    short_name(j), idx, mmap_off, r->size, fd->size);
}

/* A new region against those in force (and those of the same table). */
static void judge_overlap(struct judge *j, unsigned idx, const struct region *r)
{
	const struct vhu_diag_conn *dc = j->dc;
	uint32_t i;

	for (i = 0; i < dc->kept; i++) {
		const struct region *o = &dc->r[i];

		if (overlaps(r->gpa, r->size, o->gpa, o->size))
			add(j, VHU_RULE_REGION_OVERLAP, 0,
			    "%s region %u gpa 0x%" PRIx64 "+0x%" PRIx64 " overlaps gpa 0x%" PRIx64 "+0x%" PRIx64,
			    short_name(j), idx, r->gpa, r->size, o->gpa, o->size);
		else if (overlaps(r->uva, r->size, o->uva, o->size))
			add(j, VHU_RULE_REGION_OVERLAP, 0,
			    "%s region %u user address 0x%" PRIx64 "+0x%" PRIx64 " overlaps 0x%" PRIx64 "+0x%" PRIx64,
			    short_name(j), idx, r->uva, r->size, o->uva, o->size);
	}
}

static void keep_region(struct vhu_diag_conn *dc, const struct region *r)
{
	if (dc->kept < VHU_DIAG_MAX_REGIONS)
		dc->r[dc->kept++] = *r;
	dc->nregions++;
	dc->have_table = true;
}

static uint32_t region_stride(const struct vhu_msg_info *mi)
{
	return negotiated(mi, VHU_PF_XEN_MMAP) ? 40 : 32;
}

static void judge_mem_table(struct judge *j)
{
	struct vhu_diag_conn *dc = j->dc;
	uint32_t stride = region_stride(j->mi), n = u32_at(j, 0), i;
	bool fds_match = j->m->nfds == n;

	/* after POSTCOPY_LISTEN the u64 0 that acknowledges the back-end's table */
	if (j->mi->postcopy && j->plen == 8)
		return;
	if (n > 8)
		add(j, VHU_RULE_TOO_MANY_REGIONS, 0,
		    "SET_MEM_TABLE with %u regions, at most 8 (VHOST_MEMORY_BASELINE_NREGIONS); "
		    "more need CONFIGURE_MEM_SLOTS and ADD_MEM_REG", n);
	else if (dc->max_slots && n > dc->max_slots)
		add(j, VHU_RULE_TOO_MANY_REGIONS, 0, "SET_MEM_TABLE with %u regions, the back-end has %" PRIu64 " slots",
		    n, dc->max_slots);
	dc->kept = dc->nregions = 0;
	dc->have_table = false;
	for (i = 0; i < n && have(j, 8 + i * stride, 32); i++) {
		struct region r;
		uint64_t mmap_off;

		read_region(j, 8 + i * stride, &r, &mmap_off);
		judge_overlap(j, i, &r);
		if (fds_match && i < VHU_MSG_MAX_FDS)
			judge_region_fd(j, i, &r, mmap_off, &j->m->fds[i]);
		keep_region(dc, &r);
	}
	dc->have_table = true;
}

static void judge_add_region(struct judge *j)
{
	struct vhu_diag_conn *dc = j->dc;
	struct region r;
	uint64_t mmap_off;

	if (!have(j, 8, 32))
		return;
	read_region(j, 8, &r, &mmap_off);
	if (dc->max_slots && dc->nregions + 1 > dc->max_slots)
		add(j, VHU_RULE_TOO_MANY_REGIONS, 0,
		    "ADD_MEM_REG makes %u regions, the back-end's GET_MAX_MEM_SLOTS said %" PRIu64,
		    dc->nregions + 1, dc->max_slots);
	judge_overlap(j, 0, &r);
	if (j->m->nfds == 1)
		judge_region_fd(j, 0, &r, mmap_off, &j->m->fds[0]);
	keep_region(dc, &r);
}

static void judge_rem_region(struct judge *j)
{
	struct vhu_diag_conn *dc = j->dc;
	struct region r;
	uint64_t mmap_off;
	uint32_t i;

	if (!have(j, 8, 32))
		return;
	read_region(j, 8, &r, &mmap_off);
	for (i = 0; i < dc->kept; i++) {
		if (dc->r[i].gpa == r.gpa && dc->r[i].size == r.size) {
			dc->r[i] = dc->r[--dc->kept];
			dc->nregions--;
			return;
		}
	}
	/* a region past the kept ones may be the one */
	if (dc->nregions > dc->kept) {
		dc->nregions--;
		return;
	}
	add(j, VHU_RULE_UNKNOWN_REGION, 0,
	    "REM_MEM_REG of gpa 0x%" PRIx64 "+0x%" PRIx64 ", which is not in the memory table (%u regions)",
	    r.gpa, r.size, dc->nregions);
}

/* ---- rings --------------------------------------------------------------- */

/* Ring index of a ring message, or -1. */
static long ring_index(const struct judge *j)
{
	switch (j->m->request) {
	case VHU_SET_VRING_NUM:
	case VHU_SET_VRING_ADDR:
	case VHU_SET_VRING_BASE:
	case VHU_GET_VRING_BASE:
	case VHU_SET_VRING_ENABLE:
	case VHU_GET_VRING_BASE_SKIP_DRAIN:
		return have(j, 0, 4) ? (long)u32_at(j, 0) : -1;
	case VHU_SET_VRING_KICK:
	case VHU_SET_VRING_CALL:
	case VHU_SET_VRING_ERR:
		return have(j, 0, 8) ? (long)(u64_at(j, 0) & VHU_VRING_IDX_MASK) : -1;
	default:
		return -1;
	}
}

/*
 * GET_QUEUE_NUM counts queues, but for net devices QEMU and DPDK read it as
 * queue pairs (two rings each): the bound for a net or unknown device is
 * twice the reply, so a healthy net session never trips it.
 */
static void judge_ring_index(struct judge *j, long idx)
{
	uint64_t limit = j->dc->queue_num;

	if (!limit || idx < 0)
		return;
	if (j->mi->device == VHU_DEV_NET || j->mi->device == VHU_DEV_UNKNOWN)
		limit *= 2;
	if ((uint64_t)idx >= limit)
		add(j, VHU_RULE_RING_INDEX, 0, "%s for ring %ld, but GET_QUEUE_NUM allows %" PRIu64 " rings (0..%" PRIu64 ")",
		    short_name(j), idx, limit, limit - 1);
}

static void judge_ring_size(struct judge *j)
{
	uint32_t num = u32_at(j, 4);
	bool packed = j->mi->features_set && (j->mi->features & VHU_BIT(VHU_VIRTIO_F_RING_PACKED));

	if (!have(j, 0, 8))
		return;
	if (num > 32768)
		add(j, VHU_RULE_RING_SIZE, 0, "SET_VRING_NUM %u for ring %u: the largest ring is 32768", num, u32_at(j, 0));
	else if (!packed && (num == 0 || (num & (num - 1))))
		add(j, VHU_RULE_RING_SIZE, 0, "SET_VRING_NUM %u for split ring %u: not a power of two", num, u32_at(j, 0));
}

static bool mapped(const struct vhu_diag_conn *dc, uint64_t addr, bool gpa)
{
	uint32_t i;

	for (i = 0; i < dc->kept; i++) {
		uint64_t base = gpa ? dc->r[i].gpa : dc->r[i].uva;

		if (addr >= base && addr - base < dc->r[i].size)
			return true;
	}
	return false;
}

/* Ring addresses are user addresses of the front-end (guest physical with
 * GPA_ADDRESSES, I/O virtual with ACCESS_PLATFORM: those go through the
 * IOTLB and are not judged). */
static void judge_ring_addr(struct judge *j)
{
	static const char *const what[3] = { "descriptor", "used", "available" };
	const struct vhu_diag_conn *dc = j->dc;
	bool gpa = negotiated(j->mi, VHU_PF_GPA_ADDRESSES);
	unsigned i;

	if (!have(j, 0, 32))
		return;
	if (j->mi->features_set && (j->mi->features & VHU_BIT(VHU_VIRTIO_F_ACCESS_PLATFORM)))
		return;
	if (!dc->have_table || dc->nregions > dc->kept)
		return;
	for (i = 0; i < 3; i++) {
		uint64_t a = u64_at(j, 8 + 8 * i);

		if (!mapped(dc, a, gpa)) {
			add(j, VHU_RULE_RING_UNMAPPED, 0,
			    "SET_VRING_ADDR ring %u: %s ring at %s 0x%" PRIx64 " is in no memory region (%u regions)",
			    u32_at(j, 0), what[i], gpa ? "guest address" : "user address", a, dc->nregions);
			return;
		}
	}
}

/* ---- logging ------------------------------------------------------------- */

static void judge_log_base(struct judge *j)
{
	const struct vhu_diag_conn *dc = j->dc;
	uint64_t size = u64_at(j, 0), end = 0, need;
	uint32_t i;

	if (!negotiated(j->mi, VHU_PF_LOG_SHMFD) || !have(j, 0, 16) || !dc->have_table ||
	    dc->nregions > dc->kept)
		return;
	for (i = 0; i < dc->kept; i++)
		if (dc->r[i].gpa + dc->r[i].size > end)
			end = dc->r[i].gpa + dc->r[i].size;
	/* one bit per 4 KiB page from guest address 0 */
	need = (end / 0x1000 + 7) / 8;
	if (size < need)
		add(j, VHU_RULE_LOG_TOO_SMALL, 0,
		    "SET_LOG_BASE log of %" PRIu64 " bytes covers %" PRIu64 " KiB of guest memory; "
		    "the table reaches 0x%" PRIx64 ", which needs %" PRIu64 " bytes",
		    size, size * 8 * 4, end, need);
}

/* ---- order --------------------------------------------------------------- */

static bool sets_up_memory_or_rings(uint32_t r)
{
	return r == VHU_SET_MEM_TABLE || r == VHU_ADD_MEM_REG || r == VHU_SET_LOG_BASE ||
	       (r >= VHU_SET_VRING_NUM && r <= VHU_SET_VRING_ERR && r != VHU_GET_VRING_BASE);
}

static void judge_order(struct judge *j)
{
	struct vhu_diag_conn *dc = j->dc;
	uint32_t r = j->m->request;

	if (r == VHU_GET_FEATURES)
		dc->saw_start = true;
	if (!sets_up_memory_or_rings(r))
		return;
	if (dc->saw_start && !dc->owner)
		add(j, VHU_RULE_BEFORE_OWNER, 0, "%s before SET_OWNER", short_name(j));
}

/* ---- after a reset ------------------------------------------------------- */

/*
 * RESET_DEVICE: "Ask the vhost user back-end to disable all rings and
 * reset all internal device state to the initial state, ready to be
 * reinitialized."  A ring's base is such state: GET_VRING_BASE of a ring
 * whose base no SET_VRING_BASE set again since the reset is answered with
 * the reset ring's index, not the one the front-end means to keep (for a
 * restart or a migration).  QEMU stops its rings (GET_VRING_BASE) before
 * it resets and sets their bases again before it asks again; RESET_OWNER
 * is not judged (back-ends are told to ignore it or only disable rings).
 */
static void judge_after_reset(struct judge *j, long idx)
{
	struct vhu_diag_conn *dc = j->dc;
	uint32_t r = j->m->request;

	if (r == VHU_RESET_DEVICE) {
		dc->reset_frame = j->mi->frame;
		dc->reset_rings = ~UINT64_C(0);
		return;
	}
	if (!dc->reset_frame || idx < 0 || idx >= 64)
		return;
	if (r == VHU_SET_VRING_BASE)
		dc->reset_rings &= ~(UINT64_C(1) << idx);
	else if ((r == VHU_GET_VRING_BASE || r == VHU_GET_VRING_BASE_SKIP_DRAIN) &&
		 (dc->reset_rings & (UINT64_C(1) << idx)))
		add(j, VHU_RULE_AFTER_RESET, dc->reset_frame,
		    "%s for ring %ld, which RESET_DEVICE (frame %" PRIu64 ") reset and no SET_VRING_BASE "
		    "set again: the reply is the reset ring's base", short_name(j), idx, dc->reset_frame);
}

/* ---- the main channel, request by request -------------------------------- */

static void judge_main_request(struct judge *j)
{
	struct vhu_diag_conn *dc = j->dc;
	long idx = ring_index(j);

	judge_features(j);
	judge_order(j);
	judge_ring_index(j, idx);
	judge_after_reset(j, idx);
	switch (j->m->request) {
	case VHU_SET_OWNER:
		dc->owner = true;
		break;
	case VHU_SET_MEM_TABLE:
		judge_mem_table(j);
		break;
	case VHU_ADD_MEM_REG:
		judge_add_region(j);
		break;
	case VHU_REM_MEM_REG:
		judge_rem_region(j);
		break;
	case VHU_SET_VRING_NUM:
		judge_ring_size(j);
		break;
	case VHU_SET_VRING_ADDR:
		judge_ring_addr(j);
		break;
	case VHU_SET_LOG_BASE:
		judge_log_base(j);
		break;
	case VHU_SET_LOG_FD:
		dc->log_fd = true;
		break;
	default:
		break;
	}
}

static void judge_main_reply(struct judge *j, uint64_t req_arg)
{
	struct vhu_diag_conn *dc = j->dc;
	uint64_t v = u64_at(j, 0);

	if (!j->mi->matched || j->mi->reply_is_ack || !have(j, 0, 8))
		return;
	switch (j->m->request) {
	case VHU_GET_QUEUE_NUM:
		dc->queue_num = v;
		break;
	case VHU_GET_MAX_MEM_SLOTS:
		dc->max_slots = v;
		break;
	case VHU_GET_VRING_BASE:
	case VHU_GET_VRING_BASE_SKIP_DRAIN:
		if ((uint32_t)v != (uint32_t)req_arg)
			add(j, VHU_RULE_RING_BASE_INDEX, j->mi->request_frame,
			    "%s reply for ring %u, the request (frame %" PRIu64 ") asked for ring %u",
			    short_name(j), (uint32_t)v, j->mi->request_frame, (uint32_t)req_arg);
		break;
	default:
		break;
	}
}

void vhu_diag_message(struct vhu_diag_conn *dc, const struct vhu_msg *m,
		      const struct vhu_msg_info *mi, const struct vhu_msg_desc *d,
		      uint64_t req_arg, struct vhu_findings *out)
{
	struct judge j;

	out->n = 0;
	out->dropped = 0;
	if (m->len < VHU_HDR_SIZE || m->status == VHU_MSG_OVERSIZE)
		return;
	memset(&j, 0, sizeof(j));
	j.dc = dc;
	j.m = m;
	j.mi = mi;
	j.d = d;
	j.out = out;
	if (m->len > VHU_HDR_SIZE) {
		j.pl = m->bytes + VHU_HDR_SIZE;
		j.plen = m->len - VHU_HDR_SIZE < m->size ? m->len - VHU_HDR_SIZE : m->size;
	}
	judge_header(&j);
	judge_fds(&j);
	if (!mi->is_reply) {
		judge_need_reply(&j);
		judge_gate(&j);
	}
	if (mi->channel != VHU_CHAN_MAIN || !dc || m->status != VHU_MSG_OK)
		return;
	if (mi->is_reply)
		judge_main_reply(&j, req_arg);
	else
		judge_main_request(&j);
}

static const char *why_text(enum vhu_unanswered_why why)
{
	switch (why) {
	case VHU_UNANSWERED_CLOSED: return "until the connection closed";
	case VHU_UNANSWERED_END: return "until the capture ended";
	case VHU_UNANSWERED_LATER: return "when the reply to a later request came";
	case VHU_UNANSWERED_FLOOD: return "and fell out of the outstanding requests kept per connection";
	}
	return "";
}

void vhu_diag_no_reply(struct vhu_finding *f, uint64_t conn_id, uint8_t channel,
		       uint32_t request, uint64_t frame, uint64_t waited_ns,
		       enum vhu_unanswered_why why, uint64_t why_frame)
{
	const struct vhu_msg_desc *d = vhu_msg_lookup(channel, request);
	char at[48] = "";

	finding_init(f, VHU_RULE_NO_REPLY, conn_id, channel, request, frame, why_frame);
	if (why_frame)
		snprintf(at, sizeof(at), " (frame %" PRIu64 ")", why_frame);
	snprintf(f->text, sizeof(f->text), "%s got no reply: waited %" PRIu64 ".%03" PRIu64 " s %s%s",
		 d ? d->summary_name : "request", waited_ns / 1000000000u, waited_ns / 1000000u % 1000u,
		 why_text(why), at);
}
