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
int vhu_ws_hf_reassembled_in = -1;
gint vhu_ws_ett[VHU_ETT__COUNT];
expert_field vhu_ws_ei[VHU_N__COUNT];

static dissector_handle_t vhu_rec_handle;

/* Several messages completed by one record share the Info column. */
#define VHU_WS_INFO_SEP " ; "

/* ---- preferences ---- */

static guint pref_max_payload = VHU_DEFAULT_MAX_PAYLOAD;
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
	hf_msg = g_new0(hf_register_info, n + 1);
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

	/* the one field of the plugin's own: where a message's head went */
	hf_msg[nmsg].p_id = &vhu_ws_hf_reassembled_in;
	hf_msg[nmsg].hfinfo.name = "Message completed in";
	hf_msg[nmsg].hfinfo.abbrev = VHU_PROTO_FILTER ".reassembled_in";
	hf_msg[nmsg].hfinfo.type = FT_FRAMENUM;
	hf_msg[nmsg].hfinfo.display = BASE_NONE;
	hf_msg[nmsg].hfinfo.blurb = "The frame whose record completes the message these bytes start";
	HFILL_INIT(hf_msg[nmsg]);
	nmsg++;

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
	};
	expert_module_t *m = expert_register_protocol(proto_vhost_user);

	expert_register_field_array(m, ei, array_length(ei));
}

/* ---- dissection ---- */

static void set_endpoints(packet_info *pinfo, const char *src, const char *dst)
{
	if (!src || !dst)
		return;
	set_address(&pinfo->src, AT_STRINGZ, (int)strlen(src) + 1, src);
	set_address(&pinfo->dst, AT_STRINGZ, (int)strlen(dst) + 1, dst);
	copy_address_shallow(&pinfo->net_src, &pinfo->src);
	copy_address_shallow(&pinfo->net_dst, &pinfo->dst);
}

static tvbuff_t *message_tvb(tvbuff_t *tvb, packet_info *pinfo, const struct vhu_record *r,
			     const uint8_t *rec_bytes, const struct vhu_ws_msg *wm)
{
	tvbuff_t *mt;

	if (wm->in_record && r->data) {
		gint data_off = (gint)(r->data - rec_bytes);

		return tvb_new_subset_length(tvb, data_off + (gint)wm->rec_off, (gint)wm->m.len);
	}
	if (!wm->m.bytes)
		return tvb_new_subset_length(tvb, 0, 0);
	mt = tvb_new_child_real_data(tvb, wm->m.bytes, wm->m.len, wm->m.len);
	add_new_data_source(pinfo, mt, "Reassembled vhost-user message");
	return mt;
}

static void draw_message(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
			 const struct vhu_record *r, const uint8_t *rec_bytes,
			 const struct vhu_ws_msg *wm)
{
	struct vhu_ws_emit e;
	struct vhu_walk_opts wo;
	const char *saved_proto;

	memset(&wo, 0, sizeof(wo));
	wo.show_payload = vhu_ws_opts.show_payload;
	wo.max_payload = vhu_ws_opts.max_payload;
	/* No tree (tshark without -V or a filter): only the Info summary and
	 * the expert infos are wanted, so the walker formats no lines. */
	wo.summary_only = tree == NULL;
	vhu_ws_emit_init(&e, pinfo, message_tvb(tvb, pinfo, r, rec_bytes, wm), tree);
	/* expert infos name the protocol that is current when they are added */
	saved_proto = pinfo->current_proto;
	pinfo->current_proto = VHU_PROTO_SHORT;
	vhu_walk_message(&wm->m, &wm->mi, &wo, &vhu_ws_emitter, &e);
	pinfo->current_proto = saved_proto;
	if (e.summary)
		col_append_sep_str(pinfo->cinfo, COL_INFO, VHU_WS_INFO_SEP, e.summary);
	tap_queue_packet(vhu_ws_tap, pinfo, wm);
}

/* A record whose bytes only start a message: say where it ends. */
static void draw_head(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
		      const struct vhu_ws_frame *fr, bool alone)
{
	uint32_t done = vhu_ws_head_completed_in(fr);
	proto_item *pi;

	if (alone)
		col_append_sep_fstr(pinfo->cinfo, COL_INFO, VHU_WS_INFO_SEP,
				    "[%u bytes of a vhost-user message]", fr->head_bytes);
	if (!done)
		return;
	pi = proto_tree_add_uint(tree, vhu_ws_hf_reassembled_in, tvb, 0, 0, done);
	proto_item_set_generated(pi);
}

static void draw_record(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
			const struct vhu_record *r, const char *comm)
{
	struct vhu_ws_emit e;
	char line[VHU_TEXT_MAX];

	/* without a tree the record's lines go nowhere; its only note (lost
	 * records) still has to reach the expert infos */
	if (tree || (r->h.flags & VHU_RF_LOST)) {
		vhu_ws_emit_init(&e, pinfo, tvb, tree);
		vhu_walk_record(r, comm, &vhu_ws_emitter, &e);
	}
	if (r->h.event == VHU_EV_DATA_SENT || r->h.event == VHU_EV_DATA_RECV)
		return;
	vhu_record_summary(r, comm, line, sizeof(line));
	col_add_str(pinfo->cinfo, COL_INFO, line);
}

static int dissect_bad_record(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
			      enum vhu_rec_status st, uint32_t len)
{
	struct vhu_ws_emit e;

	vhu_ws_emit_init(&e, pinfo, tvb, tree);
	vhu_walk_bad_record(st, len, &vhu_ws_emitter, &e);
	col_add_str(pinfo->cinfo, COL_INFO, e.summary ? e.summary : vhu_rec_status_str(st));
	return (int)len;
}

static int dissect_vhu_record(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
			      void *data _U_)
{
	uint32_t len = tvb_captured_length(tvb);
	uint8_t *bytes;
	struct vhu_record *r;
	enum vhu_rec_status st;
	struct vhu_ws_frame *fr;
	guint i, n = 0;

	col_set_str(pinfo->cinfo, COL_PROTOCOL, VHU_PROTO_SHORT);
	col_clear(pinfo->cinfo, COL_INFO);

	bytes = (uint8_t *)tvb_memdup(pinfo->pool, tvb, 0, len);
	r = wmem_new0(pinfo->pool, struct vhu_record);
	st = vhu_rec_parse(bytes, len, r);
	if (st != VHU_REC_OK)
		return dissect_bad_record(tvb, pinfo, tree, st, len);

	/* --disable-protocol vhost_user keeps only the record layer */
	if (!proto_is_protocol_enabled(find_protocol_by_id(proto_vhost_user))) {
		char line[VHU_TEXT_MAX];

		draw_record(tvb, pinfo, tree, r, "");
		vhu_record_summary(r, "", line, sizeof(line));
		col_add_str(pinfo->cinfo, COL_INFO, line);
		return (int)len;
	}
	if (!pinfo->fd->visited)
		vhu_ws_capture_feed(pinfo, r, bytes);
	else
		vhu_ws_capture_finish();

	fr = vhu_ws_frame_get(pinfo->num);
	draw_record(tvb, pinfo, tree, r, fr ? fr->comm : "");
	if (!fr)
		return (int)len;
	set_endpoints(pinfo, fr->src, fr->dst);

	n = wmem_array_get_count(fr->msgs);
	for (i = 0; i < n; i++) {
		struct vhu_ws_msg *wm = *(struct vhu_ws_msg **)wmem_array_index(fr->msgs, i);

		if (i == 0)
			set_endpoints(pinfo, wm->src, wm->dst);
		draw_message(tvb, pinfo, tree, r, bytes, wm);
	}
	if (fr->has_head)
		draw_head(tvb, pinfo, tree, fr, n == 0);
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

	prefs = prefs_register_protocol(proto_vhost_user, apply_prefs);
	prefs_register_uint_preference(prefs, "max_payload", "Maximum message payload",
		"A size field above this many bytes marks the message malformed and only its "
		"header is decoded (the capture is resynchronised after it)",
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
