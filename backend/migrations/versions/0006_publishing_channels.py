"""what publishing needs on channels and videos

Channels: ``made_for_kids`` (the owner must say, before the first upload: no default),
``privacy`` (``private`` | ``unlisted`` | ``public``) and ``auto_publish``. Videos: the
publish slot ``publish_at``, the privacy YouTube reported, a warning when it differs
from the one asked, and the reasons a video is held before upload.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("made_for_kids", sa.Boolean(), nullable=True))
        batch.add_column(
            sa.Column("privacy", sa.String(length=16), nullable=False, server_default="private")
        )
        batch.add_column(
            sa.Column("auto_publish", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("videos") as batch:
        batch.add_column(sa.Column("publish_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("youtube_privacy", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("publish_warning", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("publish_holds", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.drop_column("publish_holds")
        batch.drop_column("publish_warning")
        batch.drop_column("youtube_privacy")
        batch.drop_column("publish_at")
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("auto_publish")
        batch.drop_column("privacy")
        batch.drop_column("made_for_kids")
