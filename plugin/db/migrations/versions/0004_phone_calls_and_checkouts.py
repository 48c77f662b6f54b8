"""phone calls, pins and check-outs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plugin.db.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conference_pin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conference", sa.String(length=500), nullable=False),
        sa.Column("pin", sa.String(length=9), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conference"),
        sa.UniqueConstraint("pin"),
    )
    with op.batch_alter_table("conference_pin", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conference_pin_last_used_at"), ["last_used_at"], unique=False
        )

    op.create_table(
        "phone_delivery",
        sa.Column("webhook_id", sa.String(length=128), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("webhook_id"),
    )
    with op.batch_alter_table("phone_delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_phone_delivery_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "phone_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_key", sa.String(length=160), nullable=False),
        sa.Column("dialect", sa.String(length=10), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("hand_up", sa.Boolean(), nullable=False),
        sa.Column("conference", sa.String(length=500), nullable=True),
        sa.Column("session_id", sa.String(length=32), nullable=True),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("caller_tail", sa.String(length=3), nullable=False),
        sa.Column("caller_sealed", sa.String(length=400), nullable=True),
        sa.Column("feeling", sa.String(length=20), nullable=True),
        sa.Column("contact", sa.String(length=20), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("connected_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["meeting_session.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_key"),
    )
    with op.batch_alter_table("phone_call", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_call_session_id"), ["session_id"], unique=False)

    op.create_table(
        "checkout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("phone_call_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("feeling", sa.String(length=20), nullable=False),
        sa.Column("contact", sa.String(length=20), nullable=False),
        sa.Column("contact_detail", sa.String(length=2000), nullable=True),
        sa.Column("flag_level", sa.String(length=10), nullable=True),
        sa.Column("flag_reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["phone_call_id"],
            ["phone_call.id"],
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["meeting_session.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("phone_call_id"),
    )
    with op.batch_alter_table("checkout", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkout_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkout_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("checkout", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkout_session_id"))
        batch_op.drop_index(batch_op.f("ix_checkout_created_at"))

    op.drop_table("checkout")
    with op.batch_alter_table("phone_call", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_call_session_id"))

    op.drop_table("phone_call")
    with op.batch_alter_table("phone_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_delivery_received_at"))

    op.drop_table("phone_delivery")
    with op.batch_alter_table("conference_pin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conference_pin_last_used_at"))

    op.drop_table("conference_pin")
