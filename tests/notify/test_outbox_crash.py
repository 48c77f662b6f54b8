"""Kill the service between commit and send: the alert still arrives, exactly once.

A real `facilitate serve` process finds an alert committed in the outbox, claims it and
connects to a mail server that never answers; it is killed with SIGKILL while it holds the
claim. The next process takes the alert once the claim has run out and sends it to a real
SMTP server: one message arrives, not two, not none.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, create_engine, select

from plugin.db.migrate import upgrade
from plugin.db.models import Notification
from tests.support.smtp import MailServer, free_port

FACILITATE = str(Path(sys.executable).parent / "facilitate")


class Silent:
    """Accepts connections and never says a word, as a hung mail server does."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_server(("127.0.0.1", port))
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        for conn in self.accepted:
            conn.close()
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.sock.close()


def serve(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [FACILITATE, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def row(url: str) -> Notification:
    with Session(create_engine(url)) as db:
        found = db.exec(select(Notification)).one()
        db.expunge(found)
        return found


def until(check: Callable[[], bool], within: float) -> None:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within, "timed out"
        time.sleep(0.1)


def test_an_alert_committed_before_a_kill_is_sent_exactly_once_after_restart(
    tmp_path: Path,
) -> None:
    db_url = f"sqlite:///{tmp_path / 'crash.db'}"
    upgrade(db_url)
    with Session(create_engine(db_url)) as db:
        now = datetime.now(UTC)
        db.add(
            Notification(
                dedupe_key="urgent:crash-test",
                kind="test",
                channel="email",
                address="host@example.org",
                subject="Urgent: a check-out needs someone today",
                body="Sign in to see it.",
                next_attempt_at=now,
                created_at=now,
            )
        )
        db.commit()
    port = free_port()
    mail = MailServer(tmp_path, port=port)  # its certificate now; it listens later
    env = {
        **os.environ,
        "FACILITATE_DATABASE_URL": db_url,
        "FACILITATE_DATA_DIR": str(tmp_path / "data"),
        "FACILITATE_SECRET_KEY": "crash-test-secret-key-that-is-long-enough-123",
        "FACILITATE_PORT": str(free_port()),
        "FACILITATE_BOT_ENABLED": "false",
        **{f"FACILITATE_{k.upper()}": str(v) for k, v in mail.settings().items()},
        "FACILITATE_SMTP_TIMEOUT_SECONDS": "2",  # a claim lasts 2 x 2 + 3 = 7 s
    }
    silent = Silent(port)
    first = serve(env)
    try:
        until(lambda: row(db_url).claimed_by is not None, within=20)
        until(lambda: bool(silent.accepted), within=5)  # it is mid-send
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    held = row(db_url)
    assert (held.state, held.attempts, held.sent_at) == ("pending", 0, None)
    silent.close()

    mail.start()
    second = serve(env)
    try:
        until(lambda: bool(mail.inbox.messages), within=25)
        time.sleep(3)  # time for a second copy, were there going to be one
        assert len(mail.inbox.messages) == 1
        ((_, message),) = mail.inbox.messages
        assert message["Subject"] == "Urgent: a check-out needs someone today"
        until(lambda: row(db_url).state == "sent", within=5)
        assert row(db_url).attempts == 0
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=15)
        mail.stop()
