"""Two or three real `facilitate serve` processes on one PostgreSQL database: console
updates on every instance; Next pressed on an instance without the assistant, and on two
at once; a phone call landing on an instance that does not run its meeting."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

from tests.cluster.conftest import (
    ROOM,
    StartWatched,
    console_feed,
    queue_update,
    scalar,
    until_true,
)
from tests.jitsi.conftest import joined
from tests.phone.conftest import PBX_SECRET, pbx_headers
from tests.support import prosody
from tests.support.instances import Browser, Instance
from tests.support.participant import body_of


async def test_consoles_on_every_instance_see_a_change_and_next_on_two_gives_one_speaker(
    watched_meeting: StartWatched, server: prosody.Prosody, browser: Browser
) -> None:
    meeting = await watched_meeting(3)
    _first, second, third = meeting.instances
    session_id, person = meeting.session_id, meeting.person
    feeds = [await console_feed(browser, one, session_id) for one in (second, third)]

    await person.raise_hand()  # seen by the assistant on the first instance
    views = [await queue_update(feed, lambda v: bool(v["entries"])) for feed in feeds]
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
        view = await queue_update(feed, lambda v: v["speaker"] is not None)
        assert view["speaker"]["id"] == person.nick

    other = await joined(server, ROOM, "Other")
    await other.raise_hand()
    view = await queue_update(feeds[1], lambda v: len(v["entries"]) == 1)
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
        await queue_update(feed, lambda v: (v["speaker"] or {}).get("id") == other.nick)
    await asyncio.sleep(2)  # time for a second announcement, were there going to be one
    assert said == ["Now: Watcher.", "Now: Other."]
    await other.close()
    for feed in feeds:
        await feed.close()


async def post_pbx(instance: Instance, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """A PBX event, signed as the PBX kit signs it, to one instance."""
    raw = json.dumps(body).encode()
    headers = pbx_headers(raw, int(time.time()))
    async with (
        aiohttp.ClientSession() as client,
        client.post(instance.url + "/webhooks/phone/events", data=raw, headers=headers) as r,
    ):
        return r.status, await r.json()


async def test_a_caller_whose_call_lands_on_another_instance_raises_a_hand_in_the_meeting(
    watched_meeting: StartWatched, server: prosody.Prosody, browser: Browser, pg_url: str
) -> None:
    meeting = await watched_meeting(2, FACILITATE_PBX_WEBHOOK_SECRET=PBX_SECRET)
    second = meeting.instances[1]
    feed = await console_feed(browser, second, meeting.session_id)
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
        found = await scalar(
            pg_url, "SELECT count(*) FROM participant WHERE jitsi_id = :j", j=caller.nick
        )
        return bool(found)

    await until_true(linked, within=10)
    # The key lands on the instance without the assistant; the owner applies it.
    status, _reply = await post_pbx(second, {"type": "dtmf", "call_id": "far", "digits": "*9"})
    assert status == 200
    view = await queue_update(feed, lambda v: bool(v["entries"]))
    assert [entry["name"] for entry in view["entries"]] == ["…789"]
    await caller.close()
    await feed.close()
