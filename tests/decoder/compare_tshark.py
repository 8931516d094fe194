#!/usr/bin/env python3
"""compare_tshark.py - vhost-user-decode -V prints, line for line, the
"vhost-user capture record" and "vhost-user" subtrees tshark -V prints with
the plugin (the other trees tshark shows, Frame and Exported PDU, are left
out of the comparison).

usage: compare_tshark.py DECODER PLUGIN_DIR CAPTURE [EXTRA_DECODER_ARGS...]
tshark ignores WIRESHARK_PLUGIN_DIR for root: as root it is run as nobody."""
import difflib
import os
import subprocess
import sys
import tempfile

ROOTS = ("vhost-user capture record", "vhost-user,", "vhost-user ")


def run_tshark(plugin_dir, args):
    """tshark ARGS with only this plugin dir and a throw-away profile: its
    standard output, as bytes."""
    home = tempfile.mkdtemp(prefix="vhu-ws-")
    os.chmod(home, 0o777)
    env = dict(os.environ, HOME=home, WIRESHARK_CONFIG_DIR=home,
               WIRESHARK_PLUGIN_DIR=plugin_dir)
    # a sanitized plugin needs the sanitizer runtimes first in tshark
    preload = os.environ.get("VHU_PRELOAD", "").strip()
    if preload:
        env["LD_PRELOAD"] = preload
        env["ASAN_OPTIONS"] = "detect_leaks=0"

    cmd = ["tshark"] + args
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
    return subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          check=True).stdout


def tshark_trees(plugin_dir, capture, two_pass):
    out = run_tshark(plugin_dir, ["-n", "-V", "-r", capture] + (["-2"] if two_pass else [])).decode()
    # keep our subtrees: from a root line of ours to the next top-level line
    lines, keep = [], False
    for line in out.splitlines():
        if line.startswith("Frame ") and lines and lines[-1] != "":
            lines.append("")
        if line and not line.startswith(" "):
            keep = line.startswith(ROOTS)
        if keep and line:
            lines.append(line)
    if lines and lines[-1] != "":
        lines.append("")
    return lines


def main():
    decoder, plugin_dir, capture = sys.argv[1:4]
    extra = sys.argv[4:]
    ours = subprocess.run([decoder, "-V", *extra, capture], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL).stdout.decode().splitlines()
    theirs = tshark_trees(plugin_dir, capture, "-2" in extra)
    if ours == theirs:
        print(f"{len(ours)} lines equal")
        return 0
    sys.stdout.writelines(difflib.unified_diff(
        [l + "\n" for l in theirs], [l + "\n" for l in ours], "tshark -V", "vhost-user-decode -V"))
    return 1


if __name__ == "__main__":
    sys.exit(main())
