#!/usr/bin/env python3
"""check_limits.py - what the readers must make of the captures of
vhu_gen_limits.c, beyond their golden outputs.

usage: check_limits.py CHECK DECODER CAPDIR [ARGS...]

  conns             manyconns: all 70,001 messages come out, exit 0, and
                    --stats counts them
  memory LIMIT_MB   cutconns: 70,000 connections each left with a cut
                    message; the decoder's peak RSS in one and two passes
                    stays under LIMIT_MB (it took 989 MB and 1.73 GB when
                    every connection kept 11 KB and a buffer of the size
                    its header announced)
  escapes           escapes: no control character reaches the terminal in
                    the one-line or -V output, the names come escaped
  tshark_escapes PLUGIN_DIR
                    the same for tshark's one-line output (Info column,
                    addresses) with the plugin
"""
import os
import resource
import subprocess
import sys


def decode(decoder, *args):
    return subprocess.run([decoder] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def check_conns(decoder, capdir):
    cap = capdir + "/manyconns.pcapng"
    p = decode(decoder, "-r", cap)
    n = sum(1 for line in p.stdout.decode().splitlines() if "SET_OWNER" in line)
    if p.returncode != 0 or n != 70001:
        fail("manyconns: %d messages, exit %d (want 70001, 0)" % (n, p.returncode))
    p = decode(decoder, "-r", cap, "--stats", "-q")
    if p.returncode != 0 or "VHOST_USER_SET_OWNER                         70001" not in p.stdout.decode():
        fail("manyconns: --stats does not count 70001 SET_OWNER")
    print("ok: 70001 connections, 70001 messages")


def check_memory(decoder, capdir, limit_mb):
    cap = capdir + "/cutconns.pcapng"
    for args in (["-q"], ["-2", "-q"]):
        p = decode(decoder, *args, "-r", cap)
        cut = p.stderr.decode().count("40 of 60000 payload bytes were captured")
        if p.returncode != 1 or cut != 70000:
            fail("cutconns %s: %d cut messages, exit %d (want 70000, 1)"
                 % (" ".join(args), cut, p.returncode))
    # ru_maxrss of the children: the largest of the runs, in KiB
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    if peak > limit_mb:
        fail("cutconns: peak RSS %d MB, above %d MB" % (peak, limit_mb))
    print("ok: 70000 cut messages in one and two passes, peak RSS %d MB" % peak)


def check_escapes(decoder, capdir):
    cap = capdir + "/escapes.pcapng"
    for args in ([], ["-V"], ["-2", "-V"]):
        p = decode(decoder, *args, "-r", cap)
        out = p.stdout
        bad = [b for b in out if (b < 0x20 and b not in (0x0a,)) or b == 0x7f]
        if bad:
            fail("escapes %s: control bytes %s in the output" % (" ".join(args), sorted(set(bad))))
        text = out.decode()
        for want in ("ev\\x1b]0;x\\x07il\\x0d\\x0a", "/run/\\x1b[31mred\\x0d\\x0afake.sock"):
            if want not in text:
                fail("escapes %s: %s not shown" % (" ".join(args), want))
    print("ok: names escaped in every output")


def check_tshark_escapes(capdir, plugin_dir):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from compare_tshark import run_tshark

    out = run_tshark(plugin_dir, ["-n", "-r", capdir + "/escapes.pcapng"])
    bad = [b for b in out if (b < 0x20 and b != 0x0a) or b == 0x7f]
    if bad or out.count(b"\n") != 3:
        fail("tshark escapes: control bytes %s, %d lines" % (sorted(set(bad)), out.count(b"\n")))
    if b"ev\\x1b]0;x\\x07il\\x0d\\x0a[3000]" not in out:
        fail("tshark escapes: the process name is not shown escaped")
    print("ok: tshark's lines escaped")


def main():
    check, decoder, capdir = sys.argv[1:4]
    if check == "conns":
        check_conns(decoder, capdir)
    elif check == "memory":
        check_memory(decoder, capdir, int(sys.argv[4]))
    elif check == "escapes":
        check_escapes(decoder, capdir)
    elif check == "tshark_escapes":
        check_tshark_escapes(capdir, sys.argv[4])
    else:
        fail("unknown check " + check)


if __name__ == "__main__":
    main()
