"""Stored webhook events: insert once per idempotency key, apply in arrival order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from plugin.db.models import WebhookEvent


def _insert_statement(dialect: str) -> Any:
    # One statement, compiled once and cached, executed for many rows: SQLAlchemy sends
    # them as multi-row INSERTs ("insertmanyvalues"), with RETURNING for the new keys.
    module: Any = postgresql if dialect == "postgresql" else sqlite
    table: Any = WebhookEvent.__table__  # type: ignore[attr-defined]
    return (
        module.insert(table)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(table.c.dedupe_key)
    )


async def insert_new(connection: AsyncConnection, rows: list[dict[str, Any]]) -> set[str]:
    """Insert the rows whose dedupe key is not stored yet; returns the keys this call
    stored (the others were duplicates). Core, not the ORM: every webhook waits on this."""
    if not rows:
        return set()
    result: Any = await connection.execute(_insert_statement(connection.dialect.name), rows)
    return {row[0] for row in result.all()}


def insert_new_sync(connection: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """`insert_new` for the intake's SQLite worker thread."""
    if not rows:
        return set()
    result: Any = connection.execute(_insert_statement(connection.dialect.name), rows)
    return {row[0] for row in result.all()}


async def purge(db: AsyncSession, before: datetime) -> None:
    """Forget processed events (and their keys) received before `before`."""
    connection = await db.connection()
    await connection.execute(
        delete(WebhookEvent).where(
            col(WebhookEvent.received_at) < before, col(WebhookEvent.processed_at).is_not(None)
        )
    )
