/* SPDX-License-Identifier: MIT */
/*
 * attach_event.h - what the kernel programs (attach.bpf.c) hand the
 * collector (collector.c) through the ring buffer, and the maps they share.
 *
 * Included by the BPF object (with vmlinux.h) and by user space (with the
 * C library): fixed-width types only.
 */
#ifndef VHU_ATTACH_EVENT_H
#define VHU_ATTACH_EVENT_H

/* Data copied per call; a call that moved more is cut (VHU_RF_CUT). */
#define VHU_ATT_DATA_MAX 32768u
/* Passed fds described per call (a vhost-user message carries at most 8). */
#define VHU_ATT_MAX_FDS 16
#define VHU_ATT_NAME_MAX 64
#define VHU_ATT_PATH_MAX 108
/* iovecs looked at per call */
#define VHU_ATT_MAX_IOV 16
/* Calls on a new socket whose first bytes are not a vhost-user header
 * before the socket is given up: an attach may land inside a message. */
#define VHU_ATT_MAX_MISSES 8
/* Largest payload size a first-bytes header may announce. */
#define VHU_ATT_MAX_PAYLOAD 65536u

enum vhu_att_kind {
	VHU_ATT_DATA_SENT = 1,
	VHU_ATT_DATA_RECV = 2,
	VHU_ATT_CONNECT = 3,
	VHU_ATT_ACCEPT = 4,
	VHU_ATT_CLOSE = 6,
};

/* Per-socket state in the kernel map, keyed by struct sock address. */
enum vhu_att_state {
	VHU_ATT_CANDIDATE = 1,	/* first bytes not seen yet */
	VHU_ATT_TRACKED = 2,	/* recorded */
	VHU_ATT_DROPPED = 3,	/* not vhost-user: nothing copied any more */
};

struct vhu_att_sock {
	unsigned char state;
	unsigned char misses;
	unsigned char opened;	/* connect/accept seen after the attach */
	unsigned char pad[5];
};

/* Settings the collector writes into the object's read-only data. */
struct vhu_att_config {
	unsigned int all_pids;	/* --all: every process, else only the targets map */
	unsigned int all_unix;	/* every unix stream socket, no first-bytes test */
};

struct vhu_att_fd {
	int fd;
	unsigned int mode;	/* i_mode */
	unsigned long long dev;	/* kernel dev_t of the super block */
	unsigned long long ino;
	unsigned long long size;
	unsigned long long sk;	/* struct sock of a socket, else 0 */
	unsigned long long peer_sk;	/* its unix peer (the kept end of a socketpair) */
	unsigned int magic;	/* super block magic: anon inodes, pipes, sockets */
	unsigned short name_len;
	unsigned short pad;
	char name[VHU_ATT_NAME_MAX];	/* dentry name */
};

/* One event, as the ring buffer carries it: this fixed part, nfd_items
 * struct vhu_att_fd, then data_len bytes of data. */
struct vhu_att_event {
	unsigned long long ts;		/* CLOCK_MONOTONIC, ns */
	unsigned long long sk;		/* connection identity: struct sock address */
	unsigned int kind;		/* enum vhu_att_kind */
	unsigned int call;		/* enum vhu_call */
	unsigned int tgid, tid, ppid;
	int fd;
	unsigned int moved;		/* the call's return value */
	unsigned int data_len;		/* bytes copied */
	unsigned short flags;		/* VHU_RF_* (PEEK, TRUNC, CTRUNC, SHORT, CUT) */
	unsigned char opened;		/* the socket was opened after the attach */
	unsigned char nfds;		/* fds passed (SCM_RIGHTS), all of them */
	unsigned char nfd_items;	/* fds described below */
	unsigned char path_len;
	unsigned char has_cred;
	unsigned char pad;
	unsigned int peer_pid, peer_uid, peer_gid;
	char comm[16];
	char path[VHU_ATT_PATH_MAX];	/* sun_path of the socket's address */
};

#endif
