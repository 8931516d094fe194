#!/usr/bin/env python3
# compare.py - cross-checks a decoded session of chroot peers (QEMU 11, Rust back-ends) with strace and QEMU's trace.
#
# The comparison itself is tests/realpeers/crosscheck.py (imported, not
# copied): strace's bytes and fds, cut into messages, against the decoder's
# JSON, both peers' copies against each other, and QEMU's own trace.  The
# newer peers and tools differ from Debian 12's in three ways this file
# adapts to, each one checked rather than ignored:
#
#  - strace 7 prints a passed eventfd as "{eventfd-count=0, eventfd-id=6,
#    eventfd-semaphore=0}" instead of "anon_inode:[eventfd]";
#  - QEMU 10/11's trace names the request: "vhost_user_write req:1
#    (GET_FEATURES) flags:0x1"; the name must be the core's name for that id;
#  - Rust virtiofsd serves from a child in its own pid namespace: the shim
#    there records pid 1, strace (outside) the real pid.  A decoded pid that
#    strace never saw is accepted only if the shim's own start record of
#    that process says ppid 0 (its parent is outside its pid namespace), and
#    is then matched to the one process of the same peer's strace log that
#    moved vhost-user messages and has no capture of its own; anything else
#    fails the check.
#
# Usage: compare.py --proto-h core/vhu_proto.h --peer fe.strace fe.json
#        --peer be.strace be.json [--qemu-trace qemu.trace] [--expect NAME]...
#        [--expect-need-reply NAME]... [--known-finding RULE]...

import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "realpeers"))
import crosscheck as cc  # noqa: E402

QEMU_TRACE_RE = cc.QEMU_TRACE_RE


def qemu_trace_names(path):
	"""(request id, QEMU's name for it) of every traced message that has one."""
	out = []
	with open(path, encoding="utf-8", errors="replace") as f:
		for line in f:
			m = QEMU_TRACE_RE.search(line)
			if m and m.group(3):
				out.append((int(m.group(2)), m.group(3)))
	return out


def check_qemu_names(report, names, aliases, path):
	"""QEMU's own name of each request id must be the core's (or an alias of it)."""
	bad = set()
	seen = 0
	for req, qname in qemu_trace_names(path):
		seen += 1
		core = names["main"].get(req)
		full = aliases.get("VHOST_USER_" + qname, "VHOST_USER_" + qname)
		if core != full:
			bad.add((req, qname, core))
	for req, qname, core in sorted(bad):
		report.fail("qemu trace names request %d %s, the core calls it %s" % (req, qname, core))
	if seen and not bad:
		report.note("qemu trace: the %d request names QEMU printed are the core's" % seen)


def message_pids(run, names):
	"""Processes of one strace log that moved at least one whole vhost-user message."""
	messages, _ = cc.reassemble([run])
	return {m.pid for m in messages}


def namespaced_pids(path):
	"""Pids whose process-start record has ppid 0: the first process of a pid namespace."""
	out = set()
	with open(path, encoding="utf-8") as f:
		for line in f:
			if '"process_start"' not in line:
				continue
			ev = json.loads(line)
			if (ev.get("fields") or {}).get("vhost_user_rec.ppid") == 0:
				out.add(int(ev["pid"]))
	return out


def map_pids(report, names, peers):
	"""Rewrites decoded pids strace never saw (pid namespaces) to strace's.

	peers: [(StraceRun, [decoded items], decoded file)]. Returns all items.
	"""
	out = []
	for run, items, path in peers:
		spids = message_pids(run, names)
		dpids = {int(it["pid"]) for it in items}
		unknown = sorted(dpids - spids)
		free = sorted(spids - dpids)
		if unknown:
			outside = sorted(set(unknown) - namespaced_pids(path))
			if outside:
				report.fail("%s: decoded pids %s not in strace (which has %s) and not in "
					    "a pid namespace" % (run.path, outside, sorted(spids)))
			elif len(unknown) != 1 or len(free) != 1:
				report.fail("%s: decoded pids %s not in strace, which has %s" %
					    (run.path, unknown, sorted(spids)))
			else:
				report.note("%s: pid %d recorded by the shim (a pid namespace) is pid %d "
					    "in strace" % (os.path.basename(run.path), unknown[0], free[0]))
				for it in items:
					if int(it["pid"]) == unknown[0]:
						it["pid"] = free[0]
		out.extend(items)
	return out


def check_need_reply(report, names, seqs, wanted):
	"""Each request named must travel with NEED_REPLY set, every time it is sent."""
	for name in wanted:
		flags = [m.flags for (pid, ch, d), msgs in seqs.items() if ch == "main" and d == "fe->be"
			 for m in msgs if m.xfer_dir == "out" and cc.describe(names, ch, m.request) == name]
		if not flags:
			report.fail("strace: %s never sent" % name)
		elif not all(f & 0x8 for f in flags):
			report.fail("strace: %s sent without NEED_REPLY (flags %s)" %
				    (name, sorted({hex(f) for f in flags})))
		else:
			report.note("%s: NEED_REPLY on all %d copies sent" % (name, len(flags)))


def main():
	ap = argparse.ArgumentParser(description=__doc__)
	ap.add_argument("--proto-h", required=True)
	ap.add_argument("--peer", nargs=2, action="append", required=True,
			metavar=("STRACE", "DECODED"),
			help="one peer's strace log and the decoder's JSON of its capture")
	ap.add_argument("--qemu-trace", action="append", default=[])
	ap.add_argument("--expect", action="append", default=[])
	ap.add_argument("--expect-need-reply", action="append", default=[])
	ap.add_argument("--monitor-socket", action="append", default=[],
			help="file name of a QMP monitor socket a peer serves (not vhost-user: left out)")
	ap.add_argument("--known-finding", action="append", default=[], metavar="RULE",
			help="a rule a real peer of the run breaks itself (docs/diagnosis.md)")
	ap.add_argument("--phase", help="the protocol phase the run exercises (named when a message is missing)")
	args = ap.parse_args()

	names, aliases = cc.load_request_names(args.proto_h)
	report = cc.Report()
	if cc.missing_witnesses(report, [p for pair in args.peer for p in pair] + args.qemu_trace):
		return cc.print_report(report)

	seqs = cc.strace_session(report, names, [s for s, _ in args.peer], args.expect, args.phase,
				 args.monitor_socket)
	check_need_reply(report, names, seqs, args.expect_need_reply)

	cc.check_strace_pairs(report, seqs)
	for path in args.qemu_trace:
		cc.check_qemu(report, seqs, path)
		check_qemu_names(report, names, aliases, path)
	peers = [(cc.StraceRun(s, args.monitor_socket), cc.load_decoded([d]), d) for s, d in args.peer]
	for run, items, _ in peers:
		if not items:
			report.fail("%s: the decoder shows no message" % run.path)
	decoded = map_pids(report, names, peers)
	cc.check_decoded(report, names, seqs, decoded, args.known_finding)
	cc.check_decoded_sides(report, decoded)
	return cc.print_report(report, "compare", seqs)


if __name__ == "__main__":
	sys.exit(main())
