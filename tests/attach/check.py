#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks of the attach tests, on `vhost-user-decode -T json` output.

  check.py same SHIM.json ATTACH.json
      Per process, channel and direction, the messages the attach recorded
      are the last ones the shim recorded (all of them when the attach came
      first): same requests, flags, sizes, decoded fields, fd kinds and
      inodes.  Returns 1 on any difference.
  check.py pingpong ATTACH.json [--last N] [--min M] [--cut-end]
      The attach_pingpong session: no malformed message, no finding but
      "capture started in the middle of the session" and, with --duration,
      the last message of a stream cut by the end of the capture; in every
      process the replies carry
      consecutive values (nothing lost after the first boundary), at least M
      of them, and the last one is N-1 when N is given.
  check.py sequence ATTACH.json PID[,PID...] DIRECTION NAME...
      In each process, the messages of the main channel going DIRECTION
      (fe->be or be->fe) hold the NAMEs in this order (others may come
      between them).  Returns 1 if one is missing.
"""
import json
import sys


def load(path):
    """The decoded items, one at a time (a capture may hold millions)."""
    with open(path) as f:
        for line in f:
            if line.startswith("{"):
                yield json.loads(line)


# fields that depend on frame numbers and timing, not on the message
VOLATILE = ("vhost_user.response_to", "vhost_user.time", "vhost_user.request_in")


def messages(items):
    """(pid, channel, direction) -> [message summary], in capture order."""
    seqs = {}
    for it in items:
        if "request" not in it:
            continue
        key = (it["pid"], it["channel"], it["direction"])
        fds = tuple((fd["kind"], fd.get("inode")) for fd in it.get("fds", []))
        fields = {k: v for k, v in it.get("fields", {}).items() if k not in VOLATILE}
        seqs.setdefault(key, []).append(
            (it["name"], it["flags"], it["size"], json.dumps(fields, sort_keys=True), fds))
    return seqs


def same(shim_path, attach_path):
    shim, att = messages(load(shim_path)), messages(load(attach_path))
    bad = 0
    if not att:
        print("attach capture holds no message")
        return 1
    for key, got in sorted(att.items()):
        want = shim.get(key)
        if want is None:
            print("%s: recorded by the attach only (%d messages)" % (key, len(got)))
            bad += 1
            continue
        tail = want[len(want) - len(got):] if len(got) <= len(want) else None
        if tail != got:
            print("%s: attach %d messages, shim %d; they differ" % (key, len(got), len(want)))
            for i, (a, b) in enumerate(zip(reversed(got), reversed(want))):
                if a != b:
                    print("  from the end, #%d:\n    attach %s\n    shim   %s" % (i, a, b))
                    break
            bad += 1
        else:
            print("%s: %d messages, equal to the shim's last %d" % (key, len(got), len(got)))
    return 1 if bad else 0


def pingpong(path, last=None, minimum=1, cut_end=False):
    bad = 0
    replies = {}
    truncated = {}	# stream -> frame of a truncated message, while it is the last one
    for it in load(path):
        stream = (it.get("pid"), it.get("direction"))
        if stream in truncated:
            print("frame %s: truncated, and not the end of its stream" % truncated.pop(stream))
            bad += 1
        notes = [n["note"] for n in it.get("notes", [])]
        if cut_end and "vhost_user.truncated" in notes:
            truncated[stream] = it.get("frame")
            notes.remove("vhost_user.truncated")
            it.pop("malformed", None)
        for n in notes:
            if n != "vhost_user.midstream":
                print("frame %s: finding %s" % (it.get("frame"), n))
                bad += 1
        if it.get("malformed"):
            print("frame %s: malformed: %s" % (it.get("frame"), it["malformed"]))
            bad += 1
        if it.get("reply") and "vhost_user.features" in it.get("fields", {}):
            replies.setdefault((it["pid"], it["direction"]), []).append(it["fields"]["vhost_user.features"])
    if not replies:
        print("no reply recorded")
        return 1
    for key, vals in sorted(replies.items()):
        gaps = [i for i in range(1, len(vals)) if vals[i] != vals[i - 1] + 1]
        print("%s: %d replies, values %d..%d, %d gaps" % (key, len(vals), vals[0], vals[-1], len(gaps)))
        if gaps:
            i = gaps[0]
            print("  first gap after %d: %d" % (vals[i - 1], vals[i]))
            bad += 1
        if len(vals) < minimum:
            print("  fewer than %d replies" % minimum)
            bad += 1
        if last is not None and vals[-1] != last - 1:
            print("  the last value is not %d" % (last - 1))
            bad += 1
    return 1 if bad else 0


def sequence(path, pids, direction, names):
    seqs = messages(load(path))
    bad = 0
    for pid in pids:
        got = [m[0] for m in seqs.get((pid, "main", direction), [])]
        i = 0
        for name in got:
            if i < len(names) and name == names[i]:
                i += 1
        if i == len(names):
            print("%d %s: %s in order" % (pid, direction, ", ".join(names)))
            continue
        print("%d %s: no %s after %s (recorded: %s)" %
              (pid, direction, names[i], ", ".join(names[:i]) or "the start", ", ".join(got)))
        bad += 1
    return 1 if bad else 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "same":
        return same(argv[2], argv[3])
    if len(argv) >= 3 and argv[1] == "pingpong":
        last, minimum, cut_end = None, 1, False
        rest = argv[3:]
        while rest:
            if rest[0] == "--cut-end":
                cut_end = True
                rest = rest[1:]
                continue
            if rest[0] == "--last":
                last = int(rest[1])
            elif rest[0] == "--min":
                minimum = int(rest[1])
            else:
                break
            rest = rest[2:]
        return pingpong(argv[2], last, minimum, cut_end)
    if len(argv) >= 6 and argv[1] == "sequence":
        return sequence(argv[2], [int(p) for p in argv[3].split(",")], argv[4], argv[5:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
