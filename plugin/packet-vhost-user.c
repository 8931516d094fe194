/* SPDX-License-Identifier: MIT */
/*
 * packet-vhost-user.c - registration and the record dissector: fields,
 * subtrees and expert infos generated from the core's tables, columns,
 * addresses for the flow graph, preferences.
 *
 * Each packet of a capture is one capture record (link type 252, exported
 * PDU naming VHU_REC_DISSECTOR_NAME).  A record carries the bytes one
 * syscall moved; the core session turns the byte streams into messages on
 * the first pass, and every pass draws the messages completed in the frame.
 */
#include "vhu-ws.h"

#include <epan/prefs.h>
#include <epan/tap.h>
#include <epan/address.h>

#include <string.h>

#include "vhu_fields.h"
#include "vhu_proto.h"
#include "vhu_record.h"

int proto_vhost_user = -1;
int proto_vhost_user_rec = -1;
int vhu_ws_tap = -1;
int *vhu_ws_hf;
gint vhu_ws_ett[VHU_ETT__COUNT];
expert_field vhu_ws_ei[VHU_NOTE_ID_COUNT];

static dissector_handle_t vhu_rec_handle;


/* ---- preferences ---- */

static guint pref_max_payload;	/* 0: each message type's own limit */
static vhu_ws_bool pref_show_payload = FALSE;

static void apply_prefs(void)
{
	if (pref_max_payload > VHU_ABSOLUTE_MAX_PAYLOAD)
		pref_max_payload = VHU_ABSOLUTE_MAX_PAYLOAD;
	vhu_ws_opts.max_payload = pref_max_payload;
	vhu_ws_opts.show_payload = pref_show_payload ? true : false;
}

/* ---- field registration from the core table ---- */

static enum ftenum ws_type(enum vhu_ftype t)
{
	switch (t) {
	case VHU_FT_U8: return FT_UINT8;
	case VHU_FT_U16: return FT_UINT16;
	case VHU_FT_U32: return FT_UINT32;
	case VHU_FT_U64: return FT_UINT64;
	case VHU_FT_I32: return FT_INT32;
	case VHU_FT_I64: return FT_INT64;
	case VHU_FT_BOOL: return FT_BOOLEAN;
	case VHU_FT_BYTES: return FT_BYTES;
	case VHU_FT_STRING: return FT_STRING;
	case VHU_FT_FRAME_REQ:
	case VHU_FT_FRAME_RESP: return FT_FRAMENUM;
	case VHU_FT_RELTIME: return FT_RELATIVE_TIME;
	case VHU_FT_NONE:
	case VHU_FT_PROTOCOL: break;
	}
	return FT_NONE;
}

static bool is_integer(enum vhu_ftype t)
{
	return t == VHU_FT_U8 || t == VHU_FT_U16 || t == VHU_FT_U32 || t == VHU_FT_U64 ||
	       t == VHU_FT_I32 || t == VHU_FT_I64;
}

static int ws_base(const struct vhu_field *f)
{
	bool is_signed = f->type == VHU_FT_I32 || f->type == VHU_FT_I64;

	if (!is_integer(f->type))
		return BASE_NONE;
	/* Wireshark refuses signed fields shown in hex */
	if (is_signed)
		return BASE_DEC;
	switch (f->base) {
	case VHU_BASE_HEX: return BASE_HEX;
	case VHU_BASE_DEC_HEX: return BASE_DEC_HEX;
	case VHU_BASE_HEX_DEC: return BASE_HEX_DEC;
	default: return BASE_DEC;
	}
}

static const void *ws_strings(const struct vhu_field *f, int *display)
{
	const struct vhu_val *v;
	size_t n = 0, i;

	if (f->type == VHU_FT_FRAME_REQ)
		return FRAMENUM_TYPE(FT_FRAMENUM_REQUEST);
	if (f->type == VHU_FT_FRAME_RESP)
		return FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE);
	if (!f->vals || !is_integer(f->type) || f->type == VHU_FT_I64)
		return NULL;
	for (v = f->vals; v->name; v++)
		n++;
	if (f->type == VHU_FT_U64) {
		val64_string *vs = g_new0(val64_string, n + 1);

		for (i = 0; i < n; i++) {
			vs[i].value = f->vals[i].value;
			vs[i].strptr = f->vals[i].name;
		}
		*display |= BASE_VAL64_STRING;
		return vs;
	} else {
		value_string *vs = g_new0(value_string, n + 1);

		for (i = 0; i < n; i++) {
			vs[i].value = (guint32)f->vals[i].value;
			vs[i].strptr = f->vals[i].name;
		}
		return vs;
	}
}

/*
 * Bit masks stay 0: the emitter takes sub-fields out of their words and
 * the walker writes every line itself, so Wireshark has nothing to shift
 * or format (and 64-bit feature bits would not fit the 32-bit boolean
 * value of the 4.0 API).
 */
static void fill_hf(hf_register_info *hf, int *id, const char *abbrev,
		    const struct vhu_field *f)
{
	int display = ws_base(f);

	hf->p_id = id;
	hf->hfinfo.name = f->label;
	hf->hfinfo.abbrev = abbrev;
	hf->hfinfo.type = ws_type(f->type);
	hf->hfinfo.strings = ws_strings(f, &display);
	hf->hfinfo.display = display;
	hf->hfinfo.bitmask = 0;
	hf->hfinfo.blurb = f->blurb;
	HFILL_INIT(*hf);
}

static void register_fields(void)
{
	int i, n, nmsg = 0, nrec = 0;
	hf_register_info *hf_msg, *hf_rec;

	vhu_fields_init();
	n = vhu_field_count();
	vhu_ws_hf = g_new(int, n);
	hf_msg = g_new0(hf_register_info, n);
	hf_rec = g_new0(hf_register_info, n);

	for (i = 0; i < n; i++) {
		const struct vhu_field *f = vhu_field_get(i);

		vhu_ws_hf[i] = -1;
		if (!f || f->type == VHU_FT_PROTOCOL)
			continue;
		if (strncmp(f->abbrev, "rec.", 4) == 0)
			fill_hf(&hf_rec[nrec++], &vhu_ws_hf[i],
				g_strconcat(VHU_REC_PROTO_FILTER ".", f->abbrev + 4, NULL), f);
		else
			fill_hf(&hf_msg[nmsg++], &vhu_ws_hf[i],
				g_strconcat(VHU_PROTO_FILTER ".", f->abbrev, NULL), f);
	}

	proto_register_field_array(proto_vhost_user, hf_msg, nmsg);
	proto_register_field_array(proto_vhost_user_rec, hf_rec, nrec);
}

static void register_subtrees(void)
{
	static gint *ett[VHU_ETT__COUNT];
	int i;

	for (i = 0; i < VHU_ETT__COUNT; i++) {
		vhu_ws_ett[i] = -1;
		ett[i] = &vhu_ws_ett[i];
	}
	proto_register_subtree_array(ett, VHU_ETT__COUNT);
}

static void register_expert(void)
{
	/* Severity and group names of VHU_NOTE_LIST are Wireshark's PI_ names. */
	static ei_register_info ei[] = {
#define VHU_X_EI(id, ab, sev, grp, sum) \
		{ &vhu_ws_ei[VHU_N_##id], \
		  { VHU_PROTO_FILTER "." ab, PI_##grp, PI_##sev, sum, EXPFILL } },
		VHU_NOTE_LIST(VHU_X_EI)
#undef VHU_X_EI
		/* the rules' findings: vhost_user.rule.<id> */
#define VHU_X_RULE_EI(id, ab, sev, grp, sec, sum) \
		{ &vhu_ws_ei[VHU_NOTE_OF_RULE(VHU_RULE_##id)], \
		  { VHU_PROTO_FILTER ".rule." ab, PI_##grp, PI_##sev, sum, EXPFILL } },
		VHU_RULE_LIST(VHU_X_RULE_EI)
#undef VHU_X_RULE_EI
	};
	expert_module_t *m = expert_register_protocol(proto_vhost_user);

	expert_register_field_array(m, ei, array_length(ei));
}

/* ---- dissection ---- */

static void set_endpoints(packet_info *pinfo, const char *src, const char *dst)
{
	if (!src || !dst)
		return;
	/* interned: the same pointers are the same endpoints */
	if (pinfo->src.type == AT_STRINGZ && pinfo->src.data == src && pinfo->dst.data == dst)
		return;
	set_address(&pinfo->src, AT_STRINGZ, (int)strlen(src) + 1, src);
	set_address(&pinfo->dst, AT_STRINGZ, (int)strlen(dst) + 1, dst);
	copy_address_shallow(&pinfo->net_src, &pinfo->src);
	copy_address_shallow(&pinfo->net_dst, &pinfo->dst);
}

/* The bytes of a message on every pass, without copies: a slice of the
 * record, the fragment table's reassembled buffer, or (a message cut by
 * the end of the capture, or in more pieces than the fragment table
 * takes) the copy the first pass kept. */
static tvbuff_t *message_tvb(tvbuff_t *tvb, packet_info *pinfo, gint data_off,
			     const struct vhu_ws_frame_more *more, tvbuff_t **done,
			     const struct vhu_ws_msg *wm, const struct vhu_msg *m)
{
	tvbuff_t *mt;
	uint32_t i;

	switch (wm->where) {
	case VHU_WS_IN_RECORD:
		return tvb_new_subset_length(tvb, data_off + (gint)wm->loc, (gint)wm->len);
	case VHU_WS_REASSEMBLED:
		for (i = 0; more && i < more->npieces; i++)
			if (more->pieces[i].last && more->pieces[i].frag_id == wm->loc && done[i] &&
			    tvb_captured_length(done[i]) == wm->len)
				return done[i];
		return NULL;
	default:
		break;
	}
	if (!m->bytes)
		return NULL;
	mt = tvb_new_child_real_data(tvb, m->bytes, wm->len, wm->len);
	add_new_data_source(pinfo, mt, wm->status == VHU_MSG_TRUNCATED ?
				       "Truncated vhost-user message" : "Reassembled vhost-user message");
	return mt;
}

/* mt: the message's tvb, or NULL without a tree (bytes are enough then). */
static void draw_message(packet_info *pinfo, struct vhu_ws_info *info, proto_tree *tree,
			 tvbuff_t *mt, struct vhu_ws_tap_msg *tm)
{
	struct vhu_ws_emit e;
	struct vhu_walk_opts wo;
	const char *saved_proto;

	memset(&wo, 0, sizeof(wo));
	wo.show_payload = vhu_ws_opts.show_payload;
	wo.max_payload = vhu_ws_opts.max_payload;
	/* No tree (tshark without -V or a filter): only the Info summary and
	 * the expert infos are wanted, so the walker formats no lines.  An
	 * invisible tree (a display filter, the colouring rules of the GUI's
	 * first pass) needs every value but no line anyone reads. */
	wo.summary_only = tree == NULL;
	wo.values_only = tree && !PTREE_DATA(tree)->visible;
	vhu_ws_emit_init(&e, pinfo, info, mt, tree);
	/* expert infos name the protocol that is current when they are added */
	saved_proto = pinfo->current_proto;
	pinfo->current_proto = VHU_PROTO_SHORT;
	vhu_walk_message(&tm->m, &tm->mi, &wo, &vhu_ws_emitter, &e);
	pinfo->current_proto = saved_proto;
	if (have_tap_listener(vhu_ws_tap))
		tap_queue_packet(vhu_ws_tap, pinfo, wmem_memdup(pinfo->pool, tm, sizeof(*tm)));
}

/* Message number index of the frame: its tvb and bytes, then its tree. */
static void dissect_message(tvbuff_t *tvb, packet_info *pinfo, struct vhu_ws_info *info,
			    proto_tree *tree, const uint8_t *bytes, gint data_off,
			    const struct vhu_ws_frame_more *more, tvbuff_t **done,
			    uint32_t index, const struct vhu_ws_msg *wm)
{
	struct vhu_ws_tap_msg tm;
	tvbuff_t *mt = NULL;
	uint64_t ts_ns = (uint64_t)pinfo->abs_ts.secs * 1000000000u + (uint64_t)pinfo->abs_ts.nsecs;

	vhu_ws_msg_expand(wm, pinfo->num, index, ts_ns, &tm.m, &tm.mi);
	if (index == 0) {
		const struct vhu_ws_ends *ends = vhu_ws_msg_ends(wm);

		set_endpoints(pinfo, ends->src, ends->dst);
	}
	/* without a tree, a message inside the record needs no tvb */
	if (!tree && wm->where == VHU_WS_IN_RECORD) {
		tm.m.bytes = bytes + data_off + wm->loc;
	} else {
		mt = message_tvb(tvb, pinfo, data_off, more, done, wm, &tm.m);
		/* a split message the fragment table does not give
		 * back (it always should) is left out, not drawn wrong */
		if (!mt)
			return;
		tm.m.bytes = wm->len ? tvb_get_ptr(mt, 0, (gint)wm->len) : NULL;
	}
	draw_message(pinfo, info, tree, mt, &tm);
}

/* seq: the frame's, or NULL (the first pass did not see the frame);
 * info: where the record's summary goes (NULL: the column) */
static void draw_record(tvbuff_t *tvb, packet_info *pinfo, struct vhu_ws_info *info,
			proto_tree *tree, const struct vhu_record *r, const char *comm,
			const struct vhu_seq_check *seq)
{
	struct vhu_ws_emit e;
	char line[VHU_TEXT_MAX];

	/* without a tree the record's lines go nowhere; its notes (lost
	 * records, out of sequence) still have to reach the expert infos.
	 * An invisible tree (a display filter, the GUI's colouring rules)
	 * needs the values, not the lines. */
	if (tree || (r->h.flags & VHU_RF_LOST) || (seq && seq->state > VHU_SEQ_NEXT)) {
		vhu_ws_emit_init(&e, pinfo, NULL, tvb, tree);
		if (tree && PTREE_DATA(tree)->visible)
			vhu_walk_record(r, comm, seq, &vhu_ws_emitter, &e);
		else
			vhu_walk_record_values(r, comm, seq, &vhu_ws_emitter, &e);
	}
	if (r->h.event == VHU_EV_DATA_SENT || r->h.event == VHU_EV_DATA_RECV)
		return;
	vhu_record_summary(r, comm, line, sizeof(line));
	vhu_ws_info_set(info, pinfo, line);
}

static int dissect_bad_record(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
			      enum vhu_rec_status st, uint32_t len)
{
	struct vhu_ws_emit e;

	vhu_ws_emit_init(&e, pinfo, NULL, tvb, tree);
	vhu_walk_bad_record(st, len, &vhu_ws_emitter, &e);	/* sets the Info column */
	return (int)len;
}

static int dissect_vhu_record(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
			      void *data _U_)
{
	uint32_t len = tvb_captured_length(tvb);
	const uint8_t *bytes;
	struct vhu_record r;
	enum vhu_rec_status st;
	const struct vhu_ws_frame *fr;
	const struct vhu_ws_frame_more *more;
	const struct vhu_ws_ends *ends;
	struct vhu_ws_info info = { NULL, 0, false, false };
	tvbuff_t **done;
	gint data_off;
	uint32_t i, j;

	col_set_str(pinfo->cinfo, COL_PROTOCOL, VHU_PROTO_SHORT);
	col_clear(pinfo->cinfo, COL_INFO);

	/* the record is parsed in place: r points into the tvb's bytes */
	bytes = len ? tvb_get_ptr(tvb, 0, (gint)len) : (const uint8_t *)"";
	st = vhu_rec_parse(bytes, len, &r);
	if (st != VHU_REC_OK)
		return dissect_bad_record(tvb, pinfo, tree, st, len);

	/* --disable-protocol vhost_user keeps only the record layer */
	if (!proto_is_protocol_enabled(find_protocol_by_id(proto_vhost_user))) {
		char line[VHU_TEXT_MAX];

		draw_record(tvb, pinfo, NULL, tree, &r, "", NULL);
		vhu_record_summary(&r, "", line, sizeof(line));
		col_add_str(pinfo->cinfo, COL_INFO, line);
		return (int)len;
	}
	if (!pinfo->fd->visited)
		vhu_ws_capture_feed(pinfo, &r);
	else
		vhu_ws_capture_finish();

	fr = vhu_ws_frame_get(pinfo->num);
	ends = fr ? vhu_ws_frame_ends(fr) : NULL;
	more = fr ? vhu_ws_frame_more(fr) : NULL;	/* NULL too: the next number */
	draw_record(tvb, pinfo, &info, tree, &r, ends ? ends->comm : "", more ? &more->seq : NULL);
	if (!fr)
		return (int)len;
	set_endpoints(pinfo, ends->src, ends->dst);

	data_off = r.data ? (gint)(r.data - bytes) : 0;
	done = more ? vhu_ws_frag_frame(tvb, data_off, pinfo, tree, more) : NULL;
	for (i = 0; i < fr->nmsgs; i++)
		dissect_message(tvb, pinfo, &info, tree, bytes, data_off, more, done, i,
				vhu_ws_msg_at(fr->first_msg + i));
	for (j = 0; more && more->late_msgs && j < wmem_array_get_count(more->late_msgs); j++)
		dissect_message(tvb, pinfo, &info, tree, bytes, data_off, more, done, i + j,
				vhu_ws_msg_at(*(const uint32_t *)wmem_array_index(more->late_msgs, j)));
	if (more && more->head_bytes && !fr->nmsgs && !more->late_msgs)
		col_append_sep_fstr(pinfo->cinfo, COL_INFO, VHU_WS_INFO_SEP,
				    "[%u bytes of a vhost-user message]", more->head_bytes);
	return (int)len;
}

/* ---- registration ---- */

void proto_register_vhost_user(void);
void proto_reg_handoff_vhost_user(void);

void proto_register_vhost_user(void)
{
	module_t *prefs;

	proto_vhost_user = proto_register_protocol(VHU_PROTO_NAME, VHU_PROTO_SHORT,
						   VHU_PROTO_FILTER);
	proto_vhost_user_rec = proto_register_protocol(VHU_REC_PROTO_NAME, VHU_REC_PROTO_SHORT,
						       VHU_REC_PROTO_FILTER);
	register_fields();
	register_subtrees();
	register_expert();
	vhu_ws_frag_register();

	prefs = prefs_register_protocol(proto_vhost_user, apply_prefs);
	prefs_register_uint_preference(prefs, "max_payload", "Maximum message payload",
		"One limit for every message type (0: each type's own, 65536 for most): a size "
		"field above it marks the message malformed and only its header is decoded",
		10, &pref_max_payload);
	prefs_register_bool_preference(prefs, "show_payload", "Show raw payload bytes",
		"Also add each message's payload as a bytes field (vhost_user.payload)",
		&pref_show_payload);

	vhu_rec_handle = register_dissector(VHU_REC_DISSECTOR_NAME, dissect_vhu_record,
					   proto_vhost_user_rec);
	vhu_ws_tap = register_tap(VHU_PROTO_FILTER);
	register_init_routine(vhu_ws_capture_init);
	register_cleanup_routine(vhu_ws_capture_cleanup);
	vhu_ws_stats_register();
}

void proto_reg_handoff_vhost_user(void)
{
	apply_prefs();
}
