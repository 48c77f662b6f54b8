"""What the speaking queue does in the meeting and around it, after a change is saved:
hands going down everywhere, and the assistant announcing who speaks. Best effort: a
meeting that cannot be reached never fails or undoes a change."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from plugin.i18n import N_
from plugin.jitsi import commands
from plugin.jitsi.connector import Connector

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
