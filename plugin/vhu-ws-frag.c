/* SPDX-License-Identifier: MIT */
/*
 * vhu-ws-frag.c - messages split across capture records, shown the way
 * Wireshark shows any reassembled PDU: the fragment tree and the
 * reassembled data source in the frame that completes a message, and
 * "reassembled in" in the frames that carry its first bytes.
 *
 * The core session decides where messages start and end (it sees the
 * stream, Wireshark does not); it hands the plugin the pieces of each split
 * message, and the plugin feeds exactly those to a reassembly table keyed
 * by a capture-wide message id.  Messages inside one record never go
 * through the table: they are shown over the record's own bytes.
 */
#include "vhu-ws.h"

#include <epan/reassemble.h>

#include "vhu_proto.h"

static reassembly_table vhu_frag_table;

static int hf_fragments = -1;
static int hf_fragment = -1;
static int hf_fragment_overlap = -1;
static int hf_fragment_overlap_conflict = -1;
static int hf_fragment_multiple_tails = -1;
static int hf_fragment_too_long = -1;
static int hf_fragment_error = -1;
static int hf_fragment_count = -1;
static int hf_reassembled_in = -1;
static int hf_reassembled_length = -1;
static int hf_reassembled_data = -1;
static gint ett_fragment = -1;
static gint ett_fragments = -1;

static const fragment_items vhu_frag_items = {
	&ett_fragment, &ett_fragments,
	&hf_fragments, &hf_fragment,
	&hf_fragment_overlap, &hf_fragment_overlap_conflict,
	&hf_fragment_multiple_tails, &hf_fragment_too_long,
	&hf_fragment_error, &hf_fragment_count,
	&hf_reassembled_in, &hf_reassembled_length, &hf_reassembled_data,
	"Message fragments"
};

/* The key is the message id itself: the session already told the streams
 * apart, so no addresses are needed. */
static gpointer frag_key(const packet_info *pinfo _U_, const guint32 id, const void *data _U_)
{
	return GUINT_TO_POINTER(id);
}

static void frag_key_free(gpointer key _U_)
{
}

static const reassembly_table_functions vhu_frag_functions = {
	g_direct_hash, g_direct_equal, frag_key, frag_key, frag_key_free, frag_key_free
};

#define FRAG_HF(id, name, abbrev, type, display, blurb) \
	{ &(id), { name, VHU_PROTO_FILTER "." abbrev, type, display, NULL, 0x0, blurb, HFILL } }

void vhu_ws_frag_register(void)
{
	static hf_register_info hf[] = {
		FRAG_HF(hf_fragments, "Message fragments", "fragments", FT_NONE, BASE_NONE,
			"The records that carry the bytes of a message split across records"),
		FRAG_HF(hf_fragment, "Message fragment", "fragment", FT_FRAMENUM, BASE_NONE,
			"A record that carries bytes of this message"),
		FRAG_HF(hf_fragment_overlap, "Message fragment overlap", "fragment.overlap",
			FT_BOOLEAN, BASE_NONE, NULL),
		FRAG_HF(hf_fragment_overlap_conflict, "Message fragment overlapping with conflicting data",
			"fragment.overlap.conflicts", FT_BOOLEAN, BASE_NONE, NULL),
		FRAG_HF(hf_fragment_multiple_tails, "Message has multiple tail fragments",
			"fragment.multiple_tails", FT_BOOLEAN, BASE_NONE, NULL),
		FRAG_HF(hf_fragment_too_long, "Message fragment too long",
			"fragment.too_long_fragment", FT_BOOLEAN, BASE_NONE, NULL),
		FRAG_HF(hf_fragment_error, "Message defragmentation error", "fragment.error",
			FT_FRAMENUM, BASE_NONE, NULL),
		FRAG_HF(hf_fragment_count, "Message fragment count", "fragment.count",
			FT_UINT32, BASE_DEC, NULL),
		FRAG_HF(hf_reassembled_in, "Reassembled in", "reassembled_in", FT_FRAMENUM, BASE_NONE,
			"The frame whose record completes the message these bytes start"),
		FRAG_HF(hf_reassembled_length, "Reassembled message length", "reassembled.length",
			FT_UINT32, BASE_DEC, NULL),
		FRAG_HF(hf_reassembled_data, "Reassembled message data", "reassembled.data",
			FT_BYTES, BASE_NONE, NULL),
	};
	static gint *ett[] = { &ett_fragment, &ett_fragments };

	proto_register_field_array(proto_vhost_user, hf, array_length(hf));
	proto_register_subtree_array(ett, array_length(ett));
	reassembly_table_register(&vhu_frag_table, &vhu_frag_functions);
}

tvbuff_t **vhu_ws_frag_frame(tvbuff_t *tvb, gint data_off, packet_info *pinfo,
			     proto_tree *tree, const struct vhu_ws_frame_more *more)
{
	tvbuff_t **done;
	uint32_t i;

	if (!more->npieces)
		return NULL;
	done = wmem_alloc0_array(pinfo->pool, tvbuff_t *, more->npieces);
	for (i = 0; i < more->npieces; i++) {
		const struct vhu_ws_piece *p = &more->pieces[i];
		gint off = data_off + (gint)p->rec_off;
		fragment_head *head;

		if (vhu_ws_frag_kept_whole(p->frag_id))
			continue;
		head = fragment_add_check(&vhu_frag_table, tvb, off, pinfo, p->frag_id, NULL,
					  p->msg_off, p->len, !p->last);
		done[i] = process_reassembled_data(tvb, off, pinfo, "Reassembled vhost-user message",
						   head, &vhu_frag_items, NULL, tree);
	}
	return done;
}
