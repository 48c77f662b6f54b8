"""The assistant delivers personal check-out links in real Prosody: to every web
participant when the check-out starts, and again at the end only to those still there
who have not checked out."""

from __future__ import annotations

import asyncio
import re
from xml.etree.ElementTree import Element

from tests.checkout.conftest import send_checkout
from tests.conftest import Client, post_form
from tests.jitsi.conftest import MakeClient, joined, live_session
from tests.support import prosody
from tests.support.participant import Participant, body_of

LINK = re.compile(r"https?://\S+(/checkout/[A-Za-z0-9_-]{43})")


def _private_link(element: Element) -> bool:
    return element.get("type") == "chat" and LINK.search(body_of(element)) is not None


async def _link(person: Participant) -> str:
    match = LINK.search(body_of(await person.wait_for(_private_link)))
    assert match is not None
    return match.group(1)


async def test_links_at_the_start_and_again_at_the_end_for_who_has_not_checked_out(
    make_client: MakeClient, server: prosody.Prosody
) -> None:
    client: Client = await make_client()
    session_id, _, feed = await live_session(client, "https://meet.example.org/Links")
    ann = await joined(server, "links", "Ann")
    bob = await joined(server, "links", "Bob")
    from facilitation.live_events import LiveEvent

    await feed.next(LiveEvent.PARTICIPANT_JOINED, id=bob.nick)
    console = f"/sessions/{session_id}"
    started = await post_form(client, console + "/checkout/start", {}, console)
    assert "links=2" in started.headers["Location"]
    ann_first, bob_first = await _link(ann), await _link(bob)
    assert ann_first != bob_first
    assert (await send_checkout(client, ann_first, {"feeling": "good"})).status == 303

    assert (await post_form(client, console + "/end", {}, console)).status == 303
    bob_second = await _link(bob)
    assert bob_second not in (ann_first, bob_first)  # a fresh link, for Bob only
    assert (await client.get(bob_second)).status == 200
    try:
        await ann.wait_for(_private_link, timeout=1.0)
    except TimeoutError:
        pass
    else:
        raise AssertionError("Ann had checked out: no second link for her")
    for person in (ann, bob):
        await person.close()
    await asyncio.sleep(0)
