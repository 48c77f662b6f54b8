"""What the speaking queue does in the meeting and around it, after a change is saved:
hands going down everywhere, and the assistant announcing who speaks. Best effort: a
meeting that cannot be reached never fails or undoes a change."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from facilitation.live_events import LiveEvent
from plugin.db.engine import Database
from plugin.db.models import Participant, PhoneCall
from plugin.i18n import N_
from plugin.jitsi import commands
from plugin.jitsi.connector import Connector
from plugin.live import LiveHub

log = logging.getLogger(__name__)


async def hands_down_elsewhere(
    database: Database,
    hub: LiveHub,
    connector: Connector,
    session_id: str,
    participants: list[str],
) -> None:
    """Served, skipped or lowered: the hand goes down everywhere it was up. In Jitsi
    (whatever raised it in the queue), on the console's people list, and for a phone
    call, so the caller's next `*9` raises it again."""
    async with database.session() as db:
        rows = (
            await db.exec(
                select(Participant).where(
                    Participant.session_id == session_id,
                    col(Participant.jitsi_id).in_(participants),
                    col(Participant.left_at).is_(None),
                )
            )
        ).all()
        ids = [row.id for row in rows if row.id is not None]
        for row in rows:
            row.hand_raised_at = None
            db.add(row)
        if ids:
            await db.exec(
                update(PhoneCall)
                .where(col(PhoneCall.participant_id).in_(ids))
                .values(hand_up=False)
            )
        await db.commit()
    for who in participants:
        hub.publish(session_id, LiveEvent.RAISE_HAND_UPDATED, {"id": who, "handRaised": 0})
    bot = connector.bot(session_id)
    if bot is None:
        return
    for who in participants:
        member = bot.roster.members.get(who)
        if member is None or not member.hand_raised_at:
            continue
        try:
            await commands.lower_hand(bot, who)
        except Exception as exc:  # best effort: not a moderator, reconnecting, ...
            log.info("could not lower the hand in Jitsi: %s", exc)


async def announce(
    connector: Connector, translate: Callable[[str], str], session_id: str, view: dict[str, Any]
) -> None:
    """ "Now: A. Next: B" in the meeting chat, and a private word to B."""
    bot = connector.bot(session_id)
    speaker = view["speaker"]
    following = view["entries"][0] if view["entries"] else None
    if bot is None or speaker is None:
        return
    if following is not None:
        text = translate(N_("Now: %(now)s. Next: %(next)s.")) % {
            "now": speaker["meetingName"],
            "next": following["meetingName"],
        }
    else:
        text = translate(N_("Now: %(now)s.")) % {"now": speaker["meetingName"]}
    try:
        await commands.send_chat_message(bot, text)
        if following is not None and not following["phone"]:
            note = translate(N_("You are next, after %(now)s.")) % {"now": speaker["meetingName"]}
            await commands.send_chat_message(bot, note, to=following["id"])
    except Exception as exc:  # best effort: the change is made whatever the meeting says
        log.info("could not announce the next speaker: %s", exc)
