"""Facilitation sessions and who runs them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.meeting_link import MeetingRef
from facilitation.roles import MEMBER_PARTS, RUNNER_PARTS, MemberRole
from plugin.db.models import Account, MeetingSession, SessionMember
from plugin.security.tokens import new_join_code, new_session_id


async def live_for_room(db: AsyncSession, key: str) -> MeetingSession | None:
    return (await db.exec(select(MeetingSession).where(MeetingSession.live_key == key))).first()


async def start_or_get(
    db: AsyncSession, ref: MeetingRef, account: Account, now: datetime
) -> tuple[MeetingSession, bool]:
    """Return the live session for this room, starting one if there is none.

    Does not commit: the caller adds its audit entry and commits both together. The unique
    `live_key` settles races: the loser's insert fails at flush, it rolls back and gets the
    winner's session.
    """
    existing = await live_for_room(db, ref.key)
    if existing is not None:
        return existing, False
    assert account.id is not None
    session = MeetingSession(
        id=new_session_id(),
        meeting_url=ref.url,
        jitsi_base=ref.base.url,
        tenant=ref.tenant,
        room=ref.room,
        room_label=ref.room_as_typed,
        live_key=ref.key,
        join_code=new_join_code(),
        created_by=account.id,
        started_at=now,
    )
    db.add(session)
    try:
        await db.flush()
    except IntegrityError:
        await db.rollback()
        winner = await live_for_room(db, ref.key)
        if winner is None:
            raise
        return winner, False
    await add_member(db, session.id, account.id)
    return session, True


async def get(db: AsyncSession, session_id: str) -> MeetingSession | None:
    return await db.get(MeetingSession, session_id)


async def by_join_code(db: AsyncSession, code: str) -> MeetingSession | None:
    query = select(MeetingSession).where(MeetingSession.join_code == code.strip().upper())
    return (await db.exec(query)).first()


def _parts(session_id: str, account_id: int) -> Any:
    """The account's rows in the session that make them part of it (asking does not)."""
    return select(SessionMember.role).where(
        SessionMember.session_id == session_id,
        SessionMember.account_id == account_id,
        col(SessionMember.role).in_(MEMBER_PARTS),
    )


async def is_member(db: AsyncSession, session_id: str, account_id: int) -> bool:
    return (await db.exec(_parts(session_id, account_id))).first() is not None


def member_sessions(account_id: int | None) -> Any:
    """The ids of the sessions an account runs or hosts, as a subquery. Asking to join
    a session does not count: it stays out of their lists and reviews."""
    return select(SessionMember.session_id).where(
        SessionMember.account_id == account_id, col(SessionMember.role).in_(MEMBER_PARTS)
    )


async def visible_to(db: AsyncSession, account: Account, *, every: bool) -> list[MeetingSession]:
    query = select(MeetingSession).order_by(col(MeetingSession.started_at).desc()).limit(100)
    if not every:
        # The creator is always a member (start_or_get adds them), so membership is enough.
        query = query.where(col(MeetingSession.id).in_(member_sessions(account.id)))
    return list((await db.exec(query)).all())


async def end(db: AsyncSession, session: MeetingSession, now: datetime) -> None:
    session.ended_at = now
    session.live_key = None
    db.add(session)


async def all_live(db: AsyncSession) -> list[MeetingSession]:
    query = select(MeetingSession).where(col(MeetingSession.ended_at).is_(None))
    return list((await db.exec(query)).all())


async def count_live(db: AsyncSession) -> int:
    query = (
        select(func.count())
        .select_from(MeetingSession)
        .where(col(MeetingSession.ended_at).is_(None))
    )
    return int((await db.exec(query)).one())


async def add_member(db: AsyncSession, session_id: str, account_id: int) -> bool:
    """Make someone a runner of the session: facilitator and host, whoever started it.
    A host of it becomes a facilitator too; a request to join it is answered.

    Returns False if they already were a facilitator. Does not commit; a concurrent add of
    the same person fails at commit with IntegrityError (unique session, account, role).
    """
    held = set((await db.exec(_parts(session_id, account_id))).all())
    if MemberRole.FACILITATOR in held:
        return False
    await db.exec(
        delete(SessionMember).where(
            col(SessionMember.session_id) == session_id,
            col(SessionMember.account_id) == account_id,
            col(SessionMember.role) == MemberRole.ASKING.value,
        )
    )
    db.add_all(  # added last, so nothing flushes them before the commit
        SessionMember(session_id=session_id, account_id=account_id, role=part.value)
        for part in RUNNER_PARTS
        if part not in held
    )
    return True


async def add_host(db: AsyncSession, session_id: str, account_id: int) -> bool:
    """Let someone review this session's check-outs. False if they already may."""
    if await is_member(db, session_id, account_id):
        return False
    db.add(SessionMember(session_id=session_id, account_id=account_id, role=MemberRole.HOST.value))
    return True


async def members(db: AsyncSession, session_id: str) -> list[tuple[Account, str]]:
    """Everyone who runs or hosts the session, with their part (facilitator or host)."""
    query = (
        select(Account, SessionMember.role)
        .join(SessionMember, col(SessionMember.account_id) == col(Account.id))
        .where(SessionMember.session_id == session_id, col(SessionMember.role).in_(MEMBER_PARTS))
        .order_by(col(Account.display_name))
    )
    found: dict[int, tuple[Account, str]] = {}
    for account, role in (await db.exec(query)).all():
        if account.id is not None and (account.id not in found or role == MemberRole.FACILITATOR):
            found[account.id] = (account, role)
    return list(found.values())


async def member_role(db: AsyncSession, session_id: str, account_id: int) -> MemberRole | None:
    """The account's part in the session: facilitator (runs it, and hosts it too), host
    (reviews its check-outs), or None."""
    roles = {MemberRole(role) for role in (await db.exec(_parts(session_id, account_id))).all()}
    if MemberRole.FACILITATOR in roles:
        return MemberRole.FACILITATOR
    return MemberRole.HOST if roles else None


async def runner_names(db: AsyncSession, session_id: str) -> list[str]:
    """The shown names of the session's facilitators: all a stranger to it may learn."""
    return [
        account.display_name
        for account, part in await members(db, session_id)
        if part == MemberRole.FACILITATOR
    ]
