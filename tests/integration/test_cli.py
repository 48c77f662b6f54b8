"""The `facilitate` command, run in-process with a real SQLite file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from plugin.cli import main
from tests.conftest import PASSWORD


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("DATABASE_URL", "DATA_DIR"):
        monkeypatch.delenv(f"FACILITATE_{name}", raising=False)
    db = tmp_path / "cli.db"
    monkeypatch.setenv("FACILITATE_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("FACILITATE_DATA_DIR", str(tmp_path / "data"))
    return db


def run(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(list(argv))


def test_db_upgrade_then_users(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(monkeypatch, "check") == 1
    assert "facilitate db upgrade" in capsys.readouterr().err
    assert run(monkeypatch, "db", "upgrade") == 0
    assert env.exists()
    assert (
        run(
            monkeypatch,
            "users",
            "add",
            "robin",
            "--role",
            "admin",
            "--name",
            "Robin",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        == 0
    )
    assert run(monkeypatch, "users", "add", "Robin", "--password-stdin", stdin=PASSWORD + "\n") == 1
    assert "already taken" in capsys.readouterr().err
    assert run(monkeypatch, "users", "add", "sam", "--password-stdin", stdin="short\n") == 1
    assert "password: The password needs at least 12 characters." in capsys.readouterr().err
    bad_name = ["users", "add", "Bad Name!! <x>", "--password-stdin"]
    assert run(monkeypatch, *bad_name, stdin=PASSWORD + "\n") == 1
    assert "username: Use 2 to 64 letters" in capsys.readouterr().err
    assert run(monkeypatch, "users", "disable", "robin") == 0
    assert run(monkeypatch, "users", "list") == 0
    out = capsys.readouterr().out
    assert "robin" in out
    assert "admin" in out
    assert "disabled" in out
    assert "sam" not in out
    assert run(monkeypatch, "check") == 0
    assert _audit_actions(env) == [
        ("account.created", "account:1"),
        ("account.disabled", "account:1"),
    ]


def _audit_actions(db: Path) -> list[tuple[str, str]]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT action, target FROM audit_entry ORDER BY id").fetchall()


def test_check_reports_every_settings_problem(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FACILITATE_PORT", "0")
    monkeypatch.setenv("FACILITATE_BASE_URL", "nope")
    assert run(monkeypatch, "check") == 2
    err = capsys.readouterr().err
    assert "FACILITATE_PORT" in err
    assert "FACILITATE_BASE_URL" in err


def test_serve_refuses_an_unmigrated_database(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(monkeypatch, "serve", "--port", "1") == 1
    assert "facilitate db upgrade" in capsys.readouterr().err
