"""The speaking queue end to end: a web participant raises Jitsi's hand, another types
"hand" in the chat, a phone caller presses *9 through the PBX events; the facilitator
presses Next in Chromium; the meeting chat says who is on and next, the next person is told
privately, and the console passes axe-core."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from playwright.async_api import Browser, expect
from pydantic import SecretStr
from sqlmodel import select

from facilitation.live_events import LiveEvent
from plugin import keys
from plugin.db.models import Participant
from tests.browser.conftest import axe_violations
from tests.conftest import PASSWORD, app_of
from tests.jitsi.conftest import MakeClient, joined, live_session
from tests.phone.conftest import post_pbx
from tests.support import prosody

PBX_KEY = b"pbx-standard-webhooks-key-0123456789"


def body_of(element: Any) -> str | None:
    body = element.find("{jabber:client}body")
    return body.text if body is not None else None


async def test_three_kinds_of_hand_one_queue_next_from_the_browser(
    make_client: MakeClient, server: prosody.Prosody, browser: Browser
) -> None:
    client = await make_client(
        pbx_webhook_secret=(SecretStr("whsec_" + base64.b64encode(PBX_KEY).decode()),)
    )
    session_id, bot, feed = await live_session(client, "https://meet.example.org/Forum")
    ann = await joined(server, "forum", "Ann")
    bob = await joined(server, "forum", "Bob")
    await feed.next(LiveEvent.PARTICIPANT_JOINED, id=bob.nick)

    await ann.raise_hand()  # Jitsi's own button
    await feed.next(LiveEvent.QUEUE_UPDATED)
    await bob.say("hand")  # for people who cannot find the button
    await feed.next(LiveEvent.QUEUE_UPDATED)
    mapping = await client.get(
        "/dial-in/conference-mapper", params={"conference": f"forum@{prosody.MUC}"}
    )
    pin = str((await mapping.json())["id"])
    await post_pbx(
        client, {"type": "call.started", "call_id": "e2e", "caller_id": "+447700900789", "pin": pin}
    )
    jigasi = await joined(server, "forum", "+447700900789", phone=True)
    await feed.next(LiveEvent.PARTICIPANT_JOINED, id=jigasi.nick)
    async with asyncio.timeout(10):
        while True:
            async with app_of(client)[keys.DATABASE].session() as db:
                rows = (
                    await db.exec(select(Participant).where(Participant.jitsi_id == jigasi.nick))
                ).all()
            if rows:
                break
            await asyncio.sleep(0.05)
    assert (
        await post_pbx(client, {"type": "dtmf", "call_id": "e2e", "digits": "*9"})
    ).status == 200
    await feed.next(LiveEvent.QUEUE_UPDATED)
    view = await app_of(client)[keys.QUEUE].view(session_id)
    assert [entry["name"] for entry in view["entries"]] == ["Ann", "Bob", "…789"]

    base = str(client.make_url("")).rstrip("/")
    page = await browser.new_page()
    failures: list[str] = []
    page.on("response", lambda r: failures.append(r.url) if r.status >= 400 else None)
    page.on("pageerror", lambda e: failures.append(str(e)))
    await page.goto(f"{base}/login")
    await page.get_by_label("Username").fill("fran")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.goto(f"{base}/sessions/{session_id}")
    await expect(page.locator("#live-status")).to_have_text("Live updates are on.")
    queue = page.locator("#queue-list li .name")
    await expect(queue).to_have_text(["Ann", "Bob", "…789"])
    violations = await axe_violations(page)
    assert violations == [], violations

    await page.get_by_role("button", name="Next speaker").click()
    group = await bob.wait_for(lambda e: body_of(e) == "Now: Ann. Next: Bob.")
    assert group.get("type") == "groupchat"
    private = await bob.wait_for(lambda e: body_of(e) == "You are next, after Ann.")
    assert private.get("type") == "chat"
    await expect(page.locator("#queue-speaker")).to_have_text("Ann")
    await expect(queue).to_have_text(["Bob", "…789"])
    await expect(page.locator("#queue-announce")).to_have_text("Now speaking: Ann. Next: Bob.")
    # Keyboard focus stays on the Next button after the panel refreshes.
    await expect(page.get_by_role("button", name="Next speaker")).to_be_focused()
    violations = await axe_violations(page)
    assert violations == [], violations
    assert failures == []
    await page.close()
    for person in (ann, bob, jigasi):
        await person.close()
    assert bot is not None
