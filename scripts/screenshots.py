"""Regenerate the README screenshots: `.venv/bin/python scripts/screenshots.py`.

Starts the real app on a throwaway SQLite file and drives Debian's Chromium.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright

from facilitation.meeting_events import Person, PersonJoined, PersonKind
from facilitation.passwords import PasswordPolicy
from facilitation.roles import Role
from plugin import keys
from plugin.app import create_app
from plugin.clock import Clock
from plugin.db import accounts, participants
from plugin.db.engine import Database, make_engine
from plugin.db.migrate import upgrade_in_thread
from plugin.security.passwords import Passwords
from plugin.settings import Settings

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSWORD = "plum-orbit-lantern-42"


async def _people_and_hands(app: Any, session_id: str) -> None:
    """A few people, one of them on the phone, and three hands in the queue."""
    now = Clock().now()
    async with app[keys.DATABASE].session() as db:
        for nick, name, kind in (
            ("a1", "Ann", "web"),
            ("b2", "Bob", "web"),
            ("p3", "…456", "phone"),
            ("c4", "Chi", "web"),
        ):
            person = Person(nick, name, kind=PersonKind(kind))
            await participants.apply_event(db, PersonJoined(session_id, person), now)
        await db.commit()
    desk = app[keys.QUEUE]
    await desk.act(session_id, "raise", participant="b2")
    await desk.act(session_id, "next")
    for nick in ("a1", "p3", "c4"):
        await desk.act(session_id, "raise", participant=nick)
    await desk.act(session_id, "policy", policy="fair_turns")


async def _checkout_and_review(app: Any, page: Any, phone: Any, base: str) -> None:
    """Ann's check-out on a phone, Bob's, then the host's review of the flags."""
    session_id = page.url.rsplit("/", 1)[-1]
    desk = app[keys.CHECKOUTS]
    await phone.goto(f"{base}/checkout/{await desk.link_for(session_id, 'a1', 'chat')}")
    await phone.screenshot(path=OUT / "checkout-phone.png", full_page=True)
    await phone.get_by_label("Struggling").check()
    await phone.get_by_label("Yes, call me later").check()
    await phone.get_by_label("Your phone number").fill("07700 900123")
    await phone.get_by_label("A good time to call").fill("Weekdays after 6pm")
    await phone.get_by_label("Anything you'd like the host to know?").fill(
        "Today brought back some hard memories."
    )
    await phone.get_by_role("button", name="Send").click()
    await phone.goto(f"{base}/checkout/{await desk.link_for(session_id, 'b2', 'chat')}")
    await phone.get_by_label("Good").first.check()
    await phone.get_by_role("button", name="Send").click()
    await page.goto(f"{base}/sessions/{session_id}")
    await page.get_by_text("End this session").click()
    await page.get_by_role("button", name="End session now").click()
    desk.clock = _Later()
    await desk.flag_missing()
    await page.goto(f"{base}/review/sessions/{session_id}")
    await page.screenshot(path=OUT / "review.png", full_page=True)


class _Later(Clock):
    """The no-check-out job as it runs after the wait."""

    def now(self) -> Any:
        from datetime import timedelta

        return super().now() + timedelta(hours=2)


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/shots.db"
        await upgrade_in_thread(url)
        database = Database(make_engine(url))
        async with database.session() as db:
            await accounts.create_account(
                db,
                username="sam",
                display_name="Sam",
                role=Role.ADMIN,
                now=Clock().now(),
                password_hash=Passwords(PasswordPolicy(frozenset())).hash(PASSWORD),
            )
            await db.commit()
        await database.close()
        settings = Settings(
            database_url=url,
            data_dir=Path(tmp),
            dial_in_numbers=("+44 20 7946 0000", "0800 123 4567 tollfree"),
        )
        server = TestServer(create_app(settings), port=8080)
        await server.start_server()
        base = "http://127.0.0.1:8080"
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            page = await browser.new_page(viewport={"width": 900, "height": 700})
            await page.goto(f"{base}/login")
            await page.screenshot(path=OUT / "login.png")
            await page.get_by_label("Username").fill("sam")
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            await page.get_by_label("Meeting link").fill("https://meet.example.org/Coffee Chat")
            await page.get_by_role("button", name="Start session").click()
            await page.screenshot(path=OUT / "start-error.png")
            await page.get_by_label("Meeting link").fill("https://meet.example.org/CoproCircle")
            await page.get_by_role("button", name="Start session").click()
            await page.get_by_text("Live updates are on.").wait_for()
            await _people_and_hands(server.app, page.url.rsplit("/", 1)[-1])
            await page.reload()
            await page.get_by_text("Live updates are on.").wait_for()
            await page.screenshot(path=OUT / "console.png", full_page=True)
            join = await page.locator(".join-link a").get_attribute("href")
            phone = await browser.new_page(viewport={"width": 360, "height": 640})
            await phone.goto(str(join))
            await phone.screenshot(path=OUT / "join-phone.png")
            await _checkout_and_review(server.app, page, phone, base)
            await browser.close()
        await server.close()


if __name__ == "__main__":
    asyncio.run(main())
