"""Check-out rows. The keypad's answers get the same flag as the web form's would."""

from __future__ import annotations

from datetime import datetime

from facilitation.checkout import Answers, Contact, Flag, flag_for
from facilitation.phone import CallState
from plugin.db.models import Checkout, Participant, PhoneCall
from plugin.security.sealing import Sealer


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
    number = sealer.open(call.caller_sealed) if call.caller_sealed else None
    row = Checkout(
        session_id=call.session_id,
        participant_id=person.id if person else None,
        phone_call_id=call.id,
        source="phone",
        display_name=person.shown_name if person else "",
        feeling=state.feeling.value,
        contact=contact.value,
        contact_detail=sealer.seal(number) if number and contact is Contact.CALL_LATER else None,
        flag_level=flag.level.value if flag else None,
        flag_reasons=[reason.value for reason in flag.reasons] if flag else [],
        created_at=now,
    )
    return row, flag
