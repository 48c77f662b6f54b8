"""A mistake in your own warm-ups (FACILITATE_WARMUPS_DIR) stops `facilitate check` and
start-up with the file, the line and the field; a good file adds to the catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from facilitation.warmups import CatalogueError
from plugin.catalogue import load_catalogue
from plugin.settings import Settings
from tests.integration.test_cli import env, run  # noqa: F401  (the env fixture)
from tests.support.app import app_for

GOOD = """
[[warmup]]
id = "our-own-river"
title = "River or sea?"
prompt = "Where would you rather sit for an hour?"
format = "would_you_rather"
options = ["By a river", "By the sea"]
minutes = 2
group_min = 2
group_max = 40
keypad = true
camera_off = true
no_disclosure = true
energy = "calm"
"""
BAD = GOOD.replace('id = "our-own-river"', 'id = "our-own-sky"').replace(
    'energy = "calm"', 'energy = "sleepy"'
)


def test_our_own_warm_ups_join_the_catalogue(tmp_path: Path) -> None:
    (tmp_path / "ours.toml").write_text(GOOD)
    shipped = load_catalogue(None)
    ours = load_catalogue(tmp_path)
    assert len(ours) == len(shipped) + 1 and ours[-1].id == "our-own-river"


def test_a_mistake_stops_start_up_naming_file_line_and_field(
    tmp_path: Path, settings: Settings
) -> None:
    (tmp_path / "ours.toml").write_text(BAD)
    with pytest.raises(CatalogueError) as caught:
        app_for(settings.model_copy(update={"warmups_dir": tmp_path}))
    assert str(caught.value).startswith(f"{tmp_path / 'ours.toml'}:14: energy:")


def test_facilitate_check_reports_the_mistake(
    env: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "warmups"
    folder.mkdir()
    (folder / "ours.toml").write_text(BAD)
    monkeypatch.setenv("FACILITATE_WARMUPS_DIR", str(folder))
    assert run(monkeypatch, "db", "upgrade") == 0
    assert run(monkeypatch, "check") == 1
    err = capsys.readouterr().err
    assert f"warm-up catalogue: {folder / 'ours.toml'}:14: energy:" in err
    (folder / "ours.toml").write_text(GOOD)
    load_catalogue.cache_clear()
    assert run(monkeypatch, "check") == 0
    assert "Warm-up catalogue:" in capsys.readouterr().out
