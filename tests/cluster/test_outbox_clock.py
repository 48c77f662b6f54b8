"""The outbox's claims on PostgreSQL are in the database's clock: an instance whose clock
runs hours ahead never takes a row another instance holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plugin.db import outbox
from plugin.db.engine import Database, make_engine
from plugin.db.models import Notification

pytestmark = pytest.mark.postgres


async def test_a_clock_hours_ahead_does_not_take_a_held_claim(pg_url: str) -> None:
    database = Database(make_engine(pg_url))
    now = datetime.now(UTC)
    async with database.session() as db:
        db.add(
            Notification(
                dedupe_key="urgent:clock",
                kind="urgent",
                channel="webhook",
                subject="urgent",
                body="{}",
                next_attempt_at=now,
                created_at=now,
            )
        )
        await db.commit()
    async with database.session() as db:
        first = await outbox.claim(db, "instance-a", now, timedelta(seconds=60))
    assert [row.claimed_by for row in first] == ["instance-a"]
    async with database.session() as db:
        ahead = await outbox.claim(
            db, "instance-b", now + timedelta(hours=2), timedelta(seconds=60)
        )
    assert ahead == []  # by instance-b's clock the claim ran out long ago; by the database's not
    async with database.session() as db:
        row = await db.get(Notification, first[0].id)
    assert row is not None and row.claimed_by == "instance-a"
    await database.close()
