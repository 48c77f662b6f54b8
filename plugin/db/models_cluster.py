"""The tables that let several instances share one PostgreSQL database: who is running,
which instance holds which meeting, and console messages too big for one NOTIFY.

On SQLite (one instance) the tables exist but stay empty."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from plugin.db.types import UTCDateTime


class ClusterInstance(SQLModel, table=True):
    """A running `facilitate serve`: where the others can reach it, and when it last said
    it was alive (database time)."""

    __tablename__ = "cluster_instance"
    id: str = Field(primary_key=True, max_length=120)
    url: str = Field(max_length=300)
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    seen_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class ClusterLease(SQLModel, table=True):
    """A lease: `meeting:<session id>` (that meeting's assistant, timers and inputs) or
    `schedule` (the jobs one instance runs for all). Valid until `expires_at`, in database
    time; `generation` counts hand-overs."""

    __tablename__ = "cluster_lease"
    name: str = Field(primary_key=True, max_length=80)
    holder: str = Field(max_length=120, index=True)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    taken_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    generation: int = 1


class ClusterMessage(SQLModel, table=True):
    """What a NOTIFY points at: a console message over NOTIFY's 8000-byte limit (`live`),
    or a meeting input (a key pressed on a call, say) that landed on one instance for the
    meeting another instance holds (`input`), kept until its holder takes it, so an
    instance dying in between loses nothing: the next holder takes it."""

    __tablename__ = "cluster_message"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)
    session_id: str | None = Field(default=None, max_length=32, index=True)
    body: str = Field(sa_column=Column(Text(), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
