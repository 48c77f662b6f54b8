"""The console desk: every meeting event a facilitator's console shows, turned into the
console's wire format (IFrame-API-style names) by one serializer and fanned out to the
consoles watching that session."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from facilitation import meeting_events as ev
from facilitation.live_events import LiveEvent
from plugin.bus import EventBus

log = logging.getLogger(__name__)

Message = dict[str, Any] | None  # None tells a subscriber to stop
QUEUE_LIMIT = 256


class LiveHub:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Message]]] = defaultdict(set)
        # With several instances, every message goes out through PostgreSQL and comes
        # back to `deliver` on each instance, this one included: one order everywhere.
        self.forward: Callable[[str, dict[str, Any]], None] | None = None

    @contextmanager
    def subscribe(self, session_id: str) -> Iterator[asyncio.Queue[Message]]:
        queue: asyncio.Queue[Message] = asyncio.Queue(QUEUE_LIMIT)
        self._subscribers[session_id].add(queue)
        try:
            yield queue
        finally:
            subscribers = self._subscribers.get(session_id)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._subscribers[session_id]

    def publish(self, session_id: str, event: LiveEvent, data: dict[str, Any]) -> int:
        """Queue the event for every console of the session; returns how many got it.

        A console that has fallen QUEUE_LIMIT events behind is told to stop; its page
        reconnects and reloads the state from the server instead of drifting.
        """
        message = {"event": event.value, "sessionId": session_id, **data}
        if self.forward is not None:
            self.forward(session_id, message)
            return 0
        return self.deliver(session_id, message)

    def deliver(self, session_id: str, message: dict[str, Any]) -> int:
        """Fan one message out to this instance's consoles of the session."""
        delivered = 0
        for queue in list(self._subscribers.get(session_id, ())):
            try:
                queue.put_nowait(message)
                delivered += 1
            except asyncio.QueueFull:
                log.warning("console for session %s fell behind; disconnecting it", session_id)
                self._stop(queue)
        return delivered

    def count(self) -> int:
        return sum(len(subs) for subs in self._subscribers.values())

    def close(self) -> None:
        for subscribers in self._subscribers.values():
            for queue in subscribers:
                self._stop(queue)

    @staticmethod
    def _stop(queue: asyncio.Queue[Message]) -> None:
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(None)


def _person(person: ev.Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "displayName": person.name,
        "role": person.role,
        "kind": person.kind.value,
        "handRaised": person.hand_raised_ms or 0,
        "joinedAt": person.joined_at_ms,
        "room": person.room,
    }


def _room(room: ev.BreakoutRoom) -> dict[str, Any]:
    return {
        "id": room.id,
        "jid": room.jid,
        "name": room.name,
        "isMainRoom": room.is_main,
        "participants": {
            m.occupant: {"jid": m.real_jid, "displayName": m.name} for m in room.members
        },
    }


def serialize(event: ev.MeetingEvent) -> tuple[LiveEvent, dict[str, Any]] | None:
    """The console's name and fields for an event; None for what consoles do not show."""
    match event:
        case ev.AssistantJoined():
            people = [_person(p) for p in event.people]
            data = {"roomName": event.room, "id": event.assistant_id, "role": event.role}
            return LiveEvent.CONFERENCE_JOINED, {**data, "participants": people}
        case ev.AssistantRestored():
            people = [_person(p) for p in event.people]
            return LiveEvent.CONNECTION_RESTORED, {"role": event.role, "participants": people}
        case ev.AssistantLeft():
            return LiveEvent.CONFERENCE_LEFT, {"roomName": event.room}
        case ev.AssistantRoleChanged():
            return LiveEvent.ROLE_CHANGED, {"role": event.role, "self": True}
        case ev.ConnectionInterrupted():
            data = {"reason": event.reason}
            return LiveEvent.CONNECTION_INTERRUPTED, {
                **data,
                "removed": True,
            } if event.removed else data
        case ev.PersonJoined():
            return LiveEvent.PARTICIPANT_JOINED, _person(event.person)
        case ev.PersonLeft():
            return LiveEvent.PARTICIPANT_LEFT, {"id": event.person_id}
        case ev.PersonMoved():
            return LiveEvent.PARTICIPANT_MOVED, {"id": event.person_id, "room": event.room}
        case ev.PersonUpdated():
            return LiveEvent.PARTICIPANT_UPDATED, {
                **_person(event.person),
                "changed": sorted(event.changed),
            }
        case ev.HandShown():
            return LiveEvent.RAISE_HAND_UPDATED, {
                "id": event.person_id,
                "handRaised": event.raised_at_ms or 0,
            }
        case ev.NameGiven():
            return LiveEvent.DISPLAY_NAME_CHANGE, {"id": event.person_id, "displayname": event.name}
        case ev.ChatReceived():
            data = {"from": event.sender, "nick": event.sender_name, "message": event.text}
            return LiveEvent.INCOMING_MESSAGE, {**data, "privateMessage": event.private}
        case ev.KeypadAnswer():
            return LiveEvent.KEYPAD_ANSWER, {"id": event.person_id, "answer": event.answer}
        case ev.BreakoutRoomsUpdated():
            return LiveEvent.BREAKOUT_ROOMS_UPDATED, {
                "rooms": {r.id: _room(r) for r in event.rooms}
            }
        case ev.PollCreated():
            data = {"pollId": event.poll_id, "senderId": event.sender, "question": event.question}
            return LiveEvent.POLL_CREATED, {**data, "answers": list(event.answers)}
        case ev.PollAnswered():
            data = {"pollId": event.poll_id, "voterId": event.voter}
            return LiveEvent.POLL_ANSWERED, {**data, "answers": list(event.answers)}
        case ev.QueueChanged():
            return LiveEvent.QUEUE_UPDATED, dict(event.view)
        case ev.WarmupsChanged():
            return LiveEvent.WARMUPS_UPDATED, dict(event.view)
        case ev.BreakoutsChanged():
            return LiveEvent.BREAKOUTS_UPDATED, dict(event.view)
        case ev.GroupRoomJoined():
            return LiveEvent.GROUP_ROOM, {"room": event.room, "role": event.role}
        case ev.GroupRoomTrouble():
            return LiveEvent.GROUP_ROOM, {"room": event.room, "reason": event.reason}
        case ev.TeamChanged():
            return LiveEvent.TEAM_UPDATED, {"change": event.change.value}
        case ev.CheckoutFlagged():
            return LiveEvent.CHECKOUT_FLAGGED, dict(event.flag)
        case ev.SessionEnded():
            return LiveEvent.SESSION_ENDED, {"endedAt": event.ended_at}
    return None


CONSOLE_EVENTS: tuple[type[ev.MeetingEvent], ...] = (
    ev.AssistantJoined,
    ev.AssistantRestored,
    ev.AssistantLeft,
    ev.AssistantRoleChanged,
    ev.ConnectionInterrupted,
    ev.PersonJoined,
    ev.PersonLeft,
    ev.PersonMoved,
    ev.PersonUpdated,
    ev.HandShown,
    ev.NameGiven,
    ev.ChatReceived,
    ev.KeypadAnswer,
    ev.BreakoutRoomsUpdated,
    ev.PollCreated,
    ev.PollAnswered,
    ev.QueueChanged,
    ev.BreakoutsChanged,
    ev.WarmupsChanged,
    ev.GroupRoomJoined,
    ev.GroupRoomTrouble,
    ev.TeamChanged,
    ev.CheckoutFlagged,
    ev.SessionEnded,
)


def connect(bus: EventBus, hub: LiveHub) -> None:
    """Make the hub the bus's console subscriber."""

    def forward(event: ev.MeetingEvent) -> None:
        wire = serialize(event)
        if wire is not None:
            hub.publish(event.session_id, *wire)

    bus.subscribe_all(CONSOLE_EVENTS, forward)
