"""Every user-facing string is extractable, and the committed template is up to date."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def _ids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {str(m.id) for m in read_po(handle) if m.id}


def test_messages_pot_is_current(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    fresh = tmp_path / "messages.pot"
    CommandLineInterface().run(  # type: ignore[no-untyped-call]
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(fresh),
            ".",
        ]
    )
    extracted = _ids(fresh)
    assert (
        "Meeting names cannot contain spaces or these signs: ? & : \" ' %% # / @ < >" in extracted
    )
    assert "Start session" in extracted
    assert extracted == _ids(ROOT / "plugin" / "locale" / "messages.pot"), "run `make messages`"


_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_0-9]+\}")
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")


def _placeholders(text: str) -> set[str]:
    found = set(_PLACEHOLDER.findall(text))
    return found | {f"<{name.lower()}>" for name in _TAG.findall(text)}


def test_spanish_catalogue_is_complete_and_keeps_placeholders() -> None:
    locale = ROOT / "plugin" / "locale"
    with (locale / "messages.pot").open("rb") as handle:
        template = [m for m in read_po(handle) if m.id]
    with (locale / "es" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        spanish = read_po(handle)

    assert not spanish.fuzzy, "the catalogue header is marked fuzzy"
    untranslated, mismatched, fuzzy = [], [], []
    for source in template:
        message = spanish.get(source.id)
        key = source.id if isinstance(source.id, str) else source.id[0]
        if message is None:
            untranslated.append(key)
            continue
        if message.fuzzy:
            fuzzy.append(key)
        ids = (source.id,) if isinstance(source.id, str) else tuple(source.id)
        text = message.string
        strings = (text,) if isinstance(text, str) else tuple(text or ())
        if len(strings) < len(ids) or not all(strings):
            untranslated.append(key)
            continue
        for index, translated in enumerate(strings):
            original = ids[min(index, len(ids) - 1)]
            if _placeholders(translated) != _placeholders(original):
                mismatched.append((original, translated))
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not mismatched, f"placeholders differ: {mismatched[:5]}"
    assert not fuzzy, f"marked fuzzy: {fuzzy[:5]}"
