"""What the speaking queue does in the meeting and around it, after a change is saved:
hands going down everywhere, and the assistant announcing who speaks. Best effort: a
meeting that cannot be reached never fails or undoes a change."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from plugin.db import phone as phone_db
from plugin.db.engine import Database
from plugin.desks.caller_language import CallerLanguages, call_ref
from plugin.i18n import N_
from plugin.jitsi import commands
from plugin.jitsi.connector import Connector
from plugin.phoneline import PhoneLine, PhoneLineError

# Telling one caller a word: (the person's id, the N_-marked English, its values).
Tell = Callable[[str, str, Mapping[str, str]], Awaitable[None]]

log = logging.getLogger(__name__)


async def hands_down_elsewhere(
    connector: Connector, session_id: str, participants: list[str]
) -> None:
    """Served, skipped or lowered: the hand goes down in Jitsi too, whatever raised it in
    the queue. (The queue itself is the record of hands: consoles and phone calls follow
    it.)"""
    bot = connector.bot(session_id)
    if bot is None:
        return
    for who in participants:
        member = bot.roster.find(who)
        if member is None or not member.hand_raised_at:
            continue
        try:
            await commands.lower_hand(bot, who)
        except Exception as exc:  # best effort: not a moderator, reconnecting, ...
            log.info("could not lower the hand in Jitsi: %s", exc)


async def tell_caller(
    database: Database,
    line: PhoneLine,
    voices: CallerLanguages,
    now: datetime,
    session_id: str,
    person_id: str,
    english: str,
    values: Mapping[str, str],
) -> None:
    """Speak a word to one phone caller on their own call, in the language they chose,
    where the line can play one (the PBX kit); best effort, like everything the queue says."""
    async with database.session() as db:
        calls = await phone_db.calls_by_person(db, session_id, now)
        await db.commit()
    call = calls.get(person_id)
    if call is None or not line.can_speak(call.dialect):
        return
    try:
        await line.speak(call_ref(call), [voices.say(call, english, values)])
    except PhoneLineError as exc:
        log.info("could not tell the caller they are next: %s", exc)


async def announce(
    connector: Connector,
    translate: Callable[[str], str],
    session_id: str,
    view: dict[str, Any],
    tell: Tell | None = None,
) -> None:
    """ "Now: A. Next: B" in the meeting chat, and a private word to B: in the chat, or
    on their call, in their call's language, when B is on the phone (`tell`)."""
    bot = connector.bot(session_id)
    speaker = view["speaker"]
    # Hands in a breakout group wait there: the next in the main room is told.
    following = next((e for e in view["entries"] if not e.get("room")), None)
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
        english = N_("You are next, after %(now)s.")
        values = {"now": speaker["meetingName"]}
        if following is not None and not following["phone"]:
            await commands.send_chat_message(bot, translate(english) % values, to=following["id"])
        elif following is not None and tell is not None:
            await tell(following["id"], english, values)
    except Exception as exc:  # best effort: the change is made whatever the meeting says
        log.info("could not announce the next speaker: %s", exc)
