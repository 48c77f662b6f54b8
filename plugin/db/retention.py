"""The retention period: after it, a session's check-out answers, contact details, host
notes and people go, and only counts stay (facilitation.followup.Tally)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.followup import tally
from plugin.db import audit
from plugin.db.models import (
    BreakoutRound,
    Checkout,
    CheckoutLink,
    Flag,
    FlagAction,
    MeetingSession,
    Notification,
    Participant,
    PhoneCall,
    SpeakingQueue,
)

log = logging.getLogger(__name__)


async def due(db: AsyncSession, now: datetime, retention: timedelta) -> list[MeetingSession]:
    """Sessions that ended (or, never ended, started) longer ago than the retention period."""
    horizon = now - retention
    query = select(MeetingSession).where(
        col(MeetingSession.purged_at).is_(None),
        or_(
            col(MeetingSession.ended_at) < horizon,
            and_(col(MeetingSession.ended_at).is_(None), col(MeetingSession.started_at) < horizon),
        ),
    )
    return list((await db.exec(query)).all())


async def purge_session(db: AsyncSession, session: MeetingSession, now: datetime) -> None:
    """Replace one session's check-out data by its counts, in the caller's transaction."""
    sid = session.id
    levels = (await db.exec(select(Checkout.flag_level).where(Checkout.session_id == sid))).all()
    flag_rows = (
        await db.exec(select(Flag.level, Flag.reasons).where(Flag.session_id == sid))
    ).all()
    counts = tally(levels, [(level, reasons) for level, reasons in flag_rows])
    flag_ids = select(Flag.id).where(Flag.session_id == sid)
    await db.exec(delete(Notification).where(col(Notification.session_id) == sid))
    await db.exec(delete(FlagAction).where(col(FlagAction.flag_id).in_(flag_ids)))
    await db.exec(delete(Flag).where(col(Flag.session_id) == sid))
    await db.exec(delete(Checkout).where(col(Checkout.session_id) == sid))
    await db.exec(delete(CheckoutLink).where(col(CheckoutLink.session_id) == sid))
    await db.exec(
        update(PhoneCall).where(col(PhoneCall.session_id) == sid).values(participant_id=None)
    )
    await db.exec(delete(Participant).where(col(Participant.session_id) == sid))
    await db.exec(delete(SpeakingQueue).where(col(SpeakingQueue.session_id) == sid))
    await db.exec(delete(BreakoutRound).where(col(BreakoutRound.session_id) == sid))
    session.checkout_tally = counts.as_dict()
    session.purged_at = now
    db.add(session)
    audit.record(
        db,
        at=now,
        actor_id=None,
        action="session.data_deleted",
        target=f"session:{sid}",
        **counts.as_dict(),
    )


async def purge(db: AsyncSession, now: datetime, retention: timedelta) -> int:
    """Purge every session past the retention period; returns how many. Commits per session."""
    done = 0
    for session_id in [s.id for s in await due(db, now, retention)]:
        try:
            session = await db.get(MeetingSession, session_id)
            assert session is not None
            await purge_session(db, session, now)
            await db.commit()
        except Exception:  # one stuck session must not keep every later one's data
            await db.rollback()
            log.exception("could not delete old check-out data of session %s", session_id)
        else:
            done += 1
    return done
