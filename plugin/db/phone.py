"""Dial-in PINs, phone calls and their check-outs. Nothing here commits: callers do."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.dialin import new_pin, pick_phone_participant
from facilitation.phone import CallState, Step
from plugin.db.models import (
    Checkout,
    ConferencePin,
    MeetingSession,
    Participant,
    PhoneCall,
    PhoneDelivery,
)

CALL_HOURS = 12
PIN_ATTEMPTS = 50  # a clash is one in millions per try; 50 tries never all clash


async def pin_for(db: AsyncSession, conference: str, digits: int, now: datetime) -> str:
    """The room's PIN, allocating one on first request. Stable while the room is in use."""
    for _ in range(PIN_ATTEMPTS):
        row = (
            await db.exec(select(ConferencePin).where(ConferencePin.conference == conference))
        ).first()
        if row is not None:
            row.last_used_at = now
            db.add(row)
            return row.pin
        pin = new_pin(digits, secrets.randbelow)
        try:
            async with db.begin_nested():
                db.add(
                    ConferencePin(conference=conference, pin=pin, created_at=now, last_used_at=now)
                )
        except IntegrityError:
            continue  # that PIN is taken, or another request just gave this room one
    raise RuntimeError("could not allocate a PIN")  # pragma: no cover


async def conference_for(db: AsyncSession, pin: str, now: datetime) -> str | None:
    row = (await db.exec(select(ConferencePin).where(ConferencePin.pin == pin))).first()
    if row is None:
        return None
    row.last_used_at = now
    db.add(row)
    return row.conference


async def purge_pins(db: AsyncSession, before: datetime) -> None:
    """Free PINs of rooms nobody has used since `before`."""
    await db.exec(delete(ConferencePin).where(col(ConferencePin.last_used_at) < before))


async def live_session(db: AsyncSession, room: str, tenant: str) -> MeetingSession | None:
    query = select(MeetingSession).where(
        MeetingSession.room == room,
        col(MeetingSession.ended_at).is_(None),
        (MeetingSession.tenant == tenant) if tenant else col(MeetingSession.tenant).is_(None),
    )
    return (await db.exec(query)).first()


async def call(db: AsyncSession, key: str) -> PhoneCall | None:
    return (await db.exec(select(PhoneCall).where(PhoneCall.call_key == key))).first()


def state_of(row: PhoneCall) -> CallState:
    from facilitation.checkout import Contact, Feeling

    return CallState(
        step=Step(row.step),
        language=row.language,
        tries=row.tries,
        room_jid=row.conference,
        feeling=Feeling(row.feeling) if row.feeling else None,
        contact=Contact(row.contact) if row.contact else None,
        can_call_back=row.caller_sealed is not None,
    )


def keep_state(row: PhoneCall, state: CallState) -> None:
    row.step = state.step.value
    row.language = state.language
    row.tries = state.tries
    row.conference = state.room_jid
    row.feeling = state.feeling.value if state.feeling else None
    row.contact = state.contact.value if state.contact else None


async def seen_before(db: AsyncSession, webhook_id: str, now: datetime) -> bool:
    """Record a PBX delivery id; True if it was already handled (a replay)."""
    try:
        async with db.begin_nested():
            db.add(PhoneDelivery(webhook_id=webhook_id, received_at=now))
    except IntegrityError:
        return True
    return False


async def forget_delivery(db: AsyncSession, webhook_id: str) -> None:
    await db.exec(delete(PhoneDelivery).where(col(PhoneDelivery.webhook_id) == webhook_id))


async def purge_calls(db: AsyncSession, now: datetime, retention: timedelta) -> None:
    """A caller's sealed number lives only as long as a call can (12 hours, in case the
    hang-up was never reported); calls go after the retention period."""
    await db.exec(
        update(PhoneCall)
        .where(
            col(PhoneCall.started_at) < now - timedelta(hours=CALL_HOURS),
            col(PhoneCall.caller_sealed).is_not(None),
        )
        .values(caller_sealed=None)
    )
    # A keypad check-out outlives its call until its session's retention (plugin.db.retention).
    old = select(PhoneCall.id).where(col(PhoneCall.started_at) < now - retention)
    await db.exec(
        update(Checkout).where(col(Checkout.phone_call_id).in_(old)).values(phone_call_id=None)
    )
    await db.exec(delete(PhoneCall).where(col(PhoneCall.started_at) < now - retention))


async def purge_deliveries(db: AsyncSession, before: datetime) -> None:
    await db.exec(delete(PhoneDelivery).where(col(PhoneDelivery.received_at) < before))


def call_participant_id(call_id: int) -> str:
    """The participant id for a caller the assistant has not seen (no bot, or not yet)."""
    return f"call-{call_id}"


async def participant_for(db: AsyncSession, row: PhoneCall, now: datetime) -> Participant | None:
    """The session's participant who is this caller, linking them on first need.

    The assistant sees Jigasi's participant; the call knows the number. They are matched
    by the number's last 3 digits and by timing. When the assistant has not seen the
    caller (it is off, or Jigasi has not joined yet), the call gets a participant of its
    own, which the assistant's sighting adopts later (see adopt_call_participant)."""
    if row.session_id is None or row.id is None:
        return None
    if row.participant_id is not None:
        # Once linked, always the same person, even after they left the meeting (their
        # check-out comes after): never re-pick, or it could land on someone else.
        return await db.get(Participant, row.participant_id)
    taken = set(
        (
            await db.exec(
                select(PhoneCall.participant_id).where(
                    PhoneCall.session_id == row.session_id,
                    col(PhoneCall.participant_id).is_not(None),
                    PhoneCall.id != row.id,
                )
            )
        ).all()
    )
    candidates = (
        await db.exec(
            select(Participant).where(
                Participant.session_id == row.session_id,
                Participant.kind == "phone",
                col(Participant.left_at).is_(None),
            )
        )
    ).all()
    connected = (row.connected_at or row.started_at).timestamp()
    choice = pick_phone_participant(
        row.caller_tail,
        (
            (p.id, p.display_name, p.joined_at.timestamp())
            for p in candidates
            if p.id is not None and p.id not in taken and not (p.jitsi_id or "").startswith("call-")
        ),
        connected,
    )
    if choice is not None:
        row.participant_id = choice
        db.add(row)
        return await db.get(Participant, choice)
    own = Participant(
        session_id=row.session_id,
        kind="phone",
        display_name=f"…{row.caller_tail}" if row.caller_tail else "",
        jitsi_id=call_participant_id(row.id),
        joined_at=row.connected_at or now,
    )
    db.add(own)
    await db.flush()
    row.participant_id = own.id
    db.add(row)
    return own


async def calls_in_meeting(db: AsyncSession, session_id: str) -> list[PhoneCall]:
    """The session's calls that are in the meeting now (any of its rooms)."""
    query = select(PhoneCall).where(
        PhoneCall.session_id == session_id,
        col(PhoneCall.ended_at).is_(None),
        PhoneCall.step == Step.MEETING.value,
    )
    return list((await db.exec(query)).all())


async def calls_in(db: AsyncSession, session_id: str) -> list[PhoneCall]:
    query = select(PhoneCall).where(PhoneCall.session_id == session_id)
    return list((await db.exec(query)).all())


def older_than(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


async def calls_by_person(db: AsyncSession, session_id: str, now: datetime) -> dict[str, PhoneCall]:
    """The live calls of the session, by the participant id the meeting knows the caller
    by (the Jigasi participant the assistant sees, or the call's own). Calls in the
    meeting not linked yet are linked now (the caller's flush is the caller's commit)."""
    unlinked = select(PhoneCall).where(
        PhoneCall.session_id == session_id,
        col(PhoneCall.ended_at).is_(None),
        col(PhoneCall.participant_id).is_(None),
        col(PhoneCall.connected_at).is_not(None),
    )
    for row in (await db.exec(unlinked)).all():
        await participant_for(db, row, now)
    query = (
        select(PhoneCall, Participant)
        .join(Participant, col(Participant.id) == col(PhoneCall.participant_id))
        .where(PhoneCall.session_id == session_id, col(PhoneCall.ended_at).is_(None))
    )
    found: dict[str, PhoneCall] = {}
    for call, person in (await db.exec(query)).all():
        if person.jitsi_id:
            found[person.jitsi_id] = call
    return found
