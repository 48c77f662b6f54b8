"""Leases and instances in PostgreSQL (plugin.db.leases), called directly on a fresh
database: who may take, renew and release what, by the database's clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from plugin.db import leases
from plugin.db.engine import Database, make_engine
from plugin.db.models import Account, MeetingSession

pytestmark = pytest.mark.postgres
SHORT = 0.2  # seconds: a lease that runs out while the test sleeps
PAST = SHORT + 0.2


@pytest.fixture
async def database(pg_url: str) -> AsyncIterator[Database]:
    database = Database(make_engine(pg_url))
    yield database
    await database.close()


@pytest.fixture
def engine(database: Database) -> AsyncEngine:
    return database.engine


async def add_sessions(database: Database, *ids: str) -> None:
    """Live sessions, started in the order given."""
    now = datetime.now(UTC)
    async with database.session() as db:
        host = {"username": "host", "display_name": "Host", "password_hash": "x"}
        account = Account.model_validate({**host, "role": "facilitator", "created_at": now})
        db.add(account)
        await db.flush()
        assert account.id is not None
        for n, session_id in enumerate(ids):
            db.add(
                MeetingSession(
                    id=session_id,
                    meeting_url=f"https://meet.example.org/{session_id}",
                    jitsi_base="https://meet.example.org",
                    room=session_id,
                    room_label=session_id,
                    live_key=f"meet.example.org/{session_id}",
                    join_code=f"J{session_id}",
                    created_by=account.id,
                    started_at=now - timedelta(minutes=len(ids) - n),
                )
            )
        await db.commit()


async def sql(engine: AsyncEngine, statement: str, **params: object) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(statement), params)


async def end_session(engine: AsyncEngine, session_id: str) -> None:
    ended = "UPDATE meeting_session SET ended_at = now(), live_key = NULL WHERE id = :id"
    await sql(engine, ended, id=session_id)


async def take(engine: AsyncEngine, name: str, holder: str, ttl: float = 30.0) -> int | None:
    async with engine.begin() as conn:
        return await leases.take(conn, name, holder, ttl)


async def valid(engine: AsyncEngine) -> dict[str, leases.Lease]:
    async with engine.connect() as conn:
        return {lease.name: lease for lease in await leases.leases(conn)}


async def age(engine: AsyncEngine, instance_id: str, seconds: int) -> None:
    aged = "UPDATE cluster_instance SET seen_at = now() - make_interval(secs => :s) WHERE id = :id"
    await sql(engine, aged, s=seconds, id=instance_id)


def m(session_id: str) -> str:
    return leases.meeting_lease(session_id)


# --- take ---------------------------------------------------------------------------------


async def test_take_free_held_own_and_expired(engine: AsyncEngine) -> None:
    assert await take(engine, leases.SCHEDULE, "a") == 1
    assert await take(engine, leases.SCHEDULE, "b") is None
    assert (await valid(engine))[leases.SCHEDULE].holder == "a"
    again = await take(engine, leases.SCHEDULE, "a", SHORT)  # its own: kept (now short)
    assert again is not None
    assert (await valid(engine))[leases.SCHEDULE].holder == "a"
    assert await take(engine, leases.SCHEDULE, "b") is None
    await asyncio.sleep(PAST)
    assert await valid(engine) == {}
    assert await take(engine, leases.SCHEDULE, "b") == again + 1
    lease = (await valid(engine))[leases.SCHEDULE]
    assert (lease.holder, lease.generation) == ("b", again + 1)
    assert await take(engine, leases.SCHEDULE, "a") is None


@pytest.mark.parametrize("expired", [False, True], ids=["free", "expired"])
async def test_twenty_at_once_only_one_takes(pg_url: str, expired: bool) -> None:
    many = make_engine(pg_url, one_shot=True)  # a connection each, no pool to queue in
    barrier = asyncio.Barrier(20)
    if expired:
        assert await take(many, "meeting:x", "old", SHORT) == 1
        await asyncio.sleep(PAST)

    async def contender(holder: str) -> int | None:
        async with many.begin() as conn:
            await conn.execute(text("SELECT 1"))  # connected, in a transaction
            await barrier.wait()
            return await leases.take(conn, "meeting:x", holder, 30)

    try:
        results = await asyncio.gather(*(contender(f"i{n}") for n in range(20)))
        winners = [f"i{n}" for n, got in enumerate(results) if got is not None]
        assert len(winners) == 1, results
        lease = (await valid(many))["meeting:x"]
        assert lease.holder == winners[0]
        assert lease.generation == (2 if expired else 1)
    finally:
        await many.dispose()


# --- renew, release, drop -----------------------------------------------------------------


async def test_renew_only_valid_leases_of_live_sessions(
    database: Database, engine: AsyncEngine
) -> None:
    await add_sessions(database, "s1", "s2", "s3", "s4")
    for name in (m("s1"), m("s2"), leases.SCHEDULE, m("nosuch")):
        assert await take(engine, name, "a") == 1
    assert await take(engine, m("s3"), "a", SHORT) == 1
    assert await take(engine, m("s4"), "b") == 1
    await end_session(engine, "s2")
    before = await valid(engine)
    await asyncio.sleep(PAST)
    async with engine.begin() as conn:
        renewed = await leases.renew(conn, "a", 60)
    assert renewed == {m("s1"), leases.SCHEDULE}
    after = await valid(engine)
    assert after[m("s1")].expires_at > before[m("s1")].expires_at + timedelta(seconds=20)
    assert after[m("s2")].expires_at == before[m("s2")].expires_at  # ended: left to run out
    assert after[m("s4")] == before[m("s4")]  # someone else's
    assert m("s3") not in after  # expired stays expired
    async with engine.begin() as conn:
        assert await leases.renew(conn, "nobody", 60) == set()


async def test_release_all_or_named_and_drop(engine: AsyncEngine) -> None:
    for name in ("x", "y", "z"):
        await take(engine, name, "a")
    await take(engine, "w", "b")
    async with engine.begin() as conn:
        assert await leases.release(conn, "a", ["x", "w", "nosuch"]) == 1  # w is b's
    holders = {n: lease.holder for n, lease in (await valid(engine)).items()}
    assert holders == {"y": "a", "z": "a", "w": "b"}
    async with engine.begin() as conn:
        assert await leases.release(conn, "a") == 2
    assert list(await valid(engine)) == ["w"]
    assert await take(engine, "y", "b") == 1  # released: free at once, a fresh lease
    async with engine.begin() as conn:
        await leases.drop(conn, "w")
        await leases.drop(conn, "nosuch")
    assert list(await valid(engine)) == ["y"]
    assert await take(engine, "w", "c") == 1


async def test_release_of_no_names_releases_nothing(engine: AsyncEngine) -> None:
    await take(engine, "x", "a")
    async with engine.begin() as conn:
        assert await leases.release(conn, "a", []) == 0
    assert list(await valid(engine)) == ["x"]


async def test_unheld_meetings(database: Database, engine: AsyncEngine) -> None:
    await add_sessions(database, "s1", "s2", "s3", "s4", "s5")
    await take(engine, m("s2"), "a")
    await take(engine, m("s3"), "a", SHORT)
    await take(engine, m("s5"), "a", SHORT)
    await end_session(engine, "s4")
    await end_session(engine, "s5")
    async with engine.connect() as conn:
        # s2 held, s3 held for now, s4 and s5 ended
        assert await leases.unheld_meetings(conn, 10) == ["s1"]
    await asyncio.sleep(PAST)
    async with engine.connect() as conn:
        assert await leases.unheld_meetings(conn, 10) == ["s1", "s3"]  # oldest first
        assert await leases.unheld_meetings(conn, 1) == ["s1"]


# --- instances and who holds what -----------------------------------------------------------


async def test_holders_are_live_instances_only(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await leases.announce(conn, "i1", "http://one")
        await leases.announce(conn, "i2", "http://two")
    await take(engine, m("s1"), "i1")
    await take(engine, m("s2"), "i2")
    await take(engine, m("s3"), "ghost")  # never announced
    await take(engine, m("s4"), "i1", SHORT)
    await take(engine, leases.SCHEDULE, "i1")  # not a meeting
    await asyncio.sleep(PAST)
    async with engine.connect() as conn:
        assert [(i.id, i.url, i.alive) for i in await leases.instances(conn, 30)] == [
            ("i1", "http://one", True),
            ("i2", "http://two", True),
        ]
        assert await leases.holders(conn, 30) == {
            "s1": ("i1", "http://one"),
            "s2": ("i2", "http://two"),
        }
        assert await leases.holder_of(conn, "s2", 30) == ("i2", "http://two")
        for nobody in ("s3", "s4", "nosuch"):
            assert await leases.holder_of(conn, nobody, 30) is None
    await age(engine, "i2", 60)
    async with engine.connect() as conn:
        assert [i.alive for i in await leases.instances(conn, 30)] == [True, False]
        assert await leases.holders(conn, 30) == {"s1": ("i1", "http://one")}
        assert await leases.holder_of(conn, "s2", 30) is None
        assert await leases.holder_of(conn, "s2", 120) == ("i2", "http://two")
        started = {i.id: i.started_at for i in await leases.instances(conn, 30)}
    async with engine.begin() as conn:
        await leases.announce(conn, "i2", "http://two-b")  # back, elsewhere
    async with engine.connect() as conn:
        back = {i.id: i for i in await leases.instances(conn, 30)}
        assert (back["i2"].alive, back["i2"].url) == (True, "http://two-b")
        assert back["i2"].started_at == started["i2"]
        assert await leases.holder_of(conn, "s2", 30) == ("i2", "http://two-b")


async def test_retire_and_forget_gone(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for n in (1, 2, 3):
            await leases.announce(conn, f"i{n}", f"http://{n}")
    messages = "INSERT INTO cluster_message (kind, session_id, body, created_at) VALUES "
    await sql(engine, messages + "('live', 's', 'old', now() - interval '2 hours')")
    await sql(engine, messages + "('live', 's', 'new', now())")
    await age(engine, "i2", 7200)
    async with engine.begin() as conn:
        await leases.forget_gone(conn, 3600)
        await leases.retire(conn, "i3")
        await leases.retire(conn, "nosuch")
    async with engine.connect() as conn:
        assert [i.id for i in await leases.instances(conn, 30)] == ["i1"]
        bodies = (await conn.execute(text("SELECT body FROM cluster_message"))).scalars()
        assert list(bodies) == ["new"]
