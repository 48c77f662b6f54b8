"""Real `facilitate serve` processes sharing one PostgreSQL database, for the tests and
benchmarks of several instances, plus the one way to sign in to them over HTTP and a
fresh database on the machine's PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import aiohttp
import asyncpg

from facilitation.meeting_link import JitsiBase, parse_meeting_link
from facilitation.roles import Role
from plugin.clock import Clock
from plugin.db import sessions as sessions_db
from plugin.db.engine import Database, make_engine
from plugin.db.migrate import upgrade
from plugin.db.models import Account
from tests.conftest import PASSWORD, create_account
from tests.support import prosody
from tests.support.prosody import free_port

FACILITATE = str(Path(sys.executable).parent / "facilitate")
ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "cluster-test-secret-key-that-is-long-enough-0123456789"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
BOT_NAME = "Facilitation assistant"
JITSI_BASE = "https://meet.example.org"


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def fresh_postgres(*, migrated: bool = True) -> Iterator[str]:
    """A new database on the machine's PostgreSQL, dropped afterwards."""
    name = f"facilitate_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    try:
        if migrated:
            upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def jitsi_env(server: prosody.Prosody, *, quick: bool = True) -> dict[str, str]:
    """An instance's settings for the test Prosody and its Jitsi stand-ins; `quick`: pings
    and reconnects in seconds, for tests that cut connections."""
    where = {
        "FACILITATE_BOT_ENABLED": "true",
        "FACILITATE_XMPP_WEBSOCKET_URL": server.websocket_url,
        "FACILITATE_XMPP_DOMAIN": prosody.DOMAIN,
        "FACILITATE_MUC_DOMAIN": prosody.MUC,
        "FACILITATE_FOCUS_DOMAIN": prosody.FOCUS,
        "FACILITATE_BREAKOUT_DOMAIN": prosody.BREAKOUT,
        "FACILITATE_POLLS_DOMAIN": prosody.POLLS,
    }
    if not quick:
        return where
    return {
        **where,
        "FACILITATE_XMPP_PING_SECONDS": "2",
        "FACILITATE_XMPP_PING_TIMEOUT_SECONDS": "2",
        "FACILITATE_RECONNECT_MAX_SECONDS": "2",
    }


@dataclass
class Instance:
    """One `facilitate serve` on a free port, its output in a log file."""

    directory: Path
    database_url: str
    extra: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_text(self) -> str:
        path = self.directory / "serve.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "FACILITATE_DATABASE_URL": self.database_url,
            "FACILITATE_DATA_DIR": str(self.directory / "data"),
            "FACILITATE_SECRET_KEY": SECRET,
            "FACILITATE_HOST": "127.0.0.1",
            "FACILITATE_PORT": str(self.port),
            "FACILITATE_BASE_URL": "http://127.0.0.1:8080",  # what nginx would show
            "FACILITATE_JITSI_URL": JITSI_BASE,
            "FACILITATE_BOT_ENABLED": "false",
            "FACILITATE_LOG_LEVEL": "INFO",
            **self.extra,
        }
        self._log = (self.directory / "serve.log").open("ab")
        self.process = subprocess.Popen(
            [FACILITATE, "serve"], env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    async def ready(self, within: float = 30.0) -> None:
        """Until /healthz answers 200 (from this machine: with the details)."""
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as client:
            while True:
                assert self.process is not None and self.process.poll() is None, self.log_text
                try:
                    async with client.get(self.url + "/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"instance on {self.port} not ready:\n{self.log_text}")
                await asyncio.sleep(0.1)

    async def health(self) -> dict[str, Any]:
        async with (
            aiohttp.ClientSession() as client,
            client.get(self.url + "/healthz") as response,
        ):
            return dict(await response.json())

    def kill(self) -> None:
        """kill -9: no chance to hand anything over."""
        self._signal(signal.SIGKILL)

    def terminate(self) -> None:
        """SIGTERM: a clean stop."""
        self._signal(signal.SIGTERM)

    def _signal(self, which: int) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(which)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


class Browser:
    """One person's browser: a cookie jar and CSRF tokens, used against any instance (a
    sign-in on one holds on every other, as behind nginx)."""

    def __init__(self) -> None:
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1, whatever the port
        self.http = aiohttp.ClientSession(cookie_jar=jar)

    async def csrf(self, url: str) -> str:
        async with self.http.get(url) as response:
            match = CSRF_INPUT.search(await response.text())
        assert match, f"no CSRF field on {url}"
        return match.group(1)

    async def sign_in(self, base: str, username: str, password: str) -> None:
        token = await self.csrf(base + "/login")
        form = {"username": username, "password": password, "csrf_token": token, "next": "/"}
        async with self.http.post(base + "/login", data=form, allow_redirects=False) as r:
            assert r.status == 303, await r.text()

    async def post(
        self, base: str, path: str, data: dict[str, str], *, json: bool = False
    ) -> tuple[int, str, dict[str, str]]:
        token = await self.csrf(base + "/")
        headers = {"Accept": "application/json"} if json else {}
        async with self.http.post(
            base + path,
            data={**data, "csrf_token": token},
            headers=headers,
            allow_redirects=False,
        ) as response:
            return response.status, await response.text(), dict(response.headers)

    async def start_session(self, base: str, link: str) -> str:
        status, text, headers = await self.post(base, "/sessions", {"meeting": link})
        assert status == 303, text
        return headers["Location"].rsplit("/", 1)[-1]

    async def close(self) -> None:
        await self.http.close()


async def seed_sessions(
    url: str, rooms: int, prefix: str, username: str = "fran", password: str = PASSWORD
) -> dict[str, str]:
    """A facilitator and `rooms` live sessions (rooms `<prefix>0`, `<prefix>1`, ...) in a
    migrated database, as starting them from the console would; room -> session id."""
    database = Database(make_engine(url))
    account_id = await create_account(database, username, Clock().now(), Role.FACILITATOR, password)
    found: dict[str, str] = {}
    async with database.session() as db:
        account = await db.get(Account, account_id)
        assert account is not None
        for n in range(rooms):
            ref = parse_meeting_link(f"{JITSI_BASE}/{prefix}{n}", (JitsiBase.parse(JITSI_BASE),))
            session, _ = await sessions_db.start_or_get(db, ref, account, Clock().now())
            found[ref.room] = session.id
        await db.commit()
    await database.close()
    return found
