# SPDX-License-Identifier: Apache-2.0
"""A reader for the YAML that `kubectl kustomize` prints, with Python's
standard library only (python3-yaml may be missing on a fresh machine).

Covers what kustomize emits: documents split by `---`, block mappings and
sequences (including the compact `- ` form under a key), plain, single- and
double-quoted scalars, literal block scalars (`|`, `|-`, `|+`) and small
flow collections (`[]`, `{}`, `[a, b]`, `{k: v}`). Anything else raises
ValueError naming the line, so a surprise fails the test instead of
passing it. Scalars are typed like YAML 1.2's core schema."""

import json
import re

_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_KEY = re.compile(r"""^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s'"{\[#&*!|>%@`-][^:#]*?|-[^\s:][^:#]*?):(?:\s+|$)""")


def _plain(s):
    if s in ("", "~", "null", "Null", "NULL"):
        return None
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if _INT.match(s):
        return int(s)
    if _FLOAT.match(s):
        return float(s)
    return s


def _strip_comment(s):
    """Remove a trailing ` # comment` from an unquoted scalar."""
    m = re.search(r"\s#", s)
    return s[: m.start()].rstrip() if m else s.rstrip()


def _double(s, where):
    try:
        return json.loads(s)
    except ValueError as e:
        raise ValueError(f"{where}: double-quoted scalar not understood: {s}") from e


class _Flow:
    """Flow collections of scalars (and nested flow collections)."""

    def __init__(self, text, where):
        self.s, self.i, self.where = text, 0, where

    def _ws(self):
        while self.i < len(self.s) and self.s[self.i] in " \t":
            self.i += 1

    def value(self):
        self._ws()
        c = self.s[self.i : self.i + 1]
        if c == "[":
            self.i += 1
            out = []
            self._ws()
            if self.s[self.i : self.i + 1] == "]":
                self.i += 1
                return out
            while True:
                out.append(self.value())
                self._ws()
                c = self.s[self.i : self.i + 1]
                self.i += 1
                if c == "]":
                    return out
                if c != ",":
                    raise ValueError(f"{self.where}: bad flow sequence: {self.s}")
        if c == "{":
            self.i += 1
            out = {}
            self._ws()
            if self.s[self.i : self.i + 1] == "}":
                self.i += 1
                return out
            while True:
                k = self.value()
                self._ws()
                if self.s[self.i : self.i + 1] != ":":
                    raise ValueError(f"{self.where}: bad flow mapping: {self.s}")
                self.i += 1
                out[k] = self.value()
                self._ws()
                c = self.s[self.i : self.i + 1]
                self.i += 1
                if c == "}":
                    return out
                if c != ",":
                    raise ValueError(f"{self.where}: bad flow mapping: {self.s}")
        if c == '"':
            m = re.compile(r'"(?:[^"\\]|\\.)*"').match(self.s, self.i)
            self.i = m.end()
            return _double(m.group(0), self.where)
        if c == "'":
            m = re.compile(r"'(?:[^']|'')*'").match(self.s, self.i)
            self.i = m.end()
            return m.group(0)[1:-1].replace("''", "'")
        m = re.compile(r"[^,\[\]{}]*?(?=\s*[,\]}]|:\s|$)").match(self.s, self.i)
        self.i = m.end()
        return _plain(m.group(0).strip())


class _Doc:
    def __init__(self, lines, first_lineno):
        self.lines = lines
        self.n = first_lineno
        self.i = 0

    def where(self):
        return f"line {self.n + self.i}"

    def _skip(self):
        while self.i < len(self.lines):
            t = self.lines[self.i].strip()
            if t and not t.startswith("#"):
                return True
            self.i += 1
        return False

    @staticmethod
    def _indent(line):
        return len(line) - len(line.lstrip(" "))

    def _is_item(self, line, ind):
        c = line[ind:]
        return c == "-" or c.startswith("- ")

    def block(self):
        if not self._skip():
            return None
        line = self.lines[self.i]
        ind = self._indent(line)
        return self.seq(ind) if self._is_item(line, ind) else self.map(ind)

    def map(self, ind):
        out = {}
        while self._skip():
            line = self.lines[self.i]
            li = self._indent(line)
            if li < ind or (li == ind and self._is_item(line, ind)):
                break
            if li > ind:
                raise ValueError(f"{self.where()}: unexpected indentation: {line!r}")
            m = _KEY.match(line[ind:])
            if not m:
                raise ValueError(f"{self.where()}: expected 'key:': {line!r}")
            k = m.group(1)
            if k.startswith('"'):
                k = _double(k, self.where())
            elif k.startswith("'"):
                k = k[1:-1].replace("''", "'")
            rest = line[ind + m.end() :]
            self.i += 1
            if k in out:
                raise ValueError(f"{self.where()}: duplicate key {k!r}")
            out[k] = self.value(rest, ind)
        return out

    def seq(self, ind):
        out = []
        while self._skip():
            line = self.lines[self.i]
            if self._indent(line) != ind or not self._is_item(line, ind):
                if self._indent(line) > ind:
                    raise ValueError(f"{self.where()}: unexpected indentation: {line!r}")
                break
            rest = line[ind + 2 :] if len(line) > ind + 1 else ""
            if rest.strip() == "":
                self.i += 1
                out.append(self.block())
            elif _KEY.match(rest) and not rest.startswith(("{", "[")):
                # A mapping that starts on the dash line: re-read it in place.
                self.lines[self.i] = " " * (ind + 2) + rest
                out.append(self.map(ind + 2))
            else:
                self.i += 1
                out.append(self.value(rest, ind))
        return out

    def value(self, rest, ind):
        r = rest.strip()
        if r == "" or r.startswith("#"):
            if not self._skip():
                return None
            line = self.lines[self.i]
            li = self._indent(line)
            if li > ind:
                return self.block()
            if li == ind and self._is_item(line, ind):
                return self.seq(ind)
            return None
        if re.match(r"^[|>][-+]?[0-9]?(\s+#.*)?$", r):
            return self.literal(r, ind)
        if r[0] == '"':
            return _double(self._continued(r, ind, quoted=True), self.where())
        if r[0] == "'":
            if not r.endswith("'"):
                raise ValueError(f"{self.where()}: multi-line quoted scalar not supported")
            return r[1:-1].replace("''", "'")
        if r[0] in "[{":
            return _Flow(_strip_comment(r), self.where()).value()
        if r[0] in "&*!":
            raise ValueError(f"{self.where()}: anchors, aliases and tags not supported: {r}")
        return _plain(self._continued(_strip_comment(r), ind, quoted=False))

    def _continued(self, first, ind, quoted):
        """A scalar folded over more lines (kustomize wraps long ones): the
        following lines indented deeper, joined by single spaces."""
        parts = [first]
        closed = quoted and re.match(r'^"(?:[^"\\]|\\.)*"\s*$', first)
        while not closed and self.i < len(self.lines):
            line = self.lines[self.i]
            if not line.strip() or self._indent(line) <= ind:
                break
            if not quoted and re.search(r":(\s|$)", line.strip()):
                raise ValueError(f"{self.where()}: ': ' cannot continue a plain scalar: {line!r}")
            parts.append(line.strip())
            self.i += 1
            if quoted and re.search(r'(?<!\\)"\s*$', line):
                break
        if quoted:
            out = parts[0]
            for p in parts[1:]:
                out = out[:-1] + p if out.endswith("\\") else out + " " + p
            return out
        return " ".join(parts)

    def literal(self, header, ind):
        if header[0] == ">":
            raise ValueError(f"{self.where()}: folded block scalars not supported")
        chomp = "-" if "-" in header else "+" if "+" in header else ""
        body = []
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.strip() and self._indent(line) <= ind:
                break
            body.append(line)
            self.i += 1
        # trailing blank lines belong to the scalar only for "+" chomping
        content = [l for l in body if l.strip()]
        if not content:
            return ""
        bi = min(self._indent(l) for l in content)
        m = re.search(r"[0-9]", header)
        if m:
            bi = ind + int(m.group(0))
        lines = [l[bi:] if l.strip() else "" for l in body]
        text = "\n".join(lines)
        if chomp == "-":
            return text.rstrip("\n")
        if chomp == "+":
            return text + "\n"
        return text.rstrip("\n") + "\n"


def load_all(text):
    """@brief Parse every document of @p text; returns a list (None for empty docs dropped)."""
    docs, cur, start = [], [], 1
    for no, line in enumerate(text.split("\n"), 1):
        if line.rstrip() == "---" or line.startswith("--- "):
            docs.append((cur, start))
            cur, start = [], no + 1
        else:
            cur.append(line)
    docs.append((cur, start))
    out = []
    for lines, first in docs:
        d = _Doc(lines, first)
        v = d.block()
        if d._skip():
            raise ValueError(f"{d.where()}: unparsed text: {d.lines[d.i]!r}")
        if v is not None:
            out.append(v)
    return out
