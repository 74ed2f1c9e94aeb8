#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ops_miniyaml: the standard-library YAML reader used by the render and
rules checks, on the shapes kustomize prints (each case's expected value
written out by hand), and its refusals of what it does not understand."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import miniyaml  # noqa: E402

CASES = [
    ("compact sequence under a key",
     "spec:\n  drop:\n  - ALL\n  - NET_RAW\n", [{"spec": {"drop": ["ALL", "NET_RAW"]}}]),
    ("sequence of mappings",
     "c:\n- name: a\n  port: 9101\n- name: b\n  port: \"9102\"\n",
     [{"c": [{"name": "a", "port": 9101}, {"name": "b", "port": "9102"}]}]),
    ("scalars typed", "a: true\nb: null\nc: 1.5\nd: '0440'\ne: 288\nf: ~\ng: x:y\n",
     [{"a": True, "b": None, "c": 1.5, "d": "0440", "e": 288, "f": None, "g": "x:y"}]),
    ("folded long plain scalar (kustomize wraps)",
     "data:\n  DSN: host=pg port=5432\n    sslmode=verify-full\n  N: 1\n",
     [{"data": {"DSN": "host=pg port=5432 sslmode=verify-full", "N": 1}}]),
    ("literal block keeps lines, clips the last newline",
     "data:\n  csv: |\n    a,b\n    1,2\n\n  next: x\n", [{"data": {"csv": "a,b\n1,2\n", "next": "x"}}]),
    ("literal block strip", "s: |-\n  one\n  two\n", [{"s": "one\ntwo"}]),
    ("flow collections", "a: []\nb: {}\nc: [x, 'y z', \"w\"]\nd: {k: v, n: 2}\n",
     [{"a": [], "b": {}, "c": ["x", "y z", "w"], "d": {"k": "v", "n": 2}}]),
    ("quoted keys and comments",
     "# head\n\"a.b/c\": 1 # tail\n'q': 'it''s'\n", [{"a.b/c": 1, "q": "it's"}]),
    ("documents", "a: 1\n---\n---\nb: 2\n", [{"a": 1}, {"b": 2}]),
    ("dash alone then a block", "-\n  a: 1\n- 2\n", [[{"a": 1}, 2]]),
    ("double-quoted escapes", 's: "a\\tb \\"q\\""\n', [{"s": 'a\tb "q"'}]),
]
REFUSED = [
    ("anchors", "a: &x 1\nb: *x\n"),
    ("folded block scalars", "a: >\n  text\n"),
    ("bad indentation", "a: 1\n   b: 2\n"),
    ("duplicate keys", "a: 1\na: 2\n"),
]


def main():
    passed = failed = 0
    for what, text, want in CASES:
        try:
            got = miniyaml.load_all(text)
        except ValueError as e:
            got = f"ValueError: {e}"
        if got == want:
            passed += 1
        else:
            failed += 1
            print(f"FAIL: {what}: got {got!r}, want {want!r}")
    for what, text in REFUSED:
        try:
            got = miniyaml.load_all(text)
            failed += 1
            print(f"FAIL: {what} accepted: {got!r}")
        except ValueError:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
