"""Where things are in a catalogue file's TOML text, for errors that name a line. Pure.

tomllib gives values without their lines, so this reads the text once more, just enough to
find each `[[warmup]]` header and the first line of each `key = ...` under it: it skips the
inside of multi-line strings and arrays, and comments, so a line there is never taken for a
header or a key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

_HEADER = re.compile(r"\[\[\s*(?:warmup|\"warmup\"|'warmup')\s*\]\]\s*(?:#.*)?")
_SUBTABLE = re.compile(r"\[{1,2}\s*(?:warmup|\"warmup\"|'warmup')\s*\.\s*([^.\]\s]+)")
_KEY = re.compile(r"(?:\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+))\s*[.=]")
_TOML_LINE = re.compile(r"at line (\d+)")


@dataclass(frozen=True)
class EntryLines:
    """One `[[warmup]]` entry: the line of its header, and the first line of each key."""

    header: int
    keys: Mapping[str, int] = field(default_factory=dict)

    def of(self, key: str) -> int:
        """The line of `key` when the entry has it, else the header's."""
        return self.keys.get(key, self.header)


@dataclass(frozen=True)
class FileLines:
    top: Mapping[str, int]  # keys and tables outside any [[warmup]] entry
    entries: tuple[EntryLines, ...]

    def entry(self, index: int) -> EntryLines:
        return self.entries[index] if index < len(self.entries) else EntryLines(1)


def _statements(text: str) -> Iterator[tuple[int, str]]:
    """(line number, stripped line) of each line that starts a statement: not inside a
    multi-line string or array, not blank, not a comment."""
    closing: str | None = None  # the quotes that end the multi-line string we are in
    depth = 0  # open brackets of a multi-line array
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if closing is None and depth == 0:
            if not stripped or stripped.startswith("#"):
                continue
            yield number, stripped
            if stripped.startswith("["):
                continue  # a table header opens nothing
        closing, depth = _scan(line, closing, depth)


def _scan(line: str, closing: str | None, depth: int) -> tuple[str | None, int]:
    """The open multi-line string and array depth after `line`."""
    i = 0
    while i < len(line):
        if closing is not None:
            end = line.find(closing, i)
            if end < 0:
                return closing, depth
            i, closing = end + 3, None
            continue
        char = line[i]
        if char == "#":
            break
        if line.startswith('"""', i) or line.startswith("'''", i):
            closing = line[i : i + 3]
            i += 3
            continue
        if char in "\"'":
            i = _string_end(line, i)
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(depth - 1, 0)
        i += 1
    return closing, depth


def _string_end(line: str, start: int) -> int:
    """The index just after the one-line string that starts at `start`."""
    quote, i = line[start], start + 1
    while i < len(line):
        if quote == '"' and line[i] == "\\":
            i += 2
            continue
        if line[i] == quote:
            return i + 1
        i += 1
    return i


def locate(text: str) -> FileLines:
    top: dict[str, int] = {}
    entries: list[tuple[int, dict[str, int]]] = []
    entry: dict[str, int] | None = None  # the keys of the [[warmup]] entry we are in
    target = top  # where the next `key = ...` goes
    for number, stripped in _statements(text):
        if stripped.startswith("["):
            sub = _SUBTABLE.match(stripped)
            if _HEADER.fullmatch(stripped):
                entry = target = {}
                entries.append((number, entry))
            elif sub and entry is not None:
                entry.setdefault(sub.group(1).strip("\"'"), number)
                target = {}  # the sub-table's own keys are not the entry's
            else:
                entry, target = None, {}
                top.setdefault(stripped.strip("[] \t").split(".")[0].strip("\"'"), number)
            continue
        key = _KEY.match(stripped)
        if key:
            target.setdefault(next(part for part in key.groups() if part is not None), number)
    return FileLines(top, tuple(EntryLines(header, keys) for header, keys in entries))


def toml_error_line(message: str, text: str) -> int:
    """The line tomllib's error message names ("at line N"); the last line when the error is
    at the end of the document."""
    found = _TOML_LINE.search(message)
    if found:
        return int(found.group(1))
    return max(len(text.splitlines()), 1)
