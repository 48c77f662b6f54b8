"""Several real `facilitate serve` processes on one fresh PostgreSQL database, with the
test Prosody and the Jitsi stand-ins of tests/jitsi, and a facilitator to sign in as."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

import pytest

from facilitation.roles import Role
from plugin.clock import Clock
from plugin.db.engine import Database, make_engine
from tests.conftest import PASSWORD, create_account
from tests.jitsi.conftest import server, standin  # noqa: F401
from tests.support import prosody
from tests.support.instances import BOT_NAME, Browser, Instance, fresh_postgres, jitsi_env

pytestmark = [pytest.mark.postgres, pytest.mark.prosody]
LEASE_SECONDS = 6  # short, so a takeover after kill -9 takes seconds, not the default 15
NICK = "{http://jabber.org/protocol/nick}nick"


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_postgres() as url:
        yield url


@pytest.fixture
async def facilitator(pg_url: str) -> str:
    database = Database(make_engine(pg_url))
    await create_account(database, "fran", Clock().now(), Role.FACILITATOR)
    await database.close()
    return "fran"


StartInstances = Callable[..., Awaitable[list[Instance]]]


@pytest.fixture
async def start_instances(
    tmp_path: Path,
    pg_url: str,
    server: prosody.Prosody,  # noqa: F811
) -> AsyncIterator[StartInstances]:
    started: list[Instance] = []

    async def start(count: int, **extra: str) -> list[Instance]:
        made = []
        for _ in range(count):
            env = {
                **jitsi_env(server),
                "FACILITATE_LEASE_SECONDS": str(LEASE_SECONDS),
                **extra,
            }
            instance = Instance(tmp_path / f"instance-{len(started)}", pg_url, env)
            instance.start()
            started.append(instance)
            made.append(instance)
        await asyncio.gather(*(one.ready() for one in made))
        return made

    yield start
    for instance in started:
        instance.stop()


@pytest.fixture
async def browser(facilitator: str) -> AsyncIterator[Browser]:
    one = Browser()
    yield one
    await one.close()


async def signed_in(browser: Browser, base: str) -> Browser:
    await browser.sign_in(base, "fran", PASSWORD)
    return browser


class AssistantWatch:
    """Counts the assistants in a room from a participant's presences, and remembers the
    most it ever saw at once."""

    def __init__(self, room_jid: str) -> None:
        self.room_jid = room_jid
        self.present: set[str] = set()
        self.most = 0
        self.arrivals: list[float] = []

    def __call__(self, element: Element, arrived: float) -> None:
        sender = element.get("from", "")
        if not element.tag.endswith("presence") or not sender.startswith(self.room_jid + "/"):
            return
        if element.get("type") == "unavailable":
            self.present.discard(sender)
            return
        nick = element.find(NICK)
        if nick is None or nick.text != BOT_NAME:
            return
        if sender not in self.present:
            self.present.add(sender)
            self.arrivals.append(arrived)
        self.most = max(self.most, len(self.present))
