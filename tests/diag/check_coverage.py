#!/usr/bin/env python3
"""check_coverage.py - every rule of the findings table (core/vhu_diag.h)
has a broken test-peer script whose diag.peer test expects it
(tests/diag/CMakeLists.txt), and a section in docs/diagnosis.md with a
real example (a block of --check output) and a row in its table.

Usage: check_coverage.py SRC
"""
import re
import sys


def rule_ids(header):
    return re.findall(r'^\tX\(\w+, "([a-z-]+)",', open(header).read(), re.M)


def rules_expected_by_peer_tests(cmake):
    text = open(cmake).read()
    expected = set()
    for call in re.findall(r"^diag_peer\(([^)]*)\)", text, re.M | re.S):
        expected.update(re.findall(r"([a-z-]+):[A-Z_]+", call))
    return expected


def sections(doc):
    """rule id -> the text of its ### section"""
    text = open(doc).read()
    out = {}
    for m in re.finditer(r"^### ([a-z-]+) \((?:error|warning|note)\)\n(.*?)(?=^##)", text, re.M | re.S):
        out[m.group(1)] = m.group(2)
    return out, text


def main():
    src = sys.argv[1]
    rules = rule_ids(src + "/core/vhu_diag.h")
    tested = rules_expected_by_peer_tests(src + "/tests/diag/CMakeLists.txt")
    docs, doc_text = sections(src + "/docs/diagnosis.md")
    errors = []
    if len(rules) < 10:
        errors.append("only %d rules read from core/vhu_diag.h" % len(rules))
    for r in rules:
        if r not in tested:
            errors.append("%s: no diag_peer test expects it" % r)
        body = docs.get(r)
        if body is None:
            errors.append("%s: no section in docs/diagnosis.md" % r)
        elif not re.search(r"^```\n\s+\d+ \S+\s+(error|warning|note)\s+%s " % re.escape(r), body, re.M):
            errors.append("%s: its section in docs/diagnosis.md has no example of it" % r)
        if not re.search(r"^\| %s \|" % re.escape(r), doc_text, re.M):
            errors.append("%s: no row in the table of docs/diagnosis.md" % r)
    for e in errors:
        print("FAIL: " + e)
    if not errors:
        print("ok: %d rules, each with a diag.peer test, an example and a table row" % len(rules))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
