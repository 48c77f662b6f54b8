"""presence across rooms: where each participant is, their real JID, and the assistant's
own connections (never counted as people); hands are the speaking queue's alone, so the
copies in participant and phone_call go

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plugin.db.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        # The occupant's real JID as the assistant saw it: how event_sync's reports (which
        # name connections by JID, often without a name) are matched to people.
        batch_op.add_column(sa.Column("real_jid", sa.String(length=300), nullable=True))
        # "" while in the main room, else the breakout room's name as Jitsi lists it.
        batch_op.add_column(
            sa.Column("room", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.create_index("ix_participant_real_jid", ["real_jid"])
        batch_op.drop_column("hand_raised_at")
    with op.batch_alter_table("phone_call", schema=None) as batch_op:
        batch_op.drop_column("hand_up")

    op.create_table(
        "assistant_connection",
        sa.Column("jid", sa.String(length=300), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["meeting_session.id"]),
        sa.PrimaryKeyConstraint("jid"),
    )
    op.create_index("ix_assistant_connection_session_id", "assistant_connection", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_assistant_connection_session_id", table_name="assistant_connection")
    op.drop_table("assistant_connection")
    with op.batch_alter_table("phone_call", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hand_up", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hand_raised_at", UTCDateTime(), nullable=True))
        batch_op.drop_index("ix_participant_real_jid")
        batch_op.drop_column("room")
        batch_op.drop_column("real_jid")
