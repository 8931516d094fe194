#!/usr/bin/env python3
"""check_findings.py - vhost-user-decode --check on one capture: its exit
status, and exactly the findings expected, each on the message it is about.

Usage: check_findings.py DECODER CAPTURE STATUS [EXPECT ...]
  STATUS   the exit status --check must end with (0: no error finding)
  EXPECT   RULE@FRAME (a capture whose frames are fixed, e.g. a sample) or
           RULE:REQUEST (a fresh capture, where the frames of two
           processes interleave differently on every run: the finding
           must then sit on a frame that carries that request), or
           sessions=N: at least N connections opened from one side of one
           socket path negotiated protocol features (so that the rules
           comparing sessions had something to compare)
Every finding --check prints must be expected, and every expectation met;
the text line output must agree with the JSON one.
"""
import json
import subprocess
import sys


def run(args):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def most_sessions_on_a_path(msgs):
    """The most connections opened from one side (connect or accept) of one
    socket path that each sent SET_PROTOCOL_FEATURES."""
    side_of = {}
    for m in msgs:
        if m.get("event") in ("connect", "accept"):
            path = m.get("fields", {}).get("vhost_user_rec.path")
            if path:
                side_of[m["conn"]] = (path, m["event"])
    negotiated = {}
    for m in msgs:
        if m.get("name") == "VHOST_USER_SET_PROTOCOL_FEATURES" and not m.get("reply") and m.get("conn") in side_of:
            negotiated.setdefault(side_of[m["conn"]], set()).add(m["conn"])
    return max((len(c) for c in negotiated.values()), default=0)


def main():
    decoder, capture, status = sys.argv[1], sys.argv[2], int(sys.argv[3])
    expect = sys.argv[4:]
    errors = []
    p = run([decoder, "--check", "-T", "json", "-r", capture])
    findings = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    if p.returncode != status:
        errors.append("--check -T json exit status %d, expected %d (%s)" %
                      (p.returncode, status, p.stderr.strip()))
    for f in findings:
        for key in ("finding", "severity", "frame", "conn", "request", "text", "spec"):
            if key not in f:
                errors.append("finding without '%s': %s" % (key, f))
    text = run([decoder, "--check", "-r", capture])
    lines = text.stdout.splitlines()
    if text.returncode != p.returncode:
        errors.append("text and JSON exit statuses differ: %d, %d" % (text.returncode, p.returncode))
    if len(lines) != len(findings) + 1 or not lines[-1].startswith("%d finding" % len(findings)):
        errors.append("text output: %d lines for %d findings: %s" % (len(lines), len(findings), lines[-1:]))

    # the frame of every message, by request name
    msgs = [json.loads(line) for line in run([decoder, "-T", "json", "-r", capture]).stdout.splitlines()
            if line.strip()]
    frames_of = {}
    for m in msgs:
        if "request" in m:
            frames_of.setdefault(m.get("name"), set()).add(m["frame"])

    want_sessions = [int(e.split("=", 1)[1]) for e in expect if e.startswith("sessions=")]
    expect = [e for e in expect if not e.startswith("sessions=")]
    if want_sessions:
        most = most_sessions_on_a_path(msgs)
        if most < want_sessions[0]:
            errors.append("%d sessions on one socket path negotiated protocol features, expected %d or more"
                          % (most, want_sessions[0]))

    seen = set()
    for f in findings:
        rule, frame, req = f.get("finding"), f.get("frame"), f.get("request")
        ok = False
        for e in expect:
            if "@" in e and e == "%s@%s" % (rule, frame):
                ok = True
            elif ":" in e:
                erule, ereq = e.split(":", 1)
                if erule == rule and "VHOST_USER_" + ereq == req:
                    if frame not in frames_of.get(req, ()):
                        errors.append("%s on frame %s, which carries no %s" % (rule, frame, req))
                    ok = True
            if ok:
                seen.add(e)
                break
        if not ok:
            errors.append("unexpected finding: frame %s %s %s: %s" % (frame, f.get("severity"), rule, f.get("text")))
    for e in expect:
        if e not in seen:
            errors.append("expected finding missing: %s" % e)
    for e in errors:
        print("FAIL: %s: %s" % (capture, e))
    if not errors:
        print("ok: %s: exit %d, %d findings as expected" % (capture, p.returncode, len(findings)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
