#!/usr/bin/env python3
# compare_selftest.py - compare.py must accept a consistent run of the new peers and catch each kind of difference.
#
# Usage: compare_selftest.py compare.py core/vhu_proto.h
# Builds tiny witness files by hand (strace 7 lines, QEMU 11 trace lines,
# decoder JSON) for one SET_VRING_CALL with an eventfd and its reply, then
# breaks one thing at a time and checks compare.py's exact verdict.

import json
import os
import subprocess
import sys
import tempfile

COMPARE, PROTO_H = sys.argv[1], sys.argv[2]

FE_PID, BE_PID, NS_PID = 4100, 4200, 1
SET_VRING_CALL = 13
EVENTFD_ANN = "{eventfd-count=0, eventfd-id=6, eventfd-semaphore=0}"


def hx(data):
	return "".join("\\x%02x" % b for b in data)


def header(req, flags, size):
	return req.to_bytes(4, "little") + flags.to_bytes(4, "little") + size.to_bytes(4, "little")


REQ = header(SET_VRING_CALL, 0x9, 8) + bytes(8)
REPLY = header(SET_VRING_CALL, 0x5, 8) + bytes(8)


def sock(ino, peer):
	return '12<UNIX-STREAM:[%d->%d,"%s"]>' % (ino, peer, hx(b"/tmp/x.sock"))


def msg_call(call, pid, t, ino, peer, data, fd_ann=None):
	ctl = ""
	if fd_ann:
		ctl = ("msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, "
		       "cmsg_data=[16<%s>]}], msg_controllen=24, " % fd_ann)
	return ('%d %.6f %s(%s, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="%s", iov_len=%d}], '
		"msg_iovlen=1, %smsg_flags=0}, 0) = %d\n" %
		(pid, t, call, sock(ino, peer), hx(data), len(data), ctl, len(data)))


def strace_files(d, be_ann=EVENTFD_ANN):
	fe = msg_call("sendmsg", FE_PID, 1.0, 10, 11, REQ, EVENTFD_ANN) + \
		msg_call("recvmsg", FE_PID, 1.3, 10, 11, REPLY)
	be = msg_call("recvmsg", BE_PID, 1.1, 11, 10, REQ, be_ann) + \
		msg_call("sendmsg", BE_PID, 1.2, 11, 10, REPLY)
	for name, text in (("fe.strace", fe), ("be.strace", be)):
		with open(os.path.join(d, name), "w") as f:
			f.write(text)


def decoded(pid, kind="eventfd", flags=0x9, ppid=4000):
	fd = {"kind": kind, "name": "anon_inode:[eventfd]", "fd": 16, "inode": 1038}
	start = {"frame": 0, "event": "process_start", "pid": pid,
		 "fields": {"vhost_user_rec.ppid": ppid}}
	base = {"pid": pid, "channel": "main", "request": SET_VRING_CALL,
		"name": "VHOST_USER_SET_VRING_CALL", "size": 8, "notes": [],
		"fields": {"vhost_user.payload": "0000000000000000"}}
	req = dict(base, frame=1, direction="fe->be", flags=flags, nfds=1, fds=[fd])
	rep = dict(base, frame=2, direction="be->fe", flags=0x5, nfds=0, fds=[])
	return "\n".join(json.dumps(x) for x in (start, req, rep)) + "\n"


def write(d, name, text):
	with open(os.path.join(d, name), "w") as f:
		f.write(text)


def trace(name="SET_VRING_CALL", flags="0x9"):
	return ("vhost_user_write req:%d (%s) flags:%s\n"
		"vhost_user_read req:%d (%s) flags:0x5\n" % (SET_VRING_CALL, name, flags,
							      SET_VRING_CALL, name))


def run(d, extra=()):
	p = subprocess.run([sys.executable, COMPARE, "--proto-h", PROTO_H,
			    "--peer", os.path.join(d, "fe.strace"), os.path.join(d, "fe.json"),
			    "--peer", os.path.join(d, "be.strace"), os.path.join(d, "be.json"),
			    "--qemu-trace", os.path.join(d, "qemu.trace"),
			    "--expect-need-reply", "VHOST_USER_SET_VRING_CALL"] + list(extra),
			   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
	return p.returncode, p.stdout


# name: (changes to the consistent files, expected exit status, text the output must have)
CASES = [
	("consistent", {}, 0, "agree (decoder = strace, payload bytes too)"),
	("pid namespace", {"be.json": decoded(NS_PID, ppid=0)}, 0,
	 "pid 1 recorded by the shim (a pid namespace) is pid 4200 in strace"),
	("strace 6 annotation", {"be.strace": None}, 0, "agree"),
	("fd kind", {"be.json": decoded(BE_PID, kind="other")}, 1,
	 "strace has ('VHOST_USER_SET_VRING_CALL', 9, 8, 1, ['eventfd']"),
	("qemu name", {"qemu.trace": trace(name="SET_VRING_KICK")}, 1,
	 "qemu trace names request 13 SET_VRING_KICK, the core calls it VHOST_USER_SET_VRING_CALL"),
	("qemu flags", {"qemu.trace": trace(flags="0x1")}, 1, "qemu main fe->be: message 1 differs"),
	("unknown pid", {"be.json": decoded(77)}, 1, "not in a pid namespace"),
	("two namespaced pids", {"be.json": decoded(NS_PID, ppid=0) + decoded(2, ppid=0)}, 1,
	 "decoded pids [1, 2] not in strace"),
	("need reply", {"fe.json": decoded(FE_PID, flags=0x1)}, 1, "message 1 differs"),
]


def main():
	failures = 0
	for name, changes, want_rc, want_text in CASES:
		with tempfile.TemporaryDirectory() as d:
			strace_files(d, be_ann="anon_inode:[eventfd]" if "be.strace" in changes else EVENTFD_ANN)
			write(d, "fe.json", decoded(FE_PID))
			write(d, "be.json", decoded(BE_PID))
			write(d, "qemu.trace", trace())
			for fname, text in changes.items():
				if text is not None:
					write(d, fname, text)
			rc, out = run(d)
		if rc != want_rc or want_text not in out:
			failures += 1
			print("FAIL: %s: exit %d (want %d), output:\n%s" % (name, rc, want_rc, out))
		else:
			print("ok: %s" % name)
	return 1 if failures else 0


if __name__ == "__main__":
	sys.exit(main())
