"""The tables of the meeting's activities: the speaking queue, breakout rounds, warm-ups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from plugin.db.types import utc_field as _ts


class SpeakingQueue(SQLModel, table=True):
    """A session's speaking queue (facilitation.queue), so a restart loses no hand."""

    __tablename__ = "speaking_queue"
    session_id: str = Field(foreign_key="meeting_session.id", primary_key=True, max_length=32)
    seq: int = 0
    state: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = _ts()


class BreakoutRound(SQLModel, table=True):
    """A session's breakout groups (facilitation.breakouts): the plan, the round's timer,
    the rooms made for it and what went wrong, so a restart brings nobody back early."""

    __tablename__ = "breakout_round"
    session_id: str = Field(foreign_key="meeting_session.id", primary_key=True, max_length=32)
    seq: int = 0
    state: str = Field(default="planning", max_length=10)  # planning | open | closed
    plan: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    timer: dict[str, object] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # group number (as text) -> the room made for it: {"room": name, "jid": breakout JID}
    rooms: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    notices: list[dict[str, object]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    updated_at: datetime = _ts()


class WarmupRun(SQLModel, table=True):
    """One warm-up played in a session. The answers (`votes`, `said`) live only while the
    session does; the counts stay (and say which warm-ups a group has played)."""

    __tablename__ = "warmup_run"
    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="meeting_session.id", index=True, max_length=32)
    warmup_id: str = Field(max_length=60)
    format: str = Field(max_length=20)
    state: str = Field(default="open", max_length=10)  # open | closed
    on_purpose: bool = False  # picked although played recently
    announce: bool = False  # results said in the meeting chat at close
    poll_id: str | None = Field(default=None, max_length=40)
    votes: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    said: list[dict[str, object]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    counts: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    passes: int = 0
    notices: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    started_at: datetime = _ts()
    closed_at: datetime | None = _ts(nullable=True)
