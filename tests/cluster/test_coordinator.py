"""The coordinator's heartbeat on the real PostgreSQL, one step at a time: a lease renewed
for a meeting this instance does not run is let go (another instance then runs it), and a
meeting taken is run; fencing leaves every meeting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from plugin.bus import EventBus
from plugin.clock import Clock
from plugin.cluster.coordinator import ClusterOwnership
from plugin.db import leases
from plugin.db.engine import Database, make_engine
from plugin.desks.console import LiveHub
from plugin.jitsi.connector import Connector
from plugin.metrics import Metrics
from plugin.settings import Settings
from tests.cluster.conftest import scalar
from tests.support.instances import seed_sessions

pytestmark = pytest.mark.postgres
BASE = "https://meet.example.org"


@pytest.fixture
async def coordinator(pg_url: str, tmp_path: Path) -> AsyncIterator[ClusterOwnership]:
    settings = Settings(
        database_url=pg_url,
        data_dir=tmp_path,
        secret_key=SecretStr("coordinator-test-secret-key-long-enough-0123456789"),
        bot_enabled=False,
        jitsi_url=(BASE,),
    )
    database = Database(make_engine(pg_url))
    bus = EventBus()
    connector = Connector(settings, bus, database, Clock(), Metrics())
    own = ClusterOwnership(settings, database, connector, bus, LiveHub())
    yield own
    await database.close()


async def live_session(pg_url: str) -> str:
    return next(iter((await seed_sessions(pg_url, 1, "Stray")).values()))


async def holder(pg_url: str, session_id: str) -> str | None:
    name = leases.meeting_lease(session_id)
    return await scalar(  # type: ignore[no-any-return]
        pg_url, "SELECT holder FROM cluster_lease WHERE name = :n", n=name
    )


async def test_a_lease_renewed_for_a_meeting_not_run_here_is_let_go_then_run(
    coordinator: ClusterOwnership, pg_url: str
) -> None:
    session_id = await live_session(pg_url)
    # A take whose assistant never started (the beat was cut short just after it).
    async with coordinator.database.engine.begin() as conn:
        name = leases.meeting_lease(session_id)
        assert await leases.take(conn, name, coordinator.instance_id, 15) is not None
    assert not coordinator.owns(session_id)
    await coordinator._beat()
    # Let go, then (nobody holding it) taken again properly in the same beat or the next.
    if not coordinator.owns(session_id):
        await coordinator._beat()
    assert coordinator.owns(session_id)
    assert await holder(pg_url, session_id) == coordinator.instance_id


async def test_fencing_leaves_every_meeting_and_the_schedule(
    coordinator: ClusterOwnership, pg_url: str
) -> None:
    session_id = await live_session(pg_url)
    await coordinator._beat()
    assert coordinator.owns(session_id) and coordinator.runs_schedule()
    coordinator._last_ok = time.monotonic() - coordinator.fence_after - 1  # no renewal since
    coordinator._tasks.spawn(coordinator._fence_loop(), "fence")
    deadline = time.monotonic() + 5
    while coordinator.owns(session_id) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert not coordinator.owns(session_id)
    assert not coordinator.runs_schedule()
    await coordinator._tasks.close()
