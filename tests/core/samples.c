/* SPDX-License-Identifier: MIT */
/* \summary: valid example payloads for every layout of the core's tables */
#include "samples.h"

#include <string.h>

#include "vhu_le.h"
#include "vhu_proto.h"
#include "vhu_record.h"

void sample_header(uint8_t *p, uint32_t req, uint32_t flags, uint32_t size)
{
	vhu_put_le32(p, req);
	vhu_put_le32(p + 4, flags);
	vhu_put_le32(p + 8, size);
}

uint32_t sample_payload(enum vhu_layout l, uint8_t *p, unsigned *nfds, uint8_t *kind, int reply)
{
	uint32_t i;

	*nfds = 0;
	*kind = VHU_FDK_OTHER;
	switch (l) {
	case VHU_L_NONE:
	case VHU_L_EMPTY:
		return 0;
	case VHU_L_QUEUE_NUM:
	case VHU_L_MAX_MEM_SLOTS:
		vhu_put_le64(p, 8);
		return 8;
	case VHU_L_MTU:
		vhu_put_le64(p, 1500);
		return 8;
	case VHU_L_ACK:
		vhu_put_le64(p, 0);
		return 8;
	case VHU_L_SESSION_ID:
		vhu_put_le64(p, 7);
		return 8;
	case VHU_L_FEATURES:
		vhu_put_le64(p, VHU_BIT(32) | VHU_BIT(30) | VHU_BIT(28) | VHU_BIT(15) | VHU_BIT(1));
		return 8;
	case VHU_L_PROTOCOL_FEATURES:
		vhu_put_le64(p, 0x1fbf);
		return 8;
	case VHU_L_GPU_PROTOCOL_FEATURES:
		vhu_put_le64(p, 3);
		return 8;
	case VHU_L_STATUS:
		vhu_put_le64(p, 0xf);
		return 8;
	case VHU_L_RARP:
		memset(p, 0, 8);
		p[0] = 0x52; p[1] = 0x54; p[5] = 0x12;
		return 8;
	case VHU_L_VRING_STATE:
		vhu_put_le32(p, 1);
		vhu_put_le32(p + 4, 0);	/* GET_VRING_BASE and the kicks leave num 0 */
		return 8;
	case VHU_L_VRING_NUM:
		vhu_put_le32(p, 1);
		vhu_put_le32(p + 4, 256);
		return 8;
	case VHU_L_VRING_ENABLE:
	case VHU_L_VRING_ENDIAN:
		vhu_put_le32(p, 1);
		vhu_put_le32(p + 4, 1);
		return 8;
	case VHU_L_VRING_BASE:
		vhu_put_le32(p, 1);
		vhu_put_le32(p + 4, 42);
		return 8;
	case VHU_L_VRING_ADDR:
		vhu_put_le32(p, 1);
		vhu_put_le32(p + 4, 0);
		vhu_put_le64(p + 8, 0x7f0000001000ull);
		vhu_put_le64(p + 16, 0x7f0000002000ull);
		vhu_put_le64(p + 24, 0x7f0000003000ull);
		vhu_put_le64(p + 32, 0);
		return 40;
	case VHU_L_VRING_FILE:
		vhu_put_le64(p, 1);
		*nfds = 1;
		*kind = VHU_FDK_EVENTFD;
		return 8;
	case VHU_L_VRING_AREA:
		vhu_put_le64(p, 0x101); /* NOFD: de-register */
		vhu_put_le64(p + 8, 0x1000);
		vhu_put_le64(p + 16, 0);
		return 24;
	case VHU_L_MEM_TABLE:
		vhu_put_le32(p, 2);
		vhu_put_le32(p + 4, 0);
		for (i = 0; i < 2; i++) {
			uint8_t *r = p + 8 + i * 32;

			vhu_put_le64(r, i ? 0x100000000ull : 0);
			vhu_put_le64(r + 8, i ? 0x40000000ull : 0xc0000000ull);
			vhu_put_le64(r + 16, 0x7f1000000000ull + i * 0x100000000ull);
			vhu_put_le64(r + 24, i ? 0xc0000000ull : 0);
		}
		*nfds = reply ? 0 : 2;
		*kind = VHU_FDK_MEMFD;
		return 8 + 64;
	case VHU_L_MEM_REGION:
		vhu_put_le64(p, 0);
		vhu_put_le64(p + 8, 0x100000);
		vhu_put_le64(p + 16, 0x200000);
		vhu_put_le64(p + 24, 0x7f2000000000ull);
		vhu_put_le64(p + 32, 0);
		*nfds = reply ? 0 : 1;
		*kind = VHU_FDK_MEMFD;
		return 40;
	case VHU_L_LOG:
		vhu_put_le64(p, 0x40000);
		vhu_put_le64(p + 8, 0);
		*nfds = 1;
		*kind = VHU_FDK_MEMFD;
		return 16;
	case VHU_L_LOG_REPLY:
		vhu_put_le64(p, 0x40000);
		return 8;
	case VHU_L_IOTLB:
		memset(p, 0, 32);
		vhu_put_le64(p, 0x1000);
		vhu_put_le64(p + 8, 0x2000);
		vhu_put_le64(p + 16, 0x7f3000000000ull);
		p[24] = 3;
		p[25] = 2;
		return 32;
	case VHU_L_CONFIG:
		vhu_put_le32(p, 0);
		vhu_put_le32(p + 4, 8);
		vhu_put_le32(p + 8, 0);
		for (i = 0; i < 8; i++)
			p[12 + i] = (uint8_t)(i + 1);
		return 20;
	case VHU_L_CRYPTO_SESSION:
		memset(p, 0, 1072);
		vhu_put_le64(p, 0x0002);
		vhu_put_le32(p + 8, 3);
		vhu_put_le32(p + 12, 16);
		vhu_put_le64(p + 1064, reply ? 5 : (uint64_t)-1);
		return 1072;
	case VHU_L_INFLIGHT:
		memset(p, 0, 24);
		if (reply) {
			vhu_put_le64(p, 0x2000);
			*nfds = 1;
			*kind = VHU_FDK_MEMFD;
		}
		vhu_put_le16(p + 16, 2);
		vhu_put_le16(p + 18, 256);
		return 24;
	case VHU_L_SHARED_OBJECT:
		for (i = 0; i < 16; i++)
			p[i] = (uint8_t)(0x10 + i);
		return 16;
	case VHU_L_DEVICE_STATE:
		vhu_put_le32(p, 0);
		vhu_put_le32(p + 4, 0);
		*nfds = 1;
		*kind = VHU_FDK_PIPE;
		return 8;
	case VHU_L_DEVICE_STATE_REPLY:
		vhu_put_le64(p, 0x100);
		return 8;
	case VHU_L_SHMEM_MAP:
		memset(p, 0, 40);
		p[0] = 1;
		vhu_put_le64(p + 8, 0);
		vhu_put_le64(p + 16, 0x10000);
		vhu_put_le64(p + 24, 0x1000);
		vhu_put_le64(p + 32, 1);
		*nfds = 1;
		*kind = VHU_FDK_MEMFD;
		return 40;
	case VHU_L_SHMEM_CONFIG:
		memset(p, 0, 2056);
		vhu_put_le32(p, 2);
		vhu_put_le64(p + 8, 0x100000);
		vhu_put_le64(p + 16, 0x200000);
		return 2056;
	case VHU_L_GPU_CURSOR_POS:
		vhu_put_le32(p, 0);
		vhu_put_le32(p + 4, 10);
		vhu_put_le32(p + 8, 20);
		return 12;
	case VHU_L_GPU_CURSOR_UPDATE:
		memset(p, 0, 16404);
		vhu_put_le32(p + 4, 10);
		vhu_put_le32(p + 8, 20);
		vhu_put_le32(p + 12, 1);
		vhu_put_le32(p + 16, 2);
		return 16404;
	case VHU_L_GPU_SCANOUT:
		vhu_put_le32(p, 0);
		vhu_put_le32(p + 4, 1024);
		vhu_put_le32(p + 8, 768);
		return 12;
	case VHU_L_GPU_UPDATE:
		memset(p, 0, 36);
		vhu_put_le32(p + 12, 2);
		vhu_put_le32(p + 16, 2);
		return 36;
	case VHU_L_GPU_DMABUF_SCANOUT:
	case VHU_L_GPU_DMABUF_SCANOUT2:
		memset(p, 0, 48);
		vhu_put_le32(p + 12, 1024);
		vhu_put_le32(p + 16, 768);
		vhu_put_le32(p + 20, 1024);
		vhu_put_le32(p + 24, 768);
		vhu_put_le32(p + 28, 4096);
		vhu_put_le32(p + 36, 0x34325258);
		*nfds = 1;
		*kind = VHU_FDK_OTHER;
		return l == VHU_L_GPU_DMABUF_SCANOUT ? 40 : 48;
	case VHU_L_GPU_EDID_REQUEST:
		vhu_put_le32(p, 0);
		return 4;
	case VHU_L_GPU_DISPLAY_INFO:
		memset(p, 0, 408);
		vhu_put_le32(p, 0x1101);
		vhu_put_le32(p + 24 + 8, 1024);
		vhu_put_le32(p + 24 + 12, 768);
		vhu_put_le32(p + 24 + 16, 1);
		return 408;
	case VHU_L_GPU_EDID:
		memset(p, 0, 1056);
		vhu_put_le32(p, 0x1104);
		vhu_put_le32(p + 24, 128);
		return 1056;
	case VHU_L__COUNT:
		break;
	}
	return 0;
}

int sample_build(struct sample *s, unsigned channel, uint32_t id, int reply, int need_reply)
{
	const struct vhu_msg_desc *d = vhu_msg_lookup(channel, id);
	enum vhu_layout l;
	uint32_t flags, size;

	memset(s, 0, sizeof(*s));
	if (!d)
		return 0;
	if (!reply) {
		l = d->req;
		flags = channel == VHU_CHAN_GPU ? 0 : VHU_VERSION | (need_reply ? VHU_FLAG_NEED_REPLY : 0);
	} else {
		if (need_reply)
			l = VHU_L_ACK;
		else if (d->reply_rule == VHU_R_ALWAYS || d->reply_rule == VHU_R_LOG_SHMFD)
			l = d->reply;
		else
			return 0;
		flags = channel == VHU_CHAN_GPU ? VHU_FLAG_REPLY : VHU_VERSION | VHU_FLAG_REPLY;
	}
	size = sample_payload(l, s->bytes + VHU_HDR_SIZE, &s->nfds, &s->fd_kind, reply);
	/* replies that carry an fd by table (GET_INFLIGHT_FD, POSTCOPY_ADVISE,
	 * GET_SHARED_OBJECT, LOOKUP) */
	if (reply && !need_reply && d->reply_fds == VHU_FDS_ONE && s->nfds == 0) {
		s->nfds = 1;
		s->fd_kind = VHU_FDK_OTHER;
	}
	if (!reply && d->req_fds == VHU_FDS_ONE && s->nfds == 0) {
		s->nfds = 1;
		s->fd_kind = id == VHU_SET_BACKEND_REQ_FD || id == VHU_GPU_SET_SOCKET ? VHU_FDK_SOCKET :
			     d->req == VHU_L_INFLIGHT ? VHU_FDK_MEMFD : VHU_FDK_EVENTFD;
	}
	if (!reply && d->req_fds == VHU_FDS_NONE)
		s->nfds = 0;
	sample_header(s->bytes, id, flags, size);
	s->len = VHU_HDR_SIZE + size;
	return 1;
}
