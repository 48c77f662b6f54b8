"""Every page so far, in real Chromium: axe-core WCAG 2.2 AA, 320px, no JavaScript, keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page, expect

from facilitation.roles import Role
from tests.browser.conftest import axe_violations
from tests.conftest import PASSWORD, AddAccount

pytestmark = pytest.mark.browser


async def audit(page: Page, name: str) -> None:
    violations = await axe_violations(page)
    assert violations == [], f"{name}: {violations}"


async def sign_in(page: Page, base_url: str, username: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sessions")


async def test_every_page_passes_axe_and_live_updates_connect(
    browser: Browser, base_url: str, add_account: AddAccount
) -> None:
    await add_account("root", Role.ADMIN)
    page = await browser.new_page()
    failures: list[str] = []
    page.on("response", lambda r: failures.append(r.url) if r.status >= 400 else None)
    page.on("pageerror", lambda e: failures.append(str(e)))
    await page.goto(f"{base_url}/login")
    await audit(page, "login")
    await page.get_by_label("Username").fill("root")
    await page.get_by_label("Password").fill("wrong password here")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("do not match")
    await audit(page, "login with error")
    await sign_in(page, base_url, "root")
    await audit(page, "home")

    await page.get_by_label("Meeting link").fill("https://elsewhere.example/Room")
    await page.get_by_role("button", name="Start session").click()
    await expect(page.locator("#meeting-error")).to_contain_text("not on our Jitsi server")
    await audit(page, "home with link error")

    await page.get_by_label("Meeting link").fill("https://meet.example.org/CoproCircle")
    await page.get_by_role("button", name="Start session").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("CoproCircle")
    await expect(page.locator("#live-status")).to_have_text("Live updates are on.")
    await expect(page.locator(".dial-in .pin")).to_have_text(re.compile(r"^\d{3} \d{4} #$"))
    await audit(page, "console")
    join_href = await page.locator(".join-link a").get_attribute("href")
    assert join_href is not None
    join_path = re.sub(r"^https?://[^/]+", "", join_href)

    await page.goto(f"{base_url}/sessions/new?meeting=https://meet.example.org/Another")
    await audit(page, "bookmark start")
    await page.goto(f"{base_url}/accounts")
    await audit(page, "accounts")
    await page.get_by_role("button", name="Add account").click()  # empty: the server says why
    await expect(page.locator(".error-summary h2")).to_have_text("There is a problem")
    await audit(page, "accounts with errors")
    await page.goto(f"{base_url}{join_path}")
    await expect(page.locator(".dial-in a").first).to_have_attribute(
        "href", re.compile(r"^tel:\+442079460000,,,\d{7}%23$")
    )
    await audit(page, "join")
    # Only the deliberate wrong password (403), bad meeting link and empty account (400).
    assert failures == [f"{base_url}/login", f"{base_url}/sessions", f"{base_url}/accounts"]
    await page.goto(f"{base_url}/sessions/unknown")
    await audit(page, "not found")


async def test_forms_work_without_javascript(
    browser: Browser, base_url: str, add_account: AddAccount
) -> None:
    await add_account("fran")
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    page.set_default_timeout(5000)
    await sign_in(page, base_url, "fran")
    await page.get_by_label("Meeting link").fill("https://meet.example.org/Circle")
    await page.get_by_role("button", name="Start session").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Circle")
    await expect(page.locator("#live-status")).to_contain_text("does not update by itself")
    await page.get_by_text("End this session").click()
    await page.get_by_role("button", name="End session now").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("ended")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    await context.close()


async def test_pages_fit_320px_and_pass_axe_there(
    browser: Browser, base_url: str, add_account: AddAccount
) -> None:
    await add_account("root", Role.ADMIN)
    context = await browser.new_context(viewport={"width": 320, "height": 640})
    page = await context.new_page()
    page.set_default_timeout(5000)
    await page.goto(f"{base_url}/login")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 320
    await audit(page, "/login at 320px")
    paths = ["/login"]
    await sign_in(page, base_url, "root")
    await page.get_by_label("Meeting link").fill(
        "https://video.example.net/jitsi/a-rather-long-tenant-name/AVeryLongMeetingNameThatMightOverflow"
    )
    await page.get_by_role("button", name="Start session").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("AVeryLong")
    console = page.url.replace(base_url, "")
    join_href = await page.locator(".join-link a").get_attribute("href")
    assert join_href is not None
    paths += [console, "/", "/accounts", "/account", re.sub(r"^https?://[^/]+", "", join_href)]
    for path in paths[1:]:
        await page.goto(f"{base_url}{path}")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} scrolls sideways at 320px ({width}px)"
        await audit(page, f"{path} at 320px")
    await context.close()


async def test_keyboard_only_sign_in_with_skip_link(
    browser: Browser, base_url: str, add_account: AddAccount
) -> None:
    await add_account("fran")
    page = await browser.new_page()
    await page.goto(f"{base_url}/login")
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Username")).to_be_focused()
    await page.keyboard.type("fran")
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sessions")
    focus_ring = await page.evaluate(
        "() => { const el = document.querySelector('#meeting'); el.focus(); return getComputedStyle(el).outlineStyle; }"
    )
    assert focus_ring == "solid"


async def test_errors_are_red_and_confirmations_green_as_the_stylesheet_says(
    browser: Browser, base_url: str, add_account: AddAccount
) -> None:
    await add_account("hana", Role.HOST)
    page = await browser.new_page()
    await sign_in(page, base_url, "hana")
    await page.goto(f"{base_url}/account")
    await page.get_by_label("Email address for alerts").fill("hana at home")
    await page.get_by_role("button", name="Save").click()
    field = page.get_by_label("Email address for alerts")
    await expect(field).to_have_attribute(
        "aria-invalid", "true"
    )  # the server's message, not a pop-up
    await expect(page.locator(".error-summary a[href='#email']")).to_be_visible()
    border = await field.evaluate("e => getComputedStyle(e).borderTopColor")
    width = await field.evaluate("e => getComputedStyle(e).borderTopWidth")
    assert (border, width) == ("rgb(164, 22, 26)", "3px")
    await audit(page, "account with an error")

    await field.fill("hana@example.org")
    await page.get_by_role("button", name="Save").click()
    notice = page.locator(".notice")
    await expect(notice).to_have_text("Saved.")
    colours = await notice.evaluate(
        "e => [getComputedStyle(e).borderLeftColor, getComputedStyle(e).backgroundColor]"
    )
    assert colours == ["rgb(27, 110, 58)", "rgb(238, 247, 240)"]
    await page.close()


async def test_forms_show_the_services_own_error_summary_not_the_browsers_pop_ups(
    browser: Browser, base_url: str, add_account: AddAccount
) -> None:
    await add_account("ivy")
    page = await browser.new_page(viewport={"width": 320, "height": 640})
    await page.goto(f"{base_url}/login")
    await page.get_by_role("button", name="Sign in").click()  # empty: no pop-up stops it
    summary = page.locator(".error-summary")
    await expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    await audit(page, "empty sign-in")
    await sign_in(page, base_url, "ivy")
    link = "https://meet.example.org/Copro Circle"  # the space makes it wrong
    await page.get_by_label("Meeting link").fill(link)
    await page.get_by_role("button", name="Start session").click()
    await expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    await summary.get_by_role("link").click()
    field = page.get_by_label("Meeting link")
    await expect(field).to_be_focused()
    label_top = await page.locator("label[for=meeting]").evaluate(
        "e => e.getBoundingClientRect().top"
    )
    assert label_top >= 0, "the label scrolled out of view"
    assert await field.input_value() == link  # the whole link, space and all, in view
    box = await field.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 320
    scroll = await field.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert scroll, "the link is cut off"
    await audit(page, "start with an error at 320px")
    await page.close()


async def test_on_a_phone_the_console_starts_with_the_queue_and_copies_the_join_link(
    browser: Browser, base_url: str, add_account: AddAccount
) -> None:
    await add_account("jo")
    context = await browser.new_context(viewport={"width": 320, "height": 640})
    await context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = await context.new_page()
    await sign_in(page, base_url, "jo")
    await page.get_by_label("Meeting link").fill("https://meet.example.org/PhoneCircle")
    await page.get_by_role("button", name="Start session").click()
    queue = page.get_by_role("heading", name="Speaking queue")
    top = await queue.evaluate("e => e.getBoundingClientRect().top + window.scrollY")
    assert top < 640, f"the queue starts {top:.0f}px down: not on the first screen"
    for heading in ("People", "Check-out"):
        below = await page.get_by_role("heading", name=heading, exact=True).evaluate(
            "e => e.getBoundingClientRect().top + window.scrollY"
        )
        invite = await page.get_by_role("heading", name="Invite people").evaluate(
            "e => e.getBoundingClientRect().top + window.scrollY"
        )
        assert below < invite, f"{heading} comes after the invitation"
    radio = page.locator(".queue input[type=radio]").first
    size = await radio.evaluate("e => [e.offsetWidth, e.offsetHeight]")
    assert min(size) >= 24, f"order radios are {size}px"
    assert await page.evaluate("document.documentElement.scrollWidth") <= 320

    await page.get_by_role("button", name="Copy the join link").click()
    await expect(page.locator(".copy-status")).to_have_text("Copied.")
    copied = await page.evaluate("navigator.clipboard.readText()")
    assert copied == await page.locator("#join-url").get_attribute("href")
    await audit(page, "console on a phone")
    await context.close()
