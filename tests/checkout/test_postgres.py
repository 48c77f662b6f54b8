"""The whole check-out path on the real PostgreSQL server: links, flags, review with its
audit, the no-check-out job, the largest flag id a URL can carry, and retention."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from plugin import keys
from plugin.db.models import AuditEntry, Checkout, Flag, FlagAction, MeetingSession
from tests.checkout.conftest import (
    add_people,
    after_the_wait,
    end_session,
    personal_link,
    send_checkout,
    start_session,
)
from tests.conftest import Client, app_of, create_account, csrf_from, login
from tests.integration.test_storage import postgres_settings, postgres_url  # noqa: F401
from tests.support.app import app_for

pytestmark = pytest.mark.postgres


async def test_check_out_review_and_retention_on_postgres(
    aiohttp_client: Any,
    postgres_settings: Any,  # noqa: F811
    clock: Any,
) -> None:
    client: Client = await aiohttp_client(app_for(postgres_settings, clock))
    app = app_of(client)
    await create_account(app[keys.DATABASE], "fran", clock.now())
    await login(client, "fran")
    session_id = await start_session(client)
    ids = await add_people(client, session_id, ("Ann", "web"), ("Bob", "web"))
    saved = await send_checkout(
        client,
        await personal_link(client, session_id, ids["Ann"]),
        {"feeling": "struggling", "contact": "call_later", "phone": "07700900123"},
    )
    assert saved.status == 303
    await end_session(client, session_id)
    assert await after_the_wait(client) == 1
    page = await (await client.get(f"/review/sessions/{session_id}")).text()
    assert "+447700900123" in page and "Bob" in page
    async with app[keys.DATABASE].session() as db:
        urgent = (await db.exec(select(Flag).where(Flag.level == "urgent"))).one()
    token = await csrf_from(client, "/review")
    changed = await client.post(
        f"/review/flags/{urgent.id}",
        data={
            "status": "contacted",
            "note": "rang",
            "seen": urgent.updated_at.isoformat(),
            "csrf_token": token,
        },
        allow_redirects=False,
    )
    assert changed.status == 303
    assert (await client.get("/review/flags/999999999")).status == 404  # fits int4, not there
    assert (await client.get("/review/flags/2147483648")).status == 404

    clock.advance(timedelta(days=app[keys.SETTINGS].retention_days + 1))
    assert await app[keys.CHECKOUTS].purge_old() == 1
    async with app[keys.DATABASE].session() as db:
        for model in (Checkout, Flag, FlagAction):
            assert (await db.exec(select(model))).all() == [], model.__name__
        session = await db.get(MeetingSession, session_id)
        actions = {e.action for e in (await db.exec(select(AuditEntry))).all()}
    assert session is not None and session.checkout_tally is not None
    assert session.checkout_tally["urgent"] == 1 and session.checkout_tally["missing"] == 1
    assert {"flag.viewed", "flag.changed", "session.data_deleted"} <= actions
