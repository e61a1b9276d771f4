"""A separate process that publishes one video (the crash tests SIGKILL it mid-upload).

Usage: python -m tests.backend.publishing.upload_worker VIDEO_ID CHANNEL_ID FILE CHUNK_BYTES
with the YTE_* settings (database, secret key, the fake's endpoints) in the environment.
Prints the outcome as one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

from backend.db.engine import create_engine, create_sessionmaker
from backend.publishing.metadata import VideoMetadata
from backend.publishing.publish import publish
from backend.settings import Settings


async def main(video_id: str, channel_id: str, file: str, chunk: str) -> None:
    settings = Settings()
    engine = create_engine(settings, pooled=False)
    try:
        outcome = await publish(
            create_sessionmaker(engine),
            settings,
            video_id=uuid.UUID(video_id),
            channel_id=uuid.UUID(channel_id),
            video_file=Path(file),
            metadata=VideoMetadata(
                title="Why Mars is red",
                description="Iron oxide.",
                made_for_kids=False,
                privacy="unlisted",
            ),
            chunk_bytes=int(chunk),
        )
    finally:
        await engine.dispose()
    print(
        json.dumps(
            {
                "youtube_video_id": outcome.youtube_video_id,
                "resumed": outcome.resumed,
                "sessions_started": outcome.sessions_started,
                "bytes_sent": outcome.bytes_sent,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
