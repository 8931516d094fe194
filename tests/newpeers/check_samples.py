#!/usr/bin/env python3
# check_samples.py - the QEMU 11 / Rust back-end samples (samples/newpeers/) must decode and show what they are kept for.
#
# Usage: check_samples.py vhost-user-decode samples/newpeers/
# Each sample holds both peers' captures of one cross-checked run
# (samples/newpeers/make-samples.sh).  The decoder must read it cleanly (no
# malformed message, no warning or error note), both processes' copies of
# each direction must be the same messages, the requests the scenario is
# known for must appear, and QEMU 11's habit of asking for a reply to every
# ring setting must show in the need_reply flag.  A peer's own deviation
# from the spec (KNOWN) is the one finding its sample may show, where it
# happens and nowhere else.

import json
import os
import subprocess
import sys

DECODE, SAMPLES = sys.argv[1], sys.argv[2]

# QEMU 11 (with REPLY_ACK) sets NEED_REPLY on these, every time.
QEMU11_NEED_REPLY = ["VHOST_USER_SET_VRING_CALL", "VHOST_USER_SET_VRING_ERR",
		     "VHOST_USER_SET_VRING_KICK", "VHOST_USER_SET_VRING_ENABLE"]

START = ["VHOST_USER_GET_FEATURES", "VHOST_USER_SET_FEATURES", "VHOST_USER_SET_VRING_KICK",
	 "VHOST_USER_SET_VRING_ENABLE", "VHOST_USER_GET_VRING_BASE"]

# name: (requests that must appear, requests that must not)
EXPECT = {
	"qemu11-fs-virtiofsd.pcapng": (START + ["VHOST_USER_ADD_MEM_REG", "VHOST_USER_RESET_DEVICE",
		"VHOST_USER_SET_BACKEND_REQ_FD", "VHOST_USER_GET_MAX_MEM_SLOTS"],
		["VHOST_USER_SET_MEM_TABLE"]),
	"qemu11-vsock-vhost-device-vsock.pcapng": (START + ["VHOST_USER_SET_MEM_TABLE",
		"VHOST_USER_GET_CONFIG"],
		["VHOST_USER_ADD_MEM_REG", "VHOST_USER_RESET_DEVICE"]),
	"qemu11-blk-resize-qsd.pcapng": (START + ["VHOST_USER_BACKEND_CONFIG_CHANGE_MSG",
		"VHOST_USER_GET_CONFIG", "VHOST_USER_SET_BACKEND_REQ_FD"], []),
	"qemu11-fs-devstate-save.pcapng": (START + ["VHOST_USER_SET_DEVICE_STATE_FD",
		"VHOST_USER_CHECK_DEVICE_STATE"], []),
	"qemu11-fs-devstate-load.pcapng": (START + ["VHOST_USER_SET_DEVICE_STATE_FD",
		"VHOST_USER_CHECK_DEVICE_STATE"], []),
	"qemu11-gpu-vhost-user-gpu.pcapng": (START + ["VHOST_USER_GPU_SET_SOCKET",
		"VHOST_USER_GPU_GET_PROTOCOL_FEATURES", "VHOST_USER_GPU_GET_DISPLAY_INFO",
		"VHOST_USER_GPU_SCANOUT", "VHOST_USER_GPU_UPDATE"], []),
}

# name: (request, note) of a real peer's own finding: QEMU 11 acks the
# guest's features as they are, VIRTIO_F_RING_RESET too, which
# vhost-user-gpu does not offer.
KNOWN = {
	"qemu11-gpu-vhost-user-gpu.pcapng": ("VHOST_USER_SET_FEATURES",
		"vhost_user.rule.feature-not-offered"),
}

# name: a request that must come bigger than one record (64 KiB), whole.
BIG = {"qemu11-gpu-vhost-user-gpu.pcapng": "VHOST_USER_GPU_UPDATE"}


def decode(path):
	p = subprocess.run([DECODE, "-r", path, "-T", "json", "-x"], stdout=subprocess.PIPE,
			   stderr=subprocess.PIPE, text=True)
	msgs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
	return p.returncode, [m for m in msgs if "request" in m]


def side_view(msgs, pid, channel, direction):
	"""One process's copy of one channel's direction (the order between two
	channels is each process's own: the back-end channel's request and a
	main-channel reply may cross)."""
	return [(m["name"], m["flags"], m["size"],
		 [(fd.get("kind"), fd.get("inode")) for fd in m.get("fds") or []],
		 (m.get("fields") or {}).get("vhost_user.payload", ""))
		for m in msgs if m["pid"] == pid and m["channel"] == channel and m["direction"] == direction]


def check(name, path):
	errors = []
	must, must_not = EXPECT[name]
	known = KNOWN.get(name)
	rc, msgs = decode(path)
	if rc != 0:
		errors.append("vhost-user-decode exit status %d" % rc)
	pids = sorted({m["pid"] for m in msgs})
	if len(pids) != 2:
		errors.append("messages from processes %s, expected both peers" % pids)
	seen = {m["name"] for m in msgs}
	errors += ["%s does not appear" % r for r in must if r not in seen]
	errors += ["%s appears" % r for r in must_not if r in seen]
	for m in msgs:
		if m["name"] is None:
			errors.append("frame %d: unknown request %d" % (m["frame"], m["request"]))
		if m.get("malformed"):
			errors.append("frame %d %s: malformed: %s" % (m["frame"], m["name"], m["malformed"]))
		for n in m.get("notes") or []:
			if known == (m["name"], n.get("note")):
				continue
			if str(n.get("severity", "")).lower() in ("warning", "error"):
				errors.append("frame %d %s: %s" % (m["frame"], m["name"], n.get("text")))
		if m["name"] in QEMU11_NEED_REPLY and m["direction"] == "fe->be" and not m["need_reply"]:
			errors.append("frame %d: %s without NEED_REPLY" % (m["frame"], m["name"]))
	if known and not any(n.get("note") == known[1] for m in msgs if m["name"] == known[0]
			     for n in m.get("notes") or []):
		errors.append("%s without its known finding %s" % known)
	if name in BIG and not any(m["name"] == BIG[name] and m["size"] > 65536 for m in msgs):
		errors.append("no %s bigger than 64 KiB" % BIG[name])
	if len(pids) == 2:
		for ch, d in sorted({(m["channel"], m["direction"]) for m in msgs}):
			a, b = side_view(msgs, pids[0], ch, d), side_view(msgs, pids[1], ch, d)
			if a != b:
				errors.append("%s %s differs between pid %d (%d messages) and pid %d (%d)" %
					      (ch, d, pids[0], len(a), pids[1], len(b)))
	return ["%s: %s" % (name, e) for e in errors], len(msgs)


def main():
	errors = []
	files = sorted(f for f in os.listdir(SAMPLES) if f.endswith(".pcapng"))
	for f in files:
		if f not in EXPECT:
			errors.append("%s: a sample without expectations in check_samples.py" % f)
			continue
		errs, n = check(f, os.path.join(SAMPLES, f))
		errors += errs
		if not errs:
			print("ok: %s: %d messages, both peers agree" % (f, n))
	errors += ["%s: missing from %s" % (n, SAMPLES) for n in EXPECT if n not in files]
	for e in errors:
		print("FAIL:", e)
	return 1 if errors else 0


if __name__ == "__main__":
	sys.exit(main())
