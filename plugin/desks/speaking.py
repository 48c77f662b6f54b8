"""The speaking queue of each session: stored, shared by every facilitator, fed by every
source of a raised hand, and announced in the meeting.

The queue is the one owner of hand state. Hands arrive as typed events on the bus
(Jitsi's raised hand and "hand" in the chat from the assistant, `*9` from the phone desk)
and from facilitators. Each change is made under the session's lock, stored, and
published (still under the lock, so consoles get changes in order) as `QueueChanged` with
the order and the reasons, plus `HandShown` for each hand that went up or down. The ordering rules are `facilitation.queue`.
What the assistant then says or does in the meeting is best effort: a meeting it cannot
reach never undoes or fails a change already made.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from facilitation import queue as rules
from facilitation.hand_words import chat_intent
from facilitation.meeting_events import (
    AssistantJoined,
    ChatReceived,
    HandChanged,
    HandShown,
    HandSource,
    KeypadHandPressed,
    MeetingEvent,
    PersonJoined,
    PersonLeft,
    QueueChanged,
    TurnPassed,
)
from facilitation.queue import Policy, Queue, Source
from facilitation.queue_record import from_record, to_record
from plugin.bus import EventBus, Inbox
from plugin.clock import Clock
from plugin.db.engine import Database
from plugin.db.models import Participant, SpeakingQueue
from plugin.db.participants import from_ms
from plugin.desks.caller_language import CallerLanguages
from plugin.desks.hands_in_transit import HandsInTransit
from plugin.desks.speaking_meeting import Tell, announce, hands_down_elsewhere, tell_caller
from plugin.desks.speaking_view import describe_queue
from plugin.jitsi.connector import Connector
from plugin.phoneline import PhoneLine

log = logging.getLogger(__name__)
ACTIONS = frozenset({"next", "skip", "lower", "up", "down", "top", "undo", "policy", "raise"})
# A hand's time comes from the participant's own clock: never trust it to be in the future.
CLOCK_SLACK = timedelta(seconds=2)

Translate = Callable[[str], str]


class BadAction(ValueError):
    """A facilitator's action that makes no sense (unknown action, no such participant)."""


class QueueDesk:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        bus: EventBus,
        connector: Connector,
        translate: Translate,
        line: PhoneLine | None = None,
        voices: CallerLanguages | None = None,
    ) -> None:
        self.line = line
        self.voices = voices or CallerLanguages(translate)
        self.database = database
        self.clock = clock
        self.bus = bus
        self.connector = connector
        self.translate = translate
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._in_transit = HandsInTransit()
        self._inbox = Inbox("speaking-queue-events", self._from_meeting)
        self._inbox.listen(
            bus,
            AssistantJoined,
            HandChanged,
            KeypadHandPressed,
            PersonJoined,
            PersonLeft,
            ChatReceived,
            TurnPassed,
        )

    def open(self) -> None:
        self._inbox.start()

    async def close(self) -> None:
        await self._inbox.close()

    async def settled(self) -> None:
        """Wait until every event received so far has been applied (for tests)."""
        await self._inbox.settled()

    # --- sources ----------------------------------------------------------------------

    async def _from_meeting(self, event: MeetingEvent) -> None:
        now = self.clock.now()
        session_id = event.session_id
        if isinstance(event, AssistantJoined):
            # The assistant (re)joined and sees the meeting afresh. Jitsi hands of people
            # who left, or lowered their hand, while it was away go down; the rest keep
            # their place. (Keypad hands are the phone's: the caller lowers them.)
            seen = {person.id: person for person in event.people}

            def refresh(queue: Queue) -> Queue:
                for hand in queue.hands:
                    person = seen.get(hand.participant)
                    if hand.source is Source.KEYPAD:
                        continue
                    if person is None:
                        queue = rules.left(queue, hand.participant)
                    elif hand.source is Source.JITSI and not from_ms(person.hand_raised_ms):
                        queue = rules.hand_down(queue, hand.participant)
                return queue

            await self.change(session_id, refresh)
        elif isinstance(event, ChatReceived):
            intent = chat_intent(event.text)
            who = event.sender
            if intent is True:
                await self.change(session_id, lambda q: rules.hand_up(q, who, now, Source.CHAT))
            elif intent is False:
                await self.change(session_id, lambda q: rules.hand_down(q, who))
        elif isinstance(event, PersonLeft):
            before, _after = await self.change(session_id, lambda q: rules.left(q, event.person_id))
            hand = before.hand_of(event.person_id)
            if hand is not None:  # it may come back with them in another room
                name = await self._name_of(session_id, event.person_id)
                self._in_transit.keep(session_id, name, hand, now)
        elif isinstance(event, TurnPassed):
            # A go-round warm-up: they passed their go (as a facilitator's skip would).
            await self.change(session_id, lambda q: rules.skip(q, event.person_id))
        elif isinstance(event, KeypadHandPressed):
            who = event.person_id

            def toggle(queue: Queue) -> Queue:
                if queue.hand_of(who) is not None:
                    return rules.hand_down(queue, who)
                return rules.hand_up(queue, who, now, Source.KEYPAD)

            await self.change(session_id, toggle)
        elif isinstance(event, PersonJoined):
            await self._jitsi_hand(
                session_id, event.person.id, event.person.hand_raised_ms, joining=True
            )
            kept = self._in_transit.take(session_id, event.person.name, now)
            if kept is not None:
                await self.change(
                    session_id,
                    lambda q: rules.hand_up(q, event.person.id, kept.raised_at, kept.source),
                )
        elif isinstance(event, HandChanged):
            if event.source is HandSource.KEYPAD and event.raised_at_ms is not None:
                await self.change(
                    session_id, lambda q: rules.hand_up(q, event.person_id, now, Source.KEYPAD)
                )
                return
            await self._jitsi_hand(session_id, event.person_id, event.raised_at_ms, joining=False)

    async def _name_of(self, session_id: str, person_id: str) -> str:
        async with self.database.session() as db:
            query = select(Participant.display_name).where(
                Participant.session_id == session_id, Participant.jitsi_id == person_id
            )
            return (await db.exec(query)).first() or ""

    async def _jitsi_hand(
        self, session_id: str, who: str, raised_ms: int | None, *, joining: bool
    ) -> None:
        now = self.clock.now()
        reported = from_ms(raised_ms)
        if reported is not None:
            raised = min(reported, now + CLOCK_SLACK)

            def up(queue: Queue) -> Queue:
                queue = rules.joined(queue, who) if joining else queue
                return rules.hand_up(queue, who, raised, Source.JITSI)

            await self.change(session_id, up)
        elif joining:
            # Back with no hand up: a Jitsi hand lowered while we were not looking goes down.
            def rejoined(queue: Queue) -> Queue:
                hand = queue.hand_of(who)
                queue = rules.joined(queue, who)
                if hand is not None and hand.source is Source.JITSI:
                    queue = rules.hand_down(queue, who)
                return queue

            await self.change(session_id, rejoined)
        else:
            await self.change(session_id, lambda q: rules.hand_down(q, who))

    async def finish(self, session_id: str) -> None:
        """The session ended: the last speaker's turn counts."""
        await self.change(session_id, rules.finish)

    # --- facilitators -----------------------------------------------------------------

    async def act(
        self,
        session_id: str,
        action: str,
        *,
        participant: str | None = None,
        policy: str | None = None,
        based_on: int | None = None,
    ) -> Queue:
        """A facilitator's action, refused with rules.Stale if the queue moved on."""
        if action not in ACTIONS:
            raise BadAction(f"unknown queue action {action!r}")
        needs_person = action in ("skip", "lower", "up", "down", "top", "raise")
        if needs_person and not participant:
            raise BadAction("choose whom this is for")
        who = participant or ""
        now = self.clock.now()
        present = await self._present(session_id)
        away = frozenset(p.jitsi_id or "" for p in present if p.room)
        if action == "raise" and who not in {p.jitsi_id for p in present}:
            raise BadAction("that person is not in the meeting")
        steps: dict[str, Callable[[Queue], Queue]] = {
            "next": lambda q: rules.next_speaker(q, based_on=based_on, away=away),
            "skip": lambda q: rules.skip(q, who, based_on=based_on),
            "lower": lambda q: rules.lower_hand(q, who, based_on=based_on),
            "up": lambda q: rules.move(q, who, "up", based_on=based_on),
            "down": lambda q: rules.move(q, who, "down", based_on=based_on),
            "top": lambda q: rules.move(q, who, "top", based_on=based_on),
            "undo": lambda q: rules.undo(q, based_on=based_on),
            "raise": lambda q: rules.raise_hand(q, who, now, based_on=based_on),
        }
        if action == "policy":
            try:
                chosen = Policy(policy or "")
            except ValueError as exc:
                raise BadAction(f"unknown ordering {policy!r}") from exc
            steps["policy"] = lambda q: rules.set_policy(
                q, chosen, [p.jitsi_id or "" for p in present], based_on=based_on
            )
        before, after = await self.change(session_id, steps[action])
        down = [h.participant for h in before.hands if after.hand_of(h.participant) is None]
        if action in ("next", "lower", "skip") and down:
            await hands_down_elsewhere(self.connector, session_id, down)
        if action == "next" and after.speaker != before.speaker:
            view = await self._view(session_id, after)
            await announce(self.connector, self.translate, session_id, view, self._tell(session_id))
        return after

    def _tell(self, session_id: str) -> Tell | None:
        line = self.line
        if line is None:
            return None

        async def tell(person_id: str, english: str, values: Mapping[str, str]) -> None:
            now, voices = self.clock.now(), self.voices
            await tell_caller(
                self.database, line, voices, now, session_id, person_id, english, values
            )

        return tell

    async def change(self, session_id: str, step: Callable[[Queue], Queue]) -> tuple[Queue, Queue]:
        async with self._locks[session_id]:
            async with self.database.session() as db:
                # The row lock orders changes made on several instances (PostgreSQL).
                row = await db.get(SpeakingQueue, session_id, with_for_update=True)
                before = from_record(row.state) if row is not None else Queue()
                after = step(before)
                if after is before or after == before:
                    return before, before
                if row is None:
                    row = SpeakingQueue(session_id=session_id, updated_at=self.clock.now())
                row.state = to_record(after)
                row.seq = after.seq
                row.updated_at = self.clock.now()
                db.add(row)
                await db.commit()
            # Under the lock: consoles see the changes in order.
            for hand in before.hands:
                if after.hand_of(hand.participant) is None:
                    self.bus.publish(HandShown(session_id, hand.participant, None))
            for hand in after.hands:
                if before.hand_of(hand.participant) is None:
                    at = int(hand.raised_at.timestamp() * 1000)
                    self.bus.publish(HandShown(session_id, hand.participant, at))
            await self.publish(session_id, after)
        return before, after

    async def load(self, session_id: str) -> Queue:
        async with self.database.session() as db:
            row = await db.get(SpeakingQueue, session_id)
        return from_record(row.state) if row is not None else Queue()

    async def view(self, session_id: str) -> dict[str, Any]:
        """What a console shows: the order with names and reasons, and who speaks now."""
        queue = await self.load(session_id)
        return await self._view(session_id, queue)

    async def publish(self, session_id: str, queue: Queue) -> None:
        self.bus.publish(QueueChanged(session_id, await self._view(session_id, queue)))

    async def _view(self, session_id: str, queue: Queue) -> dict[str, Any]:
        return describe_queue(queue, await self._people(session_id), self.translate)

    async def _people(self, session_id: str) -> dict[str, Participant]:
        async with self.database.session() as db:
            rows = (
                await db.exec(
                    select(Participant)
                    .where(Participant.session_id == session_id)
                    .order_by(col(Participant.joined_at))
                )
            ).all()
        found: dict[str, Participant] = {}
        for row in rows:  # the newest row for an id wins (someone who rejoined)
            if row.jitsi_id:
                found[row.jitsi_id] = row
        return found

    async def _present(self, session_id: str) -> list[Participant]:
        async with self.database.session() as db:
            query = (
                select(Participant)
                .where(Participant.session_id == session_id, col(Participant.left_at).is_(None))
                .order_by(col(Participant.joined_at))
            )
            return list((await db.exec(query)).all())
