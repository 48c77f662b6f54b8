"""Asking to co-facilitate a session another team runs, and answering.

A request is a `session_member` row with the part "asking": it gives no access to the
session (plugin.db.sessions counts only facilitators and hosts as members). Saying yes
is `consume` then `sessions.add_member`; saying no is `consume` alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.roles import MemberRole
from plugin.db.models import Account, SessionMember
from plugin.db.sessions import is_member

ASKING = MemberRole.ASKING.value


def _request(session_id: str, account_id: int) -> tuple[Any, ...]:
    return (
        col(SessionMember.session_id) == session_id,
        col(SessionMember.account_id) == account_id,
        col(SessionMember.role) == ASKING,
    )


async def has_asked(db: AsyncSession, session_id: str, account_id: int) -> bool:
    query = select(SessionMember.id).where(*_request(session_id, account_id))
    return (await db.exec(query)).first() is not None


async def ask(db: AsyncSession, session_id: str, account_id: int) -> bool:
    """Record the request. False if it is already there or they are already part of the
    session. Does not commit; two requests at once meet the unique (session, account,
    role) constraint, and the loser's commit fails with IntegrityError."""
    if await is_member(db, session_id, account_id) or await has_asked(db, session_id, account_id):
        return False
    db.add(SessionMember(session_id=session_id, account_id=account_id, role=ASKING))
    return True


async def pending(db: AsyncSession, session_id: str) -> list[Account]:
    """Who is waiting for an answer, oldest request first."""
    query = (
        select(Account)
        .join(SessionMember, col(SessionMember.account_id) == col(Account.id))
        .where(SessionMember.session_id == session_id, SessionMember.role == ASKING)
        .order_by(col(SessionMember.id))
    )
    return list((await db.exec(query)).all())


async def consume(db: AsyncSession, session_id: str, account_id: int) -> bool:
    """Take the request away in one statement: True for the one answer that removed it,
    False for every other (already answered, or answered at the same moment elsewhere).
    The delete holds the row's write lock until commit, so two answers at once (even from
    two instances) cannot both see it. Does not commit."""
    result = await db.exec(delete(SessionMember).where(*_request(session_id, account_id)))
    return bool(result.rowcount)
