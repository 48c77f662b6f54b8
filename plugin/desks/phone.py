"""The phone desk: one place where both phone dialects meet the meeting.

The TwiML and PBX handlers translate their requests into these calls and render the
`Reply` they get back; the conversation itself is `facilitation.phone`. Here: PINs to
rooms, the call's state in the database, the caller as a participant of the session
(linked to the Jigasi participant the assistant sees), and the keypad check-out stored
with the same flag rules as the web form. What happens in the meeting (`*9`, keypad
answers, a caller joining or leaving when no assistant sees them) is published on the bus
as typed events once committed; the speaking queue and the consoles subscribe.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation import phone as conversation
from facilitation.dialin import (
    BadConference,
    parse_conference,
    pbx_conference,
    same_meeting_room,
)
from facilitation.meeting_events import (
    CheckoutFlagged,
    HandChanged,
    HandSource,
    KeypadAnswer,
    KeypadHandPressed,
    MeetingEvent,
    Person,
    PersonJoined,
    PersonKind,
    PersonLeft,
)
from facilitation.phone import CallState, Effect, HandMove, Outcome, Reply, Step, caller_number
from facilitation.phone.prompts import MOVING
from facilitation.phone.replies import Connect
from plugin.bus import EventBus
from plugin.clock import Clock
from plugin.db import phone as phone_db
from plugin.db.checkouts import keypad_checkout, live_payload, record_flag
from plugin.db.engine import Database
from plugin.db.models import MeetingSession, Participant, PhoneCall
from plugin.db.outbox import Alerts
from plugin.desks.phone_lockout import CallerLockout
from plugin.desks.phone_types import CallOver, Later, UnknownCall
from plugin.security.sealing import Sealer
from plugin.settings import Settings

log = logging.getLogger(__name__)


class PhoneDesk:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock,
        bus: EventBus,
        has_assistant: Callable[[str], bool],
        deliver: Callable[[MeetingEvent], Awaitable[None]] | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock
        self.bus = bus
        self.has_assistant = has_assistant
        # What a call does goes to the meeting's owner (another instance, perhaps).
        self.deliver = deliver or self._publish
        self.sealer = Sealer(settings.secret())
        self.lockout = CallerLockout(settings.secret())

    async def started(
        self,
        dialect: str,
        call_id: str,
        caller: str,
        *,
        pin: str | None = None,
        room: str | None = None,
        language: str | None = None,
    ) -> Reply:
        """A new call. A PBX may already have the PIN or the room; TwiML never does."""
        settings = self.settings
        languages = settings.phone_languages
        later = Later()
        if language in languages:
            languages = (language,)  # the PBX already knows: no language menu
        now = self.clock.now()
        digits = caller_number(caller)  # "" when withheld: no call-back, no per-number limit
        row = PhoneCall(
            call_key=f"{dialect}:{call_id}",
            dialect=dialect,
            step=Step.PIN.value,
            language=languages[0],
            caller_tail=digits[-3:],
            caller_sealed=self.sealer.seal(caller.strip()) if digits else None,
            started_at=now,
        )
        async with self.database.session() as db:
            if await phone_db.call(db, row.call_key) is not None:
                raise CallOver("this call has already started")
            outcome = conversation.start(languages, settings.pin_digits)
            outcome = replace(outcome, state=replace(outcome.state, can_call_back=bool(digits)))
            if digits and await self.lockout.locked(db, digits, now):
                outcome = Outcome(
                    replace(outcome.state, step=Step.LOCKED),
                    Reply((conversation.LOCKED_OUT,), conversation.Hangup(), languages[0]),
                )
            elif room is not None:
                state = CallState(Step.PIN, languages[0])
                try:
                    jid = pbx_conference(room, self.settings.muc_domain)
                except BadConference:
                    outcome = await self._press(db, row, state, "", caller)
                else:
                    connected = CallState(Step.MEETING, state.language, room_jid=jid)
                    reply = Reply(
                        (conversation.CONNECTING,), conversation.Connect(jid), state.language
                    )
                    outcome = Outcome(connected, reply)
            elif pin is not None:
                state = CallState(Step.PIN, languages[0])
                outcome = await self._press(db, row, state, pin, caller)
            await self._settle(db, row, outcome, later)
            await db.commit()
        await self._after(later)
        assert outcome.reply is not None
        return outcome.reply

    async def first_delivery(self, webhook_id: str) -> bool:
        """Record a PBX delivery id; False if it was handled before (a replay)."""
        async with self.database.session() as db:
            replayed = await phone_db.seen_before(db, webhook_id, self.clock.now())
            await db.commit()
        return not replayed

    async def forget_delivery(self, webhook_id: str) -> None:
        with contextlib.suppress(Exception):  # best effort: the database may be the trouble
            async with self.database.session() as db:
                await phone_db.forget_delivery(db, webhook_id)
                await db.commit()

    async def pressed(
        self, dialect: str, call_id: str, digits: str, caller: str = ""
    ) -> Reply | None:
        """Keys pressed ("" when the caller pressed nothing in time)."""
        if digits:
            conversation.check_digits(digits)
        later = Later()
        async with self.database.session() as db:
            row = await self._live_call(db, dialect, call_id)
            outcome = await self._press(db, row, phone_db.state_of(row), digits, caller)
            await self._settle(db, row, outcome, later)
            if outcome.effect.go_to_group and row.conference is not None:
                moving = Connect(self._where(row))
                outcome = replace(outcome, reply=Reply((MOVING,), moving, row.language))
            await db.commit()
        await self._after(later)
        return outcome.reply

    async def left_meeting(self, dialect: str, call_id: str) -> Reply:
        """The meeting leg ended with the caller still on the line: the keypad check-out."""
        later = Later()
        async with self.database.session() as db:
            row = await self._live_call(db, dialect, call_id)
            state = phone_db.state_of(row)
            if row.session_id is None and row.conference is not None:
                await self._find_session(db, row)  # a session may have started since
            if row.session_id is None:
                # Not a facilitated meeting: no one would see a check-out, so ask none.
                done = replace(state, step=Step.DONE)
                outcome = Outcome(
                    done, Reply((conversation.GOODBYE,), conversation.Hangup(), state.language)
                )
            else:
                outcome = conversation.meeting_left(state)
            await self._settle(db, row, outcome, later)
            await db.commit()
        await self._after(later)
        assert outcome.reply is not None
        return outcome.reply

    async def ended(self, dialect: str, call_id: str) -> str:
        """The caller hung up (or the call could go no further). Idempotent: a second report
        changes nothing. Returns the call's language, for any last words."""
        later = Later()
        async with self.database.session() as db:
            row = await phone_db.call(db, f"{dialect}:{call_id}")
            if row is None:
                raise UnknownCall(f"no call {call_id!r}")
            if row.ended_at is not None:
                return row.language
            state = phone_db.state_of(row)
            effect = conversation.hung_up(state)
            await self._apply(db, row, state, effect, later)
            row.ended_at = self.clock.now()
            row.caller_sealed = None  # the number is kept only in a call-back request
            await self._leave(db, row, later)
            db.add(row)
            language = row.language
            await db.commit()
        await self._after(later)
        return language

    async def _after(self, later: Later) -> None:
        for event in later.events:
            await self.deliver(event)

    async def _publish(self, event: MeetingEvent) -> None:
        self.bus.publish(event)

    async def _live_call(self, db: AsyncSession, dialect: str, call_id: str) -> PhoneCall:
        row = await phone_db.call(db, f"{dialect}:{call_id}")
        if row is None:
            raise UnknownCall(f"no call {call_id!r}: it must start first")
        if row.ended_at is not None or row.step in (Step.DONE.value, Step.LOCKED.value):
            raise CallOver(f"call {call_id!r} is over")
        return row

    async def rejoin(self, dialect: str, call_id: str) -> Reply:
        """Where a call moved by the phone line goes now: its breakout group's room, or the
        meeting's own room (a provider fetches this after the live-call update)."""
        async with self.database.session() as db:
            row = await self._live_call(db, dialect, call_id)
            if row.conference is None or phone_db.state_of(row).step is not Step.MEETING:
                raise CallOver(f"call {call_id!r} is not in a meeting")
            return Reply((MOVING,), Connect(self._where(row)), row.language)

    def _where(self, row: PhoneCall) -> str:
        """The conference JID the call belongs in now: its group's own call, or the meeting."""
        assert row.conference is not None
        if not row.group_room:
            return row.conference
        return same_meeting_room(row.conference, row.group_room, self.settings.muc_domain)

    async def _press(
        self, db: AsyncSession, row: PhoneCall, state: CallState, digits: str, caller: str
    ) -> Outcome:
        now = self.clock.now()
        rooms: dict[str, str | None] = {}
        if state.step is Step.PIN and digits.rstrip("#").isdigit():
            pin = digits.rstrip("#")
            rooms[pin] = await phone_db.conference_for(db, pin, now)
        outcome = conversation.press(
            state,
            digits,
            languages=self.settings.phone_languages,
            pin_length=self.settings.pin_digits,
            lookup=lambda pin: rooms.get(pin),
        )
        if state.step is Step.PIN and outcome.state.step is not Step.MEETING:
            number = caller_number(caller or self.sealer.open_text(row.caller_sealed))
            return await self.lockout.after_wrong_pin(db, number, outcome, now)
        return outcome

    async def _settle(
        self, db: AsyncSession, row: PhoneCall, outcome: Outcome, later: Later
    ) -> None:
        before = row.step
        phone_db.keep_state(row, outcome.state)
        if before != Step.MEETING.value and outcome.state.step is Step.MEETING:
            await self._connected(db, row, later)
        db.add(row)
        await db.flush()
        await self._apply(db, row, outcome.state, outcome.effect, later)
        if before == Step.MEETING.value and outcome.state.step is not Step.MEETING:
            await self._leave(db, row, later)

    async def _connected(self, db: AsyncSession, row: PhoneCall, later: Later) -> None:
        row.connected_at = self.clock.now()
        if row.conference is None:
            return
        session = await self._find_session(db, row)
        if session is None or self.has_assistant(session.id):
            return  # the assistant will see Jigasi's participant; linked when needed
        # No assistant in this meeting: the call itself puts the caller on the list.
        db.add(row)
        await db.flush()
        person = await phone_db.participant_for(db, row, self.clock.now())
        if person is not None and person.jitsi_id:
            seen = Person(person.jitsi_id, person.display_name, kind=PersonKind.PHONE)
            later.events.append(PersonJoined(session.id, seen))

    async def _find_session(self, db: AsyncSession, row: PhoneCall) -> MeetingSession | None:
        """The live session of the call's room, if any (a room with no session is a plain
        Jitsi meeting: the caller joins it, nobody facilitates)."""
        if row.conference is None:
            return None
        try:
            room, tenant = parse_conference(row.conference, self.settings.muc_domain)
        except BadConference:
            return None
        session = await phone_db.live_session(db, room, tenant)
        row.session_id = session.id if session else None
        return session

    async def _apply(
        self, db: AsyncSession, row: PhoneCall, state: CallState, effect: Effect, later: Later
    ) -> None:
        now = self.clock.now()
        if effect.hand is not None and row.session_id is not None:
            person = await phone_db.participant_for(db, row, now)
            if person is not None and person.jitsi_id:
                if effect.hand is HandMove.TOGGLE and person.left_at is None:
                    later.events.append(KeypadHandPressed(row.session_id, person.jitsi_id))
                elif effect.hand is HandMove.DOWN:
                    down = HandChanged(row.session_id, person.jitsi_id, None, HandSource.KEYPAD)
                    later.events.append(down)
        if effect.keypad_answer is not None and row.session_id is not None:
            person = await phone_db.participant_for(db, row, now)
            who = person.jitsi_id if person else None
            later.events.append(KeypadAnswer(row.session_id, who, effect.keypad_answer))
        if effect.checkout and row.session_id is not None and state.feeling is not None:
            await self._store_checkout(db, row, state, later)

    async def _store_checkout(
        self, db: AsyncSession, row: PhoneCall, state: CallState, later: Later
    ) -> None:
        now = self.clock.now()
        person = await phone_db.participant_for(db, row, now)
        checkout, rule = keypad_checkout(row, state, person, self.sealer, now)
        db.add(checkout)
        flag, notify = await record_flag(db, checkout, rule, now, Alerts.of(self.settings))
        if flag is not None and notify and row.session_id is not None:
            later.events.append(CheckoutFlagged(row.session_id, live_payload(flag, "phone")))

    async def _leave(self, db: AsyncSession, row: PhoneCall, later: Later) -> None:
        """The caller is out of the meeting: their own participant row (if the assistant
        never saw them) leaves too, hand down."""
        if row.participant_id is None or row.id is None:
            return
        person = await db.get(Participant, row.participant_id)
        if person is None or person.left_at is not None:
            return
        if person.jitsi_id == phone_db.call_participant_id(row.id):
            person.left_at = self.clock.now()
            db.add(person)
            if row.session_id and person.jitsi_id:
                later.events.append(PersonLeft(row.session_id, person.jitsi_id))
