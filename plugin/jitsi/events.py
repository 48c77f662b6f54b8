"""Turn chat and json-messages seen in a meeting into console events.

Component messages (breakout rooms, polls) are believed only from the component
addresses in the configuration, as Jitsi Meet only believes its discovered components.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from facilitation.live_events import LiveEvent
from plugin.jitsi.roster import Event, Member
from plugin.jitsi.stanzas import ChatMessage, JsonMessage

BREAKOUT_UPDATE = "features/breakout-rooms/update"


@dataclass(frozen=True)
class RoomView:
    """What message handling needs to know about the bot's room."""

    room_jid: str
    own_nick: str
    breakout: str  # component addresses we believe
    polls: str
    members: Mapping[str, Member]


def message_events(room: RoomView, message: ChatMessage | JsonMessage) -> list[Event]:
    if message.delayed:
        return []  # history replayed by the room: already seen, or before our time
    sender = message.sender
    if sender.bare == room.room_jid:
        if not sender.resource or sender.resource == room.own_nick:
            return []  # room notices, and our own echoes
        if isinstance(message, ChatMessage):
            return [_chat(room, message)]
        return _endpoint_json(sender.resource, message.payload)
    if isinstance(message, JsonMessage) and not sender.local:
        if sender.domain == room.breakout:
            return _breakout(message.payload)
        if sender.domain == room.polls:
            return _component_poll(message.payload)
    return []


def _chat(room: RoomView, message: ChatMessage) -> Event:
    member = room.members.get(message.sender.resource)
    return (
        LiveEvent.INCOMING_MESSAGE,
        {
            "from": message.sender.resource,
            "nick": member.display_name if member else "",
            "message": message.body,
            "privateMessage": message.private,
        },
    )


def _breakout(payload: dict[str, Any]) -> list[Event]:
    if payload.get("type") != "breakout_rooms" or payload.get("event") != BREAKOUT_UPDATE:
        return []
    rooms = payload.get("rooms")
    if not isinstance(rooms, dict):
        return []
    cleaned = {str(key): room for key, room in rooms.items() if isinstance(room, dict)}
    return [(LiveEvent.BREAKOUT_ROOMS_UPDATED, {"rooms": cleaned})]


def _component_poll(payload: dict[str, Any]) -> list[Event]:
    if payload.get("type") != "polls":
        return []
    return _poll(str(payload.get("command", "")), payload, str(payload.get("senderId", "")))


def _endpoint_json(sender: str, payload: dict[str, Any]) -> list[Event]:
    # Older Jitsi Meet sends polls as json-messages to the whole room.
    return _poll(str(payload.get("type", "")), payload, sender)


def _poll(command: str, payload: dict[str, Any], sender: str) -> list[Event]:
    poll_id = payload.get("pollId")
    if not isinstance(poll_id, str) or not poll_id:
        return []
    answers = payload.get("answers")
    if not isinstance(answers, list):
        return []
    if command == "new-poll":
        names = [a.get("name") if isinstance(a, dict) else a for a in answers]
        if not isinstance(payload.get("question"), str) or not all(
            isinstance(n, str) for n in names
        ):
            return []
        data = {
            "pollId": poll_id,
            "senderId": sender,
            "question": payload["question"],
            "answers": names,
        }
        return [(LiveEvent.POLL_CREATED, data)]
    if command == "answer-poll":
        if not all(isinstance(a, bool) for a in answers):
            return []
        return [
            (LiveEvent.POLL_ANSWERED, {"pollId": poll_id, "voterId": sender, "answers": answers})
        ]
    return []
