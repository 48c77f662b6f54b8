"""The breakout groups panel and a group's join page in real Chromium: every state of the
panel (plan form, preview, a bad value, open) passes axe-core WCAG 2.2 AA, the open
console fits 320px, the forms work with JavaScript off, and the keyboard moves on from
"Open the groups".

No Jitsi assistant runs here (bot_enabled is off), so opening the groups as separate
calls makes the console say what needs the facilitator: the "What needs you" notices."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Browser, Page, expect

from plugin import keys
from plugin.clock import FixedClock
from plugin.db.models import Participant
from plugin.settings import Settings
from tests.browser.conftest import axe_violations
from tests.browser.test_pages import sign_in
from tests.conftest import AddAccount
from tests.support.app import app_for

pytestmark = pytest.mark.browser

# Four on the web and one caller: two groups as separate calls, phone and web mixed.
PEOPLE = (("Ann", "web"), ("Ben", "web"), ("Cat", "web"), ("Dan", "web"), ("…111", "phone"))


async def audit(page: Page, name: str) -> None:
    violations = await axe_violations(page)
    assert violations == [], f"{name}: {violations}"


@pytest.fixture
async def app_and_url(
    aiohttp_server: Any, settings: Settings, clock: FixedClock
) -> tuple[web.Application, str]:
    """The real app, as `base_url` runs it (dial-in numbers on), with the app at hand to
    put people in the meeting the way the assistant's roster records them."""
    phone = settings.model_copy(
        update={"dial_in_numbers": ("+44 20 7946 0000", "0800 123 4567 tollfree")}
    )
    app = app_for(phone, clock)
    server = await aiohttp_server(app)
    return app, str(server.make_url("")).rstrip("/")


async def console_with_people(page: Page, app: web.Application, room: str) -> str:
    """Start a session from the home page, let five people in, show the console again.
    Returns the session id."""
    await page.get_by_label("Meeting link").fill(f"https://meet.example.org/{room}")
    await page.get_by_role("button", name="Start session").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(room)
    session_id = page.url.rsplit("/", 1)[1]
    async with app[keys.DATABASE].session() as db:
        for index, (name, kind) in enumerate(PEOPLE):
            db.add(
                Participant(
                    session_id=session_id,
                    kind=kind,
                    display_name=name,
                    jitsi_id=f"{room.lower()}{index}",
                    joined_at=app[keys.CLOCK].now(),
                )
            )
        await db.commit()
    await page.reload()
    return session_id


async def fill_plan(page: Page, count: str) -> None:
    """The plan form as a facilitator fills it: separate calls, balanced, `count` groups."""
    panel = page.locator("#breakouts")
    await panel.get_by_role("radio", name=re.compile("^Separate calls")).check()
    await panel.get_by_role("radio", name=re.compile("^Balanced")).check()
    await panel.get_by_label("Number").fill(count)
    await panel.get_by_role("radio", name="groups", exact=True).check()


async def test_every_state_of_the_breakout_panel_passes_axe(
    browser: Browser, app_and_url: tuple[web.Application, str], add_account: AddAccount
) -> None:
    app, base_url = app_and_url
    await add_account("fran")
    page = await browser.new_page()
    page.set_default_timeout(5000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await sign_in(page, base_url, "fran")
    session_id = await console_with_people(page, app, "Circle")
    panel = page.locator("#breakouts")

    # 1. The start state: the plan form, with the people present to choose from.
    await expect(panel.get_by_role("button", name="Make a plan")).to_be_visible()
    leads = panel.get_by_role("group", name="Who can lead a group")
    await expect(leads.get_by_role("checkbox")).to_have_count(len(PEOPLE))
    for legend in ("Keep together", "Keep apart"):
        await expect(panel.get_by_role("group", name=legend).get_by_role("combobox")).to_have_count(
            4
        )
    await audit(page, "breakout plan form")

    # 2a. A bad number: the server says why, at the panel, in a summary that can take focus.
    await fill_plan(page, "abc")
    await panel.get_by_role("button", name="Make a plan").click()
    summary = page.locator("#breakout-error")
    await expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    await expect(summary).to_contain_text("The number must be a whole number")
    await expect(summary).to_have_attribute("role", "alert")
    await summary.focus()
    await expect(summary).to_be_focused()
    await audit(page, "breakout plan with an error")

    # 2b. The plan, from the form itself: a preview of two groups, each person's route.
    await fill_plan(page, "2")
    await leads.get_by_role("checkbox", name="Ann").check()
    together = panel.get_by_role("group", name="Keep together")
    await together.get_by_label("Person").first.select_option(label="Ben")
    await together.get_by_label("and").first.select_option(label="Cat")
    await panel.get_by_role("button", name="Make a plan").click()
    await expect(panel).to_contain_text("This is a preview")
    await expect(page.locator("#breakout-error")).to_have_count(0)
    groups = panel.locator("ol.groups > li.group")
    await expect(groups).to_have_count(2)
    await expect(panel.locator(".groups .route")).to_have_count(len(PEOPLE))
    await expect(panel).to_contain_text("Each group meets in its own call.")
    for number in (1, 2):
        group = panel.locator(f"#group-{number}")
        await expect(group.get_by_role("textbox", name=re.compile("^Name of "))).to_be_visible()
        await expect(group.get_by_role("button", name="Rename")).to_be_visible()
        await expect(group.get_by_role("combobox", name=re.compile("^Who leads "))).to_be_visible()
        await expect(group.get_by_role("button", name="Save")).to_be_visible()
    move = panel.get_by_role("group", name="Move someone")
    await expect(move.get_by_label("Person")).to_be_visible()
    await expect(move.get_by_label("To")).to_be_visible()
    await expect(panel.get_by_label("Minutes in groups")).to_have_value("15")
    await expect(panel.get_by_role("button", name="Make a new plan")).to_be_visible()
    await audit(page, "breakout preview")

    # 7. Keyboard: from "Open the groups", Tab goes on to the next control.
    open_button = panel.get_by_role("button", name="Open the groups")
    await open_button.focus()
    await page.keyboard.press("Tab")
    await expect(panel.get_by_role("button", name="Throw this plan away")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(
        panel.get_by_role("radio", name=re.compile("^Jitsi's breakout rooms"))
    ).to_be_focused()

    # 3. Open the groups for 10 minutes: time left, the open controls, what needs you.
    await panel.get_by_label("Minutes in groups").fill("10")
    await open_button.click()
    await expect(page.locator("#breakout-time")).to_contain_text("Groups are open.")
    await expect(page.locator("#breakout-time")).to_contain_text("Time left: 10 min 0 s")
    await expect(panel.get_by_label("Message to every group")).to_be_visible()
    await expect(panel.get_by_role("button", name="Send to all groups")).to_be_visible()
    await expect(panel.get_by_label("Add minutes")).to_have_value("5")
    await expect(panel.get_by_role("button", name="Extend")).to_be_visible()
    await expect(panel.get_by_role("button", name="Bring everyone back now")).to_be_visible()
    notices = panel.locator(".notices")
    await expect(notices.get_by_role("heading")).to_have_text("What needs you")
    await expect(notices.locator("li").first).to_be_visible()
    await expect(panel.get_by_role("button", name="Make a plan")).to_have_count(0)
    await expect(panel.get_by_role("button", name="Open the groups")).to_have_count(0)
    await audit(page, "breakouts open")

    # 4. A group's own join page while the groups are open.
    join_href = await page.locator("#join-url").get_attribute("href")
    assert join_href is not None
    join_path = re.sub(r"^https?://[^/]+", "", join_href)
    await page.goto(f"{base_url}{join_path}/groups/1")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Join your group:")
    back = page.get_by_role("link", name="Back to the main meeting")
    await expect(back).to_have_attribute("href", join_path)
    await audit(page, "group join page")

    # 5. The open console on a phone 320px wide: no sideways scrolling, still axe-clean.
    await page.set_viewport_size({"width": 320, "height": 640})
    await page.goto(f"{base_url}/sessions/{session_id}")
    await expect(page.locator("#breakout-time")).to_contain_text("Groups are open.")
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 320, f"the open console scrolls sideways at 320px ({width}px)"
    await audit(page, "breakouts open at 320px")
    assert errors == []
    await page.close()


async def test_plan_open_and_close_work_without_javascript(
    browser: Browser, app_and_url: tuple[web.Application, str], add_account: AddAccount
) -> None:
    app, base_url = app_and_url
    await add_account("fran")
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    page.set_default_timeout(5000)
    await sign_in(page, base_url, "fran")
    session_id = await console_with_people(page, app, "Quiet")
    await expect(page.locator("#live-status")).to_contain_text("does not update by itself")
    panel = page.locator("#breakouts")

    await fill_plan(page, "2")
    await panel.get_by_role("button", name="Make a plan").click()
    await expect(panel).to_contain_text("This is a preview")
    assert page.url.endswith(f"/sessions/{session_id}#breakouts")
    await expect(panel.locator("ol.groups > li.group")).to_have_count(2)

    await panel.get_by_label("Name of Group 1").fill("Garden")
    await panel.locator("#group-1").get_by_role("button", name="Rename").click()
    await expect(panel.locator("#group-1 h3")).to_have_text("Garden")

    await panel.get_by_label("Minutes in groups").fill("10")
    await panel.get_by_role("button", name="Open the groups").click()
    await expect(page.locator("#breakout-time")).to_contain_text("Time left: 10 min 0 s")
    await expect(panel.get_by_role("heading", name="What needs you")).to_be_visible()

    await panel.get_by_role("button", name="Bring everyone back now").click()
    # The groups are no longer open. Nobody is left in a group room (no assistant ran any),
    # so the service's own one-second tick may already have closed the round ("Everyone is
    # coming back" then never shows); a tick here makes sure, and the page, which does not
    # update by itself, shows it when refreshed.
    await expect(panel.get_by_role("button", name="Bring everyone back now")).to_have_count(0)
    await expect(panel.locator("#breakout-time")).to_have_count(0)
    await app[keys.BREAKOUTS].tick()
    await page.locator("#live-status").get_by_role("link", name="Refresh").click()
    await expect(panel.get_by_role("button", name="Make a plan")).to_be_visible()
    await expect(panel.get_by_role("group", name="Who can lead a group")).to_be_visible()
    await expect(panel.get_by_role("button", name="Bring everyone back now")).to_have_count(0)
    await context.close()
