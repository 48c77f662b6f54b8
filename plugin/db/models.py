"""Tables. Later steps add their own; the audit log is append-only (enforced by triggers)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from plugin.db.types import utc_field

_ts = utc_field


class Account(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=120)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)
    disabled: bool = False
    created_at: datetime = _ts()
    # Where flag alerts go (unset: none), and which: facilitation.notices.Preference.
    email: str | None = Field(default=None, max_length=254)
    notify: str = Field(default="all", max_length=10)


class LoginSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "login_session"
    token_hash: str = Field(primary_key=True, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    created_at: datetime = _ts()
    expires_at: datetime = _ts(index=True)


class LoginFailure(SQLModel, table=True):
    __tablename__ = "login_failure"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, index=True)
    at: datetime = _ts(index=True)


class SetupToken(SQLModel, table=True):
    """One-time link that creates the first admin account."""

    __tablename__ = "setup_token"
    token_hash: str = Field(primary_key=True, max_length=64)
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    used_at: datetime | None = _ts(nullable=True)


class MeetingSession(SQLModel, table=True):
    """A facilitation session run alongside one Jitsi meeting."""

    __tablename__ = "meeting_session"
    id: str = Field(primary_key=True, max_length=32)
    meeting_url: str = Field(max_length=600)
    jitsi_base: str = Field(max_length=300)
    tenant: str | None = Field(default=None, max_length=200)
    room: str = Field(max_length=200, index=True)
    room_label: str = Field(max_length=200)  # as the facilitator typed it, for display
    # Set while the session is live, NULL once ended: the unique index makes
    # "one live session per room" hold even under concurrent starts.
    live_key: str | None = Field(default=None, max_length=800, unique=True)
    join_code: str = Field(max_length=16, unique=True, index=True)
    created_by: int = Field(foreign_key="account.id")
    started_at: datetime = _ts()
    ended_at: datetime | None = _ts(nullable=True)
    # Set once the no-check-out flags are raised, so they are raised once.
    missing_checked_at: datetime | None = _ts(nullable=True)
    # After the retention period the answers go; these counts stay (facilitation.followup.Tally).
    purged_at: datetime | None = _ts(nullable=True)
    checkout_tally: dict[str, int] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )


class SessionMember(SQLModel, table=True):
    __tablename__ = "session_member"
    __table_args__ = (UniqueConstraint("session_id", "account_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="meeting_session.id", index=True, max_length=32)
    account_id: int = Field(foreign_key="account.id", index=True)
    role: str = Field(max_length=20)


class Participant(SQLModel, table=True):
    """Someone in the meeting: web or phone. Filled by the connector (and the webhooks)."""

    __table_args__ = (Index("ix_participant_session_jitsi", "session_id", "jitsi_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="meeting_session.id", index=True, max_length=32)
    kind: str = Field(max_length=10)  # "web" | "phone"
    display_name: str = Field(max_length=120)
    jitsi_id: str | None = Field(default=None, max_length=120)
    role: str = Field(default="", max_length=20)
    joined_at: datetime = _ts()
    left_at: datetime | None = _ts(nullable=True)
    # A name a facilitator gave (a phone caller is otherwise "…123"); shown instead.
    given_name: str | None = Field(default=None, max_length=60)
    # The occupant's real JID as the assistant saw it (matches event_sync's occupant_jid).
    real_jid: str | None = Field(default=None, max_length=300, index=True)
    # Where they are: "" is the main room, else the breakout room's name.
    room: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})

    @property
    def shown_name(self) -> str:
        return self.given_name or self.display_name


class AssistantConnection(SQLModel, table=True):
    """A JID the assistant itself used in a meeting: never counted as a person."""

    __tablename__ = "assistant_connection"
    jid: str = Field(primary_key=True, max_length=300)
    session_id: str = Field(foreign_key="meeting_session.id", index=True, max_length=32)
    seen_at: datetime = _ts()


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    actor_id: int | None = Field(default=None, foreign_key="account.id")
    action: str = Field(max_length=60, index=True)
    target: str = Field(max_length=200)
    detail: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class WebhookEvent(SQLModel, table=True):
    """A webhook as received: stored before it is acknowledged, applied afterwards."""

    __tablename__ = "webhook_event"
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=20)  # "prosody" | "jaas"
    # Idempotency: JaaS's idempotencyKey, or a hash of event_sync's natural key.
    dedupe_key: str = Field(max_length=64, unique=True)
    event_type: str = Field(max_length=60)
    room: str = Field(max_length=200, index=True)
    tenant: str = Field(default="", max_length=200)
    occurred_at: datetime = _ts()
    received_at: datetime = _ts(index=True)
    processed_at: datetime | None = _ts(nullable=True, index=True)
    payload: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # What the event says about who was where, in the domain's terms (set by the adapter).
    sightings: list[dict[str, object]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class Attendance(SQLModel, table=True):
    """One connection's stay in a meeting, merged from every report about it."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("room", "tenant", "occupant"),)
    id: int | None = Field(default=None, primary_key=True)
    room: str = Field(max_length=200, index=True)
    tenant: str = Field(default="", max_length=200)
    occupant: str = Field(max_length=300)
    name: str = Field(default="", max_length=120)
    name_at: datetime | None = _ts(nullable=True)
    kind: str = Field(default="web", max_length=10)
    joined_at: datetime = _ts()
    last_joined_at: datetime | None = _ts(nullable=True)
    left_at: datetime | None = _ts(nullable=True)


class ConferencePin(SQLModel, table=True):
    """A room's dial-in PIN: stable while the room is in use, never shared by two rooms."""

    __tablename__ = "conference_pin"
    id: int | None = Field(default=None, primary_key=True)
    conference: str = Field(max_length=500, unique=True)  # room@muc, as Jitsi Meet asks
    pin: str = Field(max_length=9, unique=True)
    created_at: datetime = _ts()
    last_used_at: datetime = _ts(index=True)


class PhoneCall(SQLModel, table=True):
    """One phone call, in either dialect: where it is in the conversation and whom it is."""

    __tablename__ = "phone_call"
    id: int | None = Field(default=None, primary_key=True)
    call_key: str = Field(max_length=160, unique=True)  # dialect:provider's call id
    dialect: str = Field(max_length=10)  # "twiml" | "pbx"
    step: str = Field(max_length=20)
    language: str = Field(max_length=10)
    tries: int = 0
    conference: str | None = Field(default=None, max_length=500)
    session_id: str | None = Field(
        default=None, foreign_key="meeting_session.id", index=True, max_length=32
    )
    participant_id: int | None = Field(default=None, foreign_key="participant.id")
    caller_tail: str = Field(default="", max_length=3)  # last 3 digits: all anyone sees
    # The full number, encrypted, only while the call lasts (for a call-back request).
    caller_sealed: str | None = Field(default=None, max_length=400)
    feeling: str | None = Field(default=None, max_length=20)
    contact: str | None = Field(default=None, max_length=20)
    started_at: datetime = _ts()
    connected_at: datetime | None = _ts(nullable=True)
    ended_at: datetime | None = _ts(nullable=True)
    # The Jitsi room a breakout group moved the call to (None: the session's own room).
    group_room: str | None = Field(default=None, max_length=200)


class Checkout(SQLModel, table=True):
    """A participant's wellbeing check-out (web form or phone keypad) and its flag."""

    __tablename__ = "checkout"
    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="meeting_session.id", index=True, max_length=32)
    participant_id: int | None = Field(default=None, foreign_key="participant.id")
    phone_call_id: int | None = Field(default=None, foreign_key="phone_call.id", unique=True)
    source: str = Field(max_length=10)  # "web" | "phone"
    display_name: str = Field(default="", max_length=120)
    feeling: str = Field(max_length=20)
    contact: str = Field(max_length=20)
    # Encrypted at rest (Fernet): a call-back number or other contact way, only if asked.
    contact_detail: str | None = Field(default=None, max_length=2000)
    flag_level: str | None = Field(default=None, max_length=10)
    flag_reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts(index=True)
    # The web form's link: edits through it change this row, and only this row.
    link_id: int | None = Field(default=None, foreign_key="checkout_link.id", unique=True)
    note: str | None = Field(default=None, max_length=6000)  # sealed free text
    feedback: str | None = Field(default=None, max_length=6000)  # sealed free text
    updated_at: datetime | None = _ts(nullable=True)


class CheckoutLink(SQLModel, table=True):
    """A personal check-out link. Only the token's hash is kept."""

    __tablename__ = "checkout_link"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    session_id: str = Field(foreign_key="meeting_session.id", index=True, max_length=32)
    participant_id: int | None = Field(default=None, foreign_key="participant.id")
    channel: str = Field(max_length=10)  # "chat" | "join" | "code"
    created_at: datetime = _ts()
    expires_at: datetime = _ts(index=True)


class Flag(SQLModel, table=True):
    """Something a host must follow up: a check-out's flag, or no check-out at all."""

    __tablename__ = "flag"
    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="meeting_session.id", index=True, max_length=32)
    checkout_id: int | None = Field(default=None, foreign_key="checkout.id", unique=True)
    # For a no-check-out flag: every connection of the person, so a late check-out settles it.
    participant_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    display_name: str = Field(default="", max_length=120)
    level: str = Field(max_length=10)
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="open", max_length=12)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class FlagAction(SQLModel, table=True):
    """Who did what about a flag, and when; the note is sealed. System changes have no actor."""

    __tablename__ = "flag_action"
    id: int | None = Field(default=None, primary_key=True)
    flag_id: int = Field(foreign_key="flag.id", index=True)
    at: datetime = _ts()
    actor_id: int | None = Field(default=None, foreign_key="account.id")
    kind: str = Field(max_length=20)  # "host" | "answers_changed" | "checked_out_late"
    status: str = Field(max_length=12)
    note: str | None = Field(default=None, max_length=6000)


class PhoneDelivery(SQLModel, table=True):
    """PBX webhook ids already handled: a replay is refused, not acted on twice."""

    __tablename__ = "phone_delivery"
    webhook_id: str = Field(primary_key=True, max_length=128)
    received_at: datetime = _ts(index=True)


# The tables of later steps, in modules of their own; imported here so every table is
# registered with the metadata and `from plugin.db.models import X` finds each.
from plugin.db.models_activities import BreakoutRound as BreakoutRound  # noqa: E402
from plugin.db.models_activities import SpeakingQueue as SpeakingQueue  # noqa: E402
from plugin.db.models_activities import WarmupRun as WarmupRun  # noqa: E402
from plugin.db.models_cluster import ClusterInstance as ClusterInstance  # noqa: E402
from plugin.db.models_cluster import ClusterLease as ClusterLease  # noqa: E402
from plugin.db.models_cluster import ClusterMessage as ClusterMessage  # noqa: E402
from plugin.db.models_outbox import Notification as Notification  # noqa: E402
