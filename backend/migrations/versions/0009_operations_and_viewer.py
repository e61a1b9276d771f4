"""media retention per channel; Shorts linked to their long video; render QA; thumbnail pick

Channels: ``media_retention_days`` (None: keep forever) and ``prune_mp4`` (off: the MP4 of
a published video is kept when its intermediates are pruned). Videos: ``media_pruned_at``,
``format`` (long or short), ``parent_video_id`` (a Short's long video; set null when that
one is deleted), ``render_qa`` (the checks run on the render before ``ready``) and
``thumbnail_variant`` (the variant the owner picked; None: the first).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("media_retention_days", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("prune_mp4", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("videos") as batch:
        batch.add_column(sa.Column("media_pruned_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("format", sa.String(length=16), nullable=False, server_default="long")
        )
        batch.add_column(sa.Column("parent_video_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("render_qa", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("thumbnail_variant", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_videos_parent_video_id_videos"),
            "videos",
            ["parent_video_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(batch.f("ix_videos_parent_video_id"), ["parent_video_id"])


def downgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.drop_index(batch.f("ix_videos_parent_video_id"))
        batch.drop_constraint(batch.f("fk_videos_parent_video_id_videos"), type_="foreignkey")
        batch.drop_column("thumbnail_variant")
        batch.drop_column("render_qa")
        batch.drop_column("parent_video_id")
        batch.drop_column("format")
        batch.drop_column("media_pruned_at")
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("prune_mp4")
        batch.drop_column("media_retention_days")
