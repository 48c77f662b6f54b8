"""Several real `facilitate serve` processes on one fresh PostgreSQL database, with the
test Prosody and the Jitsi stand-ins of tests/jitsi, a facilitator to sign in as, and a
meeting started on the first of them with a person in it watching for assistants."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import aiohttp
import pytest
from sqlalchemy import text

from facilitation.live_events import LiveEvent
from facilitation.roles import Role
from plugin.clock import Clock
from plugin.db.engine import Database, make_engine
from tests.conftest import PASSWORD, create_account
from tests.jitsi.conftest import server, standin  # noqa: F401
from tests.support import prosody
from tests.support.instances import BOT_NAME, Browser, Instance, fresh_postgres, jitsi_env
from tests.support.participant import Participant

pytestmark = [pytest.mark.postgres, pytest.mark.prosody]
LEASE_SECONDS = 6  # short, so a takeover after kill -9 takes seconds, not the default 15
NICK = "{http://jabber.org/protocol/nick}nick"
LINK = "https://meet.example.org/Regional"
ROOM = "regional"


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


async def until_true(check: Callable[[], Awaitable[bool]], within: float) -> float:
    """Seconds until `check()` is true (checks that ask the database or an instance)."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > within:
            raise TimeoutError(f"not within {within} s")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def scalar(pg_url: str, sql: str, **params: Any) -> Any:
    """One value read straight from the database, as an operator would."""
    engine = make_engine(pg_url, one_shot=True)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()
    finally:
        await engine.dispose()


async def lease_holder(pg_url: str, session_id: str) -> str | None:
    """The address of the instance validly holding the meeting's lease."""
    return await scalar(  # type: ignore[no-any-return]
        pg_url,
        "SELECT i.url FROM cluster_lease l JOIN cluster_instance i ON i.id = l.holder "
        "WHERE l.name = :n AND l.expires_at >= now()",
        n=f"meeting:{session_id}",
    )


@dataclass
class Watched:
    """Instances, a session started on the first (which holds its lease), and a person in
    the meeting counting the assistants."""

    instances: list[Instance]
    session_id: str
    person: Participant
    watch: AssistantWatch


StartWatched = Callable[..., Awaitable[Watched]]


@pytest.fixture
async def watched_meeting(
    start_instances: StartInstances,
    server: prosody.Prosody,  # noqa: F811
    standin: Any,  # noqa: F811
    browser: Browser,
    pg_url: str,
) -> AsyncIterator[StartWatched]:
    people: list[Participant] = []

    async def start(count: int, **extra: str) -> Watched:
        instances = await start_instances(count, **extra)
        first = instances[0]
        await signed_in(browser, first.url)
        session_id = await browser.start_session(first.url, LINK)

        async def held() -> bool:
            return await lease_holder(pg_url, session_id) == first.url

        await until_true(held, within=10)
        person = Participant(server, ROOM, "Watcher")
        people.append(person)
        watch = AssistantWatch(person.room_jid)
        person.listeners.append(watch)
        await person.connect()
        await person.join()

        async def arrived() -> bool:
            return bool(watch.present)

        await until_true(arrived, within=15)
        return Watched(instances, session_id, person, watch)

    yield start
    for person in people:
        await person.close()


async def console_feed(
    browser: Browser, instance: Instance, session_id: str
) -> aiohttp.ClientWebSocketResponse:
    """The console's live feed of the session, from this instance, once it is ready."""
    feed = await browser.http.ws_connect(
        f"{instance.url}/sessions/{session_id}/live", headers={"Origin": instance.url}
    )
    assert (await feed.receive_json(timeout=5))["event"] == LiveEvent.CONSOLE_READY.value
    return feed


async def queue_update(
    feed: aiohttp.ClientWebSocketResponse, accept: Callable[[Any], bool], within: float = 5.0
) -> dict[str, Any]:
    """The next `queueUpdated` on the feed that `accept` takes."""
    async with asyncio.timeout(within):
        while True:
            message = await feed.receive_json()
            if message["event"] == LiveEvent.QUEUE_UPDATED.value and accept(message):
                return dict(message)
