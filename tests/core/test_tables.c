/* SPDX-License-Identifier: MIT */
/*
 * \summary: consistency of the core's tables: every id has a name and
 * layouts, filter names are unique, every named bit has its field, names
 * parse back, every layout has a walker, a size rule and a sample, the
 * header validator accepts exactly what it should.
 */
#include <stdio.h>
#include <string.h>

#include "samples.h"
#include "test_emit.h"
#include "vhu_le.h"
#include "vhu_msgs.h"
#include "vhu_proto.h"
#include "vhu_session.h"
#include "vhu_walk.h"

static int failures;

static void test_messages(void)
{
	static const unsigned chans[] = { VHU_CHAN_MAIN, VHU_CHAN_BACKEND, VHU_CHAN_GPU };
	static const uint32_t maxes[] = { VHU_FE_REQ_MAX, VHU_BE_REQ_MAX, VHU_GPU_REQ_MAX };
	size_t c;

	for (c = 0; c < 3; c++) {
		uint32_t id;

		CHECK_EQ(vhu_msg_max(chans[c]), maxes[c]);
		CHECK(vhu_msg_lookup(chans[c], 0) == NULL);
		CHECK(vhu_msg_lookup(chans[c], maxes[c] + 1) == NULL);
		CHECK(vhu_msg_lookup(chans[c], 0xffffffffu) == NULL);
		for (id = 1; id <= maxes[c]; id++) {
			const struct vhu_msg_desc *d = vhu_msg_lookup(chans[c], id);
			unsigned pc;
			uint32_t pid;

			CHECKF(d != NULL, "channel %u request %u has no row", chans[c], id);
			if (!d)
				continue;
			CHECKF(strncmp(d->name, "VHOST_USER_", 11) == 0, "%s", d->name);
			CHECKF(strcmp(d->name + 11, d->summary_name) == 0, "%s", d->name);
			CHECKF(d->req != VHU_L_NONE && d->req < VHU_L__COUNT, "%s: request layout %d", d->name, d->req);
			CHECKF(d->reply < VHU_L__COUNT, "%s: reply layout %d", d->name, d->reply);
			/* answered messages have a reply layout */
			if (d->reply_rule == VHU_R_ALWAYS)
				CHECKF(d->reply != VHU_L_NONE, "%s is always answered but has no reply layout", d->name);
			/* names parse back to the same row */
			CHECKF(vhu_msg_parse_name(d->name, &pc, &pid) && pc == chans[c] && pid == id, "%s", d->name);
			CHECKF(vhu_msg_parse_name(d->summary_name, &pc, &pid) && pc == chans[c] && pid == id,
			       "%s", d->summary_name);
		}
	}
	/* aliases and user spellings */
	{
		unsigned ch;
		uint32_t id;

		CHECK(vhu_msg_parse_name("set_mem_table", &ch, &id) && ch == VHU_CHAN_MAIN && id == VHU_SET_MEM_TABLE);
		CHECK(vhu_msg_parse_name("VHOST_USER_SET_SLAVE_REQ_FD", &ch, &id) && id == VHU_SET_BACKEND_REQ_FD);
		CHECK(vhu_msg_parse_name("slave_iotlb_msg", &ch, &id) && ch == VHU_CHAN_BACKEND && id == VHU_BACKEND_IOTLB_MSG);
		CHECK(vhu_msg_parse_name("VHOST_USER_CRYPTO_CREATE_SESS", &ch, &id) && id == VHU_CREATE_CRYPTO_SESSION);
		CHECK(vhu_msg_parse_name("12", &ch, &id) && id == 12);
		CHECK(!vhu_msg_parse_name("set_mem", &ch, &id));
		CHECK(!vhu_msg_parse_name("bogus", &ch, &id));
		CHECK(!vhu_msg_parse_name("", &ch, &id));
	}
}

/* Every layout has a walker, a size rule and a sample that fits the rule,
 * and every layout is used: by a row of the message tables, or (the ack)
 * by the walker's reading of the state. */
static void test_layouts(void)
{
	static const unsigned chans[] = { VHU_CHAN_MAIN, VHU_CHAN_BACKEND, VHU_CHAN_GPU };
	static uint8_t payload[20000];
	bool used[VHU_L__COUNT] = { false };
	struct vhu_msg_info mi;
	size_t c;
	int l;

	for (c = 0; c < 3; c++) {
		uint32_t id;

		for (id = 1; id <= vhu_msg_max(chans[c]); id++) {
			const struct vhu_msg_desc *d = vhu_msg_lookup(chans[c], id);

			if (d)
				used[d->req] = used[d->reply] = true;
		}
	}
	used[VHU_L_ACK] = true;
	memset(&mi, 0, sizeof(mi));
	for (l = 0; l < VHU_L__COUNT; l++) {
		unsigned nfds;
		uint8_t kind;
		uint32_t size = sample_payload((enum vhu_layout)l, payload, &nfds, &kind, 0);

		CHECKF(vhu_layout_described((enum vhu_layout)l), "layout %d has no walker or size rule", l);
		CHECKF(vhu_layout_size_ok((enum vhu_layout)l, &mi, size), "layout %d: sample of %u bytes", l, size);
		if (l != VHU_L_NONE && l != VHU_L_EMPTY)
			CHECKF(size > 0, "layout %d has no sample", l);
		CHECKF(used[l], "layout %d: no message uses it", l);
	}
	CHECK(!vhu_layout_described(VHU_L__COUNT));
}

static void test_fields(void)
{
	int i, j, n;

	vhu_fields_init();
	vhu_fields_init(); /* idempotent */
	n = vhu_field_count();
	CHECK(n > VHU_F__STATIC_COUNT + 100);
	for (i = 0; i < n; i++) {
		const struct vhu_field *f = vhu_field_get(i);

		CHECKF(f && f->abbrev && f->label && f->label[0], "field %d", i);
		if (!f)
			continue;
		if (f->type == VHU_FT_BOOL)
			CHECKF(f->mask != 0 && (f->base == 16 || f->base == 32 || f->base == 64), "%s", f->abbrev);
		for (j = i + 1; j < n; j++) {
			const struct vhu_field *g = vhu_field_get(j);

			if (strcmp(f->abbrev, g->abbrev) == 0) {
				fprintf(stderr, "duplicate filter name %s\n", f->abbrev);
				failures++;
			}
		}
		/* filter names: lower case, digits, '_' and '.' */
		for (j = 0; f->abbrev[j]; j++) {
			char ch = f->abbrev[j];

			CHECKF((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.',
			       "%s", f->abbrev);
		}
	}
	CHECK(vhu_field_get(-1) == NULL && vhu_field_get(n) == NULL);
	/* every named bit has a boolean field */
	{
		const struct vhu_bit_table *t;

		for (t = vhu_all_bit_tables; t->word; t++) {
			const struct vhu_bit *b;

			for (b = t->bits; b->name; b++)
				CHECKF(vhu_bit_field(t->bits, b->bit) >= 0, "%s", b->name);
		}
	}
	CHECK(strcmp(vhu_feature_name(VHU_DEV_NET, 15), "VIRTIO_NET_F_MRG_RXBUF") == 0);
	CHECK(strcmp(vhu_feature_name(VHU_DEV_BLK, 34), "VIRTIO_F_RING_PACKED") == 0);
	CHECK(strcmp(vhu_feature_name(VHU_DEV_UNKNOWN, 5), "") == 0);
	CHECK(strcmp(vhu_pfeature_name(3), "VHOST_USER_PROTOCOL_F_REPLY_ACK") == 0);
	CHECK(strcmp(vhu_pfeature_name(23), "VHOST_USER_PROTOCOL_F_GET_VRING_BASE_SKIP_DRAIN") == 0);
	/* historical names of protocol feature bits are kept, as field blurbs */
	{
		const struct vhu_field *f = vhu_field_get(vhu_bit_field(vhu_bits_protocol, 5));

		CHECK(f && f->blurb && strstr(f->blurb, "VHOST_USER_PROTOCOL_F_SLAVE_REQ"));
		f = vhu_field_get(vhu_bit_field(vhu_bits_protocol, 4));
		CHECK(f && f->blurb && strstr(f->blurb, "VHOST_USER_PROTOCOL_F_MTU"));
	}
	for (i = 0; i < VHU_N__COUNT; i++)
		CHECKF(vhu_note_get(i) && vhu_note_get(i)->abbrev && vhu_note_get(i)->summary, "note %d", i);
}

static void test_plausible(void)
{
	uint8_t h[12];

	vhu_put_le32(h, VHU_GET_FEATURES);
	vhu_put_le32(h + 4, 1);
	vhu_put_le32(h + 8, 0);
	CHECK(vhu_hdr_plausible(h, 12));
	CHECK(!vhu_hdr_plausible(h, 11));
	vhu_put_le32(h + 4, 5);
	CHECK(vhu_hdr_plausible(h, 12));	/* a reply */
	vhu_put_le32(h + 4, 2);
	CHECK(!vhu_hdr_plausible(h, 12));	/* version 2 */
	vhu_put_le32(h + 4, 0x11);
	CHECK(!vhu_hdr_plausible(h, 12));	/* reserved bit */
	vhu_put_le32(h + 4, 1);
	vhu_put_le32(h + 8, 0x10000000);
	CHECK(!vhu_hdr_plausible(h, 12));	/* huge size */
	vhu_put_le32(h + 8, 8);
	vhu_put_le32(h, 0);
	CHECK(!vhu_hdr_plausible(h, 12));	/* id 0 */
	vhu_put_le32(h, VHU_FE_REQ_MAX + 1);
	CHECK(!vhu_hdr_plausible(h, 12));
	memcpy(h, "{\"execute\":", 11);	/* QMP */
	CHECK(!vhu_hdr_plausible(h, 12));
}

/* Ids out of a table and channels out of the enum: no row, or the main
 * channel's, as before the lookup was inline. */
static void test_lookup_edges(void)
{
	CHECK(!vhu_msg_lookup(VHU_CHAN_MAIN, 0));
	CHECK(!vhu_msg_lookup(VHU_CHAN_MAIN, VHU_FE_REQ_MAX + 1));
	CHECK(!vhu_msg_lookup(VHU_CHAN_GPU, UINT32_MAX));
	CHECK(vhu_msg_lookup(VHU_CHAN_BACKEND, VHU_BE_REQ_MAX) != NULL);
	CHECK(vhu_msg_lookup(VHU_CHAN_UNKNOWN, VHU_GET_FEATURES) ==
	      vhu_msg_lookup(VHU_CHAN_MAIN, VHU_GET_FEATURES));
	CHECK(vhu_msg_lookup(200, VHU_SET_MEM_TABLE) == vhu_msg_lookup(VHU_CHAN_MAIN, VHU_SET_MEM_TABLE));
}

/* A side of a row that carries no fd expects none, whichever layout the
 * message is read with (request, reply, ack, postcopy's u64, any size):
 * vhu_walk_expected_fds() answers those from the row alone. */
static void test_no_fd_rows(void)
{
	static const unsigned chans[] = { VHU_CHAN_MAIN, VHU_CHAN_BACKEND, VHU_CHAN_GPU };
	static const uint32_t sizes[] = { 0, 8, 16, 40 };
	uint8_t buf[VHU_HDR_SIZE + 40];
	size_t c, k;
	unsigned variant;

	memset(buf, 0, sizeof(buf));
	for (c = 0; c < 3; c++) {
		uint32_t id;

		for (id = 1; id <= vhu_msg_max(chans[c]); id++) {
			const struct vhu_msg_desc *d = vhu_msg_lookup(chans[c], id);

			for (variant = 0; d && variant < 32; variant++) {
				struct vhu_msg_info mi = { .channel = (uint8_t)chans[c] };
				struct vhu_msg m = { .bytes = buf, .request = id };

				mi.is_reply = variant & 1;
				mi.reply_is_ack = (variant >> 1) & 1;
				mi.matched = (variant >> 2) & 1;
				mi.postcopy = (variant >> 3) & 1;
				m.nfds = (variant >> 4) & 1;
				if ((mi.is_reply ? d->reply_fds : d->req_fds) != VHU_FDS_NONE)
					continue;
				for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
					m.size = sizes[k];
					m.len = VHU_HDR_SIZE + sizes[k];
					CHECKF(vhu_walk_expected_fds(&m, &mi, d) == 0, "%s variant %u size %u",
					       d->name, variant, sizes[k]);
				}
			}
		}
	}
}

/* The payload limits, read from a table made at the first call: the
 * types with a limit of their own have it, an unknown id has none, an
 * unknown channel reads as the main one. */
static void test_size_limits(void)
{
	unsigned c;
	uint32_t id;

	CHECK_EQ(vhu_msg_size_limit(VHU_CHAN_MAIN, VHU_GET_CONFIG), 12 + 4096);
	CHECK_EQ(vhu_msg_size_limit(VHU_CHAN_MAIN, VHU_SET_CONFIG), 12 + 4096);
	CHECK_EQ(vhu_msg_size_limit(VHU_CHAN_GPU, VHU_GPU_UPDATE), 20 + 8192u * 8192u * 4u);
	CHECK_EQ(vhu_msg_size_limit(VHU_CHAN_MAIN, VHU_SET_MEM_TABLE), 0);
	CHECK_EQ(vhu_msg_size_limit(VHU_CHAN_MAIN, UINT32_MAX), 0);
	for (c = 0; c <= VHU_CHAN_GPU + 2; c++) {
		for (id = 0; id <= VHU_FE_REQ_MAX + 2; id++) {
			uint32_t l = vhu_msg_size_limit(c, id);

			if (!vhu_msg_lookup(c, id))
				CHECKF(l == 0, "channel %u id %u: %u", c, id, l);
			if (c == VHU_CHAN_UNKNOWN || c > VHU_CHAN_GPU)
				CHECK_EQ(l, vhu_msg_size_limit(VHU_CHAN_MAIN, id));
		}
	}
}

int main(void)
{
	test_messages();
	test_layouts();
	test_fields();
	test_plausible();
	test_lookup_edges();
	test_no_fd_rows();
	test_size_limits();
	printf("test_tables: %d failures\n", failures);
	return failures ? 1 : 0;
}
