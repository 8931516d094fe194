/* vhu_gen.c - writes the small, hand-made captures the decoder tests read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capgen.h"
#include "vhu_le.h"
#include "vhu_proto.h"
#include "vhu_record.h"

/*
 * Each scenario is a function that writes records in order with the
 * core's own writers (vhu_rec_*, vhu_exp_pdu_write, vhu_pcapng_*, through
 * tests/common/capgen.h), so the files are exactly what the shim would
 * produce for the same events.
 * Timestamps start at CAPGEN_FIRST_TS and advance by 10 us per record unless a
 * scenario says otherwise: every output is reproducible.
 *
 * Usage: vhu_gen SCENARIO FILE
 */

#define FE_PID 1000u
#define BE_PID 2000u
#define CONN(pid, seq) ((uint64_t)(pid) << 32 | (seq))

struct gen {
	struct capgen_out out;
	uint8_t rec[VHU_REC_MAX_DATA + 64 * 1024];
};

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void gen_open(struct gen *g, const char *path)
{
	capgen_open(&g->out, path, "vhu_gen", CAPGEN_FIRST_TS, 10000);
}

/* One packet: exported-PDU tags, then the record bytes. */
static void gen_packet(struct gen *g, const uint8_t *rec, size_t len, int p2p_dir)
{
	capgen_packet(&g->out, rec, len, p2p_dir, capgen_dir_flags(p2p_dir));
}

/* ---- records ---------------------------------------------------------- */

/* A passed fd as this generator describes them. */
struct fdspec {
	int32_t fd;
	uint8_t kind;
	uint64_t ino, size;
	const char *name;
};

static void add_fd(struct capgen_msg *m, const struct fdspec *spec)
{
	struct vhu_rec_fd *fd = capgen_msg_fd(m, spec->fd, spec->kind, spec->name);

	fd->mode = spec->kind == VHU_FDK_SOCKET ? 0140777 : 0100600;
	fd->dev = 0x10;
	fd->ino = spec->ino;
	fd->size = spec->size;
}

static void ev_process(struct gen *g, uint32_t pid, uint32_t ppid, const char *comm,
		       const char *cmdline, size_t cmdlen)
{
	const struct capgen_side s = { pid, 0, -1, VHU_CHAN_UNKNOWN, 0 };
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;

	capgen_hdr(&h, &s, VHU_EV_PROCESS_START, VHU_CALL_START);
	vhu_rec_begin(&b, g->rec, sizeof(g->rec), &h);
	capgen_add_proc(&b, ppid, comm);
	vhu_rec_add_item(&b, VHU_IT_CMDLINE, cmdline, (uint32_t)cmdlen);
	gen_packet(g, g->rec, capgen_rec_end(&b), -1);
}

/* A connect, accept, adopt or close record of side s. */
static void ev_socket(struct gen *g, const struct capgen_side *s, uint8_t event, uint16_t call,
		      const char *path, uint32_t peer_pid, uint64_t link)
{
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;

	capgen_hdr(&h, s, event, call);
	vhu_rec_begin(&b, g->rec, sizeof(g->rec), &h);
	if (path)
		vhu_rec_add_item(&b, VHU_IT_PATH, path, (uint32_t)strlen(path));
	if (peer_pid)
		capgen_add_peercred(&b, peer_pid, 0, 0);
	if (link)
		capgen_add_link(&b, link);
	gen_packet(g, g->rec, capgen_rec_end(&b), -1);
}

/* A data record: bytes moved by one call, with the fds that rode along. */
static void data_rec(struct gen *g, const struct capgen_side *s, uint8_t event,
		     const uint8_t *data, uint32_t len, const struct vhu_rec_fd *fds, unsigned nfds)
{
	struct vhu_rec_hdr h;

	capgen_data_hdr(&h, s, event, len, nfds);
	gen_packet(g, g->rec, capgen_data_record(g->rec, sizeof(g->rec), &h, fds, data, len),
		   event == VHU_EV_DATA_SENT ? 0 : 1);
}

/* ---- messages --------------------------------------------------------- */

static void send_msg(struct gen *g, const struct capgen_side *s, const struct capgen_msg *m)
{
	data_rec(g, s, VHU_EV_DATA_SENT, m->b, m->len, m->fds, m->nfds);
}

static void recv_msg(struct gen *g, const struct capgen_side *s, const struct capgen_msg *m)
{
	data_rec(g, s, VHU_EV_DATA_RECV, m->b, m->len, m->fds, m->nfds);
}

/* Bytes received in one call: part of a message, or several. */
static void recv_bytes(struct gen *g, const struct capgen_side *s, const uint8_t *p,
		       uint32_t len)
{
	data_rec(g, s, VHU_EV_DATA_RECV, p, len, NULL, 0);
}

/* Request without payload, and a u64 request or reply. */
static void send_plain(struct gen *g, const struct capgen_side *s, uint32_t req, uint32_t flags)
{
	struct capgen_msg m;

	capgen_msg_start(&m, req, flags);
	send_msg(g, s, &m);
}

static void send_u64(struct gen *g, const struct capgen_side *s, uint32_t req, uint32_t flags,
		     uint64_t v, const struct fdspec *fd)
{
	struct capgen_msg m;

	capgen_msg_start(&m, req, flags);
	capgen_msg_u64(&m, v);
	if (fd)
		add_fd(&m, fd);
	send_msg(g, s, &m);
}

static void recv_u64(struct gen *g, const struct capgen_side *s, uint32_t req, uint32_t flags,
		     uint64_t v)
{
	struct capgen_msg m;

	capgen_msg_start(&m, req, flags);
	capgen_msg_u64(&m, v);
	recv_msg(g, s, &m);
}

static void send_state(struct gen *g, const struct capgen_side *s, uint32_t req, uint32_t flags,
		       uint32_t index, uint32_t num)
{
	struct capgen_msg m;

	capgen_msg_start(&m, req, flags);
	capgen_msg_u32(&m, index);
	capgen_msg_u32(&m, num);
	send_msg(g, s, &m);
}

#define F1 VHU_VERSION				/* request flags */
#define F1_NEED (VHU_VERSION | VHU_FLAG_NEED_REPLY)
#define F1_REPLY (VHU_VERSION | VHU_FLAG_REPLY)

static const char qemu_cmdline[] = "qemu-system-x86_64\0-chardev\0socket,id=c0,path=/run/vhu.sock";

#define NET_FEATURES (VHU_BIT(VHU_VIRTIO_F_VERSION_1) | VHU_BIT(VHU_VIRTIO_F_PROTOCOL_FEATURES) | \
		      VHU_BIT(15) /* MRG_RXBUF */ | VHU_BIT(17) /* CTRL_VQ */ | \
		      VHU_BIT(22) /* MQ */)
/* CONFIG too: the back-end sends CONFIG_CHANGE_MSG, which it gates */
#define PROTO_FEATURES (VHU_BIT(VHU_PF_MQ) | VHU_BIT(VHU_PF_REPLY_ACK) | \
			VHU_BIT(VHU_PF_BACKEND_REQ) | VHU_BIT(VHU_PF_CONFIG) | \
			VHU_BIT(VHU_PF_CONFIGURE_MEM_SLOTS))

static void set_mem_table(struct gen *g, const struct capgen_side *s, uint32_t flags)
{
	static const struct fdspec mem[2] = {
		{ 40, VHU_FDK_MEMFD, 5001, 0x80000000, "/memfd:pc.ram (deleted)" },
		{ 41, VHU_FDK_MEMFD, 5002, 0x40000000, "/memfd:pc.ram (deleted)" },
	};
	struct capgen_msg m;

	capgen_msg_start(&m, VHU_SET_MEM_TABLE, flags);
	capgen_msg_u32(&m, 2);		/* nregions */
	capgen_msg_u32(&m, 0);		/* padding */
	capgen_msg_u64(&m, 0);		/* region 0: guest address */
	capgen_msg_u64(&m, 0x80000000);
	capgen_msg_u64(&m, UINT64_C(0x7f0000000000));
	capgen_msg_u64(&m, 0);
	capgen_msg_u64(&m, 0x100000000);	/* region 1 */
	capgen_msg_u64(&m, 0x40000000);
	capgen_msg_u64(&m, UINT64_C(0x7f0080000000));
	capgen_msg_u64(&m, 0);
	add_fd(&m, &mem[0]);
	add_fd(&m, &mem[1]);
	send_msg(g, s, &m);
}

static void set_vring_addr(struct gen *g, const struct capgen_side *s)
{
	struct capgen_msg m;

	capgen_msg_start(&m, VHU_SET_VRING_ADDR, F1);
	capgen_msg_u32(&m, 0);		/* index */
	capgen_msg_u32(&m, 0);		/* flags */
	capgen_msg_u64(&m, UINT64_C(0x7f0000100000));
	capgen_msg_u64(&m, UINT64_C(0x7f0000102000));
	capgen_msg_u64(&m, UINT64_C(0x7f0000101000));
	capgen_msg_u64(&m, 0);
	send_msg(g, s, &m);
}

/* The start-up of a vhost-user-net device as QEMU does it, seen by QEMU. */
static void scenario_basic(struct gen *g)
{
	struct capgen_side fe = { FE_PID, CONN(FE_PID, 1), 10, VHU_CHAN_MAIN, VHU_ROLE_FRONTEND };
	struct capgen_side bch = { FE_PID, CONN(FE_PID, 2), 11, VHU_CHAN_BACKEND, VHU_ROLE_FRONTEND };
	static const struct fdspec sock = { 12, VHU_FDK_SOCKET, 7001, 0, "socket:[7001]" };
	static const struct fdspec kick = { 20, VHU_FDK_EVENTFD, 31, 0, "anon_inode:[eventfd]" };
	static const struct fdspec call = { 21, VHU_FDK_EVENTFD, 31, 0, "anon_inode:[eventfd]" };
	struct capgen_msg m;

	ev_process(g, FE_PID, 1, "qemu-system-x86", qemu_cmdline, sizeof(qemu_cmdline));
	ev_socket(g, &fe, VHU_EV_CONNECT, VHU_CALL_CONNECT, "/run/vhu.sock", BE_PID, 0);
	send_plain(g, &fe, VHU_GET_FEATURES, F1);
	recv_u64(g, &fe, VHU_GET_FEATURES, F1_REPLY, NET_FEATURES);
	send_plain(g, &fe, VHU_GET_PROTOCOL_FEATURES, F1);
	recv_u64(g, &fe, VHU_GET_PROTOCOL_FEATURES, F1_REPLY,
		 PROTO_FEATURES | VHU_BIT(VHU_PF_LOG_SHMFD) | VHU_BIT(VHU_PF_CONFIG));
	send_u64(g, &fe, VHU_SET_PROTOCOL_FEATURES, F1, PROTO_FEATURES, NULL);
	send_plain(g, &fe, VHU_GET_QUEUE_NUM, F1);
	recv_u64(g, &fe, VHU_GET_QUEUE_NUM, F1_REPLY, 2);
	ev_socket(g, &bch, VHU_EV_ADOPT, VHU_CALL_SOCKETPAIR, NULL, 0, fe.conn);
	send_plain(g, &fe, VHU_SET_OWNER, F1);
	/* SET_BACKEND_REQ_FD carries the other end of the socketpair */
	capgen_msg_start(&m, VHU_SET_BACKEND_REQ_FD, F1_NEED);
	add_fd(&m, &sock);
	send_msg(g, &fe, &m);
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
	capgen_msg_start(&m, VHU_BACKEND_CONFIG_CHANGE_MSG, F1_NEED);
	recv_msg(g, &bch, &m);
	capgen_msg_start(&m, VHU_BACKEND_CONFIG_CHANGE_MSG, F1_REPLY);
	capgen_msg_u64(&m, 0);
	send_msg(g, &bch, &m);
	send_state(g, &fe, VHU_GET_VRING_BASE, F1, 0, 0);
	capgen_msg_start(&m, VHU_GET_VRING_BASE, F1_REPLY);
	capgen_msg_u32(&m, 0);
	capgen_msg_u32(&m, 42);
	g->out.ts_ns += 250000;	/* the back-end took its time: 260 us */
	recv_msg(g, &fe, &m);
	send_state(g, &fe, VHU_SET_VRING_ENABLE, F1_NEED, 1, 1);
	recv_u64(g, &fe, VHU_SET_VRING_ENABLE, F1_REPLY, 1);	/* failure */
	ev_socket(g, &bch, VHU_EV_CLOSE, VHU_CALL_CLOSE, NULL, 0, 0);
	ev_socket(g, &fe, VHU_EV_CLOSE, VHU_CALL_CLOSE, NULL, 0, 0);
}

/* Messages cut across calls, and calls carrying several messages. */
static void scenario_split(struct gen *g)
{
	struct capgen_side be = { BE_PID, CONN(BE_PID, 1), 5, VHU_CHAN_MAIN, VHU_ROLE_BACKEND };
	static const char cmd[] = "dpdk-testpmd\0--vdev\0net_vhost0,iface=/run/vhu.sock";
	struct capgen_msg a, b;
	uint8_t two[64];
	uint32_t len;

	ev_process(g, BE_PID, 1, "dpdk-testpmd", cmd, sizeof(cmd));
	ev_socket(g, &be, VHU_EV_ACCEPT, VHU_CALL_ACCEPT, "/run/vhu.sock", FE_PID, 0);
	/* DPDK reads the header with recvmsg, then the payload with read() */
	capgen_msg_start(&a, VHU_SET_FEATURES, F1);
	capgen_msg_u64(&a, VHU_BIT(VHU_VIRTIO_F_VERSION_1) | VHU_BIT(VHU_VIRTIO_F_PROTOCOL_FEATURES));
	recv_bytes(g, &be, a.b, 12);
	recv_bytes(g, &be, a.b + 12, 8);
	/* a header cut in the middle, then the rest with the next message */
	capgen_msg_start(&a, VHU_SET_VRING_NUM, F1);
	capgen_msg_u32(&a, 1);
	capgen_msg_u32(&a, 512);
	capgen_msg_start(&b, VHU_SET_OWNER, F1);
	recv_bytes(g, &be, a.b, 5);
	memcpy(two, a.b + 5, a.len - 5);
	memcpy(two + a.len - 5, b.b, b.len);
	recv_bytes(g, &be, two, a.len - 5 + b.len);
	/* two whole messages in one call */
	capgen_msg_start(&a, VHU_GET_FEATURES, F1);
	capgen_msg_start(&b, VHU_GET_PROTOCOL_FEATURES, F1);
	len = capgen_msg_join(two, sizeof(two), &a, &b);
	recv_bytes(g, &be, two, len);
	/* the replies, sent together */
	capgen_msg_start(&a, VHU_GET_FEATURES, F1_REPLY);
	capgen_msg_u64(&a, VHU_BIT(VHU_VIRTIO_F_VERSION_1) | VHU_BIT(VHU_VIRTIO_F_PROTOCOL_FEATURES));
	capgen_msg_start(&b, VHU_GET_PROTOCOL_FEATURES, F1_REPLY);
	capgen_msg_u64(&b, VHU_BIT(VHU_PF_MQ));
	len = capgen_msg_join(two, sizeof(two), &a, &b);
	data_rec(g, &be, VHU_EV_DATA_SENT, two, len, NULL, 0);
}

/* A back-end restarts: the front-end reconnects (new connection id). */
static void scenario_reconnect(struct gen *g)
{
	struct capgen_side fe = { FE_PID, CONN(FE_PID, 1), 10, VHU_CHAN_MAIN, VHU_ROLE_FRONTEND };
	int round;

	ev_process(g, FE_PID, 1, "qemu-system-x86", qemu_cmdline, sizeof(qemu_cmdline));
	for (round = 0; round < 2; round++) {
		ev_socket(g, &fe, VHU_EV_CONNECT, VHU_CALL_CONNECT, "/run/vhu.sock", BE_PID + round, 0);
		send_plain(g, &fe, VHU_GET_FEATURES, F1);
		recv_u64(g, &fe, VHU_GET_FEATURES, F1_REPLY, NET_FEATURES);
		send_plain(g, &fe, VHU_SET_OWNER, F1);
		ev_socket(g, &fe, VHU_EV_CLOSE, VHU_CALL_CLOSE, NULL, 0, 0);
		fe.conn = CONN(FE_PID, 3);
		g->out.ts_ns += 1000000000;
	}
}

/* A request numbered on its fd (the SEQ item the shim adds). */
static void send_numbered(struct gen *g, const struct capgen_side *s, uint32_t req, uint32_t seq)
{
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	struct capgen_msg m;
	uint8_t v[VHU_REC_SEQ_LEN], *p;

	capgen_msg_start(&m, req, F1);
	capgen_data_hdr(&h, s, VHU_EV_DATA_SENT, m.len, 0);
	vhu_rec_begin(&b, g->rec, sizeof(g->rec), &h);
	vhu_put_le32(v, seq);
	vhu_rec_add_item(&b, VHU_IT_SEQ, v, sizeof(v));
	p = vhu_rec_add_data(&b, m.len);
	if (p)
		memcpy(p, m.b, m.len);
	gen_packet(g, g->rec, capgen_rec_end(&b), 0);
}

/* Numbered records: in order, one missing (3 comes after 4), and a dup
 * of the fd numbering its own from 1. */
static void scenario_seq(struct gen *g)
{
	struct capgen_side fe = { FE_PID, CONN(FE_PID, 1), 10, VHU_CHAN_MAIN, VHU_ROLE_FRONTEND };

	ev_process(g, FE_PID, 1, "qemu-system-x86", qemu_cmdline, sizeof(qemu_cmdline));
	ev_socket(g, &fe, VHU_EV_CONNECT, VHU_CALL_CONNECT, "/run/vhu.sock", BE_PID, 0);
	send_numbered(g, &fe, VHU_SET_OWNER, 1);
	send_numbered(g, &fe, VHU_GET_FEATURES, 2);
	send_numbered(g, &fe, VHU_GET_PROTOCOL_FEATURES, 4);
	send_numbered(g, &fe, VHU_RESET_OWNER, 3);
	send_numbered(g, &fe, VHU_GET_QUEUE_NUM, 5);
	fe.fd = 12;
	send_numbered(g, &fe, VHU_GET_MAX_MEM_SLOTS, 1);
}

/* Everything that can go wrong inside a good capture file. */
static void scenario_bad(struct gen *g)
{
	struct capgen_side fe = { FE_PID, CONN(FE_PID, 1), 10, VHU_CHAN_MAIN, VHU_ROLE_FRONTEND };
	struct capgen_side fe2 = { FE_PID, CONN(FE_PID, 2), 11, VHU_CHAN_MAIN, VHU_ROLE_FRONTEND };
	/* an exported PDU for some other dissector */
	static const uint8_t other[] = { 0, 12, 0, 4, 'e', 't', 'h', 0, 0, 0, 0, 0, 1, 2 };
	struct vhu_rec_builder b;
	struct vhu_rec_hdr h;
	struct capgen_msg m;
	uint8_t rec[VHU_REC_HDR_LEN + 16];
	size_t len;

	ev_process(g, FE_PID, 1, "qemu-system-x86", qemu_cmdline, sizeof(qemu_cmdline));
	ev_socket(g, &fe, VHU_EV_CONNECT, VHU_CALL_CONNECT, "/run/vhu.sock", BE_PID, 0);
	send_plain(g, &fe, 99, F1);					/* unknown id */
	recv_u64(g, &fe, VHU_GET_QUEUE_NUM, F1_REPLY, 2);		/* no request */
	send_state(g, &fe, VHU_SET_VRING_NUM, F1_NEED, 0, 256);	/* never answered */
	send_plain(g, &fe, VHU_GET_FEATURES, F1);
	recv_u64(g, &fe, VHU_GET_FEATURES, F1_REPLY, NET_FEATURES);

	/* records the reader must refuse */
	capgen_hdr(&h, &fe, VHU_EV_DATA_SENT, VHU_CALL_SENDMSG);
	vhu_rec_begin(&b, rec, sizeof(rec), &h);
	len = capgen_rec_end(&b);
	rec[0] = 'X';
	gen_packet(g, rec, len, -1);				/* bad magic */
	rec[0] = VHU_REC_MAGIC0;
	rec[2] = 9;
	gen_packet(g, rec, len, -1);				/* unknown version */
	rec[2] = VHU_REC_VERSION;
	vhu_put_le16(rec + len, VHU_IT_DATA);
	vhu_put_le16(rec + len + 2, 0);
	vhu_put_le32(rec + len + 4, 1000);
	gen_packet(g, rec, len + 8, -1);			/* item past the end */
	capgen_epb(&g->out, other, sizeof(other), 0);

	/* a size field far above the limit, on its own connection */
	ev_socket(g, &fe2, VHU_EV_CONNECT, VHU_CALL_CONNECT, "/run/other.sock", BE_PID, 0);
	capgen_msg_start(&m, VHU_SET_CONFIG, F1);
	capgen_msg_set_size(&m, 0x1000000);
	send_msg(g, &fe2, &m);

	/* a message the capture ends in the middle of */
	capgen_msg_start(&m, VHU_SET_MEM_TABLE, F1);
	capgen_msg_u32(&m, 1);		/* nregions */
	capgen_msg_u32(&m, 0);		/* padding */
	capgen_msg_set_size(&m, 8 + 32);
	send_msg(g, &fe, &m);
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
	size = ftell(g->out.f);
	capgen_close(&g->out);
	if (size < 0 || truncate(path, size - 30))
		die(path);
}

int main(int argc, char **argv)
{
	static struct gen g;
	const char *sc, *path;

	if (argc != 3) {
		fprintf(stderr, "usage: vhu_gen basic|split|reconnect|bad|seq|foreign|text|truncated FILE\n");
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
	else if (!strcmp(sc, "seq"))
		scenario_seq(&g);
	else {
		fprintf(stderr, "vhu_gen: unknown scenario %s\n", sc);
		return 2;
	}
	capgen_close(&g.out);
	return 0;
}
