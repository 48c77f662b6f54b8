"""Debian's Chromium driven by Playwright, with axe-core injected for accessibility audits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright

from plugin.clock import FixedClock
from plugin.settings import Settings
from tests.support.app import app_for

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def _installed(path: Path, what: str) -> Path:
    assert path.exists(), f"{what} missing at {path}: run `make test`, which installs it"
    return path


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    _installed(Path(CHROMIUM), "Debian's chromium")
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        await instance.close()


@pytest.fixture
async def base_url(aiohttp_server: Any, settings: Settings, clock: FixedClock) -> str:
    # Dial-in numbers on, so the console and join pages are checked with their phone panel.
    phone = settings.model_copy(
        update={"dial_in_numbers": ("+44 20 7946 0000", "0800 123 4567 tollfree")}
    )
    server = await aiohttp_server(app_for(phone, clock))
    return str(server.make_url("")).rstrip("/")


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core in the page. Evaluated through DevTools, so the page's CSP still holds."""
    await page.evaluate(_installed(AXE, "axe-core").read_text())
    result = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]
