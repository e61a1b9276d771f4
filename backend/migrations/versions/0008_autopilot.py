"""autopilot: channel settings, the publish slots it filled, each channel's last tick

Channels: ``autopilot`` (off by default), ``autopilot_buffer_days`` (2) and ``timezone``
(an IANA name, "UTC"). ``autopilot_slots``: one row per channel and slot time (unique, so
two ticks cannot make the same slot's video) with the slot's current video.
``autopilot_ticks``: per channel, what the last tick wanted, made and why it stopped.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(
            sa.Column("autopilot", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("autopilot_buffer_days", sa.Integer(), nullable=False, server_default="2")
        )
        batch.add_column(
            sa.Column("timezone", sa.String(length=64), nullable=False, server_default="UTC")
        )
    op.create_table(
        "autopilot_slots",
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("slot_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("video_id", sa.Uuid(), nullable=True),
        sa.Column("videos_made", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_autopilot_slots_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.id"],
            name=op.f("fk_autopilot_slots_video_id_videos"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_autopilot_slots")),
        sa.UniqueConstraint(
            "channel_id", "slot_at", name=op.f("uq_autopilot_slots_channel_id_slot_at")
        ),
    )
    op.create_index(
        op.f("ix_autopilot_slots_video_id"), "autopilot_slots", ["video_id"], unique=False
    )
    op.create_table(
        "autopilot_ticks",
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("ticked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wanted", sa.Integer(), nullable=False),
        sa.Column("buffered", sa.Integer(), nullable=False),
        sa.Column("made", sa.Integer(), nullable=False),
        sa.Column("skip_code", sa.String(length=32), nullable=True),
        sa.Column("skip_reason", sa.String(length=500), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_autopilot_ticks_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_autopilot_ticks")),
    )


def downgrade() -> None:
    op.drop_table("autopilot_ticks")
    op.drop_index(op.f("ix_autopilot_slots_video_id"), table_name="autopilot_slots")
    op.drop_table("autopilot_slots")
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("timezone")
        batch.drop_column("autopilot_buffer_days")
        batch.drop_column("autopilot")
