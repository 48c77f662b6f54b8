"""`make bench`: cost of the hot paths this step adds, each against a baseline in the same run.

Step 1 sets no speed target, so these print figures and only fail on a gross regression:
- meeting-link parsing against plain `urllib.parse.urlsplit`;
- a signed-in console page against `/healthz` (the cheapest request that touches the database).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from facilitation.meeting_link import JitsiBase, parse_meeting_link
from tests.conftest import Client, login
from tests.integration.test_sessions import start

ALLOWED = (JitsiBase.parse("https://meet.example.org"),)
LINK = "https://meet.example.org/haven/CoproCircle?lang=en#config.startWithAudioMuted=true"


def _per_call(func: Callable[[str], object], links: list[str]) -> float:
    started = time.perf_counter()
    for link in links:
        func(link)
    return (time.perf_counter() - started) / len(links)


def test_link_parsing_against_urlsplit() -> None:
    # Distinct links: urlsplit keeps a cache, and a repeated link would time cache hits.
    links = [f"{LINK.split('?')[0]}{n}?lang=en#config.x=true" for n in range(20_000)]
    baseline = min(_per_call(urlsplit, links[:]) for _ in range(3))
    ours = min(_per_call(lambda link: parse_meeting_link(link, ALLOWED), links) for _ in range(3))
    print(
        f"\nurlsplit {baseline * 1e6:.2f} us, parse_meeting_link {ours * 1e6:.2f} us, "
        f"ratio {ours / baseline:.1f}x"
    )
    assert ours < baseline * 50


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] * 1000


async def _latencies(call: Callable[[], Awaitable[int]], rounds: int = 200) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        assert await call() == 200
        times.append(time.perf_counter() - started)
    return times


async def test_console_page_against_healthz(client: Client, add_account) -> None:
    await add_account("fran")
    await login(client, "fran")
    session_id = await start(client, "https://meet.example.org/Bench")

    async def console() -> int:
        return (await client.get(f"/sessions/{session_id}")).status

    async def health() -> int:
        return (await client.get("/healthz")).status

    base = await _latencies(health)
    page = await _latencies(console)
    print(
        f"\n/healthz p50 {p50(base):.2f} ms p99 {p99(base):.2f} ms; console p50 {p50(page):.2f} ms p99 {p99(page):.2f} ms"
    )
    assert p50(page) < p50(base) * 20
