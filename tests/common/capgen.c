/* SPDX-License-Identifier: MIT */
/* capgen.c - vhost-user messages, capture records and pcapng files for the test and benchmark generators */
#include "capgen.h"

#include <stdlib.h>
#include <string.h>

#include "vhu_le.h"
#include "vhu_pcapng.h"
#include "vhu_proto.h"

static void fail(const char *what)
{
	fprintf(stderr, "capgen: %s\n", what);
	exit(2);
}

static void fail_errno(const char *what)
{
	perror(what);
	exit(2);
}

/* ---- vhost-user messages ------------------------------------------------ */

void capgen_msg_start(struct capgen_msg *m, uint32_t request, uint32_t flags)
{
	vhu_put_le32(m->b, request);
	vhu_put_le32(m->b + 4, flags);
	vhu_put_le32(m->b + 8, 0);
	m->len = VHU_HDR_SIZE;
	m->nfds = 0;
}

void capgen_msg_bytes(struct capgen_msg *m, const void *p, uint32_t len)
{
	if (len > sizeof(m->b) - m->len)
		fail("message larger than CAPGEN_MSG_MAX");
	memcpy(m->b + m->len, p, len);
	m->len += len;
	vhu_put_le32(m->b + 8, m->len - VHU_HDR_SIZE);
}

void capgen_msg_u32(struct capgen_msg *m, uint32_t v)
{
	uint8_t le[4];

	vhu_put_le32(le, v);
	capgen_msg_bytes(m, le, sizeof(le));
}

void capgen_msg_u64(struct capgen_msg *m, uint64_t v)
{
	uint8_t le[8];

	vhu_put_le64(le, v);
	capgen_msg_bytes(m, le, sizeof(le));
}

void capgen_msg_set_size(struct capgen_msg *m, uint32_t size)
{
	vhu_put_le32(m->b + 8, size);
}

struct vhu_rec_fd *capgen_msg_fd(struct capgen_msg *m, int32_t num, uint8_t kind,
				 const char *name)
{
	struct vhu_rec_fd *fd;

	if (m->nfds == CAPGEN_MSG_FDS)
		fail("more fds than CAPGEN_MSG_FDS");
	fd = &m->fds[m->nfds++];
	capgen_fd_init(fd, num, kind, name);
	return fd;
}

uint32_t capgen_msg_join(uint8_t *out, size_t cap, const struct capgen_msg *a,
			 const struct capgen_msg *b)
{
	if ((size_t)a->len + b->len > cap)
		fail("joined messages larger than their buffer");
	memcpy(out, a->b, a->len);
	memcpy(out + a->len, b->b, b->len);
	return a->len + b->len;
}

/* ---- fds ---------------------------------------------------------------- */

void capgen_fd_init(struct vhu_rec_fd *fd, int32_t num, uint8_t kind, const char *name)
{
	memset(fd, 0, sizeof(*fd));
	fd->fd = num;
	fd->kind = kind;
	fd->name = name;
	fd->name_len = (uint16_t)strlen(name);
}

const char *capgen_fd_name(uint8_t kind)
{
	switch (kind) {
	case VHU_FDK_MEMFD:
		return "/memfd:mem (deleted)";
	case VHU_FDK_EVENTFD:
		return "anon_inode:[eventfd]";
	case VHU_FDK_SOCKET:
		return "socket:[4242]";
	case VHU_FDK_PIPE:
		return "pipe:[77]";
	default:
		return "/dev/null";
	}
}

void capgen_fds_of_kind(struct vhu_rec_fd *fds, unsigned n, uint8_t kind,
			const struct capgen_fd_style *style)
{
	const char *name = style->name ? style->name : capgen_fd_name(kind);
	unsigned i;

	for (i = 0; i < n; i++) {
		capgen_fd_init(&fds[i], style->first_fd + (int32_t)i, kind, name);
		fds[i].mode = style->mode;
		fds[i].ino = style->first_ino + i;
	}
}

/* ---- records ------------------------------------------------------------ */

void capgen_hdr(struct vhu_rec_hdr *h, const struct capgen_side *s, uint8_t event,
		uint16_t call)
{
	memset(h, 0, sizeof(*h));
	h->event = event;
	h->call = call;
	h->pid = s->pid;
	h->tid = s->pid;
	h->conn_id = s->conn;
	h->fd = s->fd;
	h->channel = s->channel;
	h->role = s->role;
}

void capgen_data_hdr(struct vhu_rec_hdr *h, const struct capgen_side *s, uint8_t event,
		     uint32_t len, unsigned nfds)
{
	capgen_hdr(h, s, event, event == VHU_EV_DATA_SENT ? VHU_CALL_SENDMSG : VHU_CALL_RECVMSG);
	h->nfds = (uint8_t)nfds;
	h->orig_len = len;
}

size_t capgen_rec_end(struct vhu_rec_builder *b)
{
	size_t len = vhu_rec_end(b);

	if (!len)
		fail("record larger than its buffer");
	return len;
}

size_t capgen_data_record(uint8_t *buf, size_t cap, const struct vhu_rec_hdr *h,
			  const struct vhu_rec_fd *fds, const void *data, uint32_t len)
{
	struct vhu_rec_builder b;
	unsigned i;
	uint8_t *p;

	vhu_rec_begin(&b, buf, cap, h);
	for (i = 0; i < h->nfds; i++)
		vhu_rec_add_fd(&b, &fds[i]);
	p = vhu_rec_add_data(&b, len);
	if (p && len)
		memcpy(p, data, len);
	return capgen_rec_end(&b);
}

void capgen_add_proc(struct vhu_rec_builder *b, uint32_t ppid, const char *comm)
{
	uint8_t proc[VHU_REC_PROC_LEN] = { 0 };

	vhu_put_le32(proc, ppid);
	memcpy(proc + 4, comm, strnlen(comm, 15));	/* NUL-padded, like comm */
	vhu_rec_add_item(b, VHU_IT_PROC, proc, sizeof(proc));
}

void capgen_add_peercred(struct vhu_rec_builder *b, uint32_t pid, uint32_t uid, uint32_t gid)
{
	uint8_t cred[12];

	vhu_put_le32(cred, pid);
	vhu_put_le32(cred + 4, uid);
	vhu_put_le32(cred + 8, gid);
	vhu_rec_add_item(b, VHU_IT_PEERCRED, cred, sizeof(cred));
}

void capgen_add_link(struct vhu_rec_builder *b, uint64_t conn)
{
	uint8_t le[8];

	vhu_put_le64(le, conn);
	vhu_rec_add_item(b, VHU_IT_LINK, le, sizeof(le));
}

/* ---- pcapng files ------------------------------------------------------- */

static void put(struct capgen_out *o, const void *p, size_t len)
{
	if (len && fwrite(p, 1, len, o->f) != len)
		fail_errno(o->path);
}

void capgen_open(struct capgen_out *o, const char *path, const char *userappl,
		 uint64_t first_ts_ns, uint64_t step_ns)
{
	uint8_t hdr[VHU_PCAPNG_HEADER_MAX];

	o->path = path;
	o->f = fopen(path, "wb");
	if (!o->f)
		fail_errno(path);
	o->ts_ns = first_ts_ns;
	o->step_ns = step_ns;
	put(o, hdr, vhu_pcapng_file_header(hdr, sizeof(hdr), userappl));
}

void capgen_close(struct capgen_out *o)
{
	if (fclose(o->f))
		fail_errno(o->path);
	o->f = NULL;
}

uint32_t capgen_dir_flags(int p2p_dir)
{
	if (p2p_dir == 0)
		return VHU_EPB_OUTBOUND;
	if (p2p_dir == 1)
		return VHU_EPB_INBOUND;
	return 0;
}

/* An EPB whose packet is the bytes of a, then those of b. */
static void write_epb(struct capgen_out *o, const void *a, uint32_t alen, const void *b,
		      uint32_t blen, uint32_t epb_flags)
{
	uint8_t head[VHU_PCAPNG_EPB_HEAD], tail[VHU_PCAPNG_EPB_TAIL_MAX];
	uint32_t caplen = alen + blen;

	put(o, head, vhu_pcapng_epb_head(head, o->ts_ns, caplen, caplen));
	put(o, a, alen);
	put(o, b, blen);
	put(o, tail, vhu_pcapng_epb_tail(tail, caplen, epb_flags));
	o->ts_ns += o->step_ns;
}

void capgen_packet(struct capgen_out *o, const uint8_t *rec, size_t len, int p2p_dir,
		   uint32_t epb_flags)
{
	uint8_t pdu[VHU_EXP_PDU_MAX];
	size_t plen = vhu_exp_pdu_write(pdu, p2p_dir);

	write_epb(o, pdu, (uint32_t)plen, rec, (uint32_t)len, epb_flags);
}

void capgen_epb(struct capgen_out *o, const void *p, uint32_t len, uint32_t epb_flags)
{
	write_epb(o, p, len, NULL, 0, epb_flags);
}
