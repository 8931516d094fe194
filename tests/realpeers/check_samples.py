#!/usr/bin/env python3
# check_samples.py - decodes every bundled sample capture and checks what it must show.
#
# Usage: check_samples.py vhost-user-decode samples/
# The samples are real runs (samples/README.md); the decoder must read them
# all, show the messages each scenario is known for, and, where both peers
# were captured, show on each side exactly what the other side sent.  The
# broken-* samples must show their one problem, and only that one.

import json
import os
import subprocess
import sys

DECODE, SAMPLES = sys.argv[1], sys.argv[2]

START = ["VHOST_USER_GET_FEATURES", "VHOST_USER_SET_VRING_KICK", "VHOST_USER_GET_VRING_BASE"]

# name: (decoder exit status, processes captured, requests that must appear,
#        (request, note id or "malformed", text) that must be reported or None)
EXPECT = {
	"dpdk-pair-server.pcapng": (0, 2, START + ["VHOST_USER_SET_MEM_TABLE"], None),
	"dpdk-pair-client.pcapng": (0, 2, START + ["VHOST_USER_SET_MEM_TABLE"], None),
	"qemu-blk-qsd-firmware.pcapng": (0, 2, START + ["VHOST_USER_ADD_MEM_REG",
		"VHOST_USER_GET_CONFIG", "VHOST_USER_SET_BACKEND_REQ_FD"], None),
	"qemu-blk-qsd-guest.pcapng": (0, 2, START + ["VHOST_USER_ADD_MEM_REG",
		"VHOST_USER_GET_CONFIG", "VHOST_USER_SET_BACKEND_REQ_FD"], None),
	"qemu-net-dpdk.pcapng": (0, 2, START + ["VHOST_USER_SET_MEM_TABLE",
		"VHOST_USER_SET_VRING_ENABLE"], None),
	"qemu-fs-virtiofsd.pcapng": (0, 2, START + ["VHOST_USER_ADD_MEM_REG",
		"VHOST_USER_SET_BACKEND_REQ_FD"], None),
	"qemu-net-mq.pcapng": (0, 2, START + ["VHOST_USER_GET_QUEUE_NUM",
		"VHOST_USER_SET_VRING_ENABLE"], None),
	"qemu-net-iotlb.pcapng": (0, 2, START + ["VHOST_USER_IOTLB_MSG",
		"VHOST_USER_BACKEND_IOTLB_MSG"], None),
	# source and destination, each with its testpmd
	"qemu-net-migrate.pcapng": (0, 4, START + ["VHOST_USER_SET_LOG_BASE",
		"VHOST_USER_SET_MEM_TABLE"], None),
	# QEMU and the two testpmd, the first one killed
	"qemu-net-reconnect.pcapng": (0, 3, START + ["VHOST_USER_SET_VRING_BASE"], None),
	# UML asks for a reply to the very message that negotiates REPLY_ACK
	"uml-blk-qsd.pcapng": (0, 2, ["VHOST_USER_GET_FEATURES", "VHOST_USER_SET_MEM_TABLE",
		"VHOST_USER_SET_VRING_CALL", "VHOST_USER_SET_VRING_KICK",
		"VHOST_USER_GET_CONFIG"], ("VHOST_USER_SET_PROTOCOL_FEATURES",
		"vhost_user.rule.need-reply-without-reply-ack", "REPLY_ACK was not negotiated")),
	"peer-broken-close.pcapng": (1, 2, ["VHOST_USER_GET_FEATURES"],
		("VHOST_USER_GET_PROTOCOL_FEATURES", "malformed", "4 of 8")),
	"peer-broken-flags.pcapng": (0, 2, ["VHOST_USER_GET_QUEUE_NUM"],
		("VHOST_USER_GET_QUEUE_NUM", "vhost_user.rule.bad-flags", "version 2")),
	"peer-broken-fds.pcapng": (0, 2, ["VHOST_USER_GET_QUEUE_NUM"],
		("VHOST_USER_SET_MEM_TABLE", "vhost_user.rule.fd-count", "2 expected")),
	"peer-broken-oversize.pcapng": (1, 2, ["VHOST_USER_GET_QUEUE_NUM"],
		("VHOST_USER_SET_MEM_TABLE", "malformed", "4294967295")),
}


def decode(path):
	p = subprocess.run([DECODE, "-r", path, "-T", "json", "-x"], stdout=subprocess.PIPE,
			   stderr=subprocess.PIPE, text=True)
	msgs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
	return p.returncode, [m for m in msgs if "request" in m]


def problems_of(msg):
	"""(note id, text) for every problem the decoder reports on a message."""
	out = [(n.get("note", ""), n.get("text", "")) for n in msg.get("notes") or []
	       if str(n.get("severity", "")).lower() in ("error", "warning")]
	if msg.get("malformed"):
		out.append(("malformed", str(msg["malformed"])))
	return out


def side_view(msgs, pid, channel, direction):
	"""One process's copy of one channel's direction.  Passed fds get new
	numbers in the receiver, but kind and inode are those of the same open
	file.  The order between two channels is each process's own (a
	back-end channel request and a main-channel reply may cross)."""
	return [(m["name"], m["flags"], m["size"], m["nfds"],
		 [(fd.get("kind"), fd.get("inode")) for fd in m.get("fds") or []],
		 (m.get("fields") or {}).get("vhost_user.payload", ""))
		for m in msgs if m["pid"] == pid and m["channel"] == channel and m["direction"] == direction]


def check(name, path, errors):
	status, procs, requests, problem = EXPECT[name]
	rc, msgs = decode(path)
	err = lambda text: errors.append("%s: %s" % (name, text))
	if rc != status:
		err("vhost-user-decode exit status %d, expected %d" % (rc, status))
	pids = sorted({m["pid"] for m in msgs})
	if len(pids) != procs:
		err("messages from %d processes %s, expected %d" % (len(pids), pids, procs))
	seen = {m["name"] for m in msgs}
	for r in requests:
		if r not in seen:
			err("%s does not appear" % r)
	found = [(m["name"], note, text) for m in msgs for note, text in problems_of(m)]
	if problem is None:
		for f in found:
			err("problem reported in a clean run: %s" % (f,))
	else:
		want_req, want_note, want_text = problem
		hits = [f for f in found if f[0] == want_req and f[1] == want_note and want_text in f[2]]
		if not hits:
			err("expected %s on %s containing '%s'; reported: %s" %
			    (want_note, want_req, want_text, found))
		others = [f for f in found if f[0] != want_req]
		if others:
			err("problems reported on other messages: %s" % others)
	# Both peers captured in a clean run: each side received what the other sent.
	if problem is None and len(pids) == 2:
		for ch, d in sorted({(m["channel"], m["direction"]) for m in msgs}):
			a, b = side_view(msgs, pids[0], ch, d), side_view(msgs, pids[1], ch, d)
			if a != b:
				err("%s %s differs between pid %d (%d messages) and pid %d (%d messages)" %
				    (ch, d, pids[0], len(a), pids[1], len(b)))
	if not errors or not any(e.startswith(name + ":") for e in errors):
		print("ok: %s: %d messages from %d processes" % (name, len(msgs), len(pids)))


def main():
	errors = []
	files = sorted(f for f in os.listdir(SAMPLES) if f.endswith(".pcapng"))
	for f in files:
		if f not in EXPECT:
			errors.append("%s: a sample without expectations in check_samples.py" % f)
			continue
		check(f, os.path.join(SAMPLES, f), errors)
	for name in EXPECT:
		if name not in files:
			errors.append("%s: missing from %s" % (name, SAMPLES))
	for e in errors:
		print("FAIL:", e)
	return 1 if errors else 0


if __name__ == "__main__":
	sys.exit(main())
