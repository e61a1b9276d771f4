"""analytics sync: per-video daily metrics, fresh-upload statistics, unknown revenue

``channel_daily_metrics`` gets the rest of what YouTube Analytics reports per day
(average view duration, subscribers lost, ad revenue, CPM, playback-based CPM), and its
revenue becomes nullable: without the monetary scope the revenue is unknown, not zero.
``video_daily_metrics`` holds the same per video and day; ``video_stat_snapshots`` the
hourly ``videos.list(part=statistics)`` of the first hours after publishing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USD = sa.Numeric(precision=14, scale=6)


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("channel_daily_metrics") as batch:
        batch.alter_column("revenue_usd", existing_type=USD, nullable=True)
        batch.add_column(sa.Column("average_view_duration_seconds", sa.Float(), nullable=True))
        batch.add_column(
            sa.Column("subscribers_lost", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("ad_revenue_usd", USD, nullable=True))
        batch.add_column(sa.Column("cpm_usd", sa.Float(), nullable=True))
        batch.add_column(sa.Column("playback_cpm_usd", sa.Float(), nullable=True))

    op.create_table(
        "video_daily_metrics",
        sa.Column("video_id", sa.Uuid(), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("watch_time_minutes", sa.Float(), nullable=False),
        sa.Column("average_view_duration_seconds", sa.Float(), nullable=True),
        sa.Column("subscribers_gained", sa.Integer(), nullable=False),
        sa.Column("subscribers_lost", sa.Integer(), nullable=False),
        sa.Column("revenue_usd", USD, nullable=True),
        sa.Column("ad_revenue_usd", USD, nullable=True),
        sa.Column("cpm_usd", sa.Float(), nullable=True),
        sa.Column("playback_cpm_usd", sa.Float(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.id"],
            name=op.f("fk_video_daily_metrics_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_video_daily_metrics_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_daily_metrics")),
        sa.UniqueConstraint("video_id", "day", name=op.f("uq_video_daily_metrics_video_id_day")),
    )
    op.create_index(
        "ix_video_daily_metrics_channel_day", "video_daily_metrics", ["channel_id", "day"]
    )

    op.create_table(
        "video_stat_snapshots",
        sa.Column("video_id", sa.Uuid(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hours_since_publish", sa.Float(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("likes", sa.Integer(), nullable=True),
        sa.Column("comments", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.id"],
            name=op.f("fk_video_stat_snapshots_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_stat_snapshots")),
        sa.UniqueConstraint("video_id", "hour", name=op.f("uq_video_stat_snapshots_video_id_hour")),
    )


def downgrade() -> None:
    op.drop_table("video_stat_snapshots")
    op.drop_index("ix_video_daily_metrics_channel_day", table_name="video_daily_metrics")
    op.drop_table("video_daily_metrics")
    # Unknown revenue was NULL; before 0007 it could only be written as 0.
    op.execute("UPDATE channel_daily_metrics SET revenue_usd = 0 WHERE revenue_usd IS NULL")
    with op.batch_alter_table("channel_daily_metrics") as batch:
        batch.drop_column("playback_cpm_usd")
        batch.drop_column("cpm_usd")
        batch.drop_column("ad_revenue_usd")
        batch.drop_column("subscribers_lost")
        batch.drop_column("average_view_duration_seconds")
        batch.alter_column("revenue_usd", existing_type=USD, nullable=False)
