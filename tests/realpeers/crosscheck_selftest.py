#!/usr/bin/env python3
# crosscheck_selftest.py - proves crosscheck.py fails when two witnesses disagree.
#
# Usage: crosscheck_selftest.py crosscheck.py core/vhu_proto.h
# Builds a small session by hand (strace logs of both peers, a QEMU trace, a
# DPDK log, the decoder's JSON), checks that crosscheck.py accepts it, then
# changes one thing at a time and checks that each change is caught with
# the right reason.

import json
import os
import subprocess
import sys
import tempfile

CROSSCHECK, PROTO_H = sys.argv[1], sys.argv[2]

FE, BE = 4100, 4200
SOCK_FE = "3<UNIX-STREAM:[1001->1002]>"
SOCK_BE = "9<UNIX-STREAM:[1002->1001,\"\\x2f\\x73\"]>"
EVENTFD = "\\x61\\x6e\\x6f\\x6e\\x5f\\x69\\x6e\\x6f\\x64\\x65\\x3a\\x5b\\x65\\x76\\x65\\x6e\\x74\\x66\\x64\\x5d"


def hexs(b):
	return "".join("\\x%02x" % c for c in b)


def msg(req, flags, payload=b""):
	return req.to_bytes(4, "little") + flags.to_bytes(4, "little") + \
		len(payload).to_bytes(4, "little") + payload


def sendmsg(pid, t, sock, data, fds=""):
	ctl = "msg_controllen=0"
	if fds:
		ctl = ("msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, "
		       "cmsg_data=[%s]}], msg_controllen=24" % fds)
	return ('%d %.6f sendmsg(%s, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="%s", '
		'iov_len=%d}], msg_iovlen=1, %s, msg_flags=0}, MSG_NOSIGNAL) = %d\n' %
		(pid, t, sock, hexs(data), len(data), ctl, len(data)))


def recvmsg(pid, t, sock, data, fds=""):
	return sendmsg(pid, t, sock, data, fds).replace("sendmsg(", "recvmsg(")


def read(pid, t, sock, data):
	return '%d %.6f read(%s, "%s", %d) = %d\n' % (pid, t, sock, hexs(data), len(data), len(data))


GET_FEATURES = msg(1, 1)
FEATURES_REPLY = msg(1, 5, (0x140000000).to_bytes(8, "little"))
SET_OWNER = msg(3, 1)
SET_VRING_CALL = msg(13, 1, (0).to_bytes(8, "little"))


def session(corrupt_reply=False):
	reply_seen = FEATURES_REPLY if not corrupt_reply else FEATURES_REPLY[:-1] + b"\x01"
	fe = (sendmsg(FE, 1.0, SOCK_FE, GET_FEATURES) +
	      "%d 1.100000 recvmsg(%s, {msg_name=NULL <unfinished ...>\n" % (FE, SOCK_FE) +
	      "%d 1.101000 clone3({flags=CLONE_VM|CLONE_THREAD}, 88) = %d\n" % (FE, FE + 1) +
	      "%d 1.200000 <... recvmsg resumed>, msg_namelen=0, msg_iov=[{iov_base=\"%s\", iov_len=12}], "
	      "msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 12\n" % (FE, hexs(reply_seen[:12])) +
	      read(FE + 1, 1.3, SOCK_FE, reply_seen[12:]) +
	      sendmsg(FE, 1.4, SOCK_FE, SET_OWNER) +
	      sendmsg(FE, 1.5, SOCK_FE, SET_VRING_CALL, "7<%s>" % EVENTFD))
	be = (recvmsg(BE, 1.05, SOCK_BE, GET_FEATURES) +
	      sendmsg(BE, 1.06, SOCK_BE, FEATURES_REPLY) +
	      recvmsg(BE, 1.45, SOCK_BE, SET_OWNER) +
	      recvmsg(BE, 1.55, SOCK_BE, SET_VRING_CALL[:12], "21<%s>" % EVENTFD) +
	      read(BE, 1.56, SOCK_BE, SET_VRING_CALL[12:]))
	return fe, be


def decoded(pid, sent):
	"""What the decoder shows for one process's capture."""
	rows = [("VHOST_USER_GET_FEATURES", GET_FEATURES, "fe->be", []),
		("VHOST_USER_GET_FEATURES", FEATURES_REPLY, "be->fe", []),
		("VHOST_USER_SET_OWNER", SET_OWNER, "fe->be", []),
		("VHOST_USER_SET_VRING_CALL", SET_VRING_CALL, "fe->be", [{"kind": "eventfd"}])]
	out = []
	for i, (name, raw, d, fds) in enumerate(rows):
		req = int.from_bytes(raw[0:4], "little")
		flags = int.from_bytes(raw[4:8], "little")
		out.append({"frame": i + 1, "time_ns": "0x%x" % i, "conn": "1.1", "channel": "main",
			    "direction": d, "pid": pid, "request": req, "name": name,
			    "flags": flags, "size": len(raw) - 12, "nfds": len(fds), "fds": fds,
			    "malformed": False,
			    "fields": {"vhost_user.payload": raw[12:].hex()} if len(raw) > 12 else {}})
	return out


def run(d, extra):
	cmd = [sys.executable, CROSSCHECK, "--proto-h", PROTO_H,
	       "--strace", os.path.join(d, "fe.strace"), "--strace", os.path.join(d, "be.strace")] + extra
	p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
	return p.returncode, p.stdout


def write(d, name, text):
	with open(os.path.join(d, name), "w") as f:
		f.write(text)
	return os.path.join(d, name)


def main():
	failures = 0

	def expect(what, rc, out, want_rc, want_text):
		nonlocal failures
		if rc != want_rc or want_text not in out:
			failures += 1
			print("selftest FAIL: %s: rc %d (want %d), output:\n%s" % (what, rc, want_rc, out))
		else:
			print("selftest ok: %s" % what)

	with tempfile.TemporaryDirectory() as d:
		fe, be = session()
		write(d, "fe.strace", fe)
		write(d, "be.strace", be)
		qemu = write(d, "qemu.trace", "vhost_user_write req:1 flags:0x1\nvhost_user_read req:1 flags:0x5\n"
			     "vhost_user_write req:3 flags:0x1\nvhost_user_write req:13 flags:0x1\n")
		dpdk = write(d, "dpdk.log", "VHOST_CONFIG: (/s) read message VHOST_USER_GET_FEATURES\n"
			     "VHOST_CONFIG: (/s) read message VHOST_USER_SET_OWNER\n"
			     "VHOST_CONFIG: (/s) read message VHOST_USER_SET_VRING_CALL\n")
		dec_fe = write(d, "fe.json", json.dumps(decoded(FE, True)))
		dec_be = write(d, "be.json", "\n".join(json.dumps(r) for r in decoded(BE, False)))
		good = ["--qemu-trace", qemu, "--dpdk-log", dpdk, "--decoded", dec_fe,
			"--decoded", dec_be, "--expect", "VHOST_USER_SET_VRING_CALL"]
		rc, out = run(d, good)
		expect("agreeing witnesses pass", rc, out, 0, "pid %d main fe->be: 3 messages agree (decoder = strace, payload bytes too)" % BE)

		bad = decoded(FE, True)
		bad[2]["flags"] = 9
		write(d, "fe.json", json.dumps(bad))
		rc, out = run(d, good)
		expect("decoder flags differ", rc, out, 1, "pid %d main fe->be: message 2 differs" % FE)

		bad = decoded(FE, True)
		bad[3]["fds"] = [{"kind": "memfd"}]
		write(d, "fe.json", json.dumps(bad))
		rc, out = run(d, good)
		expect("decoder fd kind differs", rc, out, 1, "memfd")

		bad = decoded(FE, True)
		bad[1]["fields"]["vhost_user.payload"] = "00" * 8
		write(d, "fe.json", json.dumps(bad))
		rc, out = run(d, good)
		expect("decoder payload bytes differ", rc, out, 1, "pid %d main be->fe: message 1 differs" % FE)

		bad = decoded(FE, True)
		bad[1]["notes"] = [{"note": "vhost_user.bad_version", "severity": "Error",
				    "text": "Version 2 in the flags, expected 1"}]
		write(d, "fe.json", json.dumps(bad))
		rc, out = run(d, good)
		expect("decoder reports an error in a clean run", rc, out, 1, "error note in a real run")

		bad = decoded(FE, True)
		bad[3]["fds"] = [{"kind": "eventfd", "inode": 77}]
		write(d, "fe.json", json.dumps(bad))
		rc, out = run(d, good)
		expect("the two sides describe a passed fd differently", rc, out, 1,
		       "decoder main fe->be: message 3 differs")

		bad = decoded(BE, False)[:-1]
		write(d, "fe.json", json.dumps(decoded(FE, True)))
		write(d, "be.json", json.dumps(bad))
		rc, out = run(d, good)
		expect("decoder misses a message", rc, out, 1, "strace has 3 messages, decoder has 2")
		write(d, "be.json", json.dumps(decoded(BE, False)))

		write(d, "qemu.trace", "vhost_user_write req:1 flags:0x1\nvhost_user_read req:1 flags:0x5\n"
		      "vhost_user_write req:13 flags:0x1\n")
		rc, out = run(d, good)
		expect("qemu trace disagrees", rc, out, 1, "qemu main fe->be: message 2 differs")
		write(d, "qemu.trace", "vhost_user_write req:1 flags:0x1\nvhost_user_read req:1 flags:0x5\n"
		      "vhost_user_write req:3 flags:0x1\nvhost_user_write req:13 flags:0x1\n")

		write(d, "dpdk.log", "read message VHOST_USER_GET_FEATURES\nread message VHOST_USER_SET_OWNER\n")
		rc, out = run(d, good)
		expect("dpdk log disagrees", rc, out, 1, "dpdk log has 2")
		write(d, "dpdk.log", "read message VHOST_USER_GET_FEATURES\nread message VHOST_USER_SET_OWNER\n"
		      "read message VHOST_USER_SET_VRING_CALL\n")

		fe, be = session(corrupt_reply=True)
		write(d, "fe.strace", fe)
		rc, out = run(d, good)
		expect("a byte changed between sender and receiver", rc, out, 1, "strace main be->fe: message 1 differs")
		fe, be = session()
		write(d, "fe.strace", fe)

		rc, out = run(d, good + ["--expect", "VHOST_USER_SET_MEM_TABLE"])
		expect("an expected message is missing", rc, out, 1, "expected VHOST_USER_SET_MEM_TABLE")

		write(d, "be.strace", be.replace(hexs(SET_VRING_CALL[12:]), hexs(SET_VRING_CALL[12:16])).
		      replace(") = 8\n", ") = 4\n"))
		rc, out = run(d, good)
		expect("a stream cut inside a message", rc, out, 1, "stream ends inside a message")
	return 1 if failures else 0


if __name__ == "__main__":
	sys.exit(main())
