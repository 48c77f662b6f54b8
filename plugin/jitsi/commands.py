"""What the service can ask the bot to do in a meeting, named after Jitsi's IFrame API."""

from __future__ import annotations

import json
import uuid
from typing import Any

from plugin.jitsi import stanzas
from plugin.jitsi.bot import MeetingBot
from plugin.jitsi.bot_types import NotConnected
from plugin.jitsi.polls import PollNotDelivered
from plugin.jitsi.xmpp import ConnectionLost, IqFailed

MAX_CHAT = 2000
MAX_POLL_ANSWERS = 10
# Jitsi's polls component silently drops a payload of 1024 bytes or more.
MAX_POLL_BYTES = 1000
LOWER_HAND = {"name": "lower-hand-message", "type": ""}


class CommandRefused(Exception):
    """A command that cannot work as asked; the message is for the facilitator."""


def _require_moderator(bot: MeetingBot) -> None:
    if bot.role != "moderator":
        raise CommandRefused(
            "the assistant is not a moderator in this meeting; make it one "
            "(or give it a moderator token) first"
        )


def _member(bot: MeetingBot, participant_id: str) -> Any:
    member = bot.roster.members.get(participant_id)
    if member is None:
        raise CommandRefused(f"no participant {participant_id!r} in the meeting")
    return member


def _web_address(bot: MeetingBot, participant_id: str, not_for_phones: str) -> str:
    """The real JID of someone on the web in any room: what Jitsi's moves and grants name."""
    member = bot.roster.find(participant_id)
    if member is None:
        raise CommandRefused(f"no participant {participant_id!r} in the meeting")
    if member.kind == "phone":
        raise CommandRefused(not_for_phones)
    if member.real_jid is None:
        raise CommandRefused("Jitsi did not tell the assistant this participant's address")
    return member.real_jid


async def send_chat_message(bot: MeetingBot, text: str, to: str | None = None) -> None:
    """Post to the meeting chat, or privately to one participant when `to` is given."""
    text = text.strip()
    if not text or len(text) > MAX_CHAT:
        raise CommandRefused(f"a chat message needs 1 to {MAX_CHAT} characters")
    if to is None:
        await bot.send(stanzas.chat_message(bot.address.jid, text, private=False))
        return
    _member(bot, to)
    await bot.send(stanzas.chat_message(bot.address.occupant(to), text, private=True))


async def lower_hand(bot: MeetingBot, participant_id: str) -> None:
    """Ask one participant's Jitsi Meet to lower their hand, as a moderator's button does."""
    _require_moderator(bot)
    _member(bot, participant_id)
    await bot.send(stanzas.json_message(bot.address.occupant(participant_id), LOWER_HAND))


async def create_poll(bot: MeetingBot, question: str, answers: list[str]) -> str:
    """Put a poll to the meeting in the style this Jitsi runs; returns its pollId once
    Jitsi has handed it back, and refuses when Jitsi bounced it or never showed it."""
    question = question.strip()
    names = [answer.strip() for answer in answers if answer.strip()]
    if not question or not 2 <= len(names) <= MAX_POLL_ANSWERS:
        raise CommandRefused(f"a poll needs a question and 2 to {MAX_POLL_ANSWERS} answers")
    stream = bot.stream
    if stream is None or not bot.ready:
        raise NotConnected("the assistant is not in the meeting right now")
    try:
        route = await bot.polls.route(stream, bot.config.domain)
        poll_id = uuid.uuid4().hex[:12]
        payload = bot.polls.payload(
            route, poll_id, question, names, nick=bot.nick, display_name=bot.config.display_name
        )
        if len(json.dumps(payload, ensure_ascii=False).encode()) >= MAX_POLL_BYTES:
            raise CommandRefused("that poll is too long for Jitsi; shorten the question or answers")
        await bot.polls.deliver(
            route, payload, stream.next_id(), bot.address.occupant(bot.nick), bot.send
        )
    except PollNotDelivered as exc:
        raise CommandRefused(str(exc)) from exc
    except ConnectionLost as exc:
        raise NotConnected("the assistant lost its connection; try again shortly") from exc
    return poll_id


async def add_breakout_room(bot: MeetingBot, subject: str) -> None:
    _require_moderator(bot)
    await bot.send(stanzas.breakout_command(bot.config.breakout, "add", subject=subject.strip()))


def _breakout_jid(bot: MeetingBot, room_id: str) -> str:
    room = bot.breakout_rooms.get(room_id)
    if room is None or room.is_main or not room.jid:
        raise CommandRefused(f"no breakout room {room_id!r}")
    return room.jid


async def remove_breakout_room(bot: MeetingBot, room_id: str) -> None:
    _require_moderator(bot)
    jid = _breakout_jid(bot, room_id)
    await bot.send(stanzas.breakout_command(bot.config.breakout, "remove", breakoutRoomJid=jid))


async def rename_breakout_room(bot: MeetingBot, room_id: str, subject: str) -> None:
    _require_moderator(bot)
    jid = _breakout_jid(bot, room_id)
    await bot.send(
        stanzas.breakout_command(
            bot.config.breakout, "rename", breakoutRoomJid=jid, subject=subject.strip()
        )
    )


async def send_participant_to_room(bot: MeetingBot, participant_id: str, room_id: str) -> None:
    """Move one web participant into a breakout room, or back with the main room's id."""
    _require_moderator(bot)
    real_jid = _web_address(
        bot, participant_id, "phone callers cannot be moved between rooms; Jitsi keeps them put"
    )
    room = bot.breakout_rooms.get(room_id)
    target = bot.address.jid if room_id == bot.address.room else None
    if room is not None and room.jid:
        target = room.jid
    if target is None:
        raise CommandRefused(f"no room {room_id!r}")
    await bot.send(
        stanzas.breakout_command(
            bot.config.breakout, "move-to-room", participantJid=real_jid, roomJid=target
        )
    )


async def close_breakout_rooms(bot: MeetingBot) -> int:
    """Move everyone back to the main room, then remove every breakout room.

    Jitsi has no server-side "close all". Returns how many rooms were closed.
    """
    _require_moderator(bot)
    closed = 0
    for room in list(bot.breakout_rooms.values()):
        if room.is_main or not room.jid:
            continue
        for person in room.members:
            if person.real_jid:
                await bot.send(
                    stanzas.breakout_command(
                        bot.config.breakout,
                        "move-to-room",
                        participantJid=person.real_jid,
                        roomJid=bot.address.jid,
                    )
                )
        await bot.send(
            stanzas.breakout_command(bot.config.breakout, "remove", breakoutRoomJid=room.jid)
        )
        closed += 1
    return closed


async def grant_moderator(bot: MeetingBot, participant_id: str) -> None:
    """Make a person a moderator (owner) in the meeting, as Jitsi Meet's own "Grant
    moderator" does, so the seat Jitsi gave the assistant goes to a facilitator."""
    _require_moderator(bot)
    real_jid = _web_address(bot, participant_id, "a phone caller cannot use moderator rights")
    if bot.stream is None or not bot.ready:
        raise NotConnected("the assistant is not in the meeting right now")
    try:
        await bot.stream.request("set", bot.address.jid, stanzas.grant_owner(real_jid))
    except IqFailed as exc:
        raise CommandRefused(f"Jitsi refused to make them a moderator ({exc})") from exc
    except (ConnectionLost, TimeoutError) as exc:
        raise NotConnected("the assistant lost its connection; try again shortly") from exc
