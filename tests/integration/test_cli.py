"""The `facilitate` command, run in-process with a real SQLite file."""

from __future__ import annotations

import io
import logging
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
    assert "Role: the only instance (SQLite)" in capsys.readouterr().out
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


def test_users_add_without_a_terminal_says_how_and_exits_2(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(monkeypatch, "db", "upgrade") == 0
    assert run(monkeypatch, "users", "add", "sam") == 2  # stdin is not a terminal here
    err = capsys.readouterr().err
    assert "--password-stdin" in err and "Traceback" not in err and "EOFError" not in err


def test_links_follow_the_port_when_no_base_url_is_set(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("FACILITATE_BASE_URL", raising=False)
    monkeypatch.setenv("FACILITATE_PORT", "8097")
    assert run(monkeypatch, "db", "upgrade") == 0
    served: list[tuple[str, int]] = []
    monkeypatch.setattr(
        "plugin.cli.web.run_app", lambda app, host, port, **_: served.append((host, port))
    )
    assert run(monkeypatch, "serve") == 0
    assert "http://127.0.0.1:8097/setup/" in capsys.readouterr().out
    every_address = "0.0.0.0"  # noqa: S104 - what a container listens on; links say localhost
    assert run(monkeypatch, "serve", "--port", "8098", "--host", every_address) == 0
    assert "http://localhost:8098/setup/" in capsys.readouterr().out
    assert served == [("127.0.0.1", 8097), (every_address, 8098)]


def test_serve_refuses_an_unmigrated_database(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(monkeypatch, "serve", "--port", "1") == 1
    assert "facilitate db upgrade" in capsys.readouterr().err


def test_alembic_does_not_name_its_dialect_at_info_on_every_command(
    env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # as FACILITATE_LOG_LEVEL=INFO, the default
    assert run(monkeypatch, "db", "upgrade") == 0
    assert run(monkeypatch, "check") == 0
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert any("Running upgrade" in message for message in info)  # the useful lines stay
    assert not [m for m in info if m.startswith(("Context impl", "Will assume"))]
