"""breakout rounds: each session's groups, timer, rooms and notices; where a phone call
was moved for its group

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plugin.db.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("phone_call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_room", sa.String(length=200), nullable=True))
    op.create_table(
        "breakout_round",
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("timer", sa.JSON(), nullable=True),
        sa.Column("rooms", sa.JSON(), nullable=False),
        sa.Column("notices", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["meeting_session.id"]),
        sa.PrimaryKeyConstraint("session_id"),
    )


def downgrade() -> None:
    op.drop_table("breakout_round")
    with op.batch_alter_table("phone_call", schema=None) as batch_op:
        batch_op.drop_column("group_room")
