#!/usr/bin/env python3
# crosscheck.py - compares a decoded vhost-user session with independent witnesses of the same run.
#
# The witnesses are strace's record of the peers' socket calls (every byte
# and every passed fd), QEMU's 'vhost_user_*' trace and DPDK's
# lib.vhost.config debug log.  The decoded session is the JSON printed by
# vhost-user-decode -T json for the capture files the shim wrote.
#
# Every witness is turned into the same thing: for each process, channel and
# direction, the ordered list of vhost-user messages it sent or received.
# Any difference between two witnesses of the same list fails the check.
#
# Standard library only: the tests must run on a fresh Debian 12.

import argparse
import json
import os
import re
import sys

HDR_SIZE = 12
FLAG_REPLY = 0x4
MAX_PAYLOAD = 16 * 1024 * 1024

# Request names come from the core's header, never from a second table here.
ENUM_FOR_CHANNEL = {"main": "vhu_fe_req", "backend": "vhu_be_req", "gpu": "vhu_gpu_req"}


def load_request_names(proto_h):
	"""Reads enum vhu_fe_req / vhu_be_req / vhu_gpu_req out of core/vhu_proto.h.

	Returns {channel: {id: name}} and {old name: current name} for the
	historical aliases (SLAVE_* -> BACKEND_*) the header keeps.
	"""
	with open(proto_h, encoding="utf-8") as f:
		text = f.read()
	names = {}
	aliases = {}
	for channel, enum in ENUM_FOR_CHANNEL.items():
		m = re.search(r"enum\s+%s\s*\{(.*?)\};" % enum, text, re.S)
		if not m:
			raise SystemExit("crosscheck: enum %s not found in %s" % (enum, proto_h))
		table = {}
		for name, value in re.findall(r"\bVHU_(\w+)\s*=\s*(\d+)", m.group(1)):
			if name.endswith("_MAX"):
				continue
			table.setdefault(int(value), "VHOST_USER_" + name)
		names[channel] = table
		for old, new in re.findall(r"\bVHU_(\w+)\s*=\s*VHU_(\w+)", m.group(1)):
			aliases["VHOST_USER_" + old] = "VHOST_USER_" + new
	return names, aliases


# ---- strace ------------------------------------------------------------------

LINE_RE = re.compile(r"^(\d+)\s+(\d+\.\d+)\s+(.*)$")
CALL_RE = re.compile(r"^(\w+)\((.*)$")
RET_RE = re.compile(r"\)\s+=\s+(-?\d+)(?:<[^>]*>)?(?:\s.*)?$")
SOCK_RE = re.compile(r"^(\d+)<UNIX-STREAM:\[(\d+)(?:->(\d+))?(?:,\"((?:\\x[0-9a-f]{2})*)\")?[^\]]*\]>")
STRING_RE = re.compile(r'"((?:\\x[0-9a-f]{2})*)"')
IOV_RE = re.compile(r'iov_base="((?:\\x[0-9a-f]{2})*)"')
CMSG_FDS_RE = re.compile(r"cmsg_type=SCM_RIGHTS, cmsg_data=\[(.*?)\]\}")
FD_ITEM_RE = re.compile(r"(\d+)<(UNIX-STREAM:\[[^\]]*\]|(?:\\x[0-9a-f]{2}|[^>\\])*)>")
PAIR_RE = re.compile(r"\[\d+<UNIX-STREAM:\[(\d+)->(\d+)\]>, \d+<UNIX-STREAM:\[(\d+)->(\d+)\]>\]")
CLONE_RET_RE = re.compile(r"=\s+(\d+)\s*$")

SEND_CALLS = {"sendmsg", "write", "writev", "send", "sendto"}
RECV_CALLS = {"recvmsg", "read", "readv", "recv", "recvfrom"}
IOV_CALLS = {"sendmsg", "recvmsg", "writev", "readv"}
MMSG_CALLS = {"sendmmsg", "recvmmsg"}
MMSG_HDR_RE = re.compile(r"\{msg_hdr=")
MMSG_LEN_RE = re.compile(r"\}, msg_len=(\d+)")


def unhex(s):
	return bytes(int(h, 16) for h in re.findall(r"\\x([0-9a-f]{2})", s))


def unescape(s):
	"""Turns strace's \\xHH escapes back into text (fd annotations)."""
	return re.sub(r"\\x([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), s)


def fd_kind(annotation):
	"""Classifies a passed fd from its strace -yy annotation."""
	a = unescape(annotation)
	if a.startswith("/memfd:"):
		return "memfd"
	# strace 6 prints the inode, strace 7 the counter
	if a == "anon_inode:[eventfd]" or a.startswith("{eventfd-"):
		return "eventfd"
	if a.startswith("UNIX") or a.startswith("socket:"):
		return "socket"
	if a.startswith("pipe:"):
		return "pipe"
	if a.startswith("/"):
		return "file"	# the core's word for VHU_FDK_REGULAR
	return "other"


def socket_inode(annotation):
	m = re.match(r"UNIX-STREAM:\[(\d+)", unescape(annotation))
	return int(m.group(1)) if m else None


class StraceRun:
	"""Socket transfers of one strace -f log, joined and sorted per thread group."""

	def __init__(self, path, monitors=()):
		self.path = path
		self.monitors = set(monitors)	# socket names of QMP monitors: not vhost-user
		self.tgid = {}		# tid -> process id (thread group)
		self.transfers = []	# dicts: pid, time, dir, ino, peer, data, fds
		self.peers = {}		# socket inode -> peer inode
		self._parse(path)

	def _process_of(self, tid):
		return self.tgid.setdefault(tid, tid)

	def _parse(self, path):
		pending = {}
		with open(path, encoding="latin-1") as f:
			for raw in f:
				m = LINE_RE.match(raw.rstrip("\n"))
				if not m:
					continue
				tid, when, rest = int(m.group(1)), float(m.group(2)), m.group(3)
				if rest.endswith("<unfinished ...>"):
					pending[tid] = rest[: -len("<unfinished ...>")].rstrip()
					continue
				r = re.match(r"^<\.\.\. (\w+) resumed>(.*)$", rest)
				if r:
					head = pending.pop(tid, None)
					if head is None:
						continue
					rest = head + r.group(2)
				self._call(tid, when, rest)

	def _call(self, tid, when, text):
		m = CALL_RE.match(text)
		if not m:
			return
		name, args = m.group(1), m.group(2)
		if name in ("clone", "clone3", "fork", "vfork"):
			r = CLONE_RET_RE.search(text)
			if r:
				child = int(r.group(1))
				parent = self._process_of(tid)
				self.tgid[child] = parent if "CLONE_THREAD" in text else child
			return
		if name == "socketpair":
			p = PAIR_RE.search(text)
			if p:
				self.peers[int(p.group(1))] = int(p.group(2))
				self.peers[int(p.group(3))] = int(p.group(4))
			return
		if name not in SEND_CALLS and name not in RECV_CALLS and name not in MMSG_CALLS:
			return
		s = SOCK_RE.match(args)
		if not s:
			return
		ret = RET_RE.search(text)
		if not ret or int(ret.group(1)) <= 0:
			return
		count = int(ret.group(1))
		if name in ("recv", "recvfrom", "recvmsg", "recvmmsg") and "MSG_PEEK" in args:
			return
		if s.group(4) and os.path.basename(unescape(s.group(4))) in self.monitors:
			return
		ino = int(s.group(2))
		if s.group(3):
			self.peers[ino] = int(s.group(3))
		xfer_dir = "in" if name in RECV_CALLS or name == "recvmmsg" else "out"
		if name in MMSG_CALLS:
			# One transfer per message header, each msg_len bytes long;
			# the call returns how many headers were used.
			for hdr in MMSG_HDR_RE.split(args[s.end():])[1:count + 1]:
				n = MMSG_LEN_RE.search(hdr)
				self._transfer(tid, when, xfer_dir, ino, hdr, IOV_RE.findall(hdr),
					       int(n.group(1)) if n else 0)
			return
		if name in IOV_CALLS:
			pieces = IOV_RE.findall(args)
		else:
			sm = STRING_RE.search(args[s.end():])
			pieces = [sm.group(1)] if sm else []
		self._transfer(tid, when, xfer_dir, ino, args, pieces, count)

	def _transfer(self, tid, when, xfer_dir, ino, args, pieces, count):
		data = b"".join(unhex(x) for x in pieces)[:count]
		if len(data) != count:
			raise SystemExit("crosscheck: %s: strace shows %d of %d bytes (raise -s)" %
					 (self.path, len(data), count))
		if count == 0:
			return
		fds = []
		c = CMSG_FDS_RE.search(args)
		if c:
			for num, ann in FD_ITEM_RE.findall(c.group(1)):
				fds.append({"fd": int(num), "kind": fd_kind(ann), "ino": socket_inode(ann)})
		self.transfers.append({
			"pid": self._process_of(tid), "tid": tid, "time": when,
			"dir": xfer_dir, "ino": ino, "data": data, "fds": fds,
		})


class Message:
	def __init__(self, pid, ino, xfer_dir, time, hdr):
		self.pid = pid
		self.ino = ino
		self.xfer_dir = xfer_dir
		self.time = time
		self.request = int.from_bytes(hdr[0:4], "little")
		self.flags = int.from_bytes(hdr[4:8], "little")
		self.size = int.from_bytes(hdr[8:12], "little")
		self.payload = b""
		self.fds = []
		self.channel = None
		self.direction = None

	def key(self):
		return (self.pid, self.channel, self.direction)


class Stream:
	"""The bytes one process moved on one socket in one direction."""

	def __init__(self, pid, ino, xfer_dir):
		self.pid, self.ino, self.xfer_dir = pid, ino, xfer_dir
		self.hdr = b""		# header bytes of the next message
		self.fds = []		# fds that came with them
		self.msg = None		# message whose payload is being read
		self.broken = False	# a size no vhost-user message has: stop

	def feed(self, t, messages, problems):
		data, fds = t["data"], t["fds"]
		while data and not self.broken:
			if self.msg is None:
				need = HDR_SIZE - len(self.hdr)
				self.hdr += data[:need]
				data = data[need:]
				self.fds += fds
				fds = []
				if len(self.hdr) < HDR_SIZE:
					return
				self.msg = Message(self.pid, self.ino, self.xfer_dir, t["time"], self.hdr)
				self.msg.fds, self.fds, self.hdr = self.fds, [], b""
				if self.msg.size > MAX_PAYLOAD:
					problems.append("pid %d socket %d: size %d is not a vhost-user message" %
							(self.pid, self.ino, self.msg.size))
					self.broken = True
					return
			take = self.msg.size - len(self.msg.payload)
			self.msg.payload += data[:take]
			data = data[take:]
			if fds:
				problems.append("pid %d socket %d: fds arrived in the middle of request %d" %
						(self.pid, self.ino, self.msg.request))
				fds = []
			if len(self.msg.payload) == self.msg.size:
				messages.append(self.msg)
				self.msg = None

	def unfinished(self):
		return not self.broken and (self.msg is not None or self.hdr)


def reassemble(runs, skip=frozenset()):
	"""Cuts each process's byte stream per socket and direction into messages.

	Syscall boundaries mean nothing (a header may come in one call and its
	payload in the next, or two messages in one call).  fds belong to the
	message whose first byte travelled with them: the kernel delivers them
	with the first byte of the sendmsg that carried them, and the peers put
	them on a message's first call.
	"""
	messages = []
	problems = []
	streams = {}
	for run in runs:
		for t in run.transfers:
			if t["ino"] in skip:
				continue
			key = (t["pid"], t["ino"], t["dir"])
			if key not in streams:
				streams[key] = Stream(*key)
			streams[key].feed(t, messages, problems)
	for st in streams.values():
		if st.unfinished():
			problems.append("pid %d socket %d (%s): stream ends inside a message" %
					(st.pid, st.ino, st.xfer_dir))
	return messages, problems


def request_id(names, name):
	for req, n in names["main"].items():
		if n == name:
			return req
	raise SystemExit("crosscheck: %s is not in core/vhu_proto.h" % name)


def handover_requests(names):
	return {request_id(names, "VHOST_USER_SET_BACKEND_REQ_FD"): "backend",
		request_id(names, "VHOST_USER_GPU_SET_SOCKET"): "gpu"}


def notifier_sockets(messages, runs, names):
	"""Sockets passed in any other message than the two that open a channel,
	and their peers: kick, call and error notifiers (user-mode-linux passes
	a socket where others pass an eventfd).  The 8-byte counts moved on them
	are not vhost-user messages."""
	handover = handover_requests(names)
	peers = {}
	for run in runs:
		peers.update(run.peers)
	out = set()
	for msg in messages:
		if msg.request in handover and not msg.flags & FLAG_REPLY:
			continue
		for fd in msg.fds:
			if fd["ino"] is not None:
				out.add(fd["ino"])
				if peers.get(fd["ino"]) is not None:
					out.add(peers[fd["ino"]])
	return frozenset(out)


def classify(messages, runs, names):
	"""Sets each message's channel (main/backend/gpu) and direction (fe->be/be->fe).

	A socket handed over on a main channel in SET_BACKEND_REQ_FD or
	GPU_SET_SOCKET is a back-end or GPU channel, and so is its peer (the
	end the front-end kept).  On those channels the direction is the
	socket end's: what the back-end's end (the one handed over) writes or
	the front-end's end reads goes back-end to front-end, whatever the
	flags say (vhost-user-gpu leaves a GPU_UPDATE's flags uninitialized:
	with the sanitizer's allocator they read 0xbebebebe, the REPLY bit
	set).
	"""
	handover = handover_requests(names)
	peers = {}
	for run in runs:
		peers.update(run.peers)
	passed = {}
	for msg in sorted(messages, key=lambda m: m.time):
		if msg.ino in passed or peers.get(msg.ino) in passed:
			continue
		if msg.flags & FLAG_REPLY or msg.request not in handover:
			continue
		for fd in msg.fds:
			if fd["ino"] is not None:
				passed[fd["ino"]] = handover[msg.request]
	for msg in messages:
		ch = passed.get(msg.ino) or passed.get(peers.get(msg.ino)) or "main"
		msg.channel = ch
		if ch == "main":
			msg.direction = "be->fe" if msg.flags & FLAG_REPLY else "fe->be"
		else:
			from_backend = (msg.ino in passed) == (msg.xfer_dir == "out")
			msg.direction = "be->fe" if from_backend else "fe->be"


def strace_sequences(paths, names, monitors=()):
	runs = [StraceRun(p, monitors) for p in paths]
	messages, _ = reassemble(runs)
	messages, problems = reassemble(runs, notifier_sockets(messages, runs, names))
	classify(messages, runs, names)
	seqs = {}
	for msg in sorted(messages, key=lambda m: m.time):
		seqs.setdefault(msg.key(), []).append(msg)
	return seqs, problems


# ---- the decoder's JSON ------------------------------------------------------

def load_decoded(paths):
	"""Reads vhost-user-decode -T json output: a JSON array or one object per line."""
	out = []
	for path in paths:
		with open(path, encoding="utf-8") as f:
			text = f.read().strip()
		if not text:
			continue
		if text.startswith("["):
			items = json.loads(text)
		else:
			items = [json.loads(line) for line in text.splitlines() if line.strip()]
		for item in items:
			if isinstance(item, dict) and "request" in item:
				out.append(item)
	return out


def decoded_sequences(items):
	"""Keeps the decoder's order: frames in capture order, file by file."""
	seqs = {}
	for it in items:
		key = (int(it["pid"]), it["channel"], it["direction"])
		seqs.setdefault(key, []).append(it)
	return seqs


PAYLOAD_KEY = "vhost_user.payload"


def fd_kinds_of(item):
	return [str(fd.get("kind", "")).lower() for fd in item.get("fds") or []]


# ---- peers' own logs ---------------------------------------------------------

# QEMU 7.2: "req:5 flags:0x1"; QEMU 10 and later: "req:5 (SET_MEM_TABLE) flags:0x1"
QEMU_TRACE_RE = re.compile(r"vhost_user_(write|read) req:(\d+)(?: \((\w+)\))? flags:(0x[0-9a-f]+)")
DPDK_READ_RE = re.compile(r"read message (VHOST_USER_\w+)")


def qemu_trace(path):
	"""QEMU's own view of the main channel: (req, flags) written and read."""
	wrote, read = [], []
	with open(path, encoding="utf-8", errors="replace") as f:
		for line in f:
			m = QEMU_TRACE_RE.search(line)
			if m:
				(wrote if m.group(1) == "write" else read).append(
					(int(m.group(2)), int(m.group(4), 16)))
	return wrote, read


def dpdk_log(path):
	with open(path, encoding="utf-8", errors="replace") as f:
		return DPDK_READ_RE.findall(f.read())


# ---- comparison --------------------------------------------------------------

class Report:
	def __init__(self):
		self.failures = []
		self.notes = []

	def fail(self, text):
		self.failures.append(text)

	def note(self, text):
		self.notes.append(text)


def describe(names, channel, req):
	return names.get(channel, {}).get(req, "request %d" % req)


def fd_agrees(a, b):
	"""One passed fd, as a kind or a (kind, inode) pair.  A sandboxed shim
	records the fds it receives as of kind "unknown" (it may not look at
	them): that says nothing, so it agrees with anything."""
	kind = lambda x: x if isinstance(x, str) else x[0]
	return a == b or "unknown" in (kind(a), kind(b))


def agrees(a, b):
	"""Two messages' tuples are equal, but for fds of unknown kind."""
	if a == b:
		return True
	if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
		return all(agrees(x, y) for x, y in zip(a, b))
	if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
		return all(fd_agrees(x, y) for x, y in zip(a, b))
	return False


def compare_lists(report, what, left_name, left, right_name, right):
	"""Compares two lists of tuples; reports the first difference and the lengths."""
	n = min(len(left), len(right))
	for i in range(n):
		if not agrees(left[i], right[i]):
			report.fail("%s: message %d differs: %s has %s, %s has %s" %
				    (what, i + 1, left_name, left[i], right_name, right[i]))
			return False
	if len(left) != len(right):
		extra = left[n:] if len(left) > n else right[n:]
		report.fail("%s: %s has %d messages, %s has %d (first extra: %s)" %
			    (what, left_name, len(left), right_name, len(right), extra[0]))
		return False
	return True


def strace_pid_by_role(seqs, role):
	"""The process that sends fe->be main-channel requests (role fe) or receives them (be)."""
	pids = set()
	for (pid, ch, d), msgs in seqs.items():
		if ch != "main" or d != "fe->be":
			continue
		if (role == "fe") == (msgs[0].xfer_dir == "out"):
			pids.add(pid)
	return pids


def check_strace_pairs(report, seqs):
	"""What one peer sent must be what the other received, byte for byte."""
	by_ch_dir = {}
	for (pid, ch, d), msgs in seqs.items():
		for m in msgs:
			by_ch_dir.setdefault((ch, d, m.xfer_dir), []).append(m)
	for (ch, d, xdir), msgs in by_ch_dir.items():
		if xdir != "out":
			continue
		got = by_ch_dir.get((ch, d, "in"))
		if got is None:
			continue
		sent = [(m.request, m.flags, m.size, m.payload, len(m.fds), [f["kind"] for f in m.fds])
			for m in sorted(msgs, key=lambda m: m.time)]
		recv = [(m.request, m.flags, m.size, m.payload, len(m.fds), [f["kind"] for f in m.fds])
			for m in sorted(got, key=lambda m: m.time)]
		if compare_lists(report, "strace %s %s" % (ch, d), "sender", sent, "receiver", recv):
			report.note("strace %s %s: %d messages, sender and receiver agree byte for byte" %
				    (ch, d, len(sent)))


def check_decoded(report, names, seqs, decoded, known_rules=()):
	"""The decoder's messages, per process/channel/direction, against strace's.

	known_rules: rules a real peer of the run breaks itself (its finding is
	an error note the decoder is right to show).
	"""
	known = {"vhost_user.rule." + r for r in known_rules}
	dseqs = decoded_sequences(decoded)
	pids = {k[0] for k in seqs}
	dpids = {k[0] for k in dseqs}
	if not dpids:
		report.fail("decoder: no messages decoded")
		return
	if not (pids & dpids):
		report.fail("decoder: processes %s, strace saw %s" % (sorted(dpids), sorted(pids)))
		return
	for key in sorted(set(seqs) | set(dseqs), key=str):
		pid, ch, d = key
		if pid not in dpids:
			continue	# a process that ran without the shim
		smsgs = seqs.get(key, [])
		dmsgs = dseqs.get(key, [])
		# The payload bytes are compared when the decoder shows them (-x).
		with_bytes = any(PAYLOAD_KEY in (it.get("fields") or {}) for it in dmsgs)
		left = [(describe(names, ch, m.request), m.flags, m.size, len(m.fds),
			 [f["kind"] for f in m.fds], m.payload.hex() if with_bytes else None)
			for m in smsgs]
		right = []
		for it in dmsgs:
			raw = (it.get("fields") or {}).get(PAYLOAD_KEY, "")
			right.append((it.get("name") or describe(names, ch, int(it["request"])),
				      int(it["flags"]), int(it["size"]), int(it["nfds"]),
				      fd_kinds_of(it), raw.lower() if with_bytes else None))
		ok = compare_lists(report, "pid %d %s %s" % key, "strace", left, "decoder", right)
		if ok:
			report.note("pid %d %s %s: %d messages agree (decoder = strace%s)" %
				    (pid, ch, d, len(left), ", payload bytes too" if with_bytes else ""))
		for it in dmsgs:
			if it.get("malformed"):
				report.fail("decoder: frame %s flagged malformed in a real run: %s" %
					    (it.get("frame"), it.get("malformed")))
			# Real peers speak the protocol correctly: an error the
			# decoder reports about their session is the decoder's.
			for n in it.get("notes") or []:
				if n.get("note") in known:
					report.note("decoder: pid %d frame %s %s: known finding of the peer: %s" %
						    (pid, it.get("frame"), it.get("name"), n.get("text")))
				elif str(n.get("severity", "")).lower() == "error":
					report.fail("decoder: pid %d frame %s %s: error note in a real run: %s" %
						    (pid, it.get("frame"), it.get("name"), n.get("text")))


def check_decoded_sides(report, decoded):
	"""Both peers captured: each one's copy of a direction must be the same.

	A passed fd has another number in the receiver but the same inode, so
	this also checks that the shim describes fds the same way on both ends.
	"""
	dseqs = decoded_sequences(decoded)
	by_dir = {}
	for (pid, ch, d), items in dseqs.items():
		by_dir.setdefault((ch, d), []).append((pid, items))
	for (ch, d), sides in sorted(by_dir.items()):
		if len(sides) != 2:
			continue
		(pa, a), (pb, b) = sides
		view = lambda items: [(it.get("name"), it.get("flags"), it.get("size"),
				       [(fd.get("kind"), fd.get("inode")) for fd in it.get("fds") or []],
				       (it.get("fields") or {}).get(PAYLOAD_KEY))
				      for it in items]
		if compare_lists(report, "decoder %s %s" % (ch, d), "pid %d" % pa, view(a),
				 "pid %d" % pb, view(b)):
			report.note("decoder %s %s: pid %d and pid %d recorded the same %d messages "
				    "(fd inodes too)" % (ch, d, pa, pb, len(a)))


def check_qemu(report, seqs, trace_path):
	wrote, read = qemu_trace(trace_path)
	if not wrote:
		report.fail("qemu trace %s: no vhost_user_write lines" % trace_path)
		return
	fe = strace_pid_by_role(seqs, "fe")
	if len(fe) != 1:
		report.fail("qemu: expected one front-end process in strace, found %s" % sorted(fe))
		return
	pid = fe.pop()
	sent = [(m.request, m.flags) for m in seqs.get((pid, "main", "fe->be"), [])]
	got = [(m.request, m.flags) for m in seqs.get((pid, "main", "be->fe"), [])]
	if compare_lists(report, "qemu main fe->be", "strace", sent, "qemu trace", wrote):
		report.note("qemu trace: %d requests written agree with strace" % len(wrote))
	if compare_lists(report, "qemu main be->fe", "strace", got, "qemu trace", read):
		report.note("qemu trace: %d replies read agree with strace" % len(read))


def check_dpdk(report, names, aliases, seqs, log_path):
	# DPDK 22.11 still prints the old SLAVE_* names.
	logged = [aliases.get(n, n) for n in dpdk_log(log_path)]
	if not logged:
		report.fail("dpdk log %s: no 'read message' lines" % log_path)
		return
	be = sorted(strace_pid_by_role(seqs, "be"))
	if not be:
		report.fail("dpdk: no back-end process in strace")
		return
	got = {pid: [describe(names, "main", m.request) for m in seqs.get((pid, "main", "fe->be"), [])]
	       for pid in be}
	# Several back-ends (one restarted, each with its own log): the log
	# must be exactly what one of them read.
	for pid in be:
		if got[pid] == logged:
			report.note("dpdk log %s: %d requests read agree with strace (pid %d)" %
				    (os.path.basename(log_path), len(logged), pid))
			return
	compare_lists(report, "dpdk back-end main fe->be (%s)" % os.path.basename(log_path),
		      "strace pid %d" % be[0], got[be[0]], "dpdk log", logged)


def dump(names, seqs, out):
	for key in sorted(seqs, key=str):
		pid, ch, d = key
		for m in seqs[key]:
			out.write("pid %-7d %-7s %s %-4s %-40s flags 0x%x size %d fds %s\n" %
				  (pid, ch, d, "sent" if m.xfer_dir == "out" else "recv",
				   describe(names, ch, m.request), m.flags, m.size,
				   ",".join(f["kind"] for f in m.fds) or "-"))


def missing_witnesses(report, paths):
	"""Fails the report for each witness file that is not there; True if any."""
	for path in paths:
		if not os.path.exists(path):
			report.fail("missing witness file %s" % path)
	return bool(report.failures)


def strace_session(report, names, straces, expected, phase=None, monitors=()):
	"""strace's message sequences of the session; every name in expected
	must be among their requests (a miss names the phase, when given).
	Sockets named in monitors carry QMP, not vhost-user: left out."""
	seqs, problems = strace_sequences(straces, names, monitors)
	for p in problems:
		report.fail("strace: " + p)
	if not seqs:
		report.fail("strace: no vhost-user message seen on any unix socket")
	seen = {describe(names, k[1], m.request) for k, msgs in seqs.items() for m in msgs}
	for name in expected:
		if name not in seen:
			report.fail("%sstrace: expected %s in the session, not seen" %
				    ("phase %s: " % phase if phase else "", name))
	return seqs


RING_REQUESTS = ("VHOST_USER_SET_VRING_ADDR", "VHOST_USER_SET_VRING_KICK", "VHOST_USER_SET_VRING_ENABLE")


def check_rings(report, names, seqs, count, phase=None):
	"""Every ring 0..count-1 was given its address, its kick fd and an
	enable by the front-end (the first payload byte is the ring index in
	all three: the low bits of a u32 index or of the kick's u64)."""
	seen = {name: set() for name in RING_REQUESTS}
	for (pid, ch, d), msgs in seqs.items():
		if ch != "main" or d != "fe->be":
			continue
		for m in msgs:
			name = describe(names, ch, m.request)
			if m.xfer_dir == "out" and name in seen and m.payload:
				seen[name].add(m.payload[0])
	prefix = "phase %s: " % phase if phase else ""
	ok = True
	for name in RING_REQUESTS:
		missing = sorted(set(range(count)) - seen[name])
		if missing:
			ok = False
			report.fail("%sstrace: %s never sent for ring(s) %s (sent for %s)" %
				    (prefix, name, missing, sorted(seen[name])))
	if ok:
		report.note("rings 0..%d: address, kick and enable each sent" % (count - 1))


F_LOG_ALL = 1 << 26		# VHOST_F_LOG_ALL in SET_FEATURES
VRING_F_LOG = 0x1		# VHOST_VRING_F_LOG in SET_VRING_ADDR's flags


def sent_by_fe(names, seqs, name):
	"""The main-channel messages called name that a front-end sent."""
	return [m for (pid, ch, d), msgs in seqs.items() if ch == "main" and d == "fe->be"
		for m in msgs if m.xfer_dir == "out" and describe(names, ch, m.request) == name]


def check_dirty_log(report, names, seqs, phase=None):
	"""Dirty logging switched on: LOG_ALL in a SET_FEATURES, SET_LOG_BASE
	with one fd and its reply, a ring address with the log flag."""
	prefix = "phase %s: strace: " % (phase or "dirty log")
	features = [int.from_bytes(m.payload[:8], "little") for m in
		    sent_by_fe(names, seqs, "VHOST_USER_SET_FEATURES")]
	if not any(f & F_LOG_ALL for f in features):
		report.fail(prefix + "no SET_FEATURES with LOG_ALL (bit 26) among %d" % len(features))
	bases = sent_by_fe(names, seqs, "VHOST_USER_SET_LOG_BASE")
	if not any(len(m.fds) == 1 for m in bases):
		report.fail(prefix + "no SET_LOG_BASE with the log's fd (%d sent)" % len(bases))
	replies = [m for (pid, ch, d), msgs in seqs.items() if ch == "main" and d == "be->fe"
		   for m in msgs if m.xfer_dir == "out" and
		   describe(names, ch, m.request) == "VHOST_USER_SET_LOG_BASE"]
	if bases and not replies:
		report.fail(prefix + "SET_LOG_BASE was never answered")
	addrs = sent_by_fe(names, seqs, "VHOST_USER_SET_VRING_ADDR")
	if not any(int.from_bytes(m.payload[4:8], "little") & VRING_F_LOG for m in addrs):
		report.fail(prefix + "no SET_VRING_ADDR with the log flag among %d" % len(addrs))
	if features and bases and replies and addrs:
		report.note("dirty log: LOG_ALL set, %d SET_LOG_BASE (fd kinds %s), %d replies" %
			    (len(bases), [f["kind"] for m in bases for f in m.fds], len(replies)))


def check_sessions(report, decoded_paths, count):
	"""A front-end's capture holds count main-channel connections or more
	on one socket path (a back-end restarted under it)."""
	best = (0, None)
	for path in decoded_paths:
		per_path = {}
		with open(path, encoding="utf-8") as f:
			for line in f:
				if '"event":"connect"' not in line:
					continue
				ev = json.loads(line)
				m = re.search(r" path=(\S+)", ev.get("summary", ""))
				if m and ev.get("role") == "front-end":
					per_path.setdefault(m.group(1), set()).add(ev.get("conn"))
		for sock, conns in per_path.items():
			best = max(best, (len(conns), sock))
	if best[0] < count:
		report.fail("phase reconnect: decoder: at most %d connection(s) on one path, %d expected" %
			    (best[0], count))
	else:
		report.note("%d sessions on %s in one capture" % best)


def print_report(report, tool=None, seqs=None):
	"""Prints the summary line (when seqs are given), the notes and the
	failures; returns the exit status."""
	if seqs is not None:
		total = sum(len(v) for v in seqs.values())
		print("%s: strace saw %d message copies in %d process/channel/direction lists" %
		      (tool, total, len(seqs)))
	for n in report.notes:
		print("ok:", n)
	for f in report.failures:
		print("FAIL:", f)
	return 1 if report.failures else 0


def main():
	ap = argparse.ArgumentParser(description=__doc__)
	ap.add_argument("--proto-h", required=True, help="core/vhu_proto.h (request names)")
	ap.add_argument("--strace", action="append", default=[], required=True)
	ap.add_argument("--decoded", action="append", default=[],
			help="vhost-user-decode -T json output (one per capture file)")
	ap.add_argument("--qemu-trace", action="append", default=[])
	ap.add_argument("--dpdk-log", action="append", default=[])
	ap.add_argument("--expect", action="append", default=[],
			help="a request name that must appear in the strace record")
	ap.add_argument("--monitor-socket", action="append", default=[],
			help="file name of a QMP monitor socket a peer serves (not vhost-user: left out)")
	ap.add_argument("--expect-rings", type=int, default=0,
			help="rings 0..N-1 must each get SET_VRING_ADDR, _KICK and _ENABLE")
	ap.add_argument("--expect-dirty-log", action="store_true",
			help="LOG_ALL, SET_LOG_BASE with its fd and reply, a logged ring address")
	ap.add_argument("--expect-sessions", type=int, default=0,
			help="a front-end's capture has N connections on one socket path")
	ap.add_argument("--phase", help="the protocol phase the run exercises (named when a message is missing)")
	ap.add_argument("--dump", action="store_true", help="print strace's message list")
	args = ap.parse_args()

	names, aliases = load_request_names(args.proto_h)
	report = Report()
	if missing_witnesses(report, args.strace + args.decoded + args.qemu_trace + args.dpdk_log):
		return print_report(report)

	seqs = strace_session(report, names, args.strace, args.expect, args.phase,
			      args.monitor_socket)
	if args.dump:
		dump(names, seqs, sys.stdout)

	check_strace_pairs(report, seqs)
	if args.expect_dirty_log:
		check_dirty_log(report, names, seqs, args.phase)
	if args.expect_rings:
		check_rings(report, names, seqs, args.expect_rings, args.phase)
	for path in args.qemu_trace:
		check_qemu(report, seqs, path)
	for path in args.dpdk_log:
		check_dpdk(report, names, aliases, seqs, path)
	if args.decoded:
		decoded = load_decoded(args.decoded)
		check_decoded(report, names, seqs, decoded)
		check_decoded_sides(report, decoded)
		if args.expect_sessions:
			check_sessions(report, args.decoded, args.expect_sessions)
	return print_report(report, "crosscheck", seqs)


if __name__ == "__main__":
	sys.exit(main())
