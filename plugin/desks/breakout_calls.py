"""Moving phone callers between a session's rooms for breakout groups (separate calls): the
call's place is recorded first (so `*8` and a provider's fetch of the rejoin address find
it), then the phone line is asked to move it. A move that fails leaves the caller in the
main meeting, never in silence, and comes back as a notice saying what to do."""

from __future__ import annotations

from plugin.clock import Clock
from plugin.db import phone as phone_db
from plugin.db.engine import Database
from plugin.db.models import MeetingSession, PhoneCall
from plugin.desks.caller_language import CallerLanguages, call_ref
from plugin.i18n import N_
from plugin.jitsi.jid import RoomAddress
from plugin.phoneline import PhoneLine, PhoneLineError
from plugin.settings import Settings

Notice = dict[str, object]


def notice(code: str, *, group: int | None = None, person: str = "", detail: str = "") -> Notice:
    return {"code": code, "group": group, "person": person, "detail": detail[:200]}


class CallMover:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock,
        line: PhoneLine,
        voices: CallerLanguages,
    ) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock
        self.line = line
        self.voices = voices  # what a moved caller hears is in their call's language

    def conference(self, session: MeetingSession, room: str) -> str:
        return RoomAddress(room, session.tenant, self.settings.muc_domain).jid

    async def by_person(self, session_id: str) -> dict[str, PhoneCall]:
        async with self.database.session() as db:
            found = await phone_db.calls_by_person(db, session_id, self.clock.now())
            await db.commit()
            return found

    async def move(
        self,
        session: MeetingSession,
        call: PhoneCall,
        room: str | None,
        number: int | None,
        name: str,
        *,
        to_group: str | None,
    ) -> list[Notice]:
        """Move one call to a group's room (or back, `room` None), recording where it
        is meant to be first, so a caller's own key press (*8) and the provider's fetch of
        the rejoin address both find it."""
        async with self.database.session() as db:
            row = await db.get(PhoneCall, call.id)
            if row is None or row.ended_at is not None:
                return []
            row.group_room = room
            # The caller arrives as a new Jigasi participant: link the call afresh.
            row.participant_id = None
            db.add(row)
            await db.commit()
        if not self.line.can_move(call.dialect):
            if call.dialect != "pbx":  # only a PBX hears keys during the meeting (*8)
                await self.back_in_records(call)
                return [notice("phone_cannot_move", group=number, person=name)] if room else []
            code = "phone_press_key" if room else "phone_back_by_hand"
            return [notice(code, group=number, person=name)]
        if to_group:
            text = N_("Taking you to your group now.")
        else:
            text = N_("Taking you back to the main meeting now.")
        target = room or session.room
        try:
            await self.line.move(
                call_ref(call),
                room=target,
                conference=self.conference(session, target),
                say=[self.voices.say(call, text)],
            )
        except PhoneLineError as exc:
            if room is not None:
                await self.back_in_records(call)
                return [notice("phone_move_failed", group=number, person=name, detail=str(exc))]
            return [notice("phone_back_failed", person=name, detail=str(exc))]
        return []

    async def back_in_records(self, call: PhoneCall) -> None:
        async with self.database.session() as db:
            row = await db.get(PhoneCall, call.id)
            if row is not None:
                row.group_room = None
                db.add(row)
                await db.commit()
