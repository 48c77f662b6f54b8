"""Turn chat and json-messages seen in a meeting into console events.

Component messages (breakout rooms, polls) are believed only from the component
addresses in the configuration, as Jitsi Meet only believes its discovered components.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from facilitation.live_events import LiveEvent
from plugin.jitsi.roster import Event
from plugin.jitsi.stanzas import ChatMessage, JsonMessage

if TYPE_CHECKING:
    from plugin.jitsi.bot import MeetingBot

BREAKOUT_UPDATE = "features/breakout-rooms/update"


def message_events(bot: MeetingBot, message: ChatMessage | JsonMessage) -> list[Event]:
    if message.delayed:
        return []  # history replayed by the room: already seen, or before our time
    sender = message.sender
    if sender.bare == bot.address.jid:
        if not sender.resource or sender.resource == bot.nick:
            return []  # room notices, and our own echoes
        if isinstance(message, ChatMessage):
            return [_chat(bot, message)]
        return _endpoint_json(sender.resource, message.payload)
    if isinstance(message, JsonMessage) and not sender.local:
        if sender.domain == bot.config.breakout:
            return _breakout(bot, message.payload)
        if sender.domain == bot.config.polls:
            return _component_poll(message.payload)
    return []


def _chat(bot: MeetingBot, message: ChatMessage) -> Event:
    member = bot.roster.members.get(message.sender.resource)
    return (
        LiveEvent.INCOMING_MESSAGE,
        {
            "from": message.sender.resource,
            "nick": member.display_name if member else "",
            "message": message.body,
            "privateMessage": message.private,
        },
    )


def _breakout(bot: MeetingBot, payload: dict[str, Any]) -> list[Event]:
    if payload.get("type") != "breakout_rooms" or payload.get("event") != BREAKOUT_UPDATE:
        return []
    rooms = payload.get("rooms")
    if not isinstance(rooms, dict):
        return []
    cleaned = {str(key): room for key, room in rooms.items() if isinstance(room, dict)}
    bot.breakout_rooms = cleaned
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
