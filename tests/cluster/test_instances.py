"""Two or three real `facilitate serve` processes on one PostgreSQL database, with the
test Prosody and the Jitsi stand-ins (Jicofo's focus): one assistant per meeting, taken over
after kill -9 and handed over at once on SIGTERM, never two in the room; console updates on
every instance; Next pressed on two instances at once."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text

from facilitation.live_events import LiveEvent
from plugin.db.engine import make_engine
from plugin.db.migrate import upgrade
from tests.cluster.conftest import (
    LEASE_SECONDS,
    AssistantWatch,
    StartInstances,
    signed_in,
)
from tests.jitsi.conftest import joined
from tests.support import prosody
from tests.support.instances import FACILITATE, Browser, Instance
from tests.support.participant import Participant, body_of
from webhooks import pbx

LINK = "https://meet.example.org/Regional"
ROOM = "regional"


async def lease_holder(pg_url: str, session_id: str) -> str | None:
    engine = make_engine(pg_url, one_shot=True)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT i.url FROM cluster_lease l JOIN cluster_instance i "
                        "ON i.id = l.holder WHERE l.name = :n AND l.expires_at >= now()"
                    ),
                    {"n": f"meeting:{session_id}"},
                )
            ).first()
    finally:
        await engine.dispose()
    return str(row[0]) if row is not None else None


async def until(check: Any, within: float, step: float = 0.1) -> float:
    """Seconds until `check()` (a coroutine function) is true."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > within:
            raise TimeoutError(f"not within {within} s")
        await asyncio.sleep(step)
    return time.monotonic() - started


async def meeting_with_watcher(
    server: prosody.Prosody, browser: Browser, first: Instance, pg_url: str
) -> tuple[str, Participant, AssistantWatch]:
    """A session started on `first`, its assistant in the room, a person watching."""
    session_id = await browser.start_session(first.url, LINK)
    await until(lambda: _held_by(pg_url, session_id, first.url), within=10)
    person = Participant(server, ROOM, "Watcher")
    watch = AssistantWatch(person.room_jid)
    person.listeners.append(watch)
    await person.connect()
    await person.join()

    async def arrived() -> bool:
        return bool(watch.present)

    await until(arrived, within=15)
    return session_id, person, watch


async def _held_by(pg_url: str, session_id: str, url: str) -> bool:
    return await lease_holder(pg_url, session_id) == url


async def test_after_kill_9_another_instance_takes_the_meeting_over_never_two_assistants(
    start_instances: StartInstances,
    server: prosody.Prosody,
    standin: Any,
    browser: Browser,
    pg_url: str,
) -> None:
    first, second = await start_instances(2)
    await signed_in(browser, first.url)
    session_id, person, watch = await meeting_with_watcher(server, browser, first, pg_url)
    await person.raise_hand()
    status, _, _ = await browser.post(
        second.url, f"/sessions/{session_id}/queue", {"action": "undo"}, json=True
    )  # any action: proves the console on the second instance is the first's, passed on
    assert status in (200, 409)

    first.kill()
    killed = time.monotonic()

    async def back() -> bool:
        return bool(watch.present) and len(watch.arrivals) >= 2

    waited = await until(back, within=30)
    print(f"assistant back {waited:.1f} s after kill -9 (lease {LEASE_SECONDS} s)")
    assert waited < 30
    assert time.monotonic() - killed >= 0  # the new one came after the kill, not before
    assert watch.most == 1, "two assistants were in the room at once"
    assert await lease_holder(pg_url, session_id) == second.url
    health = await second.health()
    assert health["instance"]["role"] == "cluster"
    assert health["instance"]["meetings"] == 1
    # The hand raised before the kill is still in the queue the new owner runs.
    async with browser.http.get(
        second.url + f"/sessions/{session_id}/queue", headers={"Accept": "application/json"}
    ) as response:
        queue = await response.json() if response.content_type == "application/json" else None
    engine = make_engine(pg_url, one_shot=True)
    async with engine.connect() as conn:
        state = (
            await conn.execute(
                text("SELECT state FROM speaking_queue WHERE session_id = :s"), {"s": session_id}
            )
        ).scalar_one()
    await engine.dispose()
    assert person.nick in str(state), (state, queue)
    await person.close()


async def test_sigterm_hands_the_meeting_over_at_once(
    start_instances: StartInstances,
    server: prosody.Prosody,
    standin: Any,
    browser: Browser,
    pg_url: str,
) -> None:
    first, second = await start_instances(2)
    await signed_in(browser, first.url)
    session_id, person, watch = await meeting_with_watcher(server, browser, first, pg_url)

    stopped = time.monotonic()
    first.terminate()

    async def back() -> bool:
        return len(watch.arrivals) >= 2 and bool(watch.present)

    await until(back, within=LEASE_SECONDS * 3)
    handover = time.monotonic() - stopped
    print(f"assistant back {handover:.1f} s after SIGTERM")
    # Without the hand-over it would wait for the lease to run out (LEASE_SECONDS).
    assert handover < LEASE_SECONDS, f"took {handover:.1f} s"
    assert watch.most == 1
    assert await lease_holder(pg_url, session_id) == second.url
    await person.close()


async def test_consoles_on_every_instance_see_a_change_and_next_on_two_gives_one_speaker(
    start_instances: StartInstances,
    server: prosody.Prosody,
    standin: Any,
    browser: Browser,
    pg_url: str,
) -> None:
    first, second, third = await start_instances(3)
    await signed_in(browser, first.url)
    session_id, person, _watch = await meeting_with_watcher(server, browser, first, pg_url)
    feeds = [
        await browser.http.ws_connect(
            f"{one.url}/sessions/{session_id}/live", headers={"Origin": one.url}
        )
        for one in (second, third)
    ]
    for feed in feeds:
        assert (await feed.receive_json(timeout=5))["event"] == LiveEvent.CONSOLE_READY.value

    await person.raise_hand()  # seen by the assistant on the first instance
    views = [await _queue_update(feed, lambda v: bool(v["entries"])) for feed in feeds]
    assert all(view["entries"][0]["id"] == person.nick for view in views)
    seq = str(views[0]["actionSeq"])

    said: list[str] = []

    def heard(element: Any, _arrived: float) -> None:
        body = body_of(element) or ""
        if element.get("type") == "groupchat" and body.startswith("Now:"):
            said.append(body)

    person.listeners.append(heard)
    # Next on an instance without the assistant: passed on to the one with it, which
    # announces the speaker in the meeting.
    status, text_, _ = await browser.post(
        second.url, f"/sessions/{session_id}/queue", {"action": "next", "seq": seq}, json=True
    )
    assert status == 200, text_
    for feed in feeds:
        view = await _queue_update(feed, lambda v: v["speaker"] is not None)
        assert view["speaker"]["id"] == person.nick

    other = await joined(server, ROOM, "Other")
    await other.raise_hand()
    view = await _queue_update(feeds[1], lambda v: len(v["entries"]) == 1)
    seq = str(view["actionSeq"])
    results = await asyncio.gather(
        *(
            browser.post(
                one.url, f"/sessions/{session_id}/queue", {"action": "next", "seq": seq}, json=True
            )
            for one in (second, third)
        )
    )
    assert sorted(status for status, _, _ in results) == [200, 409], results
    for feed in feeds:
        view = await _queue_update(feed, lambda v: (v["speaker"] or {}).get("id") == other.nick)
    await asyncio.sleep(2)  # time for a second announcement, were there going to be one
    assert said == ["Now: Watcher.", "Now: Other."]
    await other.close()
    for feed in feeds:
        await feed.close()
    await person.close()


async def _queue_update(
    feed: aiohttp.ClientWebSocketResponse, accept: Any, within: float = 5.0
) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            message = await feed.receive_json()
            if message["event"] == LiveEvent.QUEUE_UPDATED.value and accept(message):
                return dict(message)


PBX_KEY = b"pbx-standard-webhooks-key-0123456789"


async def post_pbx(instance: Instance, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """A PBX event, signed as the PBX kit signs it, to one instance."""
    raw = json.dumps(body).encode()
    webhook_id, at = f"msg_{uuid.uuid4().hex}", int(time.time())
    headers = {
        "Content-Type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(at),
        "webhook-signature": pbx.sign(PBX_KEY, webhook_id, at, raw),
    }
    async with (
        aiohttp.ClientSession() as client,
        client.post(instance.url + "/webhooks/phone/events", data=raw, headers=headers) as r,
    ):
        return r.status, await r.json()


async def test_a_caller_whose_call_lands_on_another_instance_raises_a_hand_in_the_meeting(
    start_instances: StartInstances,
    server: prosody.Prosody,
    standin: Any,
    browser: Browser,
    pg_url: str,
) -> None:
    secret = "whsec_" + base64.b64encode(PBX_KEY).decode()
    first, second = await start_instances(2, FACILITATE_PBX_WEBHOOK_SECRET=secret)
    await signed_in(browser, first.url)
    session_id, person, _watch = await meeting_with_watcher(server, browser, first, pg_url)
    feed = await browser.http.ws_connect(
        f"{second.url}/sessions/{session_id}/live", headers={"Origin": second.url}
    )
    async with browser.http.get(
        second.url + "/dial-in/conference-mapper", params={"conference": f"{ROOM}@{prosody.MUC}"}
    ) as response:
        pin = str((await response.json())["id"])
    status, reply = await post_pbx(
        second,
        {"type": "call.started", "call_id": "far", "caller_id": "+447700900789", "pin": pin},
    )
    assert (status, reply["action"]) == (200, "connect"), reply
    caller = await joined(server, ROOM, "+447700900789", phone=True)  # Jigasi's participant

    async def linked() -> bool:
        engine = make_engine(pg_url, one_shot=True)
        try:
            async with engine.connect() as conn:
                found = await conn.execute(
                    text("SELECT 1 FROM participant WHERE jitsi_id = :j"), {"j": caller.nick}
                )
                return found.first() is not None
        finally:
            await engine.dispose()

    await until(linked, within=10)
    # The key lands on the instance without the assistant; the owner applies it.
    status, _reply = await post_pbx(second, {"type": "dtmf", "call_id": "far", "digits": "*9"})
    assert status == 200
    view = await _queue_update(feed, lambda v: bool(v["entries"]))
    assert [entry["name"] for entry in view["entries"]] == ["…789"]
    for one in (caller, person):
        await one.close()
    await feed.close()


async def test_workers_share_one_port_each_an_instance_of_its_own(
    tmp_path: Any, pg_url: str
) -> None:
    """FACILITATE_WORKERS=2: two processes answer on one port; each is its own instance
    with a private address of its own; SIGTERM stops both."""
    service = Instance(tmp_path / "workers", pg_url, {"FACILITATE_WORKERS": "2"})
    service.start()
    try:
        await service.ready()
        seen: dict[str, str] = {}
        deadline = time.monotonic() + 20  # the second may still be starting
        while len(seen) < 2 and time.monotonic() < deadline:
            instance = (await service.health())["instance"]
            seen[instance["id"]] = instance["role"]
            await asyncio.sleep(0.05)
        assert list(seen.values()) == ["cluster", "cluster"], seen
        engine = make_engine(pg_url, one_shot=True)
        async with engine.connect() as conn:
            urls = (await conn.execute(text("SELECT url FROM cluster_instance"))).scalars().all()
        await engine.dispose()
        assert len(set(urls)) == 2 and service.url not in urls  # private addresses
        # As systemd stops a service: SIGTERM to every process of it at once, so each
        # worker gets one from systemd and one passed on by the supervisor. The hand-over
        # still finishes.
        assert service.process is not None
        pid = service.process.pid
        workers = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()  # noqa: ASYNC240 - /proc, instant
        assert len(workers) == 2
        for worker in workers:
            os.kill(int(worker), signal.SIGTERM)
        service.terminate()
        assert service.process.returncode == 0
        engine = make_engine(pg_url, one_shot=True)
        async with engine.connect() as conn:
            left = (await conn.execute(text("SELECT count(*) FROM cluster_instance"))).scalar()
        await engine.dispose()
        assert left == 0  # both retired themselves: a clean hand-over
    finally:
        service.stop()


def test_workers_refuse_sqlite(tmp_path: Any) -> None:
    db = tmp_path / "one.db"
    upgrade(f"sqlite:///{db}")
    done = subprocess.run(
        [FACILITATE, "serve"],
        env={
            **os.environ,
            "FACILITATE_DATABASE_URL": f"sqlite:///{db}",
            "FACILITATE_DATA_DIR": str(tmp_path / "data"),
            "FACILITATE_WORKERS": "2",
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "several workers need PostgreSQL" in done.stderr


async def test_check_reports_the_role_the_instances_and_their_leases(
    tmp_path: Any, pg_url: str, facilitator: str
) -> None:
    one, two = (Instance(tmp_path / f"plain-{n}", pg_url) for n in range(2))
    browser = Browser()
    try:
        for instance in (one, two):
            instance.start()
        await asyncio.gather(one.ready(), two.ready())
        await signed_in(browser, one.url)
        session_id = await browser.start_session(one.url, LINK)
        env = {
            **os.environ,
            "FACILITATE_DATABASE_URL": pg_url,
            "FACILITATE_DATA_DIR": str(tmp_path / "check"),
            "FACILITATE_PORT": str(one.port),
        }
        done = await asyncio.to_thread(
            subprocess.run,
            [FACILITATE, "check"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        await browser.close()
        one.stop()
        two.stop()
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert (
        f"Role: one of several instances (PostgreSQL); the others reach this one at {one.url}."
        in out
    )
    assert f"at {one.url} (this instance's address): running." in out
    assert f"at {two.url}: running." in out
    assert f"holds 1 meeting lease(s): {session_id}" in out
    assert "runs the schedule" in out
    assert "FACILITATE_SECRET_KEY is not set" in out  # check ran without the shared key
