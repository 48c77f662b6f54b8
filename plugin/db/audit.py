"""The append-only audit log."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from plugin.db.models import AuditEntry


def record(
    db: AsyncSession,
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    target: str,
    **detail: object,
) -> None:
    """Add an entry to the caller's transaction: it commits (or not) with the change it explains."""
    db.add(AuditEntry(at=at, actor_id=actor_id, action=action, target=target, detail=dict(detail)))


async def entries_for(db: AsyncSession, target: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.target == target).order_by(col(AuditEntry.id))
    return list((await db.exec(query)).all())
