/* SPDX-License-Identifier: MIT */
/* \summary: capture record writer (no allocation) and reader (bounded) */
#include "vhu_record.h"
#include "vhu_le.h"

#include <string.h>

/* ---- writer ---------------------------------------------------------- */

void vhu_rec_begin(struct vhu_rec_builder *b, uint8_t *buf, size_t cap,
		   const struct vhu_rec_hdr *h)
{
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->overflow = 0;
	if (cap < VHU_REC_HDR_LEN) {
		b->overflow = 1;
		return;
	}
	memset(buf, 0, VHU_REC_HDR_LEN);
	buf[0] = VHU_REC_MAGIC0;
	buf[1] = VHU_REC_MAGIC1;
	buf[2] = VHU_REC_VERSION;
	buf[3] = h->event;
	vhu_put_le16(buf + 4, VHU_REC_HDR_LEN);
	vhu_put_le16(buf + 6, h->call);
	vhu_put_le32(buf + 8, h->pid);
	vhu_put_le32(buf + 12, h->tid);
	vhu_put_le64(buf + 16, h->conn_id);
	vhu_put_le32(buf + 24, (uint32_t)h->fd);
	vhu_put_le16(buf + 28, h->flags);
	buf[30] = h->channel;
	buf[31] = h->role;
	buf[32] = h->byte_order;
	buf[33] = h->nfds;
	vhu_put_le32(buf + 36, h->orig_len);
	b->len = VHU_REC_HDR_LEN;
}

static uint8_t *item_start(struct vhu_rec_builder *b, uint16_t type, uint32_t len)
{
	uint8_t *p;

	if (b->overflow || len > b->cap || b->cap - b->len < VHU_REC_ITEM_HDR + (size_t)len) {
		b->overflow = 1;
		return NULL;
	}
	p = b->buf + b->len;
	vhu_put_le16(p, type);
	vhu_put_le16(p + 2, 0);
	vhu_put_le32(p + 4, len);
	b->len += VHU_REC_ITEM_HDR + len;
	return p + VHU_REC_ITEM_HDR;
}

void vhu_rec_add_item(struct vhu_rec_builder *b, uint16_t type,
		      const void *val, uint32_t len)
{
	uint8_t *p = item_start(b, type, len);

	if (p && len)
		memcpy(p, val, len);
}

void vhu_rec_add_fd(struct vhu_rec_builder *b, const struct vhu_rec_fd *fd)
{
	uint16_t nlen = fd->name_len;
	uint8_t *p;

	if (nlen > VHU_REC_MAX_NAME)
		nlen = VHU_REC_MAX_NAME;
	p = item_start(b, VHU_IT_FD, VHU_REC_FD_FIXED + nlen);
	if (!p)
		return;
	vhu_put_le32(p, (uint32_t)fd->fd);
	p[4] = fd->kind;
	p[5] = fd->flags;
	vhu_put_le16(p + 6, nlen);
	vhu_put_le32(p + 8, fd->mode);
	vhu_put_le32(p + 12, 0);
	vhu_put_le64(p + 16, fd->dev);
	vhu_put_le64(p + 24, fd->ino);
	vhu_put_le64(p + 32, fd->size);
	if (nlen)
		memcpy(p + VHU_REC_FD_FIXED, fd->name, nlen);
}

uint8_t *vhu_rec_add_data(struct vhu_rec_builder *b, uint32_t len)
{
	return item_start(b, VHU_IT_DATA, len);
}

void vhu_rec_add_data_ref(struct vhu_rec_builder *b, uint32_t len)
{
	uint8_t *p;

	if (b->overflow || b->cap - b->len < VHU_REC_ITEM_HDR) {
		b->overflow = 1;
		return;
	}
	p = b->buf + b->len;
	vhu_put_le16(p, VHU_IT_DATA);
	vhu_put_le16(p + 2, 0);
	vhu_put_le32(p + 4, len);
	b->len += VHU_REC_ITEM_HDR;
}

size_t vhu_rec_end(struct vhu_rec_builder *b)
{
	return b->overflow ? 0 : b->len;
}

/* ---- reader ---------------------------------------------------------- */

static enum vhu_rec_status parse_fd(const uint8_t *v, uint32_t len,
				    struct vhu_rec_fd *fd)
{
	if (len < VHU_REC_FD_FIXED)
		return VHU_REC_BAD_FD_ITEM;
	fd->fd = (int32_t)vhu_get_le32(v);
	fd->kind = v[4];
	fd->flags = v[5];
	fd->name_len = vhu_get_le16(v + 6);
	fd->mode = vhu_get_le32(v + 8);
	fd->dev = vhu_get_le64(v + 16);
	fd->ino = vhu_get_le64(v + 24);
	fd->size = vhu_get_le64(v + 32);
	if (fd->name_len > len - VHU_REC_FD_FIXED || fd->name_len > VHU_REC_MAX_NAME)
		return VHU_REC_BAD_FD_ITEM;
	fd->name = (const char *)v + VHU_REC_FD_FIXED;
	return VHU_REC_OK;
}

/* Where the fields of the fixed header that struct vhu_rec_hdr holds in
 * the record's own layout begin: a little-endian reader copies them as
 * they are, a dozen loads and stores in two moves. */
#define HDR_TAIL 8
#define AT(field, off) (offsetof(struct vhu_rec_hdr, field) == (off))
_Static_assert(AT(pid, HDR_TAIL) && AT(tid, 12) && AT(conn_id, 16) && AT(fd, 24) &&
	       AT(flags, 28) && AT(channel, 30) && AT(role, 31) && AT(byte_order, 32) &&
	       AT(nfds, 33) && AT(reserved, 34) && AT(orig_len, 36) &&
	       sizeof(struct vhu_rec_hdr) == VHU_REC_HDR_LEN,
	       "struct vhu_rec_hdr is laid out as the record from pid on");
#undef AT

/* The fixed header, and what the items set cleared. */
static inline enum vhu_rec_status parse_header(const uint8_t *buf, size_t len,
					      struct vhu_record *r)
{
	struct vhu_rec_hdr *h = &r->h;

	memset(r, 0, offsetof(struct vhu_record, fds));
	r->path = NULL;
	r->path_len = 0;
	r->has_peercred = 0;
	r->cmdline = NULL;
	r->cmdline_len = 0;
	r->has_proc = 0;
	r->comm[0] = 0;
	r->has_link = 0;
	r->origin = 0;
	r->has_seq = 0;
	r->seq = 0;
	r->unknown_items = 0;

	if (len < 8)
		return VHU_REC_SHORT;
	if (buf[0] != VHU_REC_MAGIC0 || buf[1] != VHU_REC_MAGIC1)
		return VHU_REC_BAD_MAGIC;
	h->version = buf[2];
	if (h->version != VHU_REC_VERSION)
		return VHU_REC_BAD_VERSION;
	h->event = buf[3];
	h->hdr_len = vhu_get_le16(buf + 4);
	if (h->hdr_len < VHU_REC_HDR_LEN)
		return VHU_REC_BAD_HDR_LEN;
	if (len < h->hdr_len)
		return VHU_REC_SHORT;
	h->call = vhu_get_le16(buf + 6);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* pid to orig_len: the same bytes in the same places (HDR_TAIL) */
	memcpy(&h->pid, buf + HDR_TAIL, VHU_REC_HDR_LEN - HDR_TAIL);
#else
	h->pid = vhu_get_le32(buf + 8);
	h->tid = vhu_get_le32(buf + 12);
	h->conn_id = vhu_get_le64(buf + 16);
	h->fd = (int32_t)vhu_get_le32(buf + 24);
	h->flags = vhu_get_le16(buf + 28);
	h->channel = buf[30];
	h->role = buf[31];
	h->byte_order = buf[32];
	h->nfds = buf[33];
	h->reserved = vhu_get_le16(buf + 34);
	h->orig_len = vhu_get_le32(buf + 36);
#endif
	return VHU_REC_OK;
}

/* The items after the fixed header; fields of a newer fixed header
 * (hdr_len > ours) are skipped.  Out of line: vhu_rec_parse() without the
 * walk's registers and stack costs less for the records it takes alone. */
static __attribute__((noinline)) enum vhu_rec_status parse_items(const uint8_t *buf, size_t len,
								 struct vhu_record *r)
{
	size_t off;

	for (off = r->h.hdr_len; off < len;) {
		uint16_t type;
		uint32_t ilen;
		const uint8_t *v;

		if (len - off < VHU_REC_ITEM_HDR)
			return VHU_REC_BAD_ITEM;
		type = vhu_get_le16(buf + off);
		ilen = vhu_get_le32(buf + off + 4);
		if (ilen > len - off - VHU_REC_ITEM_HDR)
			return VHU_REC_BAD_ITEM;
		v = buf + off + VHU_REC_ITEM_HDR;
		off += VHU_REC_ITEM_HDR + (size_t)ilen;

		switch (type) {
		case VHU_IT_FD: {
			enum vhu_rec_status st;

			if (r->nfd_items >= VHU_REC_MAX_FDS)
				return VHU_REC_TOO_MANY_FDS;
			st = parse_fd(v, ilen, &r->fds[r->nfd_items]);
			if (st != VHU_REC_OK)
				return st;
			r->nfd_items++;
			break;
		}
		case VHU_IT_PATH:
			r->path = (const char *)v;
			r->path_len = ilen;
			break;
		case VHU_IT_PEERCRED:
			if (ilen < 12)
				return VHU_REC_BAD_ITEM;
			r->has_peercred = 1;
			r->peer_pid = vhu_get_le32(v);
			r->peer_uid = vhu_get_le32(v + 4);
			r->peer_gid = vhu_get_le32(v + 8);
			break;
		case VHU_IT_CMDLINE:
			r->cmdline = v;
			r->cmdline_len = ilen;
			break;
		case VHU_IT_DATA:
			r->data = v;
			r->data_len = ilen;
			break;
		case VHU_IT_PROC: {
			size_t n;

			if (ilen < VHU_REC_PROC_LEN)
				return VHU_REC_BAD_ITEM;
			r->has_proc = 1;
			r->ppid = vhu_get_le32(v);
			memcpy(r->comm, v + 4, 16);
			r->comm[16] = 0;
			n = strlen(r->comm);
			memset(r->comm + n, 0, sizeof(r->comm) - n);
			break;
		}
		case VHU_IT_LINK:
			if (ilen < 8)
				return VHU_REC_BAD_ITEM;
			r->has_link = 1;
			r->link_conn = vhu_get_le64(v);
			break;
		case VHU_IT_ORIGIN:
			if (ilen < 1)
				return VHU_REC_BAD_ITEM;
			r->origin = v[0];
			break;
		case VHU_IT_SEQ:
			if (ilen < VHU_REC_SEQ_LEN)
				return VHU_REC_BAD_ITEM;
			r->has_seq = 1;
			r->seq = vhu_get_le32(v);
			break;
		default:
			r->unknown_items++;
			break;
		}
	}
	return VHU_REC_OK;
}

enum vhu_rec_status vhu_rec_parse_walk(const uint8_t *buf, size_t len, struct vhu_record *r)
{
	enum vhu_rec_status st = parse_header(buf, len, r);

	return st == VHU_REC_OK ? parse_items(buf, len, r) : st;
}

/*
 * The shim writes a message's bytes as a record of one DATA item that
 * ends it (most of a capture's records): that layout is recognised by
 * its item header alone, without walking the items.
 */
enum vhu_rec_status vhu_rec_parse(const uint8_t *buf, size_t len, struct vhu_record *r)
{
	enum vhu_rec_status st = parse_header(buf, len, r);
	size_t off;

	if (st != VHU_REC_OK)
		return st;
	off = r->h.hdr_len;
	if (len - off >= VHU_REC_ITEM_HDR && vhu_get_le16(buf + off) == VHU_IT_DATA &&
	    vhu_get_le32(buf + off + 4) == len - off - VHU_REC_ITEM_HDR) {
		r->data = buf + off + VHU_REC_ITEM_HDR;
		r->data_len = (uint32_t)(len - off - VHU_REC_ITEM_HDR);
		return VHU_REC_OK;
	}
	return parse_items(buf, len, r);
}

const char *vhu_rec_status_str(enum vhu_rec_status s)
{
	switch (s) {
	case VHU_REC_OK: return "ok";
	case VHU_REC_SHORT: return "record shorter than its header";
	case VHU_REC_BAD_MAGIC: return "not a vhost-user capture record (bad magic)";
	case VHU_REC_BAD_VERSION: return "unsupported capture record version";
	case VHU_REC_BAD_HDR_LEN: return "capture record header length too small";
	case VHU_REC_BAD_ITEM: return "capture record item runs past the record";
	case VHU_REC_BAD_FD_ITEM: return "malformed passed-fd item";
	case VHU_REC_TOO_MANY_FDS: return "more passed fds than SCM_MAX_FD";
	}
	return "unknown record error";
}

/* ---- exported-PDU prefix -------------------------------------------- */

/* The tags before a record with a direction, up to the direction's value:
 * vhu_exp_pdu_write() writes them from here, and vhu_exp_pdu_skip() takes
 * them at once (the same in every record the shim writes). */
#define NAME_PADDED ((sizeof(VHU_REC_DISSECTOR_NAME) + 3) & ~(size_t)3)
static const struct {
	uint8_t name_tag[4];
	char name[NAME_PADDED];
	uint8_t dir_tag[4];
} shim_tags = {
	{ 0, VHU_EXP_PDU_TAG_DISSECTOR_NAME, 0, NAME_PADDED },
	VHU_REC_DISSECTOR_NAME,
	{ 0, VHU_EXP_PDU_TAG_P2P_DIRECTION, 0, 4 },
};
_Static_assert(sizeof(shim_tags) == 8 + NAME_PADDED, "shim_tags is the bytes of the tags");
#define SHIM_DIR_VALUE 4	/* bytes of the direction's value */
#define SHIM_TAGS_LEN (sizeof(shim_tags) + SHIM_DIR_VALUE + 4)	/* with the end tag */

size_t vhu_exp_pdu_write(uint8_t *out, int p2p_dir)
{
	size_t n = sizeof(shim_tags.name_tag) + sizeof(shim_tags.name);

	memcpy(out, &shim_tags, n);
	if (p2p_dir >= 0) {
		memcpy(out + n, shim_tags.dir_tag, sizeof(shim_tags.dir_tag));
		n += sizeof(shim_tags.dir_tag);
		memset(out + n, 0, SHIM_DIR_VALUE - 1);
		out[n + SHIM_DIR_VALUE - 1] = (uint8_t)p2p_dir;
		n += SHIM_DIR_VALUE;
	}
	memset(out + n, 0, 4); /* end of tags */
	return n + 4;
}

long vhu_exp_pdu_walk(const uint8_t *buf, size_t len, int *is_ours)
{
	size_t off = 0;

	if (is_ours)
		*is_ours = 0;
	for (;;) {
		uint16_t tag, tlen;

		if (len - off < 4)
			return -1;
		tag = (uint16_t)(buf[off] << 8 | buf[off + 1]);
		tlen = (uint16_t)(buf[off + 2] << 8 | buf[off + 3]);
		off += 4;
		if (tag == VHU_EXP_PDU_TAG_END)
			return (long)off;
		if (tlen > len - off)
			return -1;
		if (tag == VHU_EXP_PDU_TAG_DISSECTOR_NAME && is_ours) {
			size_t n = sizeof(VHU_REC_DISSECTOR_NAME) - 1;

			if (tlen >= n && memcmp(buf + off, VHU_REC_DISSECTOR_NAME, n) == 0 &&
			    (tlen == n || buf[off + n] == 0))
				*is_ours = 1;
		}
		off += tlen;
	}
}

long vhu_exp_pdu_skip(const uint8_t *buf, size_t len, int *is_ours)
{
	/* One compare for the shim's tags; the end tag is its type alone (its
	 * length is not read), as in the walk. */
	if (len >= SHIM_TAGS_LEN && memcmp(buf, &shim_tags, sizeof(shim_tags)) == 0 &&
	    buf[SHIM_TAGS_LEN - 4] == 0 && buf[SHIM_TAGS_LEN - 3] == 0) {
		if (is_ours)
			*is_ours = 1;
		return (long)SHIM_TAGS_LEN;
	}
	return vhu_exp_pdu_walk(buf, len, is_ours);
}
