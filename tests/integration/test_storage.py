"""Migrations on SQLite and PostgreSQL, durability settings, the append-only audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from plugin.db import audit
from plugin.db.engine import Database, make_engine
from plugin.db.migrate import current_revision, head_revision, upgrade, upgrade_in_thread
from plugin.settings import Settings
from tests.conftest import Client, login
from tests.integration.test_sessions import start
from tests.support.app import app_for
from tests.support.instances import fresh_postgres


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the machine's real server, dropped afterwards."""
    with fresh_postgres(migrated=False) as url:
        yield url


def _diff(connection: Any) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), SQLModel.metadata))


async def _check_schema_and_audit(engine: AsyncEngine) -> None:
    assert await current_revision(engine) == head_revision()
    async with engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
    database = Database(engine)
    async with database.session() as db:
        audit.record(
            db, at=datetime.now(UTC), actor_id=None, action="test", target="t:1", note="kept"
        )
        await db.commit()
    for statement in ("UPDATE audit_entry SET action = 'changed'", "DELETE FROM audit_entry"):
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError, match="append-only"):
                await conn.execute(text(statement))
    async with database.session() as db:
        entries = await audit.entries_for(db, "t:1")
    assert [(e.action, e.detail) for e in entries] == [("test", {"note": "kept"})]


async def test_sqlite_migrates_from_empty_with_durable_settings(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    await upgrade_in_thread(url)
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA synchronous"))).scalar() == 2  # FULL
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        await _check_schema_and_audit(engine)
    finally:
        await engine.dispose()


def test_sqlite_downgrade_and_upgrade_again(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'round.db'}"
    upgrade(url)
    from alembic import command

    from plugin.db.migrate import alembic_config

    command.downgrade(alembic_config(url), "base")
    upgrade(url)


@pytest.mark.postgres
def test_postgres_migrates_from_empty(postgres_url: str) -> None:
    import asyncio

    upgrade(postgres_url)

    async def check() -> None:
        engine = make_engine(postgres_url)
        try:
            await _check_schema_and_audit(engine)
        finally:
            await engine.dispose()

    asyncio.run(check())


@pytest.fixture
def postgres_settings(postgres_url: str, settings: Settings) -> Settings:
    upgrade(postgres_url)
    return settings.model_copy(update={"database_url": postgres_url})


@pytest.fixture
async def pg_client(aiohttp_client, postgres_settings: Settings, clock) -> Client:
    client: Client = await aiohttp_client(app_for(postgres_settings, clock))
    return client


@pytest.mark.postgres
async def test_the_service_runs_on_postgres(pg_client, postgres_settings: Settings, clock) -> None:
    from tests.conftest import create_account

    database = Database(make_engine(postgres_settings.database_url))
    await create_account(database, "fran", clock.now())
    await database.close()
    await login(pg_client, "fran")
    first = await start(pg_client, "https://meet.example.org/CoproCircle")
    assert await start(pg_client, "https://meet.example.org/coprocircle") == first
    health = await (await pg_client.get("/healthz")).json()
    assert health["database"]["backend"] == "postgresql"
    assert health["status"] == "ok"
