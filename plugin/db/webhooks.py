"""Stored webhook events: insert once per idempotency key, apply in arrival order."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
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


def _sqlite_time(value: datetime) -> str:
    # What SQLAlchemy's SQLite DateTime stores: "YYYY-MM-DD HH:MM:SS.ffffff", naive UTC.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def sqlite_row(row: dict[str, Any]) -> list[str]:
    """A row for the SQLite writer (`plugin.db.sqlite_writer.COLUMNS`), stored exactly as
    SQLAlchemy would store it (tests read these rows back through the models): naive-UTC
    text times, JSON text. `payload_text` is the body as received, when there is one."""
    return [
        row["source"],
        row["dedupe_key"],
        row["event_type"],
        row["room"],
        row["tenant"],
        _sqlite_time(row["occurred_at"]),
        _sqlite_time(row["received_at"]),
        row.get("payload_text") or json.dumps(row["payload"]),
        json.dumps(row["sightings"]),
    ]


async def purge(db: AsyncSession, before: datetime) -> None:
    """Forget processed events (and their keys) received before `before`."""
    connection = await db.connection()
    await connection.execute(
        delete(WebhookEvent).where(
            col(WebhookEvent.received_at) < before, col(WebhookEvent.processed_at).is_not(None)
        )
    )
