#!/usr/bin/env python3
"""check_json.py - vhost-user-decode -T json: every line parses, the keys
documented in docs/decoder-json.md are there with the right types, and the
values of a known capture are right."""
import json
import os
import subprocess
import sys

MESSAGE_KEYS = {
    "frame": int, "index": int, "time_ns": int, "rel_ns": int, "conn": str,
    "channel": str, "direction": str, "sender": str, "pid": int, "comm": str,
    "request": int, "name": (str, type(None)), "flags": int, "reply": bool,
    "need_reply": bool, "size": int, "nfds": int, "fds": list, "summary": str,
    "notes": list, "fields": dict,
}
EVENT_KEYS = {
    "frame": int, "event": str, "time_ns": int, "rel_ns": int, "conn": str,
    "channel": str, "role": str, "pid": int, "comm": str, "summary": str, "fields": dict,
}
FD_KEYS = {"kind": str, "name": str, "fd": int, "inode": (int, str)}

errors = []


def fail(msg):
    errors.append(msg)


def check_keys(obj, keys, what):
    for k, t in keys.items():
        if k not in obj:
            fail(f"{what}: key {k} missing: {obj}")
        elif not isinstance(obj[k], t) or (t is int and isinstance(obj[k], bool)):
            fail(f"{what}: key {k} has type {type(obj[k]).__name__}: {obj}")


def check_fields(obj, what):
    for k, v in obj["fields"].items():
        if not (k.startswith("vhost_user.") or k.startswith("vhost_user_rec.")):
            fail(f"{what}: field {k} is not a filter name")
        for x in v if isinstance(v, list) else [v]:
            if isinstance(x, int) and not isinstance(x, bool) and x > 2 ** 53:
                fail(f"{what}: {k} = {x} above 2^53 must be a hex string")
            if isinstance(x, str) and x.startswith("0x") and int(x, 16) <= 2 ** 53:
                fail(f"{what}: {k} = {x} fits a number")


def decode(decoder, capdir, *args):
    p = subprocess.run([decoder, "-T", "json", *args], cwd=capdir,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    objs = []
    for n, line in enumerate(p.stdout.decode().splitlines(), 1):
        try:
            objs.append(json.loads(line))
        except ValueError as e:
            fail(f"{args}: line {n} is not JSON ({e}): {line}")
    return p.returncode, objs


def check_stream(objs, what):
    for o in objs:
        if "stats" in o:
            continue
        if "event" in o:
            if o["event"] == "bad_record":
                check_keys(o, {"frame": int, "malformed": str}, what)
            else:
                check_keys(o, EVENT_KEYS, what)
                check_fields(o, what)
            continue
        check_keys(o, MESSAGE_KEYS, what)
        check_fields(o, what)
        if o["direction"] not in ("fe->be", "be->fe"):
            fail(f"{what}: direction {o['direction']}")
        if o["channel"] not in ("main", "backend", "gpu"):
            fail(f"{what}: channel {o['channel']}")
        if len(o["fds"]) != min(o["nfds"], 32):
            fail(f"{what}: {o['nfds']} fds but {len(o['fds'])} described")
        for fd in o["fds"]:
            check_keys(fd, FD_KEYS, what + " fd")


def by_name(objs, name, reply):
    return [o for o in objs if o.get("name") == name and o.get("reply") == reply]


def main():
    decoder, capdir = sys.argv[1], sys.argv[2]

    rc, basic = decode(decoder, capdir, "basic.pcapng")
    check_stream(basic, "basic")
    if rc != 0:
        fail(f"basic: exit {rc}")
    req = by_name(basic, "VHOST_USER_GET_FEATURES", False)[0]
    rep = by_name(basic, "VHOST_USER_GET_FEATURES", True)[0]
    if rep.get("reply_to") != req["frame"] or rep.get("latency_ns") != 10000:
        fail(f"GET_FEATURES reply: reply_to/latency_ns wrong: {rep}")
    if rep["fields"].get("vhost_user.features") != 0x140428000:
        fail(f"GET_FEATURES reply: features field wrong: {rep['fields']}")
    mem = by_name(basic, "VHOST_USER_SET_MEM_TABLE", False)[0]
    if mem["nfds"] != 2 or [f["kind"] for f in mem["fds"]] != ["memfd", "memfd"]:
        fail(f"SET_MEM_TABLE fds wrong: {mem['fds']}")
    if mem["fields"].get("vhost_user.mem.region.guest_addr") != [0, 0x100000000]:
        fail(f"SET_MEM_TABLE regions are not an array: {mem['fields']}")
    if not mem["need_reply"] or mem["flags"] != 9:
        fail("SET_MEM_TABLE flags wrong")
    events = [o["event"] for o in basic if "event" in o]
    if events != ["process_start", "connect", "adopt", "close", "close"]:
        fail(f"events wrong: {events}")
    if "response_in" in req:
        fail("response_in without -2")

    rc, two = decode(decoder, capdir, "-2", "basic.pcapng")
    check_stream(two, "basic -2")
    req2 = by_name(two, "VHOST_USER_GET_FEATURES", False)[0]
    if req2.get("response_in") != rep["frame"]:
        fail(f"-2: response_in missing: {req2}")

    rc, bad = decode(decoder, capdir, "bad.pcapng")
    check_stream(bad, "bad")
    if rc != 1:
        fail(f"bad: exit {rc}, want 1")
    if not [o for o in bad if o.get("malformed")]:
        fail("bad: nothing marked malformed")
    unknown = [o for o in bad if o.get("request") == 99]
    if not unknown or unknown[0]["name"] is not None:
        fail(f"bad: unknown id 99 not shown with a null name: {unknown}")

    rc, stats = decode(decoder, capdir, "--stats", "-q", "basic.pcapng")
    if len(stats) != 1 or "stats" not in stats[0]:
        fail(f"--stats -q -T json: want one stats object, got {stats}")
    else:
        conns = stats[0]["stats"]["connections"]
        if [c["conn"] for c in conns] != ["1000.1", "1000.2"]:
            fail(f"stats connections wrong: {conns}")

    for e in errors:
        print(e)
    print(f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
