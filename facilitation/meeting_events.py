"""Everything that happens in a meeting, as small frozen values.

Adapters (the Jitsi connector, the phone desk) turn what they see into these and publish
them on the service's one bus; desks subscribe by type. Each event names its session.
A new feature is a new subscriber: nothing here knows who listens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

MAIN_ROOM = ""  # a person's `room` while they are in the main meeting room


class PersonKind(StrEnum):
    WEB = "web"
    PHONE = "phone"


class HandSource(StrEnum):
    JITSI = "jitsi"  # Jitsi's raised hand (presence)
    CHAT = "chat"  # "hand" in the meeting chat
    KEYPAD = "keypad"  # *9 on a phone


@dataclass(frozen=True)
class Person:
    """Someone in the meeting as the assistant sees them. `id` is Jitsi's participant id
    (the MUC nickname), kept across breakout rooms."""

    id: str
    name: str = ""
    role: str = ""
    kind: PersonKind = PersonKind.WEB
    joined_at_ms: int = 0
    real_jid: str | None = None
    hand_raised_ms: int | None = None  # what Jitsi shows; the speaking queue owns the queue
    room: str = MAIN_ROOM  # "" main room, else the breakout room's name


@dataclass(frozen=True)
class MeetingEvent:
    session_id: str


# --- the assistant ----------------------------------------------------------------------


@dataclass(frozen=True)
class AssistantJoined(MeetingEvent):
    """The assistant is in the meeting with a fresh, complete view of who is there."""

    room: str
    assistant_id: str
    assistant_jid: str
    role: str
    people: tuple[Person, ...] = ()


@dataclass(frozen=True)
class AssistantRestored(MeetingEvent):
    """Back after an outage; people not yet seen again are kept for a grace period."""

    assistant_jid: str
    role: str
    people: tuple[Person, ...] = ()


@dataclass(frozen=True)
class AssistantLeft(MeetingEvent):
    room: str


@dataclass(frozen=True)
class AssistantRoleChanged(MeetingEvent):
    role: str  # "moderator" when it may run breakouts and lower hands


@dataclass(frozen=True)
class ConnectionInterrupted(MeetingEvent):
    reason: str
    removed: bool = False  # a moderator sent it out: it stays out


# --- people -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonJoined(MeetingEvent):
    person: Person


@dataclass(frozen=True)
class PersonLeft(MeetingEvent):
    person_id: str


@dataclass(frozen=True)
class PersonMoved(MeetingEvent):
    """Into a breakout room, or back (`room` == MAIN_ROOM): still here, hand and all."""

    person_id: str
    room: str


@dataclass(frozen=True)
class PersonUpdated(MeetingEvent):
    """Name, role or kind changed; `changed` names which."""

    person: Person
    changed: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class HandChanged(MeetingEvent):
    """A hand went up (`raised_at_ms`) or down (None) at its source."""

    person_id: str
    raised_at_ms: int | None
    source: HandSource


@dataclass(frozen=True)
class KeypadHandPressed(MeetingEvent):
    """`*9`: raise the caller's hand, or lower it if it is up (the queue knows which)."""

    person_id: str


@dataclass(frozen=True)
class ChatReceived(MeetingEvent):
    sender: str
    sender_name: str
    text: str
    private: bool = False


@dataclass(frozen=True)
class KeypadAnswer(MeetingEvent):
    person_id: str | None
    answer: int


# --- a breakout group's own meeting (separate calls) ---------------------------------------


@dataclass(frozen=True)
class GroupRoomJoined(MeetingEvent):
    """The assistant is in a group's own Jitsi room (people there come as PersonJoined
    with `room` set to that room's name)."""

    room: str
    role: str


@dataclass(frozen=True)
class GroupRoomTrouble(MeetingEvent):
    """The assistant could not enter, or lost, a group's own room."""

    room: str
    reason: str


# --- Jitsi's rooms and polls --------------------------------------------------------------


@dataclass(frozen=True)
class RoomMember:
    occupant: str  # room@breakout.domain/nick
    real_jid: str
    name: str = ""


@dataclass(frozen=True)
class BreakoutRoom:
    id: str
    jid: str
    name: str
    is_main: bool = False
    members: tuple[RoomMember, ...] = ()


@dataclass(frozen=True)
class BreakoutRoomsUpdated(MeetingEvent):
    rooms: tuple[BreakoutRoom, ...] = ()


@dataclass(frozen=True)
class PollCreated(MeetingEvent):
    poll_id: str
    sender: str
    question: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class PollAnswered(MeetingEvent):
    poll_id: str
    voter: str
    answers: tuple[bool, ...]


# --- what the service decided (for consoles) ----------------------------------------------


@dataclass(frozen=True)
class QueueChanged(MeetingEvent):
    view: dict[str, object]  # the console's view of the speaking queue


@dataclass(frozen=True)
class HandShown(MeetingEvent):
    """The speaking queue's verdict on one hand, for the consoles' people lists."""

    person_id: str
    raised_at_ms: int | None


@dataclass(frozen=True)
class BreakoutsChanged(MeetingEvent):
    view: dict[str, object]  # the console's view of the breakout groups


@dataclass(frozen=True)
class WarmupsChanged(MeetingEvent):
    view: dict[str, object]  # the console's view of the running warm-up (its results)


class TeamChange(StrEnum):
    ASKED = "asked"  # someone asked to help run the session
    APPROVED = "approved"
    DECLINED = "declined"
    ADDED = "added"  # a co-facilitator added by username


@dataclass(frozen=True)
class TeamChanged(MeetingEvent):
    """Who runs the session, or who asks to, changed. No names: consoles fetch the team
    panel again (only those who may run the session get it)."""

    change: TeamChange


@dataclass(frozen=True)
class TurnPassed(MeetingEvent):
    """Someone passed their go in a go-round warm-up ("pass" in the chat, 0 on the keypad)."""

    person_id: str


@dataclass(frozen=True)
class NameGiven(MeetingEvent):
    person_id: str
    name: str


@dataclass(frozen=True)
class CheckoutFlagged(MeetingEvent):
    flag: dict[str, object]


@dataclass(frozen=True)
class AlertsQueued(MeetingEvent):
    """Alerts for hosts wait in the outbox (the sender wakes)."""


@dataclass(frozen=True)
class SessionEnded(MeetingEvent):
    ended_at: str  # ISO 8601
