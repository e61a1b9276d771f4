"""publishing: OAuth client, channel grants, consents in progress, upload sessions, quota

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 08:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('quota_usage',
    sa.Column('project_id', sa.String(length=128), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('limit_units', sa.Integer(), nullable=False),
    sa.Column('exhausted', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota_usage')),
    sa.UniqueConstraint('project_id', 'day', name=op.f('uq_quota_usage_project_id_day'))
    )
    op.create_table('youtube_oauth_clients',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=128), nullable=False),
    sa.Column('client_id', sa.String(length=256), nullable=False),
    sa.Column('client_secret_encrypted', sa.Text(), nullable=False),
    sa.Column('redirect_uris', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_youtube_oauth_clients')),
    sa.UniqueConstraint('name', name=op.f('uq_youtube_oauth_clients_name'))
    )
    op.create_table('youtube_authorizations',
    sa.Column('channel_id', sa.Uuid(), nullable=False),
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('code_verifier_encrypted', sa.Text(), nullable=False),
    sa.Column('redirect_uri', sa.String(length=500), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_youtube_authorizations_channel_id_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_youtube_authorizations')),
    sa.UniqueConstraint('state_hash', name=op.f('uq_youtube_authorizations_state_hash'))
    )
    op.create_index(op.f('ix_youtube_authorizations_channel_id'), 'youtube_authorizations', ['channel_id'], unique=False)
    op.create_table('youtube_credentials',
    sa.Column('channel_id', sa.Uuid(), nullable=False),
    sa.Column('youtube_channel_id', sa.String(length=64), nullable=True),
    sa.Column('youtube_channel_title', sa.String(length=200), nullable=True),
    sa.Column('tokens_encrypted', sa.Text(), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('connected', 'needs_reconnect', name='connectionstatus', native_enum=False, length=16), nullable=False),
    sa.Column('status_reason', sa.String(length=300), nullable=True),
    sa.Column('connected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_youtube_credentials_channel_id_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_youtube_credentials')),
    sa.UniqueConstraint('channel_id', name=op.f('uq_youtube_credentials_channel_id'))
    )
    op.create_table('upload_sessions',
    sa.Column('video_id', sa.Uuid(), nullable=False),
    sa.Column('channel_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'uploading', 'uploaded', 'failed', name='uploadstatus', native_enum=False, length=16), nullable=False),
    sa.Column('file_path', sa.String(length=1000), nullable=False),
    sa.Column('file_size', sa.BigInteger(), nullable=False),
    sa.Column('file_mtime_ns', sa.BigInteger(), nullable=False),
    sa.Column('session_uri', sa.Text(), nullable=True),
    sa.Column('confirmed_bytes', sa.BigInteger(), nullable=False),
    sa.Column('final_chunk_sent', sa.Boolean(), nullable=False),
    sa.Column('sessions_started', sa.Integer(), nullable=False),
    sa.Column('retries', sa.Integer(), nullable=False),
    sa.Column('request_body', sa.JSON(), nullable=False),
    sa.Column('youtube_video_id', sa.String(length=32), nullable=True),
    sa.Column('privacy_requested', sa.String(length=16), nullable=True),
    sa.Column('privacy_reported', sa.String(length=16), nullable=True),
    sa.Column('publish_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('thumbnail_status', sa.String(length=16), nullable=False),
    sa.Column('thumbnail_detail', sa.String(length=500), nullable=True),
    sa.Column('caption_status', sa.String(length=16), nullable=False),
    sa.Column('caption_id', sa.String(length=128), nullable=True),
    sa.Column('caption_detail', sa.String(length=500), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_upload_sessions_channel_id_channels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['video_id'], ['videos.id'], name=op.f('fk_upload_sessions_video_id_videos'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upload_sessions')),
    sa.UniqueConstraint('video_id', name=op.f('uq_upload_sessions_video_id'))
    )
    op.create_index(op.f('ix_upload_sessions_channel_id'), 'upload_sessions', ['channel_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_upload_sessions_channel_id"), table_name="upload_sessions")
    op.drop_table("upload_sessions")
    op.drop_table("youtube_credentials")
    op.drop_index(op.f("ix_youtube_authorizations_channel_id"), table_name="youtube_authorizations")
    op.drop_table("youtube_authorizations")
    op.drop_table("youtube_oauth_clients")
    op.drop_table("quota_usage")
