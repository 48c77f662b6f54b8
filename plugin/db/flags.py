"""Flags: raised from a check-out's answers or from no check-out, and what hosts did."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.checkout import Flag as FlagRule
from facilitation.checkout import Level, Reason
from facilitation.followup import Attendee, Status
from plugin.db import audit
from plugin.db.models import Checkout, Flag, FlagAction


async def for_checkout(db: AsyncSession, checkout_id: int) -> Flag | None:
    return (await db.exec(select(Flag).where(Flag.checkout_id == checkout_id))).first()


async def sync(
    db: AsyncSession, checkout: Checkout, rule: FlagRule | None, now: datetime
) -> tuple[Flag | None, bool]:
    """Make the check-out's flag match its answers. Returns the flag and whether a host
    needs telling now (new, or newly urgent). A flag whose answers no longer raise one is
    closed, with the reason recorded, never deleted."""
    assert checkout.id is not None
    checkout.flag_level = rule.level.value if rule else None
    checkout.flag_reasons = [reason.value for reason in rule.reasons] if rule else []
    db.add(checkout)
    flag = await for_checkout(db, checkout.id)
    if rule is None:
        # No longer flagged by the answers, but never closed by them: whoever holds the
        # link is not always its owner, and a host decides what happened.
        if flag is not None:
            _system(db, flag, "answers_changed", Status(flag.status), now)
        return flag, False
    if flag is None:
        flag = Flag(
            session_id=checkout.session_id,
            checkout_id=checkout.id,
            display_name=checkout.display_name,
            level=rule.level.value,
            reasons=[reason.value for reason in rule.reasons],
            created_at=now,
            updated_at=now,
        )
        db.add(flag)
        return flag, True
    escalated = rule.level is Level.URGENT and flag.level != Level.URGENT.value
    flag.level = rule.level.value
    flag.reasons = [reason.value for reason in rule.reasons]
    flag.display_name = checkout.display_name
    flag.updated_at = now
    db.add(flag)
    if flag.status == Status.RESOLVED or escalated:
        _system(db, flag, "answers_changed", Status.OPEN, now)
        return flag, True
    return flag, False


def _system(db: AsyncSession, flag: Flag, kind: str, status: Status, now: datetime) -> None:
    """A change nobody at a desk made (the answers changed, a late check-out): in the
    flag's history and in the audit log like a host's change."""
    flag.status = status.value
    flag.updated_at = now
    db.add(flag)
    assert flag.id is not None
    db.add(FlagAction(flag_id=flag.id, at=now, actor_id=None, kind=kind, status=status.value))
    audit.record(
        db,
        at=now,
        actor_id=None,
        action="flag.changed",
        target=f"flag:{flag.id}",
        status=status.value,
        by=kind,
    )


async def settle_missing(
    db: AsyncSession, session_id: str, participant_id: int, now: datetime
) -> None:
    """Someone flagged for not checking out has now checked out: that flag is closed."""
    query = select(Flag).where(
        Flag.session_id == session_id,
        col(Flag.checkout_id).is_(None),
        Flag.status != Status.RESOLVED.value,
    )
    for flag in (await db.exec(query)).all():
        if participant_id in flag.participant_ids:
            _system(db, flag, "checked_out_late", Status.RESOLVED, now)


def missing_flag(session_id: str, person: Attendee, now: datetime) -> Flag:
    return Flag(
        session_id=session_id,
        participant_ids=sorted(person.participant_ids),
        display_name=person.name,
        level=Level.FLAG.value,
        reasons=[Reason.MISSING.value],
        created_at=now,
        updated_at=now,
    )


async def in_session(db: AsyncSession, session_id: str) -> list[Flag]:
    query = select(Flag).where(Flag.session_id == session_id).order_by(col(Flag.id))
    return list((await db.exec(query)).all())


async def actions(db: AsyncSession, flag_ids: list[int]) -> list[FlagAction]:
    if not flag_ids:
        return []
    query = (
        select(FlagAction).where(col(FlagAction.flag_id).in_(flag_ids)).order_by(col(FlagAction.id))
    )
    return list((await db.exec(query)).all())


def host_action(
    db: AsyncSession,
    flag: Flag,
    actor_id: int,
    status: Status,
    sealed_note: str | None,
    now: datetime,
) -> None:
    flag.status = status.value
    flag.updated_at = now
    db.add(flag)
    assert flag.id is not None
    db.add(
        FlagAction(
            flag_id=flag.id,
            at=now,
            actor_id=actor_id,
            kind="host",
            status=status.value,
            note=sealed_note,
        )
    )
