"""Every user-facing string is extractable, and the committed template is up to date."""

from __future__ import annotations

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
