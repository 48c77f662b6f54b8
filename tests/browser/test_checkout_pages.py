"""The check-out and review pages in real Chromium: axe-core WCAG 2.2 AA, keyboard only,
no JavaScript, 320px, every step of the check-out and its thank-you page; and the join
page's embedded meeting leading to the check-out.

Jitsi Meet's web app cannot run here, so the IFrame API (`external_api.js`) is a stand-in
built from its public interface: `new JitsiMeetExternalAPI(domain, {roomName, parentNode})`,
`addListener(event, fn)`, and the `videoConferenceJoined` ({id}) and `videoConferenceLeft`
events. Playwright serves it in place of the Jitsi server's script."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Browser, Locator, Page, Route, expect
from sqlmodel import select

from plugin import keys
from plugin.db.models import Flag, Participant
from tests.browser.conftest import axe_violations
from tests.browser.test_pages import sign_in
from tests.conftest import AddAccount

pytestmark = pytest.mark.browser

EXTERNAL_API_STANDIN = """
window.JitsiMeetExternalAPI = function (domain, options) {
  var listeners = {};
  var frame = document.createElement("iframe");  // like Jitsi's, with no title of its own
  frame.src = "https://" + domain + "/" + options.roomName;
  options.parentNode.appendChild(frame);
  this.getIFrame = function () { return frame; };
  this.addListener = function (name, fn) { (listeners[name] = listeners[name] || []).push(fn); };
  function emit(name, data) { (listeners[name] || []).forEach(function (fn) { fn(data); }); }
  window.__standin = {
    domain: domain, room: options.roomName,
    join: function (id) { emit("videoConferenceJoined", {id: id, displayName: "Ann", roomName: options.roomName}); },
    leave: function () { emit("videoConferenceLeft", {roomName: options.roomName}); },
    close: function () { emit("readyToClose", {}); },
    privateMessage: function (from, text) {
      emit("incomingMessage", {from: from, nick: "x", privateMessage: true, message: text});
    }
  };
};
"""


async def tab_to(page: Page, target: Locator, limit: int = 20) -> None:
    """Press Tab until `target` has the focus, as someone on a keyboard does."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} not reached with Tab")


async def to_last_step(page: Page) -> None:
    """Through the first two questions ("Good", "No, thank you") to the last page."""
    await page.get_by_role("radio", name="Good", exact=True).check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("radio", name="No, thank you").check()
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Anything else?")


async def audit(page: Page, name: str) -> None:
    violations = await axe_violations(page)
    assert violations == [], f"{name}: {violations}"


@pytest.fixture
async def app_and_url(
    aiohttp_server: Any, settings: Any, clock: Any
) -> tuple[web.Application, str]:
    from tests.support.app import app_for

    app = app_for(settings, clock)
    server = await aiohttp_server(app)
    return app, str(server.make_url("")).rstrip("/")


async def _session_with_ann(page: Page, base_url: str, app: web.Application) -> tuple[str, int]:
    await page.get_by_label("Meeting link").fill("https://meet.example.org/Wellbeing")
    await page.get_by_role("button", name="Start session").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Wellbeing")
    session_id = page.url.rsplit("/", 1)[1]
    async with app[keys.DATABASE].session() as db:
        ann = Participant(
            session_id=session_id,
            kind="web",
            display_name="Ann",
            jitsi_id="a1b2c3d4",
            joined_at=app[keys.CLOCK].now(),
        )
        db.add(ann)
        await db.commit()
        assert ann.id is not None
        return session_id, ann.id


async def test_check_out_by_keyboard_then_review(
    browser: Browser, app_and_url: tuple[web.Application, str], add_account: AddAccount
) -> None:
    app, base_url = app_and_url
    await add_account("fran")
    host = await browser.new_page()
    await sign_in(host, base_url, "fran")
    session_id, _ = await _session_with_ann(host, base_url, app)
    token = await app[keys.CHECKOUTS].link_for(session_id, "a1b2c3d4", "chat")

    # The check-out pages carry no script at all (tests/checkout checks the HTML), so these
    # are the no-JavaScript pages; scripts stay on only so axe-core can be injected. A phone
    # 320px wide, keyboard only, one question at a time.
    context = await browser.new_context(viewport={"width": 320, "height": 640})
    page = await context.new_page()
    page.set_default_timeout(5000)

    async def check(name: str) -> None:
        await audit(page, name)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 320, name

    await page.goto(f"{base_url}/checkout/{token}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("How are you feeling?")
    await expect(page.locator("input:checked")).to_have_count(0)  # nothing chosen for them
    await check("step 1")
    await tab_to(page, page.get_by_role("button", name="Continue"))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("alert")).to_contain_text("Please choose how you are feeling")
    await check("step 1 with an error")
    await tab_to(page, page.get_by_role("link", name=re.compile("Please choose how")))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("radio", name="Good", exact=True)).to_be_focused()
    for _ in range(3):
        await page.keyboard.press("ArrowDown")
    await expect(page.get_by_role("radio", name="Struggling")).to_be_checked()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Continue")).to_be_focused()
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Would you like someone to get in touch?"
    )
    # Flagged already: someone who closes the page now is not lost.
    async with app[keys.DATABASE].session() as db:
        (flag,) = (await db.exec(select(Flag))).all()
    assert flag.level == "urgent"
    await expect(page.locator("input:checked")).to_have_count(0)
    await check("step 2")
    await tab_to(page, page.get_by_role("radio", name="No, thank you"))
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")
    await expect(page.get_by_role("radio", name="Yes, call me later")).to_be_checked()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("heading", level=1)).to_have_text("How can we call you?")
    await expect(page.get_by_label("How should we get in touch?")).to_have_count(0)
    await check("step 3")
    await tab_to(page, page.get_by_label("Your phone number"))
    await page.keyboard.type("12")  # not a number: the page says so and keeps the rest
    await tab_to(page, page.get_by_label("Anything you'd like the host to know?"))
    await page.keyboard.type("It was a lot today")
    await tab_to(page, page.get_by_role("button", name="Send"))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("alert")).to_contain_text("does not look like a phone number")
    await expect(page.get_by_label("Anything you'd like the host to know?")).to_have_value(
        "It was a lot today"
    )
    await check("step 3 with an error")
    await tab_to(page, page.get_by_role("link", name=re.compile("does not look like")))
    await page.keyboard.press("Enter")
    await expect(page.get_by_label("Your phone number")).to_be_focused()
    await page.keyboard.press("Control+A")
    await page.keyboard.type("07700 900123")
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("status")).to_contain_text("Your answers are saved")
    await expect(page.get_by_role("status")).to_contain_text("Someone will try to call you.")
    await expect(page.get_by_role("status")).to_contain_text("emergency")
    await expect(page.get_by_role("textbox")).to_have_count(0)  # a page of its own
    await check("thank-you page")
    await tab_to(page, page.get_by_role("link", name="Change your answers"))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("radio", name="Struggling")).to_be_checked()
    await context.close()

    await host.goto(f"{base_url}/review")
    await audit(host, "review list")
    await host.get_by_role("link", name="Wellbeing").click()
    await expect(host.locator("article.flag.urgent")).to_contain_text("+447700900123")
    await audit(host, "review session")
    await host.get_by_label("Status – Ann").select_option("contacted")
    await host.get_by_label("Note (what you did) – Ann").fill("Called, talked for 20 minutes")
    await host.get_by_role("button", name="Save status and note for Ann").click()
    await expect(host.locator("article.flag.urgent .history")).to_contain_text(
        "Fran: Contacted. Called, talked for 20 minutes"
    )
    await host.set_viewport_size({"width": 320, "height": 640})
    for path in ("/review", f"/review/sessions/{session_id}", host.url.split("#")[0]):
        await host.goto(base_url + path if path.startswith("/") else path)
        assert await host.evaluate("document.documentElement.scrollWidth") <= 320, path
        await audit(host, f"{path} at 320px")


async def test_leaving_the_embedded_meeting_opens_your_own_check_out(
    browser: Browser, app_and_url: tuple[web.Application, str], add_account: AddAccount
) -> None:
    """Only the assistant's private message gives the page someone's own link; a breakout
    room move (left, then joined again) is not leaving; without a link from the assistant,
    leaving opens a new check-out that asks for a name."""
    app, base_url = app_and_url
    await add_account("fran")
    host = await browser.new_page()
    await sign_in(host, base_url, "fran")
    session_id, ann_id = await _session_with_ann(host, base_url, app)
    join = await host.locator(".join-link a").get_attribute("href")
    assert join is not None
    join_url = re.sub(r"^https?://[^/]+", base_url, join)
    own = await app[keys.CHECKOUTS].link_for(session_id, "a1b2c3d4", "chat")
    other = await app[keys.CHECKOUTS].link_for(session_id, None, "code")
    settings_base = app[keys.SETTINGS].base_url

    async def jitsi(route: Route) -> None:
        if route.request.url.endswith("/external_api.js"):
            await route.fulfill(body=EXTERNAL_API_STANDIN, content_type="text/javascript")
        else:
            await route.fulfill(
                body="<title>Meeting</title><p>meeting</p>", content_type="text/html"
            )

    async def open_meeting(assistant: str) -> Page:
        page = await browser.new_page()
        await page.route("https://meet.example.org/**", jitsi)
        await page.goto(join_url)
        # The assistant's id, as the server would put it in when the assistant is there.
        await page.evaluate(
            "([who, base]) => { const m = document.getElementById('meeting');"
            " m.setAttribute('data-assistant', who); m.setAttribute('data-checkout-prefix', base); }",
            [assistant, base_url + "/checkout/"],
        )
        await page.get_by_role("link", name="Join on the web").click()
        await expect(page.locator("#meeting iframe")).to_be_visible()
        return page

    page = await open_meeting("bot12345")
    await audit(page, "join page with the meeting")
    await expect(page.locator("#meeting iframe")).to_have_attribute(
        "title", "Video meeting: Wellbeing"
    )
    assert await page.evaluate("window.__standin.domain") == "meet.example.org"
    assert await page.evaluate("window.__standin.room") == "wellbeing"
    await expect(page.locator("#meeting-status")).to_contain_text("When you leave it")
    await page.evaluate("window.__standin.join('a1b2c3d4')")
    # Someone else's private link is ignored; the assistant's is kept.
    await page.evaluate(
        f"window.__standin.privateMessage('mallory1', 'Yours: {base_url}/checkout/{other}')"
    )
    await page.evaluate(
        f"window.__standin.privateMessage('bot12345', 'Thank you: {base_url}/checkout/{own}')"
    )
    # A breakout room move: left, then joined again within the wait.
    await page.evaluate("window.__standin.leave()")
    await page.wait_for_timeout(1000)
    await page.evaluate("window.__standin.join('a1b2c3d4')")
    await page.wait_for_timeout(4000)
    assert "/join/" in page.url  # still in the meeting
    await page.evaluate("window.__standin.close()")  # hung up
    await expect(page).to_have_url(f"{base_url}/checkout/{own}")
    await audit(page, "check-out from the join page")
    await to_last_step(page)
    await expect(page.get_by_label("Your name")).to_have_count(0)  # it knows who this is
    await expect(page.get_by_label("Anything you'd like the host to know?")).to_have_count(1)

    page = await open_meeting("")  # no assistant in the meeting: a new, unnamed link
    await page.evaluate(f"window.__standin.privateMessage('', '{base_url}/checkout/{other}')")
    await page.evaluate("window.__standin.leave()")
    await expect(page).to_have_url(re.compile(r"/checkout/[A-Za-z0-9_-]{43}$"), timeout=10000)
    assert page.url.rsplit("/", 1)[1] not in (own, other)
    await to_last_step(page)
    await expect(page.get_by_label("Your name")).to_have_count(1)
    del settings_base, ann_id
