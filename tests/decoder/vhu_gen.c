/* vhu_gen.c - writes the small, hand-made captures the decoder tests read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vhu_pcapng.h"
#include "vhu_proto.h"
#include "vhu_record.h"

/*
 * Each scenario is a function that writes records in order with the
 * core's own writers (vhu_rec_*, vhu_exp_pdu_write, vhu_pcapng_*), so the
 * files are exactly what the shim would produce for the same events.
 * Timestamps start at FIRST_TS and advance by 10 us per record unless a
 * scenario says otherwise: every output is reproducible.
 *
 * Usage: vhu_gen SCENARIO FILE
 */

#define FIRST_TS UINT64_C(1700000000000000000)
#define FE_PID 1000u
#define BE_PID 2000u
#define CONN(pid, seq) ((uint64_t)(pid) << 32 | (seq))

struct gen {
	FILE *f;
	uint64_t ts;
	uint8_t rec[VHU_REC_MAX_DATA + 64 * 1024];
};

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void put(struct gen *g, const void *p, size_t len)
{
	if (len && fwrite(p, 1, len, g->f) != len)
		die("write");
}

static void gen_open(struct gen *g, const char *path)
{
	uint8_t hdr[VHU_PCAPNG_HEADER_MAX];

	g->f = fopen(path, "wb");
	if (!g->f)
		die(path);
	g->ts = FIRST_TS;
	put(g, hdr, vhu_pcapng_file_header(hdr, sizeof(hdr), "vhu_gen"));
}

/* One packet of any content. */
static void gen_epb(struct gen *g, const uint8_t *p, uint32_t caplen, uint32_t flags)
{
	uint8_t head[VHU_PCAPNG_EPB_HEAD], tail[VHU_PCAPNG_EPB_TAIL_MAX];

	put(g, head, vhu_pcapng_epb_head(head, g->ts, caplen, caplen));
	put(g, p, caplen);
	put(g, tail, vhu_pcapng_epb_tail(tail, caplen, flags));
	g->ts += 10000;
}

/* One packet: exported-PDU tags, then the record bytes. */
static void gen_packet(struct gen *g, const uint8_t *rec, size_t len, int p2p_dir)
{
	uint8_t pdu[VHU_EXP_PDU_MAX], head[VHU_PCAPNG_EPB_HEAD], tail[VHU_PCAPNG_EPB_TAIL_MAX];
	size_t plen = vhu_exp_pdu_write(pdu, p2p_dir);
	uint32_t caplen = (uint32_t)(plen + len);
	uint32_t flags = p2p_dir == 0 ? VHU_EPB_OUTBOUND : p2p_dir == 1 ? VHU_EPB_INBOUND : 0;

	put(g, head, vhu_pcapng_epb_head(head, g->ts, caplen, caplen));
	put(g, pdu, plen);
	put(g, rec, len);
	put(g, tail, vhu_pcapng_epb_tail(tail, caplen, flags));
	g->ts += 10000;
}

/* ---- records ---------------------------------------------------------- */

struct fdspec {
	int32_t fd;
	uint8_t kind;
	uint64_t ino, size;
	const char *name;
};

static void hdr_init(struct vhu_rec_hdr *h, uint8_t event, uint16_t call, uint32_t pid,
		     uint64_t conn, int32_t fd, uint8_t channel, uint8_t role)
{
	memset(h, 0, sizeof(*h));
	h->event = event;
	h->call = call;
	h->pid = pid;
	h->tid = pid;
	h->conn_id = conn;
	h->fd = fd;
	h->channel = channel;
	h->role = role;
}

static void add_fds(struct vhu_rec_builder *b, const struct fdspec *fds, unsigned nfds)
{
	unsigned i;

	for (i = 0; i < nfds; i++) {
		struct vhu_rec_fd fd = {
			.fd = fds[i].fd, .kind = fds[i].kind,
			.name_len = (uint16_t)strlen(fds[i].name),
			.mode = fds[i].kind == VHU_FDK_SOCKET ? 0140777 : 0100600,
			.dev = 0x10, .ino = fds[i].ino, .size = fds[i].size,
			.name = fds[i].name,
		};

		vhu_rec_add_fd(b, &fd);
	}
}

static void finish(struct gen *g, struct vhu_rec_builder *b, int dir)
{
	size_t len = vhu_rec_end(b);

	if (!len) {
		fprintf(stderr, "vhu_gen: record too big\n");
		exit(2);
	}
	gen_packet(g, g->rec, len, dir);
}

static void ev_process(struct gen *g, uint32_t pid, uint32_t ppid, const char *comm,
		       const char *cmdline, size_t cmdlen)
{
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	uint8_t proc[VHU_REC_PROC_LEN] = { 0 };

	hdr_init(&h, VHU_EV_PROCESS_START, VHU_CALL_START, pid, 0, -1, 0, 0);
	vhu_rec_begin(&b, g->rec, sizeof(g->rec), &h);
	vhu_put_le32(proc, ppid);
	memcpy(proc + 4, comm, strnlen(comm, 16));	/* NUL-padded, like comm */
	vhu_rec_add_item(&b, VHU_IT_PROC, proc, sizeof(proc));
	vhu_rec_add_item(&b, VHU_IT_CMDLINE, cmdline, (uint32_t)cmdlen);
	finish(g, &b, -1);
}

static void ev_socket(struct gen *g, uint8_t event, uint16_t call, uint32_t pid, uint64_t conn,
		      int32_t fd, uint8_t channel, uint8_t role, const char *path,
		      uint32_t peer_pid, uint64_t link)
{
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;

	hdr_init(&h, event, call, pid, conn, fd, channel, role);
	vhu_rec_begin(&b, g->rec, sizeof(g->rec), &h);
	if (path)
		vhu_rec_add_item(&b, VHU_IT_PATH, path, (uint32_t)strlen(path));
	if (peer_pid) {
		uint8_t cred[12];

		vhu_put_le32(cred, peer_pid);
		vhu_put_le32(cred + 4, 0);
		vhu_put_le32(cred + 8, 0);
		vhu_rec_add_item(&b, VHU_IT_PEERCRED, cred, sizeof(cred));
	}
	if (link) {
		uint8_t l[8];

		vhu_put_le64(l, link);
		vhu_rec_add_item(&b, VHU_IT_LINK, l, sizeof(l));
	}
	finish(g, &b, -1);
}

/* A data record: bytes moved by one call, with the fds that rode along. */
static void data_rec(struct gen *g, uint8_t event, uint32_t pid, uint64_t conn, int32_t fd,
		     uint8_t channel, uint8_t role, const uint8_t *data, uint32_t len,
		     const struct fdspec *fds, unsigned nfds)
{
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	uint8_t *p;

	hdr_init(&h, event, event == VHU_EV_DATA_SENT ? VHU_CALL_SENDMSG : VHU_CALL_RECVMSG,
		 pid, conn, fd, channel, role);
	h.nfds = (uint8_t)nfds;
	h.orig_len = len;
	vhu_rec_begin(&b, g->rec, sizeof(g->rec), &h);
	add_fds(&b, fds, nfds);
	p = vhu_rec_add_data(&b, len);
	if (p && len)
		memcpy(p, data, len);
	finish(g, &b, event == VHU_EV_DATA_SENT ? 0 : 1);
}

/* ---- messages --------------------------------------------------------- */

struct msgbuf {
	uint8_t b[4096];
	uint32_t len;
};

static void msg_start(struct msgbuf *m, uint32_t request, uint32_t flags)
{
	vhu_put_le32(m->b, request);
	vhu_put_le32(m->b + 4, flags);
	vhu_put_le32(m->b + 8, 0);
	m->len = VHU_HDR_SIZE;
}

static void msg_u32(struct msgbuf *m, uint32_t v)
{
	vhu_put_le32(m->b + m->len, v);
	m->len += 4;
	vhu_put_le32(m->b + 8, m->len - VHU_HDR_SIZE);
}

static void msg_u64(struct msgbuf *m, uint64_t v)
{
	vhu_put_le64(m->b + m->len, v);
	m->len += 8;
	vhu_put_le32(m->b + 8, m->len - VHU_HDR_SIZE);
}

/* A side of a connection as the recording process sees it. */
struct side {
	uint32_t pid;
	uint64_t conn;
	int32_t fd;
	uint8_t channel;
	uint8_t role;
};

static void send_msg(struct gen *g, const struct side *s, const struct msgbuf *m,
		     const struct fdspec *fds, unsigned nfds)
{
	data_rec(g, VHU_EV_DATA_SENT, s->pid, s->conn, s->fd, s->channel, s->role,
		 m->b, m->len, fds, nfds);
}

static void recv_msg(struct gen *g, const struct side *s, const struct msgbuf *m,
		     const struct fdspec *fds, unsigned nfds)
{
	data_rec(g, VHU_EV_DATA_RECV, s->pid, s->conn, s->fd, s->channel, s->role,
		 m->b, m->len, fds, nfds);
}

/* Request without payload, and a u64 request or reply. */
static void send_plain(struct gen *g, const struct side *s, uint32_t req, uint32_t flags)
{
	struct msgbuf m;

	msg_start(&m, req, flags);
	send_msg(g, s, &m, NULL, 0);
}

static void send_u64(struct gen *g, const struct side *s, uint32_t req, uint32_t flags,
		     uint64_t v, const struct fdspec *fd)
{
	struct msgbuf m;

	msg_start(&m, req, flags);
	msg_u64(&m, v);
	send_msg(g, s, &m, fd, fd ? 1 : 0);
}

static void recv_u64(struct gen *g, const struct side *s, uint32_t req, uint32_t flags,
		     uint64_t v)
{
	struct msgbuf m;

	msg_start(&m, req, flags);
	msg_u64(&m, v);
	recv_msg(g, s, &m, NULL, 0);
}

static void send_state(struct gen *g, const struct side *s, uint32_t req, uint32_t flags,
		       uint32_t index, uint32_t num)
{
	struct msgbuf m;

	msg_start(&m, req, flags);
	msg_u32(&m, index);
	msg_u32(&m, num);
	send_msg(g, s, &m, NULL, 0);
}

#define F1 VHU_VERSION				/* request flags */
#define F1_NEED (VHU_VERSION | VHU_FLAG_NEED_REPLY)
#define F1_REPLY (VHU_VERSION | VHU_FLAG_REPLY)

static const char qemu_cmdline[] = "qemu-system-x86_64\0-chardev\0socket,id=c0,path=/run/vhu.sock";

#define NET_FEATURES (VHU_BIT(VHU_VIRTIO_F_VERSION_1) | VHU_BIT(VHU_VIRTIO_F_PROTOCOL_FEATURES) | \
		      VHU_BIT(15) /* MRG_RXBUF */ | VHU_BIT(17) /* CTRL_VQ */ | \
		      VHU_BIT(22) /* MQ */)
#define PROTO_FEATURES (VHU_BIT(VHU_PF_MQ) | VHU_BIT(VHU_PF_REPLY_ACK) | \
			VHU_BIT(VHU_PF_BACKEND_REQ) | VHU_BIT(VHU_PF_CONFIGURE_MEM_SLOTS))

static void set_mem_table(struct gen *g, const struct side *s, uint32_t flags)
{
	static const struct fdspec mem[2] = {
		{ 40, VHU_FDK_MEMFD, 5001, 0x80000000, "/memfd:pc.ram (deleted)" },
		{ 41, VHU_FDK_MEMFD, 5002, 0x40000000, "/memfd:pc.ram (deleted)" },
	};
	struct msgbuf m;

	msg_start(&m, VHU_SET_MEM_TABLE, flags);
	msg_u32(&m, 2);		/* nregions */
	msg_u32(&m, 0);		/* padding */
	msg_u64(&m, 0);		/* region 0: guest address */
	msg_u64(&m, 0x80000000);
	msg_u64(&m, UINT64_C(0x7f0000000000));
	msg_u64(&m, 0);
	msg_u64(&m, 0x100000000);	/* region 1 */
	msg_u64(&m, 0x40000000);
	msg_u64(&m, UINT64_C(0x7f0080000000));
	msg_u64(&m, 0);
	send_msg(g, s, &m, mem, 2);
}

static void set_vring_addr(struct gen *g, const struct side *s)
{
	struct msgbuf m;

	msg_start(&m, VHU_SET_VRING_ADDR, F1);
	msg_u32(&m, 0);		/* index */
	msg_u32(&m, 0);		/* flags */
	msg_u64(&m, UINT64_C(0x7f0000100000));
	msg_u64(&m, UINT64_C(0x7f0000102000));
	msg_u64(&m, UINT64_C(0x7f0000101000));
	msg_u64(&m, 0);
	send_msg(g, s, &m, NULL, 0);
}

/* The start-up of a vhost-user-net device as QEMU does it, seen by QEMU. */
static void scenario_basic(struct gen *g)
{
	struct side fe = { FE_PID, CONN(FE_PID, 1), 10, VHU_CHAN_MAIN, VHU_ROLE_FRONTEND };
	struct side bch = { FE_PID, CONN(FE_PID, 2), 11, VHU_CHAN_BACKEND, VHU_ROLE_FRONTEND };
	static const struct fdspec sock = { 12, VHU_FDK_SOCKET, 7001, 0, "socket:[7001]" };
	static const struct fdspec kick = { 20, VHU_FDK_EVENTFD, 31, 0, "anon_inode:[eventfd]" };
	static const struct fdspec call = { 21, VHU_FDK_EVENTFD, 31, 0, "anon_inode:[eventfd]" };
	struct msgbuf m;

	ev_process(g, FE_PID, 1, "qemu-system-x86", qemu_cmdline, sizeof(qemu_cmdline));
	ev_socket(g, VHU_EV_CONNECT, VHU_CALL_CONNECT, FE_PID, fe.conn, fe.fd, VHU_CHAN_MAIN,
		  VHU_ROLE_FRONTEND, "/run/vhu.sock", BE_PID, 0);
	send_plain(g, &fe, VHU_GET_FEATURES, F1);
	recv_u64(g, &fe, VHU_GET_FEATURES, F1_REPLY, NET_FEATURES);
	send_plain(g, &fe, VHU_GET_PROTOCOL_FEATURES, F1);
	recv_u64(g, &fe, VHU_GET_PROTOCOL_FEATURES, F1_REPLY,
		 PROTO_FEATURES | VHU_BIT(VHU_PF_LOG_SHMFD) | VHU_BIT(VHU_PF_CONFIG));
	send_u64(g, &fe, VHU_SET_PROTOCOL_FEATURES, F1, PROTO_FEATURES, NULL);
	send_plain(g, &fe, VHU_GET_QUEUE_NUM, F1);
	recv_u64(g, &fe, VHU_GET_QUEUE_NUM, F1_REPLY, 2);
	ev_socket(g, VHU_EV_ADOPT, VHU_CALL_SOCKETPAIR, FE_PID, bch.conn, bch.fd,
		  VHU_CHAN_BACKEND, VHU_ROLE_FRONTEND, NULL, 0, fe.conn);
	send_plain(g, &fe, VHU_SET_OWNER, F1);
	/* SET_BACKEND_REQ_FD carries the other end of the socketpair */
	msg_start(&m, VHU_SET_BACKEND_REQ_FD, F1_NEED);
	send_msg(g, &fe, &m, &sock, 1);
	recv_u64(g, &fe, VHU_SET_BACKEND_REQ_FD, F1_REPLY, 0);
	send_u64(g, &fe, VHU_SET_FEATURES, F1,
		 VHU_BIT(VHU_VIRTIO_F_VERSION_1) | VHU_BIT(VHU_VIRTIO_F_PROTOCOL_FEATURES) | VHU_BIT(15), NULL);
	set_mem_table(g, &fe, F1_NEED);
	recv_u64(g, &fe, VHU_SET_MEM_TABLE, F1_REPLY, 0);
	send_state(g, &fe, VHU_SET_VRING_NUM, F1, 0, 256);
	send_state(g, &fe, VHU_SET_VRING_BASE, F1, 0, 0);
	set_vring_addr(g, &fe);
	send_u64(g, &fe, VHU_SET_VRING_KICK, F1, 0, &kick);
	send_u64(g, &fe, VHU_SET_VRING_CALL, F1, 0, &call);
	send_state(g, &fe, VHU_SET_VRING_ENABLE, F1, 0, 1);
	/* the back-end asks over its own channel; QEMU acks */
	msg_start(&m, VHU_BACKEND_CONFIG_CHANGE_MSG, F1_NEED);
	recv_msg(g, &bch, &m, NULL, 0);
	msg_start(&m, VHU_BACKEND_CONFIG_CHANGE_MSG, F1_REPLY);
	msg_u64(&m, 0);
	send_msg(g, &bch, &m, NULL, 0);
	send_state(g, &fe, VHU_GET_VRING_BASE, F1, 0, 0);
	msg_start(&m, VHU_GET_VRING_BASE, F1_REPLY);
	msg_u32(&m, 0);
	msg_u32(&m, 42);
	g->ts += 250000;	/* the back-end took its time: 260 us */
	recv_msg(g, &fe, &m, NULL, 0);
	send_state(g, &fe, VHU_SET_VRING_ENABLE, F1_NEED, 1, 1);
	recv_u64(g, &fe, VHU_SET_VRING_ENABLE, F1_REPLY, 1);	/* failure */
	ev_socket(g, VHU_EV_CLOSE, VHU_CALL_CLOSE, FE_PID, bch.conn, bch.fd, VHU_CHAN_BACKEND,
		  VHU_ROLE_FRONTEND, NULL, 0, 0);
	ev_socket(g, VHU_EV_CLOSE, VHU_CALL_CLOSE, FE_PID, fe.conn, fe.fd, VHU_CHAN_MAIN,
		  VHU_ROLE_FRONTEND, NULL, 0, 0);
}

/* Messages cut across calls, and calls carrying several messages. */
static void scenario_split(struct gen *g)
{
	struct side be = { BE_PID, CONN(BE_PID, 1), 5, VHU_CHAN_MAIN, VHU_ROLE_BACKEND };
	static const char cmd[] = "dpdk-testpmd\0--vdev\0net_vhost0,iface=/run/vhu.sock";
	struct msgbuf a, b;
	uint8_t two[64];

	ev_process(g, BE_PID, 1, "dpdk-testpmd", cmd, sizeof(cmd));
	ev_socket(g, VHU_EV_ACCEPT, VHU_CALL_ACCEPT, BE_PID, be.conn, be.fd, VHU_CHAN_MAIN,
		  VHU_ROLE_BACKEND, "/run/vhu.sock", FE_PID, 0);
	/* DPDK reads the header with recvmsg, then the payload with read() */
	msg_start(&a, VHU_SET_FEATURES, F1);
	msg_u64(&a, VHU_BIT(VHU_VIRTIO_F_VERSION_1) | VHU_BIT(VHU_VIRTIO_F_PROTOCOL_FEATURES));
	data_rec(g, VHU_EV_DATA_RECV, be.pid, be.conn, be.fd, be.channel, be.role, a.b, 12, NULL, 0);
	data_rec(g, VHU_EV_DATA_RECV, be.pid, be.conn, be.fd, be.channel, be.role, a.b + 12, 8,
		 NULL, 0);
	/* a header cut in the middle, then the rest with the next message */
	msg_start(&a, VHU_SET_VRING_NUM, F1);
	msg_u32(&a, 1);
	msg_u32(&a, 512);
	msg_start(&b, VHU_SET_OWNER, F1);
	data_rec(g, VHU_EV_DATA_RECV, be.pid, be.conn, be.fd, be.channel, be.role, a.b, 5, NULL, 0);
	memcpy(two, a.b + 5, a.len - 5);
	memcpy(two + a.len - 5, b.b, b.len);
	data_rec(g, VHU_EV_DATA_RECV, be.pid, be.conn, be.fd, be.channel, be.role, two,
		 a.len - 5 + b.len, NULL, 0);
	/* two whole messages in one call */
	msg_start(&a, VHU_GET_FEATURES, F1);
	msg_start(&b, VHU_GET_PROTOCOL_FEATURES, F1);
	memcpy(two, a.b, a.len);
	memcpy(two + a.len, b.b, b.len);
	data_rec(g, VHU_EV_DATA_RECV, be.pid, be.conn, be.fd, be.channel, be.role, two,
		 a.len + b.len, NULL, 0);
	/* the replies, sent together */
	msg_start(&a, VHU_GET_FEATURES, F1_REPLY);
	msg_u64(&a, VHU_BIT(VHU_VIRTIO_F_VERSION_1) | VHU_BIT(VHU_VIRTIO_F_PROTOCOL_FEATURES));
	msg_start(&b, VHU_GET_PROTOCOL_FEATURES, F1_REPLY);
	msg_u64(&b, VHU_BIT(VHU_PF_MQ));
	memcpy(two, a.b, a.len);
	memcpy(two + a.len, b.b, b.len);
	data_rec(g, VHU_EV_DATA_SENT, be.pid, be.conn, be.fd, be.channel, be.role, two,
		 a.len + b.len, NULL, 0);
}

/* A back-end restarts: the front-end reconnects (new connection id). */
static void scenario_reconnect(struct gen *g)
{
	struct side fe = { FE_PID, CONN(FE_PID, 1), 10, VHU_CHAN_MAIN, VHU_ROLE_FRONTEND };
	int round;

	ev_process(g, FE_PID, 1, "qemu-system-x86", qemu_cmdline, sizeof(qemu_cmdline));
	for (round = 0; round < 2; round++) {
		ev_socket(g, VHU_EV_CONNECT, VHU_CALL_CONNECT, FE_PID, fe.conn, fe.fd,
			  VHU_CHAN_MAIN, VHU_ROLE_FRONTEND, "/run/vhu.sock", BE_PID + round, 0);
		send_plain(g, &fe, VHU_GET_FEATURES, F1);
		recv_u64(g, &fe, VHU_GET_FEATURES, F1_REPLY, NET_FEATURES);
		send_plain(g, &fe, VHU_SET_OWNER, F1);
		ev_socket(g, VHU_EV_CLOSE, VHU_CALL_CLOSE, FE_PID, fe.conn, fe.fd, VHU_CHAN_MAIN,
			  VHU_ROLE_FRONTEND, NULL, 0, 0);
		fe.conn = CONN(FE_PID, 3);
		g->ts += 1000000000;
	}
}

/* A record built by hand, for the malformed ones. */
static void raw_record(struct gen *g, const uint8_t *p, size_t len)
{
	gen_packet(g, p, len, -1);
}

/* Everything that can go wrong inside a good capture file. */
static void scenario_bad(struct gen *g)
{
	struct side fe = { FE_PID, CONN(FE_PID, 1), 10, VHU_CHAN_MAIN, VHU_ROLE_FRONTEND };
	struct side fe2 = { FE_PID, CONN(FE_PID, 2), 11, VHU_CHAN_MAIN, VHU_ROLE_FRONTEND };
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	struct msgbuf m;
	uint8_t rec[VHU_REC_HDR_LEN + 16];
	size_t len;

	ev_process(g, FE_PID, 1, "qemu-system-x86", qemu_cmdline, sizeof(qemu_cmdline));
	ev_socket(g, VHU_EV_CONNECT, VHU_CALL_CONNECT, FE_PID, fe.conn, fe.fd, VHU_CHAN_MAIN,
		  VHU_ROLE_FRONTEND, "/run/vhu.sock", BE_PID, 0);
	send_plain(g, &fe, 99, F1);					/* unknown id */
	recv_u64(g, &fe, VHU_GET_QUEUE_NUM, F1_REPLY, 2);		/* no request */
	send_state(g, &fe, VHU_SET_VRING_NUM, F1_NEED, 0, 256);	/* never answered */
	send_plain(g, &fe, VHU_GET_FEATURES, F1);
	recv_u64(g, &fe, VHU_GET_FEATURES, F1_REPLY, NET_FEATURES);

	/* records the reader must refuse */
	hdr_init(&h, VHU_EV_DATA_SENT, VHU_CALL_SENDMSG, FE_PID, fe.conn, fe.fd, VHU_CHAN_MAIN,
		 VHU_ROLE_FRONTEND);
	vhu_rec_begin(&b, rec, sizeof(rec), &h);
	len = vhu_rec_end(&b);
	rec[0] = 'X';
	raw_record(g, rec, len);				/* bad magic */
	rec[0] = VHU_REC_MAGIC0;
	rec[2] = 9;
	raw_record(g, rec, len);				/* unknown version */
	rec[2] = VHU_REC_VERSION;
	vhu_put_le16(rec + len, VHU_IT_DATA);
	vhu_put_le16(rec + len + 2, 0);
	vhu_put_le32(rec + len + 4, 1000);
	raw_record(g, rec, len + 8);				/* item past the end */
	/* an exported PDU for some other dissector */
	{
		static const uint8_t other[] = { 0, 12, 0, 4, 'e', 't', 'h', 0, 0, 0, 0, 0, 1, 2 };

		gen_epb(g, other, sizeof(other), 0);
	}

	/* a size field far above the limit, on its own connection */
	ev_socket(g, VHU_EV_CONNECT, VHU_CALL_CONNECT, FE_PID, fe2.conn, fe2.fd, VHU_CHAN_MAIN,
		  VHU_ROLE_FRONTEND, "/run/other.sock", BE_PID, 0);
	msg_start(&m, VHU_SET_CONFIG, F1);
	vhu_put_le32(m.b + 8, 0x1000000);
	send_msg(g, &fe2, &m, NULL, 0);

	/* a message the capture ends in the middle of */
	msg_start(&m, VHU_SET_MEM_TABLE, F1);
	msg_u32(&m, 1);		/* nregions */
	msg_u32(&m, 0);		/* padding */
	vhu_put_le32(m.b + 8, 8 + 32);
	send_msg(g, &fe, &m, NULL, 0);
}

/* A pcap file of Ethernet frames: a foreign link type. */
static void write_foreign(const char *path)
{
	static const uint8_t pcap[] = {
		0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff, 0, 0, 1, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 14, 0, 0, 0, 14, 0, 0, 0,
		1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 8, 0,
	};
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(pcap, 1, sizeof(pcap), f) != sizeof(pcap) || fclose(f))
		die(path);
}

static void write_text(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs("this is not a capture file\n", f) < 0 || fclose(f))
		die(path);
}

/* The basic capture, cut in the middle of its last packet. */
static void write_truncated(struct gen *g, const char *path)
{
	long size;

	gen_open(g, path);
	scenario_basic(g);
	size = ftell(g->f);
	if (size < 0 || fclose(g->f) || truncate(path, size - 30))
		die(path);
}

int main(int argc, char **argv)
{
	static struct gen g;
	const char *sc, *path;

	if (argc != 3) {
		fprintf(stderr, "usage: vhu_gen basic|split|reconnect|bad|foreign|text|truncated FILE\n");
		return 2;
	}
	sc = argv[1];
	path = argv[2];
	if (!strcmp(sc, "foreign")) {
		write_foreign(path);
		return 0;
	}
	if (!strcmp(sc, "text")) {
		write_text(path);
		return 0;
	}
	if (!strcmp(sc, "truncated")) {
		write_truncated(&g, path);
		return 0;
	}
	gen_open(&g, path);
	if (!strcmp(sc, "basic"))
		scenario_basic(&g);
	else if (!strcmp(sc, "split"))
		scenario_split(&g);
	else if (!strcmp(sc, "reconnect"))
		scenario_reconnect(&g);
	else if (!strcmp(sc, "bad"))
		scenario_bad(&g);
	else {
		fprintf(stderr, "vhu_gen: unknown scenario %s\n", sc);
		return 2;
	}
	if (fclose(g.f))
		die(path);
	return 0;
}
