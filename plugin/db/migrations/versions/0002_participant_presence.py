"""participant role and raised hand, from the Jitsi connector

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plugin.db.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=20), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("hand_raised_at", UTCDateTime(), nullable=True))
        batch_op.create_index("ix_participant_session_jitsi", ["session_id", "jitsi_id"])


def downgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_index("ix_participant_session_jitsi")
        batch_op.drop_column("hand_raised_at")
        batch_op.drop_column("role")
