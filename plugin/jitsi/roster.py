"""Who is in one meeting and where, kept from MUC presence and the breakout component's
updates, and the typed events each change makes.

The assistant sits in the main room only. Someone moved into a breakout room leaves the
main room (MUC `unavailable`) and shows up in the breakout component's next update; while
breakout rooms exist a leave is therefore held for a short grace period, and becomes a
move once an update places the person, or a leave if none does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from facilitation.attendance import masked_phone_name
from facilitation.meeting_events import (
    MAIN_ROOM,
    BreakoutRoom,
    HandChanged,
    HandSource,
    MeetingEvent,
    Person,
    PersonJoined,
    PersonKind,
    PersonLeft,
    PersonMoved,
    PersonUpdated,
)
from plugin.jitsi.stanzas import Presence

FOCUS_NICK = "focus"


@dataclass(frozen=True)
class Member:
    id: str  # the MUC nickname, which Jitsi uses as the participant id
    display_name: str
    role: str
    kind: str  # "web" | "phone"
    hand_raised_at: int | None  # epoch ms, Jitsi's own timestamp
    joined_at: int  # epoch ms, when the bot first saw them
    real_jid: str | None
    room: str = MAIN_ROOM
    # Back from a breakout room with the hand raised before the move: Jitsi Meet lowers
    # its own hand whenever it leaves a conference, so until this person raises a hand
    # again in Jitsi, presence without one does not lower the queued hand.
    hand_held: bool = False

    def person(self) -> Person:
        return Person(
            id=self.id,
            name=self.display_name,
            role=self.role,
            kind=PersonKind(self.kind),
            joined_at_ms=self.joined_at,
            real_jid=self.real_jid,
            hand_raised_ms=self.hand_raised_at,
            room=self.room,
        )


def _bare(jid: str | None) -> str:
    return (jid or "").split("/", 1)[0].lower()


class Roster:
    """The live participant list of one meeting, as the bot sees it.

    `members` are in the main room, `away` in breakout rooms, `leaving` have left the
    main room while breakout rooms exist and are not placed yet. After a reconnect the old
    members stay listed as `unconfirmed` until they show up again or the grace period
    ends: a Prosody restart drops everyone for a moment, and that must not read as
    everyone leaving.
    """

    def __init__(
        self, own_nick: str, session_id: str = "", jigasi_domains: tuple[str, ...] = ()
    ) -> None:
        self.session_id = session_id
        # Like Jicofo's jigasi trusted-domains: empty trusts the Jigasi feature from anyone.
        self.jigasi_domains = frozenset(domain.lower() for domain in jigasi_domains)
        # Every nickname the bot has used: after a reconnect its old occupant may linger.
        self.own_nicks = {own_nick}
        self.members: dict[str, Member] = {}
        self.away: dict[str, Member] = {}
        self.leaving: dict[str, Member] = {}
        self.unconfirmed: set[str] = set()
        self.breakout_rooms: tuple[BreakoutRoom, ...] = ()

    @property
    def has_breakout_rooms(self) -> bool:
        return any(not room.is_main for room in self.breakout_rooms)

    def people(self) -> tuple[Person, ...]:
        """Everyone still in the meeting, in any room."""
        found = {**self.away, **self.leaving, **self.members}
        return tuple(member.person() for member in found.values())

    def find(self, participant_id: str) -> Member | None:
        return (
            self.members.get(participant_id)
            or self.away.get(participant_id)
            or self.leaving.get(participant_id)
        )

    def begin_rejoin(self, own_nick: str) -> None:
        self.own_nicks.add(own_nick)
        for nick in self.own_nicks & set(self.members):
            del self.members[nick]
        self.unconfirmed = set(self.members)

    def drop_unconfirmed(self) -> list[MeetingEvent]:
        events: list[MeetingEvent] = [
            PersonLeft(self.session_id, nick) for nick in sorted(self.unconfirmed)
        ]
        for nick in self.unconfirmed:
            self.members.pop(nick, None)
        self.unconfirmed = set()
        return events

    # --- MUC presence in the main room --------------------------------------------------

    def _is_phone(self, presence: Presence) -> bool:
        """Jicofo's rule: the Jigasi feature, from a JID on a trusted domain when the admin
        lists any. Without moderator rights the real JID may be hidden; then the feature
        alone decides, as it does for Jicofo when no domain is listed."""
        if not presence.is_jigasi:
            return False
        if not self.jigasi_domains or presence.real_jid is None:
            return True
        domain = _bare(str(presence.real_jid)).rsplit("@", 1)[-1]
        return domain in self.jigasi_domains

    def apply(self, presence: Presence, now_ms: int) -> list[MeetingEvent]:
        nick = presence.nick
        if not nick or nick in self.own_nicks or nick == FOCUS_NICK or presence.error:
            return []
        current = self.members.get(nick)
        if presence.unavailable:
            self.unconfirmed.discard(nick)
            if current is None:
                return []
            del self.members[nick]
            if self.has_breakout_rooms:
                self.leaving[nick] = current  # perhaps on the way to a breakout room
                return []
            return [PersonLeft(self.session_id, nick)]
        returning = self.away.pop(nick, None) or self.leaving.pop(nick, None)
        before = current or returning
        hand = presence.raised_hand
        if presence.raised_hand_unknown_time:
            hand = before.hand_raised_at if before and before.hand_raised_at else now_ms
        held = False
        if hand is None and before is not None and before.hand_raised_at:
            held = returning is not None or before.hand_held
            hand = before.hand_raised_at if held else None
        kind = "phone" if self._is_phone(presence) else "web"
        seen = Member(
            id=nick,
            # Jigasi shows a caller's number as their name: only its last 3 digits are kept.
            display_name=(
                masked_phone_name(presence.display_name)
                if kind == "phone"
                else presence.display_name
            ),
            role=presence.role,
            kind=kind,
            hand_raised_at=hand,
            joined_at=before.joined_at if before else now_ms,
            real_jid=str(presence.real_jid) if presence.real_jid else None,
            hand_held=held,
        )
        self.members[nick] = seen
        self.unconfirmed.discard(nick)
        if before is None:
            events: list[MeetingEvent] = [PersonJoined(self.session_id, seen.person())]
            if seen.hand_raised_at:
                events.append(self._hand(seen))
            return events
        events = []
        if returning is not None and returning.room != MAIN_ROOM:
            events.append(PersonMoved(self.session_id, nick, MAIN_ROOM))
        return events + self._changes(before, seen)

    # --- the breakout component's view of every room --------------------------------------

    def apply_rooms(self, rooms: tuple[BreakoutRoom, ...]) -> list[MeetingEvent]:
        """Place people from the component's update: moves into and between breakout
        rooms, and newcomers who went straight to one."""
        self.breakout_rooms = rooms
        events: list[MeetingEvent] = []
        placed: set[str] = set()
        for room in rooms:
            if room.is_main:
                continue
            for entry in room.members:
                nick = entry.occupant.rsplit("/", 1)[-1] if "/" in entry.occupant else ""
                member = self._match(entry.real_jid, nick)
                if member is None:
                    if not nick or nick in self.own_nicks or nick == FOCUS_NICK:
                        continue
                    fresh = Member(nick, entry.name, "", "web", None, 0, entry.real_jid, room.name)
                    self.away[nick] = fresh
                    placed.add(nick)
                    events.append(PersonJoined(self.session_id, fresh.person()))
                    continue
                placed.add(member.id)
                if member.id in self.members:
                    continue  # the main room's own presence is newer than this list
                self.leaving.pop(member.id, None)
                if member.room != room.name or member.id not in self.away:
                    self.away[member.id] = replace(member, room=room.name)
                    events.append(PersonMoved(self.session_id, member.id, room.name))
        for nick in [nick for nick in self.away if nick not in placed]:
            # Not in any breakout room now: on the way back, or gone; held like a leave.
            self.leaving[nick] = self.away.pop(nick)
        # Even when the last breakout room has gone, those on their way back keep the move
        # grace: closing the rooms sends everyone back at once, and their Jitsi Meet takes
        # a moment to rejoin the main room (the room watch's timer ends the wait).
        return events

    def expire_leaving(self) -> list[MeetingEvent]:
        """The grace period is over: whoever is still unplaced has left the meeting."""
        events: list[MeetingEvent] = [
            PersonLeft(self.session_id, nick) for nick in sorted(self.leaving)
        ]
        self.leaving = {}
        return events

    def _match(self, real_jid: str, nick: str) -> Member | None:
        wanted = _bare(real_jid)
        for pool in (self.leaving, self.away, self.members):
            for member in pool.values():
                if wanted and _bare(member.real_jid) == wanted:
                    return member
            if nick and nick in pool:
                return pool[nick]
        return None

    def _hand(self, member: Member) -> HandChanged:
        return HandChanged(self.session_id, member.id, member.hand_raised_at, HandSource.JITSI)

    def _changes(self, before: Member, after: Member) -> list[MeetingEvent]:
        events: list[MeetingEvent] = []
        changed = frozenset(
            name
            for name, old, new in (
                ("name", before.display_name, after.display_name),
                ("role", before.role, after.role),
                ("kind", before.kind, after.kind),
            )
            if old != new
        )
        if changed:
            events.append(PersonUpdated(self.session_id, after.person(), changed))
        if before.hand_raised_at != after.hand_raised_at:
            events.append(self._hand(after))
        return events
