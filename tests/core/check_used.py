#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every field and expert note the core registers appears in a golden tree.

A field nothing produces still takes a line in Wireshark's filter list and
a name in the decoder's JSON; a note nothing emits is an expert info nobody
can see.  This check reads the registrations (VHU_FIELD_LIST in
core/vhu_fields.h, VHU_NOTE_LIST in core/vhu_emit.h) and looks for each in
the golden outputs:

  tests/core/golden/*.txt      "- abbrev=value @off+len | text", "! note: text"
  tests/decoder/golden/*.out   JSON names ("vhost_user.abbrev",
                               "vhost_user_rec.abbrev", "note":"vhost_user.x")
                               and -V trees: a field counts when its label
                               starts a line and no other field has that
                               label (record fields: no other record field,
                               in a "vhost-user capture record" tree)

What is registered but shown by no golden must be on ALLOWED below, with
the reason; an entry that a golden does show is an error too, so the list
stays short.  (Subtrees are checked by test_walk, feature-bit fields by
test_tables, the rules' findings by tests/diag.)

usage: check_used.py SOURCE_DIR
"""
import glob
import os
import re
import sys

# name: why it is registered although no golden shows it
ALLOWED = {
    # malformed input the golden corpora do not contain
    "note:resync": "bytes before a header the reader had to skip",
    "note:fds_undescribed": "a record with fewer fd items than its header counts",
    "note:big_endian": "a record of a big-endian host",
    "note:bad_record": "a record the shim lost records before",
    # captures made by attaching (tests/attach makes them; test_stream feeds the note)
    "rec.origin": "process starts recorded by vhost-user-capture -p/--all",
    "note:midstream": "a connection recorded from the middle of its session (attach)",
    # a record note, shown in -V trees only (decoder/golden/seq_tree.out)
    "note:out_of_sequence": "a record whose number is not the next one of its fd",
}


def registered(src):
    fields = open(os.path.join(src, "core/vhu_fields.h")).read()
    notes = open(os.path.join(src, "core/vhu_emit.h")).read()
    f = re.findall(r'X\(\w+, "([a-z0-9_.]+)", "([^"]+)", (\w+),', fields)
    n = re.findall(r'X\(\w+, "([a-z_]+)", (?:CHAT|NOTE|WARN|ERROR),', notes)
    return f, n


def shown(src):
    names, notes, lines, rec_lines = set(), set(), [], []
    for path in sorted(glob.glob(os.path.join(src, "tests/core/golden/*.txt"))):
        for line in open(path):
            m = re.match(r"\s*[-+] (\S+?)(=| @)", line)
            if m:
                names.add(m.group(1))
            m = re.match(r"\s*! (\S+):", line)
            if m:
                notes.add(m.group(1))
    for path in sorted(glob.glob(os.path.join(src, "tests/decoder/golden/*.out"))):
        text = open(path).read()
        names.update(re.findall(r'"vhost_user\.([a-z0-9_.]+)"', text))
        names.update("rec." + x for x in re.findall(r'"vhost_user_rec\.([a-z0-9_.]+)"', text))
        notes.update(re.findall(r'"note":"vhost_user\.([a-z_]+)"', text))
        in_rec = False
        for line in text.splitlines():
            if line and not line[0].isspace():
                in_rec = line.startswith("vhost-user capture record")
            elif in_rec:
                rec_lines.append(line.strip().lstrip("["))
            else:
                lines.append(line.strip().lstrip("["))
    return names, notes, lines, rec_lines


def label_shown(label, ftype, lines):
    sep = " " if ftype == "NONE" else ":"
    return any(line.startswith(label + sep) for line in lines)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "."
    fields, note_names = registered(src)
    names, notes, lines, rec_lines = shown(src)
    labels = {}
    for abbrev, label, _ in fields:
        key = (abbrev.startswith("rec."), label)
        labels[key] = labels.get(key, 0) + 1
    if len(fields) < 100 or len(note_names) < 8 or len(names) < 100:
        print("check_used: too few registrations or golden names: parsing failed")
        return 1
    failures = 0
    seen = set()
    for abbrev, label, ftype in fields:
        rec = abbrev.startswith("rec.")
        hit = abbrev in names
        if not hit and labels[(rec, label)] == 1:
            hit = label_shown(label, ftype, rec_lines if rec else lines)
        if hit:
            seen.add(abbrev)
    seen.update("note:" + n for n in note_names if n in notes)
    for name in [a for a, _, _ in fields] + ["note:" + n for n in note_names]:
        if name not in seen and name not in ALLOWED:
            print(f"{name}: registered, but no golden tree shows it (remove it, add it to a "
                  f"golden corpus, or to ALLOWED with the reason)")
            failures += 1
        elif name in seen and name in ALLOWED:
            print(f"{name}: a golden tree shows it now: drop it from ALLOWED")
            failures += 1
    known = {a for a, _, _ in fields} | {"note:" + n for n in note_names}
    for name in ALLOWED:
        if name not in known:
            print(f"{name}: on ALLOWED but not registered")
            failures += 1
    print(f"check_used: {len(known)} fields and notes, {len(ALLOWED)} allowed, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
