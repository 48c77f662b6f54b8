"""Stored webhook events: insert once per idempotency key, apply in arrival order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from plugin.db.models import WebhookEvent


async def insert_once(db: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert unless the dedupe key is already stored; True when this call stored it."""
    bind = db.get_bind()
    module: Any = postgresql if bind.dialect.name == "postgresql" else sqlite
    table: Any = WebhookEvent.__table__  # type: ignore[attr-defined]
    statement = (
        module.insert(table).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    connection = await db.connection()  # core statements go through the connection
    result: Any = await connection.execute(statement)
    return bool(result.rowcount)


async def unprocessed(db: AsyncSession, limit: int) -> list[WebhookEvent]:
    query = (
        select(WebhookEvent)
        .where(col(WebhookEvent.processed_at).is_(None))
        .order_by(col(WebhookEvent.id))
        .limit(limit)
    )
    return list((await db.exec(query)).all())


async def purge(db: AsyncSession, before: datetime) -> None:
    """Forget processed events (and their keys) received before `before`."""
    connection = await db.connection()
    await connection.execute(
        delete(WebhookEvent).where(
            col(WebhookEvent.received_at) < before, col(WebhookEvent.processed_at).is_not(None)
        )
    )
