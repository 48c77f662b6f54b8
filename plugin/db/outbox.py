"""The notification outbox: alerts written in the transaction that causes them, claimed by
one sender at a time (several instances may run), marked sent, retried or failed.

Claiming is one conditional UPDATE per row, so two instances never both send a row: the
loser's UPDATE matches nothing. A sender that dies while it holds a claim leaves the row
to be taken again once the claim runs out; the mail server may then get it a second time
only if the death fell between the server's "accepted" and our "sent" (the email's
Message-ID and the webhook's id stay the same, so receivers can tell).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.notices import (
    Channel,
    Kind,
    Notice,
    State,
    digest_notice,
    retry_in,
    urgent_notice,
    wants,
    webhook_event,
)
from facilitation.roles import MemberRole
from plugin.db import sessions as sessions_db
from plugin.db.models import Flag, MeetingSession, Notification
from plugin.settings import Settings

TO_NOTIFY = frozenset({MemberRole.FACILITATOR.value, MemberRole.HOST.value})


@dataclass(frozen=True)
class Alerts:
    """Where alerts can go on this deployment (from the settings)."""

    base_url: str
    email: bool
    webhook: bool

    @classmethod
    def of(cls, settings: Settings) -> Alerts:
        return cls(
            base_url=settings.base_url,
            email=settings.smtp_host is not None,
            webhook=settings.alert_webhook_url is not None,
        )


def _started(session: MeetingSession) -> str:
    return session.started_at.strftime("%d %b %Y %H:%M UTC")


async def _add(db: AsyncSession, row: Notification) -> None:
    """Insert once: a row with the same dedupe key already queued is kept as it is."""
    existing = await db.exec(
        select(Notification.id).where(Notification.dedupe_key == row.dedupe_key)
    )
    if existing.first() is None:
        db.add(row)


async def _fan_out(
    db: AsyncSession,
    alerts: Alerts,
    session: MeetingSession,
    kind: Kind,
    key: str,
    notice: Notice,
    event: dict[str, object],
    flag_id: int | None,
    now: datetime,
) -> int:
    queued = 0
    common = {
        "kind": kind.value,
        "session_id": session.id,
        "flag_id": flag_id,
        "state": State.PENDING.value,
        "next_attempt_at": now,
        "created_at": now,
    }
    if alerts.email:
        for account, role in await sessions_db.members(db, session.id):
            if role not in TO_NOTIFY or not account.email or account.disabled:
                continue
            if not wants(account.notify, kind):
                continue
            await _add(
                db,
                Notification(
                    dedupe_key=f"{key}:email:{account.id}",
                    channel=Channel.EMAIL.value,
                    account_id=account.id,
                    address=account.email,
                    subject=notice.subject,
                    body=notice.body,
                    **common,  # type: ignore[arg-type]
                ),
            )
            queued += 1
    if alerts.webhook:
        await _add(
            db,
            Notification(
                dedupe_key=f"{key}:webhook",
                channel=Channel.WEBHOOK.value,
                subject=str(event["type"]),
                body=json.dumps(event, separators=(",", ":")),
                **common,  # type: ignore[arg-type]
            ),
        )
        queued += 1
    return queued


async def queue_urgent(db: AsyncSession, alerts: Alerts, flag: Flag, now: datetime) -> int:
    """The flag became urgent: an alert to every host and facilitator of its session."""
    session = await db.get(MeetingSession, flag.session_id)
    if session is None or flag.id is None:
        return 0
    link = f"{alerts.base_url}/review/flags/{flag.id}"
    notice = urgent_notice(session.room_label, _started(session), link)
    event = webhook_event(Kind.URGENT, session.id, flag.id, 1, link)
    # Urgent again after being settled is a new alert: the key counts the flag's actions.
    key = f"urgent:{flag.id}:{flag.updated_at.timestamp():.0f}"
    return await _fan_out(db, alerts, session, Kind.URGENT, key, notice, event, flag.id, now)


async def queue_digest(
    db: AsyncSession, alerts: Alerts, session: MeetingSession, now: datetime
) -> int:
    """The check-out window closed: one digest of the session's open, not urgent flags."""
    query = select(Flag.id).where(
        Flag.session_id == session.id, Flag.status != "resolved", Flag.level != "urgent"
    )
    count = len((await db.exec(query)).all())
    if count == 0:
        return 0
    link = f"{alerts.base_url}/review/sessions/{session.id}"
    notice = digest_notice(session.room_label, _started(session), count, link)
    event = webhook_event(Kind.DIGEST, session.id, None, count, link)
    key = f"digest:{session.id}"
    return await _fan_out(db, alerts, session, Kind.DIGEST, key, notice, event, None, now)


def queue_trial(address: str, notice: Notice, now: datetime) -> Notification:
    return Notification(
        dedupe_key=f"test:{now.timestamp()}:{address}",
        kind=Kind.TEST.value,
        channel=Channel.EMAIL.value,
        address=address,
        subject=notice.subject,
        body=notice.body,
        next_attempt_at=now,
        created_at=now,
    )


async def claim(
    db: AsyncSession, owner: str, now: datetime, hold: timedelta, limit: int = 20
) -> list[Notification]:
    """Rows due now that nobody holds, each claimed for `hold` by `owner` (committed).

    On PostgreSQL a claim's end is in the database's clock: instances whose clocks
    disagree still never take a row another one holds."""
    held_until: Any = now
    if db.bind is not None and db.bind.dialect.name == "postgresql":
        held_until = func.now()
    due = select(Notification.id).where(
        col(Notification.state).in_([State.PENDING.value, State.RETRYING.value]),
        col(Notification.next_attempt_at) <= now,
        or_(
            col(Notification.claimed_until).is_(None),
            col(Notification.claimed_until) < held_until,
        ),
    )
    ids = list((await db.exec(due.order_by(col(Notification.id)).limit(limit))).all())
    taken: list[Notification] = []
    for row_id in ids:
        result = await db.exec(
            update(Notification)
            .where(
                col(Notification.id) == row_id,
                col(Notification.state).in_([State.PENDING.value, State.RETRYING.value]),
                or_(
                    col(Notification.claimed_until).is_(None),
                    col(Notification.claimed_until) < held_until,
                ),
            )
            .values(claimed_until=held_until + hold, claimed_by=owner)
        )
        await db.commit()
        if result.rowcount == 1:
            row = await db.get(Notification, row_id)
            if row is not None:
                await db.refresh(row)
                taken.append(row)
    return taken


async def finish(
    db: AsyncSession, row_id: int, owner: str, now: datetime, error: str | None
) -> Notification | None:
    """Record how a claimed send went: sent, or retrying after a delay, or failed."""
    row = await db.get(Notification, row_id)
    if row is None or row.claimed_by != owner:
        return None
    row.claimed_until = None
    row.claimed_by = None
    if error is None:
        row.state = State.SENT.value
        row.sent_at = now
        row.last_error = None
    else:
        row.attempts += 1
        row.last_error = error[:300]
        delay = retry_in(row.attempts)
        if delay is None:
            row.state = State.FAILED.value
        else:
            row.state = State.RETRYING.value
            row.next_attempt_at = now + timedelta(seconds=delay)
    db.add(row)
    await db.commit()
    return row


async def for_flags(db: AsyncSession, flag_ids: list[int]) -> list[Notification]:
    if not flag_ids:
        return []
    query = select(Notification).where(col(Notification.flag_id).in_(flag_ids))
    return list((await db.exec(query.order_by(col(Notification.id)))).all())


async def for_session(db: AsyncSession, session_id: str) -> list[Notification]:
    query = select(Notification).where(Notification.session_id == session_id)
    return list((await db.exec(query.order_by(col(Notification.id)))).all())
