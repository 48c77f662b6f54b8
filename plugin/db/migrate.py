"""Alembic, driven from code so `facilitate db upgrade` needs no alembic.ini."""

from __future__ import annotations

import asyncio
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from plugin.db.engine import async_url

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = async_url(database_url)
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations. Runs its own event loop: call from sync code (the CLI, tests)."""
    command.upgrade(alembic_config(database_url), revision)


@cache
def head_revision() -> str | None:
    """The newest migration shipped with this code (read from disk once per process)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def revision_on(conn: AsyncConnection) -> str | None:
    return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await revision_on(conn)


async def upgrade_in_thread(database_url: str, revision: str = "head") -> None:
    """`upgrade` for callers already inside an event loop."""
    await asyncio.to_thread(upgrade, database_url, revision)
