#!/usr/bin/env python3
"""vhost-user-decode --diff on pairs of real captures.

usage: diff_test.py CASE DECODER SAMPLES_DIR [CAPTURE PEER]

CASE:
  same      the DPDK pair recorded twice (server and client socket roles):
            no difference beyond the ignored fields, exit 0; --strict and
            --compare turn them back on
  backends  QEMU with DPDK's net back-end vs QEMU with qemu-storage-daemon:
            the negotiation differences named bit by bit
  broken    each broken test-peer session vs its healthy twin, both recorded
            here by the capture shim (the broken ones also come from
            samples/): the hunk is exactly the broken message
  cut       a capture vs itself cut in the middle: one trailing hunk of the
            messages missing in B
  channels  the test peer's "all" script (back-end channel and GPU socket)
            recorded twice with different I/O calls, and a front-end's own
            record against the back-end's: the channels follow their main
            connection, either view pairs with the other, no difference
  usage     exit status 2 for trouble
"""
import json
import os
import subprocess
import sys
import tempfile

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what)


def run(decoder, *args):
    p = subprocess.run([decoder, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def diff_json(decoder, a, b, *opts):
    rc, out, err = run(decoder, "--diff", "-T", "json", *opts, a, b)
    objs = [json.loads(line) for line in out.splitlines()]
    return rc, objs, err


def of_type(objs, t):
    return [o for o in objs if o["type"] == t]


def request_of(summary):
    """'GET_QUEUE_NUM reply queues=2 (...)' -> 'GET_QUEUE_NUM reply'"""
    words = summary.split()
    if len(words) > 1 and words[1] == "reply":
        return words[0] + " reply"
    return words[0]


def differing_ops(objs):
    """Per pair: the (op, request) of every line that is not equal."""
    per_pair = {}
    for h in of_type(objs, "hunk"):
        for line in h["lines"]:
            if line["op"] == "same":
                continue
            text = line.get("a") if line["op"] != "only_b" else line.get("b")
            per_pair.setdefault(h["pair"], []).append((line["op"], request_of(text)))
    return per_pair


def case_same(decoder, samples):
    server = os.path.join(samples, "dpdk-pair-server.pcapng")
    client = os.path.join(samples, "dpdk-pair-client.pcapng")
    for a, b in ((server, server), (server, client), (client, server)):
        rc, out, err = run(decoder, "--diff", a, b)
        check(rc == 0, f"{a} vs {b}: exit {rc}, expected 0 ({err})")
        check(out.rstrip().endswith("no differences"), f"{a} vs {b}: no 'no differences' line")
    rc, objs, err = diff_json(decoder, server, client)
    pairs = of_type(objs, "pair")
    check(len(pairs) == 2, f"server vs client: {len(pairs)} pairs, expected 2")
    check(sorted((p["a"]["view"], p["b"]["view"]) for p in pairs) ==
          [("back-end", "back-end"), ("front-end", "front-end")],
          "server vs client: each view paired with the same view")
    check(all(p["changed"] == 0 and p["only_a"] == 0 and p["only_b"] == 0 for p in pairs),
          "server vs client: nothing changed")
    check(not of_type(objs, "hunk") and not of_type(objs, "unpaired"),
          "server vs client: no hunk and no unpaired connection")
    # the ignored fields are there: --strict shows the inodes of the passed
    # fds and the reply times, --compare the inodes only
    rc, objs, err = diff_json(decoder, server, client, "--strict")
    check(rc == 1, f"--strict: exit {rc}, expected 1")
    fields = {f["field"] for h in of_type(objs, "hunk") for line in h["lines"]
              for f in line.get("fields", [])}
    for f in ("vhost_user.fd.inode", "vhost_user.time"):
        check(f in fields, f"--strict: {f} not among the differing fields {sorted(fields)}")
    # (eventfds all share the anon inode: only the memfd's differs)
    rc, objs, err = diff_json(decoder, server, client, "--compare", "fd.inode")
    ops = differing_ops(objs)
    check(rc == 1 and ops == {1: [("changed", "SET_MEM_TABLE")], 2: [("changed", "SET_MEM_TABLE")]},
          f"--compare fd.inode: SET_MEM_TABLE changed, got {ops}")
    # the recording processes: one difference per pair, named in the pair
    rc, objs, err = diff_json(decoder, server, client, "--compare", "pid")
    pairs = of_type(objs, "pair")
    check(rc == 1 and len(pairs) == 2 and all(p.get("pid_differs") for p in pairs)
          and not of_type(objs, "hunk"), f"--compare pid: both pairs differ by pid, got {pairs}")
    check(not any(p.get("pid_differs") for p in
                  of_type(diff_json(decoder, server, server, "--compare", "pid")[1], "pair")),
          "a capture against itself: no pid differs")
    # DPDK 22.11 sends a GET_VRING_BASE request with a num the spec says is 0
    rc, objs, err = diff_json(decoder, server, client, "--compare", "vhost_user.vring.state")
    ops = differing_ops(objs)
    check(rc == 1 and ops and all(("changed", "GET_VRING_BASE") in v for v in ops.values()),
          f"--compare vhost_user.vring.state: GET_VRING_BASE changed, got {ops}")


def case_backends(decoder, samples):
    dpdk = os.path.join(samples, "qemu-net-dpdk.pcapng")
    qsd = os.path.join(samples, "qemu-blk-qsd-guest.pcapng")
    rc, objs, err = diff_json(decoder, dpdk, qsd)
    check(rc == 1, f"dpdk vs qsd: exit {rc}, expected 1")
    pairs = of_type(objs, "pair")
    check(len(pairs) == 2, f"dpdk vs qsd: {len(pairs)} pairs")
    be = [p for p in pairs if p["a"]["view"] == "back-end"]
    check(len(be) == 1 and be[0]["a"]["comm"] == "dpdk-testpmd" and
          be[0]["b"]["comm"].startswith("qemu-storage"),
          "dpdk vs qsd: the back-end views paired")
    for p in pairs:
        n = p["negotiation"]
        check("VIRTIO_NET_F_MRG_RXBUF" in n["features_offered"]["only_a"],
              f"pair {p['pair']}: MRG_RXBUF offered by DPDK only: {n['features_offered']}")
        check("VIRTIO_BLK_F_BLK_SIZE" in n["features_acked"]["only_b"],
              f"pair {p['pair']}: BLK_SIZE acked with qemu-storage-daemon only")
        check("VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS" in n["protocol_features_acked"]["only_b"]
              and "VHOST_USER_PROTOCOL_F_STATUS" in n["protocol_features_acked"]["only_a"],
              f"pair {p['pair']}: protocol features named: {n['protocol_features_acked']}")
    ops = differing_ops(objs)
    for pair, v in ops.items():
        check(("only_b", "GET_MAX_MEM_SLOTS") in v and ("only_b", "GET_CONFIG") in v,
              f"pair {pair}: qemu-storage-daemon's GET_MAX_MEM_SLOTS and GET_CONFIG only in B")
        check(("changed", "GET_FEATURES reply") in v, f"pair {pair}: GET_FEATURES reply changed")
    # the text names the bits too, and -V shows the differing fields
    rc, out, err = run(decoder, "--diff", dpdk, qsd)
    check("B only: VHOST_USER_PROTOCOL_F_PAGEFAULT" in out, "text: protocol bits named")
    rc, out, err = run(decoder, "--diff", "-V", dpdk, qsd)
    check("Queue number" in out or "queues" in out.lower(), "-V: field lines shown")
    rc, out, err = run(decoder, "--diff", "--color=always", dpdk, qsd)
    check("\033[31m-\033[0m" in out and "\033[32m+\033[0m" in out, "--color=always: coloured markers")


# broken script -> what differs in each pair (the broken capture is B)
BROKEN = {
    "close": [("changed", "GET_PROTOCOL_FEATURES reply"), ("only_a", "SET_PROTOCOL_FEATURES")],
    "flags": [("changed", "GET_QUEUE_NUM reply")],
    "fds": [("changed", "SET_MEM_TABLE"), ("changed", "SET_MEM_TABLE reply")],
    "oversize": [("only_b", "SET_MEM_TABLE")],
    "noreply": [("only_a", "SET_VRING_ENABLE reply")],
    "unknown": [("only_b", "UNKNOWN(99)"), ("only_b", "UNKNOWN(99) reply")],
}
FIELDS = {
    "flags": {"vhost_user.flags", "vhost_user.flags.version"},
    "fds": {"vhost_user.nfds", "vhost_user.fd.kind", "vhost_user.ack"},
}


def record(capture, peer, out, script, *opts):
    p = subprocess.run([capture, "-w", out, "--", peer, "pair", "--script", script, *opts],
                       capture_output=True, text=True, timeout=60)
    return p.returncode


def case_broken(decoder, samples, capture, peer):
    with tempfile.TemporaryDirectory() as tmp:
        for name, expected in BROKEN.items():
            healthy = os.path.join(tmp, f"healthy-{name}.pcapng")
            rc = record(capture, peer, healthy, f"broken-{name}", "--healthy")
            check(rc == 0, f"{name}: healthy twin exit {rc}")
            broken = [os.path.join(tmp, f"broken-{name}.pcapng")]
            record(capture, peer, broken[0], f"broken-{name}")
            sample = os.path.join(samples, f"peer-broken-{name}.pcapng")
            if os.path.exists(sample):
                broken.append(sample)
            for b in broken:
                rc, objs, err = diff_json(decoder, healthy, b)
                check(rc == 1, f"{name}: {b}: exit {rc}, expected 1 ({err})")
                pairs = of_type(objs, "pair")
                check(len(pairs) == 2 and not of_type(objs, "unpaired"),
                      f"{name}: {b}: both views paired")
                ops = differing_ops(objs)
                check(sorted(ops) == [p["pair"] for p in pairs],
                      f"{name}: {b}: a hunk in every pair")
                for pair, v in ops.items():
                    check(v == expected, f"{name}: {b}: pair {pair}: {v}, expected {expected}")
                if name in FIELDS:
                    fields = {f["field"] for h in of_type(objs, "hunk") for line in h["lines"]
                              for f in line.get("fields", [])}
                    check(FIELDS[name] <= fields, f"{name}: fields {sorted(fields)}")


def cut_capture(src, dst, keep):
    p = subprocess.run(["editcap", "-r", src, dst, f"1-{keep}"], capture_output=True, text=True)
    return p.returncode == 0


def case_cut(decoder, samples):
    src = os.path.join(samples, "qemu-blk-qsd-guest.pcapng")
    rc, out, err = run(decoder, "-r", src)
    frames = [int(line.split()[0]) for line in out.splitlines() if line.strip()]
    half = max(frames) // 2
    with tempfile.TemporaryDirectory() as tmp:
        cut = os.path.join(tmp, "cut.pcapng")
        check(cut_capture(src, cut, half), "editcap could not cut the capture")
        rc, objs, err = diff_json(decoder, src, cut)
        check(rc == 1, f"cut: exit {rc}, expected 1")
        for p in of_type(objs, "pair"):
            hunks = [h for h in of_type(objs, "hunk") if h["pair"] == p["pair"]]
            check(len(hunks) == 1, f"cut: pair {p['pair']}: {len(hunks)} hunks, expected 1")
            if not hunks:
                continue
            # the message the cut went through is changed (truncated in B),
            # all the others are missing
            lines = [l for l in hunks[0]["lines"] if l["op"] != "same"]
            if lines and lines[0]["op"] == "changed":
                lines = lines[1:]
            check(lines and all(l["op"] == "only_a" for l in lines),
                  f"cut: pair {p['pair']}: only messages missing in B, got "
                  f"{sorted(set(l['op'] for l in lines))}")
            check(p["only_a"] == len(lines) and p["b"]["messages"] + len(lines) == p["a"]["messages"],
                  f"cut: pair {p['pair']}: the hunk holds every missing message")
            check(hunks[0]["lines"][-1]["op"] == "only_a" and
                  hunks[0]["a_frames"][1] > half,
                  f"cut: pair {p['pair']}: the hunk runs to the end of A")
        # and the other way round: the messages are added
        rc, objs, err = diff_json(decoder, cut, src)
        ops = {op for v in differing_ops(objs).values() for op, _ in v[1:]}
        check(rc == 1 and ops == {"only_b"}, f"cut reversed: {ops}")


def record_one_side(capture, peer, out, side, sock):
    """Only one process of the pair under the shim."""
    other = "frontend" if side == "backend" else "backend"
    cmd = {side: [capture, "-w", out, "--", peer, side], other: [peer, other]}
    be = subprocess.Popen(cmd["backend"] + ["--socket", sock, "--script", "all"],
                          stderr=subprocess.DEVNULL)
    fe = subprocess.run(cmd["frontend"] + ["--socket", sock, "--script", "all", "--timeout", "10000"],
                        stderr=subprocess.DEVNULL, timeout=60)
    return fe.returncode == 0 and be.wait(timeout=60) == 0


def check_all_pairs(objs, what, npairs):
    pairs = of_type(objs, "pair")
    check(len(pairs) == npairs, f"{what}: {len(pairs)} pairs, expected {npairs}")
    mains = {p["pair"] for p in pairs if p["follows"] is None}
    for ch in ("backend", "gpu"):
        followers = [p for p in pairs if p["channel"] == ch]
        check(len(followers) == len(mains) and all(p["follows"] in mains for p in followers),
              f"{what}: each main pair has its {ch} pair following it")
    check(not of_type(objs, "hunk") and not of_type(objs, "unpaired"),
          f"{what}: no hunk, no unpaired connection")
    return pairs


def case_channels(decoder, capture, peer):
    with tempfile.TemporaryDirectory() as tmp:
        a, b = os.path.join(tmp, "msg.pcapng"), os.path.join(tmp, "split.pcapng")
        check(record(capture, peer, a, "all") == 0, "all: recording")
        check(record(capture, peer, b, "all", "--io", "split") == 0, "all --io split: recording")
        rc, objs, err = diff_json(decoder, a, b)
        check(rc == 0, f"all vs all --io split: exit {rc}, expected 0 ({err})")
        check_all_pairs(objs, "all vs all --io split", 6)
        fe, be = os.path.join(tmp, "fe.pcapng"), os.path.join(tmp, "be.pcapng")
        check(record_one_side(capture, peer, fe, "frontend", os.path.join(tmp, "s1")),
              "front-end only: recording")
        check(record_one_side(capture, peer, be, "backend", os.path.join(tmp, "s2")),
              "back-end only: recording")
        rc, objs, err = diff_json(decoder, fe, be)
        check(rc == 0, f"front-end's record vs back-end's: exit {rc}, expected 0 ({err})")
        pairs = check_all_pairs(objs, "front-end's record vs back-end's", 3)
        check(all(p["a"]["view"] == "front-end" and p["b"]["view"] == "back-end" for p in pairs),
              "front-end's record vs back-end's: each side says its view")


def case_usage(decoder, samples):
    a = os.path.join(samples, "dpdk-pair-server.pcapng")
    for args in (["--diff", a], ["--diff", a, a, a], ["--diff", a, "/nonexistent.pcapng"],
                 ["--diff", "--strict", "--compare", "vring.num", a, a],
                 ["--diff", "--compare", "no.such.field", a, a],
                 ["--diff", "--conn", "A:1.1", a, a], ["--diff", "--conn", "C:1.1", a, a],
                 ["--diff", "--stats", a, a], ["--strict", a]):
        rc, out, err = run(decoder, *args)
        check(rc == 2 and err, f"{args}: exit {rc}, expected 2 with a message")
    # --conn picks the connections: a front-end view against a back-end view
    rc, objs, err = diff_json(decoder, a, a)
    views = {p["a"]["view"]: p["a"]["conn"] for p in of_type(objs, "pair")}
    rc, objs, err = diff_json(decoder, a, a, "--conn",
                              f"A:{views['front-end']},B:{views['back-end']}")
    pairs = of_type(objs, "pair")
    check(rc == 0 and len(pairs) == 1 and pairs[0]["a"]["view"] == "front-end" and
          pairs[0]["b"]["view"] == "back-end",
          f"--conn: a front-end's record equals the back-end's record (exit {rc}, {err})")


def main():
    case, decoder, samples = sys.argv[1], sys.argv[2], sys.argv[3]
    if case == "same":
        case_same(decoder, samples)
    elif case == "backends":
        case_backends(decoder, samples)
    elif case == "broken":
        case_broken(decoder, samples, sys.argv[4], sys.argv[5])
    elif case == "cut":
        case_cut(decoder, samples)
    elif case == "channels":
        case_channels(decoder, sys.argv[4], sys.argv[5])
    elif case == "usage":
        case_usage(decoder, samples)
    else:
        sys.exit(f"unknown case {case}")
    if FAILURES:
        sys.exit(f"{len(FAILURES)} failures")
    print("ok")


if __name__ == "__main__":
    main()
