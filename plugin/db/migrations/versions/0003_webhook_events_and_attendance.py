"""webhook events and attendance

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plugin.db.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room", sa.String(length=200), nullable=False),
        sa.Column("tenant", sa.String(length=200), nullable=False),
        sa.Column("occupant", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_at", UTCDateTime(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.Column("last_joined_at", UTCDateTime(), nullable=True),
        sa.Column("left_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("room", "tenant", "occupant"),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_room"), ["room"], unique=False)

    op.create_table(
        "webhook_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("room", sa.String(length=200), nullable=False),
        sa.Column("tenant", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("sightings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    with op.batch_alter_table("webhook_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_event_processed_at"), ["processed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_event_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_webhook_event_room"), ["room"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_event_room"))
        batch_op.drop_index(batch_op.f("ix_webhook_event_received_at"))
        batch_op.drop_index(batch_op.f("ix_webhook_event_processed_at"))

    op.drop_table("webhook_event")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_room"))

    op.drop_table("attendance")
