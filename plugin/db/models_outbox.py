"""The notification outbox's table."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from plugin.db.types import utc_field as _ts


class Notification(SQLModel, table=True):
    """The outbox: an alert to send (email or webhook), written in the same transaction as
    what caused it, sent by whichever instance claims it first. Holds no health content."""

    __tablename__ = "notification"
    id: int | None = Field(default=None, primary_key=True)
    # One row per alert and recipient, however often the cause is processed.
    dedupe_key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=10)  # facilitation.notices.Kind
    channel: str = Field(max_length=10)  # facilitation.notices.Channel
    session_id: str | None = Field(
        default=None, foreign_key="meeting_session.id", index=True, max_length=32
    )
    flag_id: int | None = Field(default=None, foreign_key="flag.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    address: str = Field(default="", max_length=320)
    subject: str = Field(max_length=300)
    body: str = Field(max_length=4000)
    state: str = Field(default="pending", max_length=10)  # facilitation.notices.State
    attempts: int = 0
    next_attempt_at: datetime = _ts(index=True)
    # A sender holds a claim while it sends; another instance takes the row only after.
    claimed_until: datetime | None = _ts(nullable=True)
    claimed_by: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)
