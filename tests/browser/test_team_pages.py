"""Asking to join a session and answering, in real Chromium with axe-core (plain forms; the
console's team panel also updates live): what a second facilitator and the team see."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.test_pages import audit, sign_in
from tests.conftest import AddAccount

pytestmark = pytest.mark.browser
LINK = "https://meet.example.org/CoproCircle"


async def test_ask_to_join_and_approve_pass_axe(
    browser: Browser, base_url: str, add_account: AddAccount
) -> None:
    await add_account("fran")
    await add_account("kit")
    fran = await browser.new_page()
    await sign_in(fran, base_url, "fran")
    await fran.get_by_label("Meeting link").fill(LINK)
    await fran.get_by_role("button", name="Start session").click()
    await expect(fran.get_by_role("heading", level=1)).to_contain_text("CoproCircle")
    console = fran.url
    await expect(fran.locator("#live-status")).to_contain_text("Live updates are on")

    kit = await browser.new_page()
    await sign_in(kit, base_url, "kit")
    await kit.get_by_label("Meeting link").fill(LINK)
    await kit.get_by_role("button", name="Start session").click()
    await expect(kit.locator("main")).to_contain_text("already being run by Fran")
    assert kit.url == f"{base_url}/sessions"
    await audit(kit, "meeting already running")
    await kit.get_by_role("button", name="Ask to join").click()
    await expect(kit.get_by_role("status")).to_contain_text("You have asked to join")
    await audit(kit, "asked to join")

    # No reload: the request arrives over the console's WebSocket, and is announced.
    await expect(fran.locator("#team")).to_contain_text("Kit (kit) asks to help run")
    await expect(fran.locator("#events")).to_contain_text("Someone asked to help run this session.")
    await audit(fran, "console with a request")
    await fran.get_by_label("Add a co-facilitator by username").fill("nobody")
    await fran.get_by_role("button", name="Add co-facilitator").click()
    await expect(fran.locator("#facilitator-error")).to_contain_text("“nobody”")
    await audit(fran, "console with an unknown username")
    await fran.goto(console)
    await fran.locator("#team").get_by_role("button", name="Approve").click()
    await expect(fran.locator("#team [role=status]")).to_contain_text("run this session with you")
    await audit(fran, "console after approving")

    await kit.goto(f"{base_url}/")
    await kit.get_by_role("link", name="CoproCircle").click()
    assert kit.url == console
    await expect(kit.get_by_role("heading", level=1)).to_contain_text("CoproCircle")
