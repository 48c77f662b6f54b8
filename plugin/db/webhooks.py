"""Stored webhook events: insert once per idempotency key, apply in arrival order."""

from __future__ import annotations

import json
import sqlite3
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


# The intake's SQLite worker writes with the sqlite3 module directly: SQLAlchemy's
# per-row work was most of a webhook's cost. It stores exactly what SQLAlchemy would
# (tests read these rows back through the models): naive-UTC text times, json.dumps JSON.
SQLITE_INSERT = (
    "INSERT INTO webhook_event (source, dedupe_key, event_type, room, tenant, occurred_at,"
    " received_at, payload, sightings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key"
)


def _sqlite_time(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def insert_new_sqlite(connection: sqlite3.Connection, rows: list[dict[str, Any]]) -> set[str]:
    """`insert_new` for the intake's SQLite worker thread, in one transaction."""
    stored: set[str] = set()
    connection.execute("BEGIN IMMEDIATE")
    try:
        for row in rows:
            cursor = connection.execute(
                SQLITE_INSERT,
                (
                    row["source"],
                    row["dedupe_key"],
                    row["event_type"],
                    row["room"],
                    row["tenant"],
                    _sqlite_time(row["occurred_at"]),
                    _sqlite_time(row["received_at"]),
                    row.get("payload_text") or json.dumps(row["payload"]),
                    json.dumps(row["sightings"]),
                ),
            )
            if cursor.fetchone() is not None:
                stored.add(row["dedupe_key"])
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return stored


async def purge(db: AsyncSession, before: datetime) -> None:
    """Forget processed events (and their keys) received before `before`."""
    connection = await db.connection()
    await connection.execute(
        delete(WebhookEvent).where(
            col(WebhookEvent.received_at) < before, col(WebhookEvent.processed_at).is_not(None)
        )
    )
