"""Who is in one meeting, kept from MUC presence, and the console events each change makes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from facilitation.attendance import masked_phone_name
from facilitation.live_events import LiveEvent
from plugin.jitsi.stanzas import Presence

FOCUS_NICK = "focus"
Event = tuple[LiveEvent, dict[str, Any]]


@dataclass(frozen=True)
class Member:
    id: str  # the MUC nickname, which Jitsi uses as the participant id
    display_name: str
    role: str
    kind: str  # "web" | "phone"
    hand_raised_at: int | None  # epoch ms, Jitsi's own timestamp
    joined_at: int  # epoch ms, when the bot first saw them
    real_jid: str | None

    def as_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "displayName": self.display_name,
            "role": self.role,
            "kind": self.kind,
            "handRaised": self.hand_raised_at or 0,
            "joinedAt": self.joined_at,
        }


class Roster:
    """The live participant list of one room, as the bot sees it.

    After a reconnect the old members stay listed as `unconfirmed` until they show up
    again or the grace period ends: a Prosody restart drops everyone for a moment, and
    that must not read as everyone leaving.
    """

    def __init__(self, own_nick: str) -> None:
        # Every nickname the bot has used: after a reconnect its old occupant may linger.
        self.own_nicks = {own_nick}
        self.members: dict[str, Member] = {}
        self.unconfirmed: set[str] = set()

    def snapshot(self) -> list[dict[str, Any]]:
        return [member.as_data() for member in self.members.values()]

    def begin_rejoin(self, own_nick: str) -> None:
        self.own_nicks.add(own_nick)
        for nick in self.own_nicks & set(self.members):
            del self.members[nick]
        self.unconfirmed = set(self.members)

    def drop_unconfirmed(self) -> list[Event]:
        events = [(LiveEvent.PARTICIPANT_LEFT, {"id": nick}) for nick in sorted(self.unconfirmed)]
        for nick in self.unconfirmed:
            self.members.pop(nick, None)
        self.unconfirmed = set()
        return events

    def apply(self, presence: Presence, now_ms: int) -> list[Event]:
        nick = presence.nick
        if not nick or nick in self.own_nicks or nick == FOCUS_NICK or presence.error:
            return []
        current = self.members.get(nick)
        if presence.unavailable:
            self.unconfirmed.discard(nick)
            if current is None:
                return []
            del self.members[nick]
            return [(LiveEvent.PARTICIPANT_LEFT, {"id": nick})]
        hand = presence.raised_hand
        if presence.raised_hand_unknown_time:
            hand = current.hand_raised_at if current and current.hand_raised_at else now_ms
        seen = Member(
            id=nick,
            # Jigasi shows a caller's number as their name: only its last 3 digits are kept.
            display_name=(
                masked_phone_name(presence.display_name)
                if presence.is_jigasi
                else presence.display_name
            ),
            role=presence.role,
            kind="phone" if presence.is_jigasi else "web",
            hand_raised_at=hand,
            joined_at=current.joined_at if current else now_ms,
            real_jid=str(presence.real_jid) if presence.real_jid else None,
        )
        self.members[nick] = seen
        self.unconfirmed.discard(nick)
        if current is None:
            events: list[Event] = [(LiveEvent.PARTICIPANT_JOINED, seen.as_data())]
            if seen.hand_raised_at:
                events.append(_hand(seen))
            return events
        return _changes(current, seen)


def _hand(member: Member) -> Event:
    return (
        LiveEvent.RAISE_HAND_UPDATED,
        {"id": member.id, "handRaised": member.hand_raised_at or 0},
    )


def _changes(before: Member, after: Member) -> list[Event]:
    events: list[Event] = []
    if before.display_name != after.display_name:
        events.append(
            (LiveEvent.DISPLAY_NAME_CHANGE, {"id": after.id, "displayname": after.display_name})
        )
    if before.hand_raised_at != after.hand_raised_at:
        events.append(_hand(after))
    if before.role != after.role:
        events.append((LiveEvent.ROLE_CHANGED, {"id": after.id, "role": after.role}))
    if before.kind != after.kind:
        events.append((LiveEvent.PARTICIPANT_KIND_CHANGED, {"id": after.id, "kind": after.kind}))
    return events
