"""dashboard and queue indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:05:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_videos_channel_status_created", "videos",
        ["channel_id", "status", "created_at", "id"], unique=False,
    )
    op.create_index(
        "ix_videos_channel_completed", "videos", ["channel_id", "completed_at"], unique=False,
        postgresql_where=sa.text("completed_at IS NOT NULL"),
        sqlite_where=sa.text("completed_at IS NOT NULL"),
    )
    op.create_index(
        "ix_videos_channel_failed", "videos", ["channel_id", "failed_at"], unique=False,
        postgresql_where=sa.text("failed_at IS NOT NULL"),
        sqlite_where=sa.text("failed_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_videos_channel_failed", table_name="videos")
    op.drop_index("ix_videos_channel_completed", table_name="videos")
    op.drop_index("ix_videos_channel_status_created", table_name="videos")
