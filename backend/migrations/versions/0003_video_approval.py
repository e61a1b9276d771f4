"""video approval: who approved a held script, when, and the score it had

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 08:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("videos", sa.Column("approved_by", sa.Uuid(), nullable=True))
    op.add_column("videos", sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("videos", sa.Column("approved_score", sa.Float(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild would drop the partial indexes.
    op.drop_column("videos", "approved_score")
    op.drop_column("videos", "approved_at")
    op.drop_column("videos", "approved_by")
