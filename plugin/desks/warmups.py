"""The warm-up desk: the catalogue offered to facilitators (filters, no repeats, a surprise),
one warm-up run at a time per session, and its answers from everywhere merged into one
result: Jitsi polls (both styles), phone keypads (0 is pass), and the chat.

What a warm-up says in the meeting is `warmup_meeting`; what consoles show is
`warmup_view`. Answers are kept while the session lasts; when it ends only the counts stay
(they also tell which warm-ups a group has played, for the no-repeat rule).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from facilitation import warmups as rules
from facilitation.chat_digits import Starting
from facilitation.meeting_events import (
    ChatReceived,
    KeypadAnswer,
    MeetingEvent,
    PollAnswered,
    SessionEnded,
    TurnPassed,
    WarmupsChanged,
)
from facilitation.warmups import PASS, Filters, Format, Tally, WarmUp
from plugin.bus import EventBus, Inbox
from plugin.clock import Clock
from plugin.db import warmups as warmups_db
from plugin.db.engine import Database
from plugin.db.models import MeetingSession, WarmupRun
from plugin.desks import chat_digits
from plugin.desks.warmup_meeting import WarmupVoice
from plugin.desks.warmup_view import describe

log = logging.getLogger(__name__)
MAX_SAID = 200
MAX_ANSWER = 300
Translate = Callable[[str], str]


class WarmupError(ValueError):
    """A facilitator's request that cannot be done as asked; the message says why."""


@dataclass
class Running:
    run_id: int
    warmup: WarmUp
    tally: Tally
    poll_id: str | None
    said: list[dict[str, object]]
    notices: list[str] = field(default_factory=list)


class WarmupDesk:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        bus: EventBus,
        voice: WarmupVoice,
        catalogue: tuple[WarmUp, ...],
        translate: Translate,
    ) -> None:
        self.database = database
        self.clock = clock
        self.bus = bus
        self.voice = voice
        self.catalogue = catalogue
        self.by_id = {w.id: w for w in catalogue}
        self.translate = translate
        self._running: dict[str, Running] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._inbox = Inbox("warmup-events", self._from_meeting)
        self._inbox.listen(bus, PollAnswered, KeypadAnswer, ChatReceived, SessionEnded)

    def open(self) -> None:
        self._inbox.start()

    async def close(self) -> None:
        await self._inbox.close()

    async def settled(self) -> None:
        await self._inbox.settled()

    # --- choosing ------------------------------------------------------------------------

    async def recent(self, session_id: str) -> frozenset[str]:
        """Warm-ups this group (sessions of the same meeting room) played in its last
        sessions before this one."""
        async with self.database.session() as db:
            played = await warmups_db.history(db, session_id, rules.NO_REPEAT_SESSIONS)
        return rules.recently_played(played)

    async def offer(self, session_id: str, filters: Filters) -> tuple[list[WarmUp], list[WarmUp]]:
        """(what fits and was not played recently, what fits but was played recently)."""
        recent = await self.recent(session_id)
        fresh = rules.matching(self.catalogue, filters, recent)
        again = [w for w in rules.matching(self.catalogue, filters) if w.id in recent]
        return fresh, again

    async def surprise(self, session_id: str, filters: Filters) -> WarmUp | None:
        recent = await self.recent(session_id)
        return rules.surprise(self.catalogue, filters, recent, random.Random())  # noqa: S311

    # --- running -------------------------------------------------------------------------

    async def start(
        self, session_id: str, warmup_id: str, *, announce: bool, on_purpose: bool = False
    ) -> WarmupRun:
        warmup = self.by_id.get(warmup_id)
        if warmup is None:
            raise WarmupError("there is no such warm-up in the catalogue")
        async with self._locks[session_id]:
            if await self._load(session_id) is not None:
                raise WarmupError("a warm-up is running; close it first")
            refused = await chat_digits.refusal(self.database, session_id, Starting.WARMUP)
            if refused is not None:  # "2" would be a vote and a pick of group 2 at once
                raise WarmupError(self.translate(refused))
            if warmup.id in await self.recent(session_id) and not on_purpose:
                raise WarmupError(
                    "this group played that warm-up recently; pick it again on purpose to play it"
                )
            async with self.database.session() as db:
                session = await db.get(MeetingSession, session_id)
                if session is None or session.ended_at is not None:
                    raise WarmupError("the session has ended")
                row = WarmupRun(
                    session_id=session_id,
                    warmup_id=warmup.id,
                    format=warmup.format.value,
                    on_purpose=on_purpose,
                    announce=announce,
                    started_at=self.clock.now(),
                )
                db.add(row)
                await db.commit()
                await db.refresh(row)
            assert row.id is not None
            tally = rules.open_tally(max(1, len(warmup.choices)))
            running = Running(row.id, warmup, tally, None, [])
            self._running[session_id] = running
        poll_id, notices = await self.voice.begin(session, warmup)
        async with self._locks[session_id]:
            running.poll_id = poll_id
            running.notices = notices
            await self._save(running, notices=notices)
        self._publish(session_id)
        return row

    async def finish(self, session_id: str) -> WarmupRun | None:
        """Close the running warm-up: late answers no longer count; results said if chosen."""
        async with self._locks[session_id]:
            running = await self._load(session_id)
            if running is None:
                return None
            running.tally = rules.close(running.tally)
            async with self.database.session() as db:
                row = await db.get(WarmupRun, running.run_id)
                assert row is not None
                row.state = "closed"
                row.closed_at = self.clock.now()
                row.votes = dict(running.tally.votes)
                row.counts = list(rules.counts(running.tally))
                row.passes = rules.passes(running.tally)
                db.add(row)
                await db.commit()
                await db.refresh(row)
            self._running.pop(session_id, None)
        if row.announce:
            session = await self._session(session_id)
            if session is not None:
                await self.voice.results(session, running.warmup, running.tally)
        self.bus.publish(WarmupsChanged(session_id, await self.view(session_id)))
        return row

    async def view(self, session_id: str) -> dict[str, Any]:
        running = await self._load(session_id)
        if running is not None:
            return describe(
                running.warmup, running.tally, running.said, True, self.translate, running.notices
            )
        async with self.database.session() as db:
            last = await warmups_db.last_run(db, session_id)
        if last is None or last.warmup_id not in self.by_id:
            return {"running": False, "warmup": None}
        warmup = self.by_id[last.warmup_id]
        tally = Tally(max(1, len(warmup.choices)), dict(last.votes), closed=True)
        view = describe(warmup, tally, last.said, False, self.translate)
        if not last.votes:  # after the session: only the counts were kept
            view["counts"] = _with_counts(view["counts"], last.counts)
            view["passes"], view["answered"] = last.passes, sum(last.counts) + last.passes
        return view

    # --- answers -------------------------------------------------------------------------

    async def _from_meeting(self, event: MeetingEvent) -> None:
        session_id = event.session_id
        if isinstance(event, SessionEnded):
            await self.finish(session_id)
            async with self.database.session() as db:
                await warmups_db.forget_answers(db, session_id)
                await db.commit()
            return
        running = await self._load(session_id)
        if running is None:
            return
        warmup = running.warmup
        if isinstance(event, PollAnswered):
            if event.poll_id != running.poll_id or True not in event.answers:
                return
            picked = event.answers.index(True) + 1
            answer = PASS if picked > len(warmup.choices) else picked
            await self._vote(session_id, f"web:{event.voter}", answer)
        elif isinstance(event, KeypadAnswer) and event.person_id:
            if warmup.format is Format.GO_ROUND:
                if event.answer == PASS:
                    self.bus.publish(TurnPassed(session_id, event.person_id))
                return
            if warmup.format is Format.CHAT_PROMPT:
                return
            if not rules.valid(running.tally, event.answer):
                await self.voice.please_press(session_id, event.person_id, warmup)
                return
            await self._vote(session_id, f"phone:{event.person_id}", event.answer)
        elif isinstance(event, ChatReceived):
            await self._chat(session_id, running, event)

    async def _chat(self, session_id: str, running: Running, event: ChatReceived) -> None:
        text = " ".join(event.text.split())[:MAX_ANSWER]
        if not text or event.private or self.voice.is_assistant(session_id, event.sender):
            return
        warmup = running.warmup
        if warmup.format is Format.GO_ROUND:
            if text.lower().strip(".!") == "pass":
                self.bus.publish(TurnPassed(session_id, event.sender))
            return
        if warmup.format is Format.CHAT_PROMPT:
            name = event.sender_name.strip()
            signed = bool(name) and text.lower().startswith(name.lower())
            async with self._locks[session_id]:
                if len(running.said) < MAX_SAID:
                    running.said.append({"text": text, "name": name if signed else None})
                    await self._save(running)
            self._publish(session_id)
            return
        word = text.lower().strip(".!")
        answer = (
            PASS if word == "pass" else int(word) if word.isdigit() and len(word) == 1 else None
        )
        if answer is not None and rules.valid(running.tally, answer):
            await self._vote(session_id, f"web:{event.sender}", answer)

    async def _vote(self, session_id: str, voter: str, answer: int) -> None:
        async with self._locks[session_id]:
            running = self._running.get(session_id)
            if running is None or running.tally.closed:
                return  # late: after close
            running.tally = rules.vote(running.tally, voter, answer)
            await self._save(running)
        self._publish(session_id)

    def forget(self, session_id: str) -> None:
        """Another instance runs this meeting now: what is kept here may go stale."""
        self._running.pop(session_id, None)

    def _publish(self, session_id: str) -> None:
        running = self._running.get(session_id)
        if running is not None:
            view = describe(
                running.warmup, running.tally, running.said, True, self.translate, running.notices
            )
            self.bus.publish(WarmupsChanged(session_id, view))

    # --- storage -------------------------------------------------------------------------

    async def _session(self, session_id: str) -> MeetingSession | None:
        async with self.database.session() as db:
            return await db.get(MeetingSession, session_id)

    async def _load(self, session_id: str) -> Running | None:
        """The session's open run: in memory, or from the database after a restart."""
        running = self._running.get(session_id)
        if running is not None:
            return running
        async with self.database.session() as db:
            row = await warmups_db.open_run(db, session_id)
        if row is None or row.id is None or row.warmup_id not in self.by_id:
            return None
        warmup = self.by_id[row.warmup_id]
        tally = Tally(max(1, len(warmup.choices)), dict(row.votes))
        running = Running(row.id, warmup, tally, row.poll_id, list(row.said), list(row.notices))
        self._running[session_id] = running
        return running

    async def _save(self, running: Running, notices: list[str] | None = None) -> None:
        async with self.database.session() as db:
            row = await db.get(WarmupRun, running.run_id)
            if row is None:
                return
            row.votes = dict(running.tally.votes)
            row.said = list(running.said)
            row.poll_id = running.poll_id
            if notices is not None:
                row.notices = notices
            db.add(row)
            await db.commit()


def _with_counts(lines: list[dict[str, Any]], kept: list[int]) -> list[dict[str, Any]]:
    return [{**line, "count": kept[i] if i < len(kept) else 0} for i, line in enumerate(lines)]
