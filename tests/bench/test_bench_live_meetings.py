"""`make bench`: 1,000 live meetings, each with a person in it, on one instance that starts
up (a restart during a busy day): the time until every assistant is in its meeting (goal:
10 s).

Unlike test_bench_failover's 1,000 meetings, whose rooms are empty until the assistants
make them, here the rooms exist: a person joined each one first, the way Jitsi Meet does
(the focus, then presence), so the assistant joins a meeting in progress, as it would in
real life. Baseline, in the same run: the same 1,000 people joining their rooms (100 at a
time), which is what Prosody must do for anyone. Prosody's own CPU time is printed for both:
on this 2-core machine it shares the cores with the service and with these 1,000 clients.

STAND-INs: Jicofo's focus (tests.support.jitsi_standin).
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.bench.figures import cpu_seconds, pct
from tests.bench.test_bench_failover import arrivals, make_instance
from tests.support import prosody
from tests.support.instances import seed_sessions
from tests.support.participant import Participant

pytestmark = [pytest.mark.postgres, pytest.mark.prosody, pytest.mark.timeout(900)]
MEETINGS = int(os.environ.get("BENCH_LIVE_MEETINGS", "1000"))


async def _people_in(server: prosody.Prosody, rooms: list[str]) -> tuple[list[Participant], float]:
    """One person in each room (100 joining at a time); the seconds it took."""
    people = [Participant(server, room, "Person", keep_inbox=False) for room in rooms]
    gate = asyncio.Semaphore(100)

    async def join(person: Participant) -> None:
        async with gate:
            await person.connect()
            await person.join(timeout=120)

    started = time.monotonic()
    await asyncio.gather(*(join(person) for person in people))
    return people, time.monotonic() - started


async def test_1000_live_meetings_with_people_in_them(
    tmp_path: Path, server: prosody.Prosody, standin: Any, pg_url: str
) -> None:
    rooms = await seed_sessions(pg_url, MEETINGS, "Live")
    assert server.process is not None
    before = cpu_seconds(server.process.pid)
    people, people_took = await _people_in(server, sorted(rooms))
    people_cpu = cpu_seconds(server.process.pid) - before
    print(f"\n{MEETINGS} people in their rooms after {people_took:.1f} s", flush=True)
    instance = make_instance(tmp_path, pg_url, server, "live", quick=False)
    before = cpu_seconds(server.process.pid)
    started = time.monotonic()
    instance.start()
    try:
        await instance.ready(within=60)
        up = time.monotonic() - started  # the process answering, before any meeting
        times = await arrivals(instance, MEETINGS, 180, started)
        assistants_cpu = cpu_seconds(server.process.pid) - before
    finally:
        instance.stop()
        await asyncio.gather(*(person.close() for person in people))
    print(
        f"\n{MEETINGS} live meetings (a person in each) on one instance:"
        f"\n  {len(times)} assistants in their meetings {times[-1]:.1f} s after start-up "
        f"(p50 {pct(times, 50):.1f} s); Prosody's CPU time meanwhile {assistants_cpu:.1f} s"
        f"\n  of which the process's own start-up (until /healthz answered): {up:.1f} s"
        f"\n  baseline: the {MEETINGS} people joining first took {people_took:.1f} s; "
        f"Prosody's CPU time meanwhile {people_cpu:.1f} s"
    )
    assert len(times) == MEETINGS
    assert times[-1] < 10
