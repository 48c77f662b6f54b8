"""Turn chat and json-messages seen in a meeting into typed meeting events.

Component messages (breakout rooms, polls) are believed only from the component
addresses in the configuration, as Jitsi Meet only believes its discovered components.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from facilitation.meeting_events import (
    BreakoutRoom,
    BreakoutRoomsUpdated,
    ChatReceived,
    MeetingEvent,
    PollAnswered,
    PollCreated,
    RoomMember,
)
from plugin.jitsi.roster import Member
from plugin.jitsi.stanzas import ChatMessage, JsonMessage

BREAKOUT_UPDATE = "features/breakout-rooms/update"


@dataclass(frozen=True)
class RoomView:
    """What message handling needs to know about the bot's room."""

    session_id: str
    room_jid: str
    own_nick: str
    breakout: str  # component addresses we believe
    polls: str
    members: Mapping[str, Member]


def message_events(room: RoomView, message: ChatMessage | JsonMessage) -> list[MeetingEvent]:
    if message.delayed:
        return []  # history replayed by the room: already seen, or before our time
    sender = message.sender
    if sender.bare == room.room_jid:
        if not sender.resource or sender.resource == room.own_nick:
            return []  # room notices, and our own echoes
        if isinstance(message, ChatMessage):
            return [_chat(room, message)]
        return _endpoint_json(room, sender.resource, message.payload)
    if isinstance(message, JsonMessage) and not sender.local:
        if sender.domain == room.breakout:
            return _breakout(room, message.payload)
        if sender.domain == room.polls:
            return _component_poll(room, message.payload)
    return []


def _chat(room: RoomView, message: ChatMessage) -> MeetingEvent:
    member = room.members.get(message.sender.resource)
    return ChatReceived(
        room.session_id,
        sender=message.sender.resource,
        sender_name=member.display_name if member else "",
        text=message.body,
        private=message.private,
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _room(key: str, value: dict[str, Any]) -> BreakoutRoom:
    people = value.get("participants")
    members = []
    if isinstance(people, dict):
        for occupant, person in people.items():
            if isinstance(person, dict):
                members.append(
                    RoomMember(
                        occupant=str(occupant),
                        real_jid=_text(person.get("jid")),
                        name=_text(person.get("displayName")),
                    )
                )
    return BreakoutRoom(
        id=_text(value.get("id")) or key,
        jid=_text(value.get("jid")),
        name=_text(value.get("name")),
        is_main=value.get("isMainRoom") is True,
        members=tuple(members),
    )


def _breakout(room: RoomView, payload: dict[str, Any]) -> list[MeetingEvent]:
    if payload.get("type") != "breakout_rooms" or payload.get("event") != BREAKOUT_UPDATE:
        return []
    rooms = payload.get("rooms")
    if not isinstance(rooms, dict):
        return []
    found = tuple(_room(str(key), value) for key, value in rooms.items() if isinstance(value, dict))
    return [BreakoutRoomsUpdated(room.session_id, found)]


def _component_poll(room: RoomView, payload: dict[str, Any]) -> list[MeetingEvent]:
    if payload.get("type") != "polls":
        return []
    command = str(payload.get("command", ""))
    return _poll(room, command, payload, str(payload.get("senderId", "")))


def _endpoint_json(room: RoomView, sender: str, payload: dict[str, Any]) -> list[MeetingEvent]:
    # Older Jitsi Meet sends polls as json-messages to the whole room.
    return _poll(room, str(payload.get("type", "")), payload, sender)


def _poll(room: RoomView, command: str, payload: dict[str, Any], sender: str) -> list[MeetingEvent]:
    poll_id = payload.get("pollId")
    if not isinstance(poll_id, str) or not poll_id:
        return []
    answers = payload.get("answers")
    if not isinstance(answers, list):
        return []
    if command == "new-poll":
        names = [a.get("name") if isinstance(a, dict) else a for a in answers]
        question = payload.get("question")
        texts = tuple(n for n in names if isinstance(n, str))
        if not isinstance(question, str) or len(texts) != len(names):
            return []
        return [PollCreated(room.session_id, poll_id, sender, question, texts)]
    if command == "answer-poll":
        if not all(isinstance(a, bool) for a in answers):
            return []
        return [PollAnswered(room.session_id, poll_id, sender, tuple(answers))]
    return []
