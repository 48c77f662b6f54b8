"""The warm-ups panel in real Chromium: every state of it (the list with its filters, a
preview with the read-aloud script, a running vote with its chart and table, a closed
warm-up's last results, a running chat prompt with answers) passes axe-core WCAG 2.2 AA,
the running vote fits 320px, the forms work with JavaScript off, and the keyboard goes from
"Say the results…" to "Run it".

No Jitsi assistant runs here (bot_enabled is off): answers are published on the app's bus
the way the assistant reports them (a poll's answers, a chat message)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Browser, Locator, expect
from sqlmodel import select

from facilitation.meeting_events import ChatReceived, PollAnswered
from plugin import keys
from plugin.clock import FixedClock
from plugin.db.models import WarmupRun
from plugin.settings import Settings
from tests.browser.test_breakout_pages import audit, console_with_people
from tests.browser.test_pages import sign_in
from tests.conftest import AddAccount
from tests.support.app import app_for

pytestmark = pytest.mark.browser

# Tea or coffee? (a choice, calm, works on a keypad, with a content note) answered by four
# people: two say Tea, one Coffee, one passes (the last answer of a poll is "pass").
TEA = "Tea or coffee?"
POLL_ANSWERS = (
    ("ann00001", 0),
    ("ben00002", 1),  # Ben first says Coffee, then changes his mind to Tea
    ("ben00002", 0),
    ("cat00003", 1),
    ("dan00004", 4),
)
TEA_FIGURES = (
    ("1. Tea", "2"),
    ("2. Coffee", "1"),
    ("3. Hot chocolate", "0"),
    ("4. Something else", "0"),
    ("Passed", "1"),
)


@pytest.fixture
async def app_and_url(
    aiohttp_server: Any, settings: Settings, clock: FixedClock
) -> tuple[web.Application, str]:
    """The real app, as `base_url` runs it (dial-in numbers on), with the app at hand to
    put people in the meeting and publish their answers on the bus."""
    phone = settings.model_copy(
        update={"dial_in_numbers": ("+44 20 7946 0000", "0800 123 4567 tollfree")}
    )
    app = app_for(phone, clock)
    server = await aiohttp_server(app)
    return app, str(server.make_url("")).rstrip("/")


async def answer_poll(app: web.Application, session_id: str) -> None:
    """The running vote's Jitsi poll answered as the assistant would report it."""
    desk = app[keys.WARMUPS]
    desk._running[session_id].poll_id = "poll-1"  # no assistant here made a poll
    for voter, picked in POLL_ANSWERS:
        answers = tuple(index == picked for index in range(5))
        app[keys.BUS].publish(PollAnswered(session_id, "poll-1", voter, answers))
    await desk.settled()


async def expect_figures(panel: Locator) -> None:
    """The results table says TEA_FIGURES, and the chart's text says the same numbers."""
    table = panel.get_by_role("table", name="Answers, as figures")
    for answer, people in TEA_FIGURES:
        header = panel.page.get_by_role("rowheader", name=answer, exact=True)
        row = table.get_by_role("row").filter(has=header)
        await expect(row.get_by_role("cell")).to_have_text(people)
    chart = panel.get_by_role("img", name="Answers so far: 4")
    await expect(chart).to_be_visible()
    drawn = await chart.locator("text").all_text_contents()
    assert [" ".join(t.split()) for t in drawn] == [
        f"{answer}: {people}" for answer, people in TEA_FIGURES[:4]
    ]


async def test_every_state_of_the_warmups_panel_passes_axe(
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
    panel = page.locator("#warmups")
    found = panel.get_by_role("list", name="Warm-ups that fit")

    # 1. The start state: a caller is in, so the list starts with keypad warm-ups only.
    filters = panel.get_by_role("group", name="Find a warm-up")
    await expect(filters.get_by_role("checkbox", name="Works on a phone keypad")).to_be_checked()
    await expect(
        filters.get_by_role("checkbox", name="Nothing personal to share")
    ).not_to_be_checked()
    await expect(found.get_by_role("link", name="Weather emoji")).to_have_count(0)  # chat only
    await filters.get_by_label("Energy").select_option("calm")
    await panel.get_by_role("button", name="Show warm-ups").click()
    await expect(page).to_have_url(re.compile(r"wu_energy=calm.*#warmups$"))
    await expect(filters.get_by_label("Energy")).to_have_value("calm")
    await expect(filters.get_by_role("checkbox", name="Works on a phone keypad")).to_be_checked()
    await expect(found.get_by_role("link", name=TEA)).to_be_visible()
    await expect(found.get_by_role("link", name="A talking animal")).to_have_count(0)  # lively
    await expect(found.get_by_role("link", name="Weather emoji")).to_have_count(0)
    await audit(page, "warm-up list filtered")

    # 2a. "Surprise me", with these filters, previews something new that fits.
    await panel.get_by_role("button", name="Surprise me").click()
    await expect(page).to_have_url(re.compile(r"\?warmup=[a-z0-9-]+#warmups$"))
    picked = app[keys.WARMUPS].by_id[page.url.split("=", 1)[1].split("#", 1)[0]]
    assert picked.keypad and picked.energy.value == "calm"
    await expect(panel.get_by_role("heading", name=f"Preview: {picked.title}")).to_be_visible()
    await expect(panel.get_by_role("button", name="Run it")).to_be_visible()

    # 2b. A preview from a link in the list: the question, the content note, the script.
    await found.get_by_role("link", name=TEA).click()
    await expect(page).to_have_url(re.compile(r"\?warmup=tea-or-coffee#warmups$"))
    preview = panel.locator(".warmup-preview")
    await expect(preview.get_by_role("heading")).to_have_text(f"Preview: {TEA}")
    await expect(preview.get_by_role("listitem")).to_have_count(4)
    await expect(preview.locator(".note")).to_contain_text("Content note:")
    script = preview.locator(".read-aloud")
    await expect(script).to_contain_text("For phone callers.")
    await expect(script).to_contain_text(f"Read this out: Warm-up ({TEA}): ")
    await expect(script).to_contain_text("Press 1 for Tea.")
    await expect(script).to_contain_text("Press 0 to pass.")
    await audit(page, "warm-up preview")

    # 7. Keyboard: tick "Say the results…" with Space, then Tab reaches "Run it".
    announce = preview.get_by_role("checkbox", name=re.compile("^Say the results in the meeting"))
    run = preview.get_by_role("button", name="Run it")
    await announce.focus()
    await page.keyboard.press("Space")
    await expect(announce).to_be_checked()
    await page.keyboard.press("Tab")
    await expect(run).to_be_focused()

    # 3. Run it (from the keyboard): the vote, answered by poll, as a chart and a table.
    await page.keyboard.press("Enter")
    await expect(panel.get_by_role("heading", name=f"Now playing: {TEA}")).to_be_visible()
    async with app[keys.DATABASE].session() as db:
        (run_row,) = (await db.exec(select(WarmupRun))).all()
    assert run_row.warmup_id == "tea-or-coffee" and run_row.announce is True
    await answer_poll(app, session_id)
    await page.reload()
    await expect_figures(panel)
    await expect(panel.locator(".read-aloud")).to_contain_text("Press 2 for Coffee.")
    await expect(panel.get_by_role("button", name="Close this warm-up")).to_be_visible()
    await expect(found).to_have_count(0)  # nothing else starts while one runs
    await audit(page, "warm-up vote running")

    # 3b. The running vote on a phone 320px wide: no sideways scrolling, still axe-clean.
    await page.set_viewport_size({"width": 320, "height": 640})
    await page.reload()
    await expect_figures(panel)
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 320, f"the running warm-up scrolls sideways at 320px ({width}px)"
    await audit(page, "warm-up vote running at 320px")
    await page.set_viewport_size({"width": 1280, "height": 720})

    # 4. Close it: its last results stay, and the list is back.
    await panel.get_by_role("button", name="Close this warm-up").click()
    await expect(panel.get_by_role("heading", name=f"Last warm-up: {TEA}")).to_be_visible()
    await expect_figures(panel)
    await expect(panel.get_by_role("button", name="Close this warm-up")).to_have_count(0)
    await expect(found).to_be_visible()
    await audit(page, "warm-up closed")

    # 5. A chat prompt running, with two answers: one signed with a name, one not.
    await page.goto(f"{base_url}/sessions/{session_id}?warmup=weather-emoji#warmups")
    await panel.get_by_role("button", name="Run it").click()
    await expect(panel.get_by_role("heading", name="Now playing: Weather emoji")).to_be_visible()
    await expect(panel.locator("ul.said")).to_have_text("None yet.")
    bus = app[keys.BUS]
    bus.publish(ChatReceived(session_id, "ann00001", "Ann", "☀️ sunny and warm"))
    bus.publish(ChatReceived(session_id, "ben00002", "Ben", "Ben: 🌧️"))
    await app[keys.WARMUPS].settled()
    await page.reload()
    said = panel.locator("ul.said > li")
    await expect(said).to_have_count(2)
    await expect(said.nth(0)).to_have_text("☀️ sunny and warm")
    await expect(said.nth(1)).to_contain_text("Ben: 🌧️")
    await expect(said.nth(1).locator(".badge")).to_have_text("Ben")
    await expect(panel.get_by_role("heading", name="Answers in the chat")).to_be_visible()
    await audit(page, "warm-up chat prompt running")
    assert errors == []
    await page.close()


async def test_filter_preview_run_and_close_work_without_javascript(
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
    panel = page.locator("#warmups")
    found = panel.get_by_role("list", name="Warm-ups that fit")

    await panel.get_by_label("Energy").select_option("lively")
    await panel.get_by_label("At most (minutes)").select_option("3")
    await panel.get_by_role("button", name="Show warm-ups").click()
    await expect(page).to_have_url(re.compile(r"wu_minutes=3.*wu_energy=lively"))
    await expect(found.get_by_role("link", name=TEA)).to_have_count(0)
    await found.get_by_role("link", name="A talking animal").click()
    # The filters travel with the link, so they are still set on the preview.
    assert f"/sessions/{session_id}?warmup=talking-animal&wu=1&" in page.url
    assert "wu_energy=lively" in page.url and page.url.endswith("#warmups")
    await expect(panel.get_by_role("heading", name="Preview: A talking animal")).to_be_visible()

    await panel.get_by_role("button", name="Run it").click()
    assert page.url.endswith(f"/sessions/{session_id}#warmups")
    await expect(panel.get_by_role("heading", name="Now playing: A talking animal")).to_be_visible()
    await expect(panel.get_by_role("table", name="Answers, as figures")).to_be_visible()

    await panel.get_by_role("button", name="Close this warm-up").click()
    await expect(
        panel.get_by_role("heading", name="Last warm-up: A talking animal")
    ).to_be_visible()
    await expect(panel.get_by_role("button", name="Close this warm-up")).to_have_count(0)
    await expect(found).to_be_visible()
    await context.close()
