"""Babel extractor for the warm-up catalogue (registered in babel.cfg as `warmups`).

`make messages` runs pybabel from the repository root, which imports this function: every
translatable text of every warm-up (title, prompt, options, content note) goes into the
template, each with a comment naming the warm-up and the field for translators. A broken
catalogue file stops the extraction with its CatalogueError (file, line, field).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from facilitation.warmups import Format, WarmUp, parse_catalogue, texts_of

Extracted = tuple[int, None, str, list[str]]


def _labels(warmup: WarmUp) -> list[str]:
    """What each of `texts_of(warmup)` is, for the translators' comment."""
    label = "label" if warmup.format is Format.SCALE else "option"
    options = [f"{label} {number}" for number in range(1, len(warmup.options) + 1)]
    return ["title", "prompt", *options, *(["content note"] if warmup.content_note else [])]


def extract_warmups(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Babel's extractor interface: (line, function name, message, comments) per text."""
    encoding = str(options.get("encoding", "utf-8"))
    text = fileobj.read().decode(encoding)
    filename = str(getattr(fileobj, "name", "<warm-ups>"))
    for warmup in parse_catalogue(text, filename):
        line = int(warmup.source.rpartition(":")[2] or 1)
        for message, label in zip(texts_of(warmup), _labels(warmup), strict=True):
            yield line, None, message, [f"warm-up {warmup.id}: {label}"]
