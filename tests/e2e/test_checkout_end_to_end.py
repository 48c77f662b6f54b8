"""The wellbeing check-out end to end. In real Prosody: two web participants (test XMPP
clients, as Jitsi Meet speaks) and one phone caller (PBX events, with a Jigasi-like
participant). The facilitator starts the check-out in Chromium; each web participant gets
their own link by private chat; Ann checks out in Chromium as struggling and asks for a
call; Bob leaves without checking out; the caller presses 1. After the wait, the host sees
one urgent flag, one missing check-out and one OK, acknowledges the urgent one, and the
audit log holds both views and the change. No issued token appears in any log."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from datetime import datetime, timedelta
from xml.etree.ElementTree import Element

import pytest
from playwright.async_api import Browser, expect
from pydantic import SecretStr
from sqlmodel import select

from facilitation.live_events import LiveEvent
from facilitation.roles import Role
from plugin import keys
from plugin.clock import Clock
from plugin.db.models import Account, AuditEntry
from tests.browser.conftest import axe_violations
from tests.conftest import PASSWORD, AddAccount, app_of
from tests.jitsi.conftest import MakeClient, joined, live_session
from tests.phone.conftest import post_pbx
from tests.support import prosody
from tests.support.participant import body_of

PBX_KEY = b"pbx-standard-webhooks-key-0123456789"
LINK = re.compile(r"https?://\S+/checkout/([A-Za-z0-9_-]{43})")


class LaterClock(Clock):
    """The real clock, moved on: the no-check-out job as it runs after the wait."""

    def __init__(self, ahead: timedelta) -> None:
        self.ahead = ahead

    def now(self) -> datetime:
        return super().now() + self.ahead


async def test_check_out_for_web_and_phone_then_the_host_follows_up(
    make_client: MakeClient,
    server: prosody.Prosody,
    browser: Browser,
    add_account: AddAccount,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = await make_client(
        pbx_webhook_secret=(SecretStr("whsec_" + base64.b64encode(PBX_KEY).decode()),)
    )
    app = app_of(client)
    session_id, bot, feed = await live_session(client, "https://meet.example.org/Circle")
    ann = await joined(server, "circle", "Ann")
    bob = await joined(server, "circle", "Bob")
    await feed.next(LiveEvent.PARTICIPANT_JOINED, id=bob.nick)
    mapping = await client.get(
        "/dial-in/conference-mapper", params={"conference": f"circle@{prosody.MUC}"}
    )
    pin = str((await mapping.json())["id"])
    started = {"type": "call.started", "call_id": "e2e", "caller_id": "+447700900789", "pin": pin}
    assert (await post_pbx(client, started)).status == 200
    jigasi = await joined(server, "circle", "+447700900789", phone=True)
    await feed.next(LiveEvent.PARTICIPANT_JOINED, id=jigasi.nick)

    base = str(client.make_url("")).rstrip("/")
    console = await browser.new_page()
    await console.goto(f"{base}/login")
    await console.get_by_label("Username").fill("fran")
    await console.get_by_label("Password").fill(PASSWORD)
    await console.get_by_role("button", name="Sign in").click()
    await console.goto(f"{base}/sessions/{session_id}")
    await add_account("hana", Role.HOST)
    await console.get_by_label("Add a host by username").fill("hana")
    await console.get_by_role("button", name="Add host").click()
    await expect(console.locator("#checkout")).to_contain_text("Hana (host)")
    await console.get_by_role("button", name="Start the check-out").click()
    await expect(console.locator("#checkout")).to_contain_text("Sent 2 personal check-out links")

    def private_link(element: Element) -> bool:
        return element.get("type") == "chat" and LINK.search(body_of(element)) is not None

    tokens = []
    for person in (ann, bob):
        message = await person.wait_for(private_link)
        match = LINK.search(body_of(message))
        assert match is not None
        tokens.append(match.group(1))
    assert tokens[0] != tokens[1]

    # Ann checks out in her browser: struggling, please call.
    page = await browser.new_page()
    await page.goto(f"{base}/checkout/{tokens[0]}")
    assert (await page.content()).count("Your name") == 0  # her link knows who she is
    await page.get_by_label("Struggling").check()  # one question at a time
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label("Yes, call me later").check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label("Your phone number").fill("07700 900111")
    await page.get_by_label("A good time to call").fill("tomorrow morning")
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("status")).to_contain_text("Your answers are saved")
    assert await axe_violations(page) == []
    flagged = await feed.next(LiveEvent.CHECKOUT_FLAGGED)
    assert flagged["level"] == "urgent" and flagged["name"] == "Ann"

    # Bob leaves without checking out.
    await bob.leave()
    await feed.next(LiveEvent.PARTICIPANT_LEFT, id=bob.nick)
    # The caller's meeting leg ends; they press 1 (OK), then hang up.
    await jigasi.leave()
    left = await post_pbx(client, {"type": "call.left_meeting", "call_id": "e2e"})
    assert (await left.json())["action"] == "gather"
    await post_pbx(client, {"type": "dtmf", "call_id": "e2e", "digits": "1"})
    await post_pbx(client, {"type": "call.ended", "call_id": "e2e"})

    await console.goto(f"{base}/sessions/{session_id}")
    await console.get_by_text("End this session").click()
    await console.get_by_role("button", name="End session now").click()
    await expect(console.get_by_role("heading", level=1)).to_contain_text("ended")
    desk = app[keys.CHECKOUTS]
    desk.clock = LaterClock(timedelta(minutes=app[keys.SETTINGS].checkout_wait_minutes + 1))
    assert await desk.flag_missing() == 1

    host = await (await browser.new_context()).new_page()
    await host.goto(f"{base}/login")
    await host.get_by_label("Username").fill("hana")
    await host.get_by_label("Password").fill(PASSWORD)
    await host.get_by_role("button", name="Sign in").click()
    await host.goto(f"{base}/review")
    await host.get_by_role("link", name="Circle").click()
    flags = host.locator("article.flag")
    await expect(flags).to_have_count(2)
    await expect(host.locator("article.flag.urgent")).to_have_count(1)
    await expect(flags.nth(0)).to_contain_text("Ann")
    await expect(flags.nth(0)).to_contain_text("+447700900111")
    await expect(flags.nth(1)).to_contain_text("Bob")
    await expect(flags.nth(1)).to_contain_text("Did not check out")
    await expect(host.locator("main")).to_contain_text("Checked out, no follow-up needed")
    fine = host.locator("h2:has-text('no follow-up needed') + ul li")
    await expect(fine).to_have_text(["…789: OK (by phone keypad)"])
    assert await axe_violations(host) == []
    await flags.nth(0).get_by_label("Status").select_option("contacted")
    await flags.nth(0).get_by_role("button", name="Save status and note for Ann").click()
    await expect(host.locator("article.flag.urgent .history")).to_contain_text("Hana: Contacted")

    async with app[keys.DATABASE].session() as db:
        entries = (await db.exec(select(AuditEntry))).all()
        hana = (await db.exec(select(Account).where(Account.username == "hana"))).one()
    viewed = [e for e in entries if e.action == "flag.viewed"]
    changed = [e for e in entries if e.action == "flag.changed"]
    assert len({e.target for e in viewed}) == 2  # both flags, each view recorded
    assert len(viewed) >= 4  # the page before the change and after it
    assert len(changed) == 1 and changed[0].detail["status"] == "contacted"
    assert {e.actor_id for e in viewed} == {hana.id} and changed[0].actor_id == hana.id

    await asyncio.sleep(0)
    logs = caplog.text + server.log_text
    for token in tokens:
        assert token not in logs
    for person in (ann, jigasi, bob):
        await person.close()
    assert bot is not None
