"""check-out links, flags and what hosts did about them; retention counts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plugin.db.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkout_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["meeting_session.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("checkout_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkout_link_session_id"), ["session_id"])
        batch_op.create_index(batch_op.f("ix_checkout_link_expires_at"), ["expires_at"])

    with op.batch_alter_table("checkout", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("note", sa.String(length=6000), nullable=True))
        batch_op.add_column(sa.Column("feedback", sa.String(length=6000), nullable=True))
        batch_op.add_column(sa.Column("updated_at", UTCDateTime(), nullable=True))
        batch_op.create_unique_constraint("uq_checkout_link_id", ["link_id"])
        batch_op.create_foreign_key("fk_checkout_link_id", "checkout_link", ["link_id"], ["id"])

    op.create_table(
        "flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("checkout_id", sa.Integer(), nullable=True),
        sa.Column("participant_ids", sa.JSON(), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["checkout_id"], ["checkout.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["meeting_session.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("checkout_id"),
    )
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flag_session_id"), ["session_id"])

    op.create_table(
        "flag_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.String(length=6000), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["flag_id"], ["flag.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("flag_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flag_action_flag_id"), ["flag_id"])

    with op.batch_alter_table("meeting_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("missing_checked_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("purged_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("checkout_tally", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meeting_session", schema=None) as batch_op:
        batch_op.drop_column("checkout_tally")
        batch_op.drop_column("purged_at")
        batch_op.drop_column("missing_checked_at")
    op.drop_table("flag_action")
    op.drop_table("flag")
    with op.batch_alter_table("checkout", schema=None) as batch_op:
        batch_op.drop_constraint("fk_checkout_link_id", type_="foreignkey")
        batch_op.drop_constraint("uq_checkout_link_id", type_="unique")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("feedback")
        batch_op.drop_column("note")
        batch_op.drop_column("link_id")
    op.drop_table("checkout_link")
