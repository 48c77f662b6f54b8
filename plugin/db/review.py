"""What a host's review pages read: per-session counts, and flags with their check-outs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.checkout import Level, Reason
from facilitation.followup import Status
from plugin.db.models import Account, Checkout, Flag, FlagAction, MeetingSession
from plugin.db.sessions import member_sessions


@dataclass
class Counts:
    checked_out: int = 0
    flagged: int = 0
    urgent_open: int = 0
    missing: int = 0
    open: int = 0


async def counts(db: AsyncSession, session_ids: list[str]) -> dict[str, Counts]:
    found = {sid: Counts() for sid in session_ids}
    if not session_ids:
        return found
    checkouts = await db.exec(
        select(Checkout.session_id).where(col(Checkout.session_id).in_(session_ids))
    )
    for sid in checkouts.all():
        found[sid].checked_out += 1
    rows = await db.exec(
        select(Flag.session_id, Flag.level, Flag.reasons, Flag.status).where(
            col(Flag.session_id).in_(session_ids)
        )
    )
    for sid, level, reasons, status in rows.all():
        entry = found[sid]
        is_missing = Reason.MISSING.value in reasons
        entry.missing += is_missing
        entry.flagged += not is_missing
        entry.open += status == Status.OPEN.value
        entry.urgent_open += level == Level.URGENT.value and status == Status.OPEN.value
    return found


async def checkouts_by_id(db: AsyncSession, ids: list[int]) -> dict[int, Checkout]:
    if not ids:
        return {}
    rows = await db.exec(select(Checkout).where(col(Checkout.id).in_(ids)))
    return {row.id: row for row in rows.all() if row.id is not None}


async def fine_checkouts(db: AsyncSession, session_id: str) -> list[Checkout]:
    """Check-outs that raised no flag: shown by name and answer only."""
    query = (
        select(Checkout)
        .where(Checkout.session_id == session_id, col(Checkout.flag_level).is_(None))
        .order_by(col(Checkout.created_at))
    )
    return list((await db.exec(query)).all())


async def names(db: AsyncSession, account_ids: set[int]) -> dict[int, str]:
    if not account_ids:
        return {}
    rows = await db.exec(
        select(Account.id, Account.display_name).where(col(Account.id).in_(account_ids))
    )
    return {aid: name for aid, name in rows.all() if aid is not None}


def sort_key(flag: Flag) -> tuple[int, int, int]:
    """Open urgent flags first, then open ones, then contacted, then resolved; oldest first."""
    status_rank = {Status.OPEN.value: 0, Status.CONTACTED.value: 1}.get(flag.status, 2)
    urgent = 0 if flag.level == Level.URGENT.value and status_rank < 2 else 1
    return (urgent, status_rank, flag.id or 0)


def histories(actions: list[FlagAction]) -> dict[int, list[FlagAction]]:
    grouped: dict[int, list[FlagAction]] = {}
    for action in actions:
        grouped.setdefault(action.flag_id, []).append(action)
    return grouped


def _visible(query: Any, account_id: int | None, every: bool) -> Any:
    if every:
        return query
    return query.where(col(Flag.session_id).in_(member_sessions(account_id)))


async def open_flag_sessions(
    db: AsyncSession, account_id: int | None, *, every: bool
) -> list[MeetingSession]:
    """Every session the account may see that still has a flag nobody has resolved, however
    old: the overview lists these even past its most recent 100 sessions."""
    ids = _visible(
        select(Flag.session_id).where(Flag.status != Status.RESOLVED.value), account_id, every
    )
    query = select(MeetingSession).where(col(MeetingSession.id).in_(ids))
    return list((await db.exec(query)).all())


async def urgent_open(
    db: AsyncSession, account_id: int | None, *, every: bool
) -> list[tuple[Flag, str]]:
    """Urgent flags not yet resolved, oldest first, with their session's name."""
    query = _visible(
        select(Flag, MeetingSession.room_label)
        .join(MeetingSession, col(MeetingSession.id) == col(Flag.session_id))
        .where(Flag.level == Level.URGENT.value, Flag.status != Status.RESOLVED.value)
        .order_by(col(Flag.created_at)),
        account_id,
        every,
    )
    return [(flag, label) for flag, label in (await db.exec(query)).all()]
