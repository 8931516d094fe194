/* SPDX-License-Identifier: MIT */
/* \summary: the field table, its value tables, and the expert-note table */
#include "vhu_fields.h"
#include "vhu_diag.h"
#include "vhu_emit.h"
#include "vhu_format.h"
#include "vhu_msgs.h"
#include "vhu_proto.h"
#include "vhu_record.h"

#include <stdio.h>
#include <string.h>

/* ---- value tables -------------------------------------------------------- */

const struct vhu_val vhu_vals_event[] = {
	{ VHU_EV_DATA_SENT, "data sent" },
	{ VHU_EV_DATA_RECV, "data received" },
	{ VHU_EV_CONNECT, "connect" },
	{ VHU_EV_ACCEPT, "accept" },
	{ VHU_EV_ADOPT, "socket adopted" },
	{ VHU_EV_CLOSE, "close" },
	{ VHU_EV_PROCESS_START, "process start" },
	{ 0, NULL }
};

const struct vhu_val vhu_vals_call[] = {
	{ VHU_CALL_NONE, "none" },
	{ VHU_CALL_SENDMSG, "sendmsg" }, { VHU_CALL_RECVMSG, "recvmsg" },
	{ VHU_CALL_SENDMMSG, "sendmmsg" }, { VHU_CALL_RECVMMSG, "recvmmsg" },
	{ VHU_CALL_SEND, "send" }, { VHU_CALL_RECV, "recv" },
	{ VHU_CALL_SENDTO, "sendto" }, { VHU_CALL_RECVFROM, "recvfrom" },
	{ VHU_CALL_WRITE, "write" }, { VHU_CALL_READ, "read" },
	{ VHU_CALL_WRITEV, "writev" }, { VHU_CALL_READV, "readv" },
	{ VHU_CALL_CONNECT, "connect" }, { VHU_CALL_ACCEPT, "accept" },
	{ VHU_CALL_ACCEPT4, "accept4" }, { VHU_CALL_SOCKETPAIR, "socketpair" },
	{ VHU_CALL_CLOSE, "close" }, { VHU_CALL_DUP, "dup" },
	{ VHU_CALL_FCNTL, "fcntl" }, { VHU_CALL_EXEC, "exec" },
	{ VHU_CALL_FORK, "fork" }, { VHU_CALL_START, "start" },
	{ 0, NULL }
};

/*
 * Every spelling of a channel or an fd kind is a column of one row here:
 * the label a tree shows; the word (without spaces) of the summaries, the
 * decoder's columns and JSON, and its --channel option.  A channel also
 * names the side whose requests travel on it ("Unknown back-end request
 * 7") and the tag of a tree's first line ("... (back-end channel), ..."),
 * empty on the main channel.
 */
#define CHANNEL_NAMES(X) \
	X(VHU_CHAN_UNKNOWN, "unknown", "unknown", "front-end", "") \
	X(VHU_CHAN_MAIN, "main", "main", "front-end", "") \
	X(VHU_CHAN_BACKEND, "back-end channel", "backend", "back-end", "back-end channel") \
	X(VHU_CHAN_GPU, "GPU socket", "gpu", "GPU", "GPU")

#define FD_KIND_NAMES(X) \
	X(VHU_FDK_OTHER, "other", "other") \
	X(VHU_FDK_MEMFD, "memfd", "memfd") \
	X(VHU_FDK_EVENTFD, "eventfd", "eventfd") \
	X(VHU_FDK_SOCKET, "socket", "socket") \
	X(VHU_FDK_REGULAR, "regular file", "file") \
	X(VHU_FDK_PIPE, "pipe", "pipe") \
	X(VHU_FDK_UNKNOWN, "unknown", "unknown")

#define VAL_LABEL(v, label, word) { v, label },
#define VAL_WORD(v, label, word) { v, word },
#define CHAN_LABEL(v, label, word, side, tag) { v, label },
#define CHAN_WORD(v, label, word, side, tag) { v, word },
#define CHAN_SIDE(v, label, word, side, tag) { v, side },
#define CHAN_TAG(v, label, word, side, tag) { v, tag },

const struct vhu_val vhu_vals_channel[] = { CHANNEL_NAMES(CHAN_LABEL) { 0, NULL } };
static const struct vhu_val channel_words[] = { CHANNEL_NAMES(CHAN_WORD) { 0, NULL } };
static const struct vhu_val channel_sides[] = { CHANNEL_NAMES(CHAN_SIDE) { 0, NULL } };
static const struct vhu_val channel_tags[] = { CHANNEL_NAMES(CHAN_TAG) { 0, NULL } };

const struct vhu_val vhu_vals_role[] = {
	{ VHU_ROLE_UNKNOWN, "unknown" },
	{ VHU_ROLE_FRONTEND, "front-end" },
	{ VHU_ROLE_BACKEND, "back-end" },
	{ 0, NULL }
};

const struct vhu_val vhu_vals_origin[] = {
	{ VHU_ORIGIN_PRELOAD, "preloaded shim" },
	{ VHU_ORIGIN_ATTACH, "attach (eBPF)" },
	{ 0, NULL }
};

const struct vhu_val vhu_vals_byte_order[] = {
	{ 0, "little-endian" },
	{ 1, "big-endian" },
	{ 0, NULL }
};

const struct vhu_val vhu_vals_fd_kind[] = { FD_KIND_NAMES(VAL_LABEL) { 0, NULL } };
static const struct vhu_val fd_kind_words[] = { FD_KIND_NAMES(VAL_WORD) { 0, NULL } };

/* Request names come from the message tables; these arrays are filled by
 * vhu_fields_init() so that there is one list of names. */
#define MAX_REQ_VALS 64
static struct vhu_val fe_req_vals[MAX_REQ_VALS];
static struct vhu_val be_req_vals[MAX_REQ_VALS];
static struct vhu_val gpu_req_vals[MAX_REQ_VALS];

const struct vhu_val vhu_vals_ack[] = {
	{ 0, "success" },
	{ 0, NULL }
};

const struct vhu_val vhu_vals_enable[] = {
	{ 0, "disable" },
	{ 1, "enable" },
	{ 0, NULL }
};

const struct vhu_val vhu_vals_endian[] = {
	{ 0, "little-endian" },
	{ 1, "big-endian" },
	{ 0, NULL }
};

const struct vhu_val vhu_vals_xen_flags[] = {
	{ 0x1, "XEN_FOREIGN" },
	{ 0x2, "XEN_GRANT" },
	{ 0x100, "XEN_NO_ADVANCE_MAP" },
	{ 0x102, "XEN_GRANT|XEN_NO_ADVANCE_MAP" },
	{ 0, NULL }
};

const struct vhu_val vhu_vals_iotlb_perm[] = {
	{ 0, "VHOST_ACCESS_NONE" },
	{ 1, "VHOST_ACCESS_RO" },
	{ 2, "VHOST_ACCESS_WO" },
	{ 3, "VHOST_ACCESS_RW" },
	{ 0, NULL }
};

const struct vhu_val vhu_vals_iotlb_type[] = {
	{ 1, "VHOST_IOTLB_MISS" },
	{ 2, "VHOST_IOTLB_UPDATE" },
	{ 3, "VHOST_IOTLB_INVALIDATE" },
	{ 4, "VHOST_IOTLB_ACCESS_FAIL" },
	{ 5, "VHOST_IOTLB_BATCH_BEGIN" },
	{ 6, "VHOST_IOTLB_BATCH_END" },
	{ 0, NULL }
};

/* The spec and QEMU use an enum; rust-vmm and crosvm read these as bit
 * flags (0x1 writable, 0x2 live migration).  The raw value is shown too. */
const struct vhu_val vhu_vals_config_flags[] = {
	{ 0, "VHOST_SET_CONFIG_TYPE_FRONTEND" },
	{ 1, "VHOST_SET_CONFIG_TYPE_MIGRATION" },
	{ 0, NULL }
};

const struct vhu_val vhu_vals_crypto_op[] = {
	{ 0x0002, "CIPHER_CREATE_SESSION" },
	{ 0x0102, "HASH_CREATE_SESSION" },
	{ 0x0202, "MAC_CREATE_SESSION" },
	{ 0x0302, "AEAD_CREATE_SESSION" },
	{ 0x0402, "AKCIPHER_CREATE_SESSION" },
	{ 0, NULL }
};

const struct vhu_val vhu_vals_ds_direction[] = {
	{ 0, "SAVE" },
	{ 1, "LOAD" },
	{ 0, NULL }
};

const struct vhu_val vhu_vals_ds_phase[] = {
	{ 0, "STOPPED" },
	{ 0, NULL }
};

uint64_t vhu_field_value(const struct vhu_field *f, uint64_t word)
{
	if (!f->mask)
		return word;
	if (f->type == VHU_FT_BOOL)
		return (word & f->mask) != 0;
	return (word & f->mask) >> __builtin_ctzll(f->mask);
}

const char *vhu_val_name(const struct vhu_val *vals, uint64_t v)
{
	if (!vals)
		return NULL;
	for (; vals->name; vals++)
		if (vals->value == v)
			return vals->name;
	return NULL;
}

static const char *name_or(const struct vhu_val *vals, uint64_t v, const char *unknown)
{
	const char *name = vhu_val_name(vals, v);

	return name ? name : unknown;
}

const char *vhu_event_name(unsigned ev)
{
	return name_or(vhu_vals_event, ev, "unknown event");
}

const char *vhu_call_name(unsigned call)
{
	return name_or(vhu_vals_call, call, "unknown call");
}

const char *vhu_channel_name(unsigned ch)
{
	return name_or(channel_words, ch, "unknown");
}

const char *vhu_channel_side(unsigned ch)
{
	return name_or(channel_sides, ch, "front-end");
}

const char *vhu_channel_tag(unsigned ch)
{
	return name_or(channel_tags, ch, "");
}

const char *vhu_role_name(unsigned role)
{
	return name_or(vhu_vals_role, role, "unknown");
}

/* In text that says who sent what, a sender the record does not name
 * (a capture without roles) reads as the front-end, the side that
 * speaks first. */
const char *vhu_side_name(unsigned role)
{
	return vhu_role_name(role == VHU_ROLE_BACKEND ? VHU_ROLE_BACKEND : VHU_ROLE_FRONTEND);
}

const char *vhu_fd_kind_name(unsigned kind)
{
	return name_or(fd_kind_words, kind, "other");
}

/* ---- the field table ----------------------------------------------------- */

#define vhu_vals_fe_req fe_req_vals
#define vhu_vals_be_req be_req_vals
#define vhu_vals_gpu_req gpu_req_vals

#define MAX_BIT_FIELDS 512
#define MAX_FIELDS (VHU_F__STATIC_COUNT + MAX_BIT_FIELDS)

static struct vhu_field fields[MAX_FIELDS] = {
#define VHU_X_ROW(id, ab, lb, ty, ba, va, ma) \
	[VHU_F_##id] = { ab, lb, VHU_FT_##ty, (enum vhu_base)(VHU_BASE_##ba), va, ma, NULL },
#define VHU_BASE_16 16
#define VHU_BASE_32 32
#define VHU_BASE_64 64
	VHU_FIELD_LIST(VHU_X_ROW)
#undef VHU_X_ROW
};
static int nfields = VHU_F__STATIC_COUNT;

/* Storage for generated abbrevs ("features.ring_packed") and blurbs. */
static char abbrev_store[MAX_BIT_FIELDS][64];
static char blurb_store[MAX_BIT_FIELDS][96];

/* The generated field of each bit of each bit table, looked up for every
 * set bit of every feature word a summary shows. */
#define MAX_BIT_TABLES 64
struct bit_index {
	const struct vhu_bit *table;
	int16_t id[64];		/* field id, or -1 for an unnamed bit */
	const char *short_name[64];	/* its summary name, with the id */
};
static struct bit_index bit_index[MAX_BIT_TABLES];
static int nbit_tables;

static void fill_req_vals(struct vhu_val *out, unsigned channel)
{
	uint32_t id, max = vhu_msg_max(channel);
	int n = 0;

	for (id = 1; id <= max && n < MAX_REQ_VALS - 1; id++) {
		const char *name = vhu_msg_name(channel, id);

		if (name) {
			out[n].value = id;
			out[n].name = name;
			n++;
		}
	}
	out[n].value = 0;
	out[n].name = NULL;
}

void vhu_fields_init(void)
{
	const struct vhu_bit_table *t;

	if (nfields > VHU_F__STATIC_COUNT || fe_req_vals[0].name)
		return;
	fill_req_vals(fe_req_vals, VHU_CHAN_MAIN);
	fill_req_vals(be_req_vals, VHU_CHAN_BACKEND);
	fill_req_vals(gpu_req_vals, VHU_CHAN_GPU);

	for (t = vhu_all_bit_tables; t->word; t++) {
		const struct vhu_bit *b;
		unsigned width = 64;
		struct bit_index *ix = NULL;
		int i;

		for (i = 0; i < nbit_tables && !ix; i++)
			if (bit_index[i].table == t->bits)
				ix = &bit_index[i];
		if (!ix && nbit_tables < MAX_BIT_TABLES) {
			ix = &bit_index[nbit_tables++];
			ix->table = t->bits;
			for (i = 0; i < 64; i++)
				ix->id[i] = -1;
		}

		for (b = t->bits; b->name; b++) {
			struct vhu_field *f;
			int k = nfields - VHU_F__STATIC_COUNT;

			if (nfields >= MAX_FIELDS)
				return;
			snprintf(abbrev_store[k], sizeof(abbrev_store[k]), "%s.%s", t->word, b->abbrev);
			f = &fields[nfields];
			f->abbrev = abbrev_store[k];
			f->label = b->name;
			f->type = VHU_FT_BOOL;
			f->base = (enum vhu_base)width;
			f->vals = NULL;
			f->mask = (uint64_t)1 << b->bit;
			f->blurb = NULL;
			if (b->alias) {
				snprintf(blurb_store[k], sizeof(blurb_store[k]), "Bit %u, formerly %s",
					 b->bit, b->alias);
				f->blurb = blurb_store[k];
			}
			/* an alias row of a bit already named keeps the first name */
			if (ix && b->bit < 64 && ix->id[b->bit] < 0) {
				ix->id[b->bit] = (int16_t)nfields;
				ix->short_name[b->bit] = vhu_short_feature(b->name);
			}
			nfields++;
		}
	}
	vhu_format_init();
}

int vhu_field_count(void)
{
	return nfields;
}

const struct vhu_field *vhu_field_get(int id)
{
	if (id < 0 || id >= nfields)
		return NULL;
	return &fields[id];
}

int vhu_bit_field(const struct vhu_bit *table, unsigned bit)
{
	const char *short_name;

	return vhu_bit_field_short(table, bit, &short_name);
}

int vhu_bit_field_short(const struct vhu_bit *table, unsigned bit, const char **short_name)
{
	int i;

	*short_name = NULL;
	if (bit >= 64)
		return -1;
	for (i = 0; i < nbit_tables; i++)
		if (bit_index[i].table == table) {
			*short_name = bit_index[i].short_name[bit];
			return bit_index[i].id[bit];
		}
	return -1;
}

/* ---- expert notes ------------------------------------------------------- */

static const struct vhu_note_desc notes[VHU_N__COUNT] = {
#define VHU_X_NOTE_ROW(id, ab, sev, grp, sum) \
	[VHU_N_##id] = { ab, VHU_SEV_##sev, VHU_GRP_##grp, sum },
	VHU_NOTE_LIST(VHU_X_NOTE_ROW)
#undef VHU_X_NOTE_ROW
};

const struct vhu_note_desc *vhu_note_get(int id)
{
	const struct vhu_rule *r = vhu_rule_get(vhu_rule_of_note(id));

	if (r)
		return &r->note;
	if (id < 0 || id >= VHU_N__COUNT)
		return NULL;
	return &notes[id];
}

/* Words as Wireshark's expert.c prints them. */
const char *vhu_severity_name(enum vhu_severity s)
{
	switch (s) {
	case VHU_SEV_CHAT: return "Chat";
	case VHU_SEV_NOTE: return "Note";
	case VHU_SEV_WARN: return "Warning";
	case VHU_SEV_ERROR: return "Error";
	}
	return "Unknown";
}

const char *vhu_group_name(enum vhu_group g)
{
	switch (g) {
	case VHU_GRP_MALFORMED: return "Malformed";
	case VHU_GRP_PROTOCOL: return "Protocol";
	case VHU_GRP_SEQUENCE: return "Sequence";
	case VHU_GRP_UNDECODED: return "Undecoded";
	}
	return "Unknown";
}
