"""The retention period, with a moved clock: answers, contact details, notes and people go;
counts stay; the audit log says it happened and keeps no content."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from plugin import keys
from plugin.db.models import (
    Checkout,
    CheckoutLink,
    Flag,
    FlagAction,
    MeetingSession,
    Participant,
)
from tests.checkout.conftest import (
    add_people,
    after_the_wait,
    audit_entries,
    end_session,
    personal_link,
    send_checkout,
    start_session,
)
from tests.conftest import Client, app_of, csrf_from, login


async def _count(client: Client, model: type) -> int:
    async with app_of(client)[keys.DATABASE].session() as db:
        return len((await db.exec(select(model))).all())


async def test_answers_go_after_the_retention_period_and_counts_stay(
    client: Client, signed_in_facilitator: None
) -> None:
    app = app_of(client)
    clock = app[keys.CLOCK]
    old = await start_session(client, "Old")
    ids = await add_people(client, old, ("Ann", "web"), ("Bob", "web"), ("Cy", "web"))
    await send_checkout(
        client,
        await personal_link(client, old, ids["Ann"]),
        {"feeling": "struggling", "contact": "call_later", "phone": "07700900123"},
    )
    await send_checkout(client, await personal_link(client, old, ids["Bob"]), {"feeling": "good"})
    await end_session(client, old)
    await after_the_wait(client)
    assert "Ann" in await (await client.get(f"/review/sessions/{old}")).text()
    async with app[keys.DATABASE].session() as db:
        urgent = (await db.exec(select(Flag).where(Flag.level == "urgent"))).one()
    await client.post(
        f"/review/flags/{urgent.id}",
        data={
            "status": "resolved",
            "note": "spoke to Ann",
            "csrf_token": await csrf_from(client, "/"),
        },
    )

    clock.advance(timedelta(days=app[keys.SETTINGS].retention_days - 1))  # type: ignore[attr-defined]
    await login(client, "fran")  # signed out by then
    recent = await start_session(client, "Recent")
    await add_people(client, recent, ("Dee", "web"))
    assert await app[keys.CHECKOUTS].purge_old() == 0  # not yet
    assert await _count(client, Checkout) == 2

    clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    assert await app[keys.CHECKOUTS].purge_old() == 1
    for model in (Checkout, Flag, FlagAction, CheckoutLink):
        assert await _count(client, model) == 0, model.__name__
    async with app[keys.DATABASE].session() as db:
        people = (await db.exec(select(Participant))).all()
        session = await db.get(MeetingSession, old)
    assert [p.display_name for p in people] == ["Dee"]  # the recent session keeps its people
    assert session is not None and session.purged_at is not None
    assert session.checkout_tally == {
        "checked_out": 2,
        "ok": 1,
        "flagged": 1,
        "urgent": 1,
        "missing": 1,
    }
    (entry,) = await audit_entries(client, "session.data_deleted")
    assert entry.target == f"session:{old}" and entry.detail["missing"] == 1
    await login(client, "fran")
    page = await (await client.get(f"/review/sessions/{old}")).text()
    assert "deleted after the retention period" in page and "2 checked out" in page
    assert "Ann" not in page
    assert await app[keys.CHECKOUTS].purge_old() == 0  # once
