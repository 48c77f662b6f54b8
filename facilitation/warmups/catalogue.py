"""The warm-up catalogue: TOML text in, checked warm-ups out. Pure (the caller reads files).

Each file holds `[[warmup]]` entries (see plugin/catalogue/warmups/). Every rule broken is a
`CatalogueError` naming the file, the line (the `field =` line when the entry has that
field, else the entry's `[[warmup]]` header) and the field, so whoever edits a file can go
straight to the mistake. The first mistake found is reported.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import NoReturn, TypeVar

from facilitation.warmups.lines import EntryLines, locate, toml_error_line
from facilitation.warmups.model import (
    KEYPAD_DIGITS,
    MAX_GROUP,
    MAX_MINUTES,
    MAX_OPTION,
    MAX_TEXT,
    PASS,
    CatalogueError,
    Energy,
    Format,
    WarmUp,
)

__all__ = [
    "MAX_OPTION",
    "MAX_TEXT",
    "PASS",
    "CatalogueError",
    "Energy",
    "Format",
    "WarmUp",
    "check_unique",
    "parse_catalogue",
    "texts_of",
]

ID = re.compile(r"[a-z0-9-]{3,60}")
REQUIRED = (
    "id",
    "title",
    "prompt",
    "format",
    "minutes",
    "group_min",
    "group_max",
    "keypad",
    "camera_off",
    "no_disclosure",
    "energy",
)
OPTIONAL = ("options", "content_note", "answer")
# How many options each format takes (lowest, highest); formats not here take none.
OPTION_COUNTS = {
    Format.CHOICE: (2, 8),
    Format.WOULD_YOU_RATHER: (2, 2),
    Format.SCALE: (2, 2),
}
_PASS_WORDS = frozenset({"pass", "skip"})

E = TypeVar("E", bound=StrEnum)


class _Entry:
    """One raw [[warmup]] table, with the lines to name in its errors."""

    def __init__(self, raw: Mapping[str, object], lines: EntryLines, filename: str) -> None:
        self.raw, self.lines, self.filename = raw, lines, filename

    def fail(self, field: str, message: str) -> NoReturn:
        raise CatalogueError(self.filename, self.lines.of(field), field, message)

    def text(self, field: str, limit: int = MAX_TEXT, *, required: bool = True) -> str:
        value = self.raw.get(field, "")
        if not isinstance(value, str):
            self.fail(field, "must be text in quotes")
        if value != value.strip():
            self.fail(field, "must not start or end with spaces")
        if required and not value:
            self.fail(field, "must not be empty")
        if len(value) > limit:
            self.fail(field, f"is {len(value)} characters long; at most {limit}, please")
        return value

    def number(self, field: str, low: int, high: int) -> int:
        value = self.raw[field]
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(field, "must be a whole number, without quotes")
        if not low <= value <= high:
            self.fail(field, f"must be from {low} to {high}, not {value}")
        return value

    def flag(self, field: str) -> bool:
        value = self.raw[field]
        if not isinstance(value, bool):
            self.fail(field, "must be true or false, without quotes")
        return value

    def one_of(self, field: str, kind: type[E]) -> E:
        value = self.raw[field]
        allowed = " | ".join(member.value for member in kind)
        if not isinstance(value, str) or value not in {member.value for member in kind}:
            self.fail(field, f"must be one of {allowed}, not {value!r}")
        return kind(value)

    def options(self, form: Format) -> tuple[str, ...]:
        value = self.raw.get("options", [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail("options", 'must be a list of texts, like ["Tea", "Coffee"]')
        low, high = OPTION_COUNTS.get(form, (0, 0))
        if high == 0 and value:
            self.fail("options", f"a {form} warm-up has no options")
        if not low <= len(value) <= high:
            wanted = f"exactly {low}" if low == high else f"from {low} to {high}"
            what = "labels (for 1 and for 5)" if form is Format.SCALE else "options"
            self.fail("options", f"a {form} warm-up needs {wanted} {what}, not {len(value)}")
        seen: set[str] = set()
        for item in value:
            if not item.strip() or item != item.strip():
                self.fail(
                    "options", f"option {item!r} must not be empty or start or end with spaces"
                )
            if len(item) > MAX_OPTION:
                self.fail("options", f"option {item!r} is longer than {MAX_OPTION} characters")
            if item.casefold() in _PASS_WORDS:
                self.fail("options", "leave out Pass: the service offers pass itself (key 0)")
            if item.casefold() in seen:
                self.fail("options", f"option {item!r} is there twice")
            seen.add(item.casefold())
        return tuple(value)

    def answer(self, form: Format) -> int | None:
        if form is not Format.GUESS:
            if "answer" in self.raw:
                self.fail("answer", "only a guess warm-up has an answer")
            return None
        if "answer" not in self.raw:
            self.fail("answer", "a guess warm-up needs its answer, a number from 1 to 9")
        return self.number("answer", 1, KEYPAD_DIGITS)


def _warmup(entry: _Entry, source: str) -> WarmUp:
    known = set(REQUIRED) | set(OPTIONAL)
    unknown = sorted((entry.lines.of(k), k) for k in entry.raw if k not in known)
    if unknown:
        entry.fail(unknown[0][1], f"unknown field; the fields are {', '.join(REQUIRED + OPTIONAL)}")
    for field in REQUIRED:
        if field not in entry.raw:
            entry.fail(field, "missing; every warm-up needs it")
    ident = entry.text("id", 60)
    if not ID.fullmatch(ident):
        entry.fail("id", "use 3 to 60 small letters, digits and dashes, like tea-or-coffee")
    form = entry.one_of("format", Format)
    title, prompt = entry.text("title"), entry.text("prompt")
    options = entry.options(form)
    minutes = entry.number("minutes", 1, MAX_MINUTES)
    group_min = entry.number("group_min", 1, MAX_GROUP)
    group_max = entry.number("group_max", 1, MAX_GROUP)
    if group_max < group_min:
        entry.fail("group_max", f"must be at least group_min ({group_min}), not {group_max}")
    keypad = entry.flag("keypad")
    if keypad and form is Format.CHAT_PROMPT:
        entry.fail("keypad", "a chat_prompt is typed in the chat, so keypad must be false")
    return WarmUp(
        id=ident,
        title=title,
        prompt=prompt,
        format=form,
        options=options,
        minutes=minutes,
        group_min=group_min,
        group_max=group_max,
        keypad=keypad,
        camera_off=entry.flag("camera_off"),
        no_disclosure=entry.flag("no_disclosure"),
        energy=entry.one_of("energy", Energy),
        content_note=entry.text("content_note", required=False),
        answer=entry.answer(form),
        source=source,
    )


def parse_catalogue(text: str, filename: str) -> tuple[WarmUp, ...]:
    """The warm-ups of one catalogue file, in file order; the first mistake is an error."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(filename, toml_error_line(str(exc), text), "toml", str(exc)) from exc
    lines = locate(text)
    for key in document:
        if key != "warmup":
            message = "unknown field; a catalogue file holds only [[warmup]] entries"
            raise CatalogueError(filename, lines.top.get(key, 1), key, message)
    raw = document.get("warmup", [])
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        line = lines.top.get("warmup", 1)
        raise CatalogueError(filename, line, "warmup", "start each entry with [[warmup]]")
    warmups: dict[str, WarmUp] = {}
    for index, table in enumerate(raw):
        entry = _Entry(table, lines.entry(index), filename)
        warmup = _warmup(entry, f"{filename}:{entry.lines.header}")
        if warmup.id in warmups:
            entry.fail("id", f"{warmup.id!r} is already used at {warmups[warmup.id].source}")
        warmups[warmup.id] = warmup
    return tuple(warmups.values())


def _place(source: str) -> tuple[str, int]:
    filename, _, line = source.rpartition(":")
    return (filename, int(line)) if filename and line.isdigit() else (source, 0)


def check_unique(entries: Iterable[WarmUp]) -> None:
    """Every id once, across all the files: a second use names both places."""
    first: dict[str, WarmUp] = {}
    for warmup in entries:
        earlier = first.setdefault(warmup.id, warmup)
        if earlier is not warmup:
            filename, line = _place(warmup.source)
            message = f"{warmup.id!r} is already used at {earlier.source or 'another entry'}"
            raise CatalogueError(filename, line, "id", message)


def texts_of(warmup: WarmUp) -> tuple[str, ...]:
    """Every text to translate: title, prompt, each option (scale labels too), content note."""
    texts = (warmup.title, warmup.prompt, *warmup.options, warmup.content_note)
    return tuple(text for text in texts if text)
