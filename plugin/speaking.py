"""The speaking queue of each session: stored, shared by every facilitator, fed by every
source of a raised hand, and announced in the meeting.

Hands arrive from the assistant's events (Jitsi's raised hand, "hand" in the chat), from
the phone desk (`*9`) and from facilitators. Each change is made under the session's lock,
stored, and pushed (still under the lock, so consoles get changes in order) as
`queueUpdated` with the order and the reasons. The ordering rules are `facilitation.queue`.
What the assistant then says or does in the meeting is best effort: a meeting it cannot
reach never undoes or fails a change already made.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from facilitation import queue as rules
from facilitation.hand_words import chat_intent
from facilitation.live_events import LiveEvent
from facilitation.queue import Policy, Queue, Source
from facilitation.queue_record import from_record, to_record
from plugin.clock import Clock
from plugin.db.engine import Database
from plugin.db.models import Participant, SpeakingQueue
from plugin.db.participants import from_ms
from plugin.i18n import N_
from plugin.jitsi.connector import Connector
from plugin.live import LiveHub
from plugin.speaking_meeting import announce, hands_down_elsewhere
from plugin.tasks import BackgroundTasks

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
        hub: LiveHub,
        connector: Connector,
        translate: Translate,
    ) -> None:
        self.database = database
        self.clock = clock
        self.hub = hub
        self.connector = connector
        self.translate = translate
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._events: asyncio.Queue[tuple[str, LiveEvent, dict[str, Any]]] = asyncio.Queue()
        self._tasks = BackgroundTasks()

    def open(self) -> None:
        self.connector.listeners.append(self.on_event)
        self._tasks.spawn(self._consume(), "speaking-queue-events")

    async def close(self) -> None:
        with contextlib.suppress(ValueError):
            self.connector.listeners.remove(self.on_event)
        await self._tasks.close()

    # --- sources ----------------------------------------------------------------------

    def on_event(self, session_id: str, event: LiveEvent, data: dict[str, Any]) -> None:
        """The assistant's events, in order (called from the connector, must not block)."""
        if event in (
            LiveEvent.CONFERENCE_JOINED,
            LiveEvent.RAISE_HAND_UPDATED,
            LiveEvent.PARTICIPANT_JOINED,
            LiveEvent.PARTICIPANT_LEFT,
            LiveEvent.INCOMING_MESSAGE,
        ):
            self._events.put_nowait((session_id, event, data))

    async def _consume(self) -> None:
        while True:
            session_id, event, data = await self._events.get()
            try:
                await self._from_meeting(session_id, event, data)
            except Exception:  # one bad event must not stop the queue for everyone
                log.exception("speaking queue: could not apply %s", event.value)
            finally:
                self._events.task_done()

    async def settled(self) -> None:
        """Wait until every event received so far has been applied (for tests)."""
        await self._events.join()

    async def _from_meeting(self, session_id: str, event: LiveEvent, data: dict[str, Any]) -> None:
        now = self.clock.now()
        if event is LiveEvent.CONFERENCE_JOINED:
            # The assistant (re)joined and sees the room afresh. Jitsi hands of people who
            # left, or lowered their hand, while it was away go down; the rest keep their
            # place. (Keypad hands are the phone desk's to lower.)
            seen = {p.get("id"): p for p in data.get("participants", ()) if isinstance(p, dict)}

            def refresh(queue: Queue) -> Queue:
                for hand in queue.hands:
                    person = seen.get(hand.participant)
                    if hand.source is Source.KEYPAD:
                        continue  # a call's own participant: the phone desk knows
                    if person is None:
                        queue = rules.left(queue, hand.participant)
                    elif hand.source is Source.JITSI and not from_ms(person.get("handRaised")):
                        queue = rules.hand_down(queue, hand.participant)
                return queue

            await self.change(session_id, refresh)
            return
        who = data.get("from") if event is LiveEvent.INCOMING_MESSAGE else data.get("id")
        if not isinstance(who, str) or data.get("self"):
            return
        if event is LiveEvent.INCOMING_MESSAGE:
            intent = chat_intent(str(data.get("message", "")))
            if intent is True:
                await self.change(session_id, lambda q: rules.hand_up(q, who, now, Source.CHAT))
            elif intent is False:
                await self.change(session_id, lambda q: rules.hand_down(q, who))
            return
        if event is LiveEvent.PARTICIPANT_LEFT:
            await self.change(session_id, lambda q: rules.left(q, who))
            return
        reported = from_ms(data.get("handRaised"))
        if reported is not None:
            raised = min(reported, now + CLOCK_SLACK)
            joining = event is LiveEvent.PARTICIPANT_JOINED

            def up(queue: Queue) -> Queue:
                queue = rules.joined(queue, who) if joining else queue
                return rules.hand_up(queue, who, raised, Source.JITSI)

            await self.change(session_id, up)
            return
        if event is LiveEvent.PARTICIPANT_JOINED:
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

    async def keypad(self, session_id: str, participant: str, up: bool) -> None:
        """`*9` from the phone desk."""
        now = self.clock.now()
        if up:
            await self.change(
                session_id, lambda q: rules.hand_up(q, participant, now, Source.KEYPAD)
            )
        else:
            await self.change(session_id, lambda q: rules.hand_down(q, participant))

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
        if action == "raise" and who not in {p.jitsi_id for p in present}:
            raise BadAction("that person is not in the meeting")
        steps: dict[str, Callable[[Queue], Queue]] = {
            "next": lambda q: rules.next_speaker(q, based_on=based_on),
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
            await hands_down_elsewhere(self.database, self.hub, self.connector, session_id, down)
        if action == "next" and after.speaker != before.speaker:
            view = await self._view(session_id, after)
            await announce(self.connector, self.translate, session_id, view)
        return after

    async def change(self, session_id: str, step: Callable[[Queue], Queue]) -> tuple[Queue, Queue]:
        async with self._locks[session_id]:
            async with self.database.session() as db:
                row = await db.get(SpeakingQueue, session_id)
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
            await self.publish(session_id, after)  # under the lock: consoles see the order
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
        self.hub.publish(session_id, LiveEvent.QUEUE_UPDATED, await self._view(session_id, queue))

    async def _view(self, session_id: str, queue: Queue) -> dict[str, Any]:
        people = await self._people(session_id)

        def describe(pid: str | None) -> dict[str, Any] | None:
            if pid is None:
                return None
            person = people.get(pid)
            someone = self.translate(N_("Someone"))
            return {
                "id": pid,
                "name": (person.shown_name if person else "") or someone,
                # In the meeting a caller stays "…123": names facilitators give stay here.
                "meetingName": (person.display_name if person else "") or someone,
                "phone": bool(person and person.kind == "phone"),
            }

        entries = []
        for entry in rules.order(queue):
            line = describe(entry.participant) or {}
            line.update(
                reason=entry.reason,
                override=entry.override,
                turns=entry.turns,
                raisedAt=entry.raised_at.isoformat() if entry.raised_at else None,
            )
            entries.append(line)
        return {
            "seq": queue.seq,
            "actionSeq": queue.action_seq,
            "policy": queue.policy.value,
            "speaker": describe(queue.speaker),
            "entries": entries,
            "canUndo": bool(queue.previous),
            # For the summary: everyone's turns, and who has not spoken (everyone who came).
            "turns": [
                {**(describe(pid) or {}), "turns": count}
                for pid, count in sorted(queue.turns.items(), key=lambda item: -item[1])
            ],
            "notHeard": [describe(pid) for pid in rules.not_heard(queue, list(people))],
        }

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
