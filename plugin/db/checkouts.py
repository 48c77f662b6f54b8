"""Check-out rows, from the web form or the phone keypad, and the flags they raise. Both
go through facilitation.checkout.flag_for, so the same answers raise the same flag."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.checkout import Answers, Contact, Flag, Level, flag_for
from facilitation.phone import CallState
from plugin.db import flags, outbox
from plugin.db.models import Checkout, Participant, PhoneCall
from plugin.db.models import Flag as FlagRow
from plugin.db.outbox import Alerts
from plugin.security.sealing import Sealer


def seal_details(sealer: Sealer, details: dict[str, str]) -> str | None:
    return sealer.seal(json.dumps(details, ensure_ascii=False)) if details else None


def open_details(sealer: Sealer, sealed: str | None) -> dict[str, str]:
    """Contact details as stored; unreadable ones (another secret key) come back empty."""
    if not sealed:
        return {}
    text = sealer.open(sealed)
    if text is None:
        return {}
    value = json.loads(text)
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def keypad_checkout(
    call: PhoneCall,
    state: CallState,
    person: Participant | None,
    sealer: Sealer,
    now: datetime,
) -> tuple[Checkout, Flag | None]:
    """The row for a phone caller's keypad check-out, and its flag. The caller's number is
    kept (sealed) only when they asked to be called back."""
    assert state.feeling is not None
    assert call.session_id is not None
    contact = state.contact or Contact.NONE
    flag = flag_for(Answers(state.feeling, contact))
    number = sealer.open_text(call.caller_sealed)
    wants_call = bool(number) and contact is Contact.CALL_LATER
    row = Checkout(
        session_id=call.session_id,
        participant_id=person.id if person else None,
        phone_call_id=call.id,
        source="phone",
        display_name=person.shown_name if person else "",
        feeling=state.feeling.value,
        contact=contact.value,
        contact_detail=seal_details(sealer, {"phone": number or ""}) if wants_call else None,
        created_at=now,
    )
    return row, flag


async def record_flag(
    db: AsyncSession, checkout: Checkout, rule: Flag | None, now: datetime, alerts: Alerts
) -> tuple[FlagRow | None, bool]:
    """After a check-out is added or changed: its flag made to match, and any flag for
    not checking out closed. Returns the flag and whether hosts need telling now; an
    urgent one is queued in the outbox in this same transaction."""
    await db.flush()
    flag, notify = await flags.sync(db, checkout, rule, now)
    if flag is not None and notify and flag.level == Level.URGENT.value:
        await db.flush()
        await outbox.queue_urgent(db, alerts, flag, now)
    if checkout.participant_id is not None:
        await flags.settle_missing(db, checkout.session_id, checkout.participant_id, now)
    await db.flush()
    return flag, notify


def live_payload(flag: FlagRow, source: str, chat_now: bool = False) -> dict[str, object]:
    """What a console is told: enough to act, no answers."""
    return {
        "flagId": flag.id,
        "level": flag.level,
        "source": source,
        "name": flag.display_name,
        "chatNow": chat_now,
    }
