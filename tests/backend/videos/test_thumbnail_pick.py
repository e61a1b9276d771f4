"""Picking the thumbnail variant: the API, the video page, and what upload sends."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import StageRun, StageStatus, Video, VideoStage, VideoStatus
from backend.pipeline.upload import _artifact
from backend.videos.thumbnails import VARIANT_ARTIFACTS, artifact_name
from tests.backend.conftest import Api

CHECKS = [
    {"headline": "SOLAR ECLIPSE", "passed": True, "contrast": 12.9, "cap_px_small": 14.0},
    {"headline": "THE SKY GOES DARK", "passed": True, "contrast": 11.2, "cap_px_small": 12.0},
]


async def _video_with_thumbnails(
    owner: Api, db: async_sessionmaker[AsyncSession], variants: int = 2
) -> str:
    channel = await owner.create_channel()
    video = (await owner.post(f"/api/v1/channels/{channel['id']}/videos", json={})).json()
    async with db() as session:
        session.add(
            StageRun(
                video_id=uuid.UUID(video["id"]),
                stage=VideoStage.thumbnail,
                status=StageStatus.succeeded,
                attempts=1,
                artifacts={name: f"{name}.jpg" for name in VARIANT_ARTIFACTS[:variants]},
                output={"thumbnails": CHECKS[:variants]},
            )
        )
        await session.commit()
    return str(video["id"])


async def test_the_owner_picks_a_variant_and_upload_sends_it(
    owner: Api, db: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    video_id = await _video_with_thumbnails(owner, db)
    listed = (await owner.get(f"/api/v1/videos/{video_id}/thumbnails")).json()
    assert listed["picked"] == 0
    assert [v["headline"] for v in listed["variants"]] == ["SOLAR ECLIPSE", "THE SKY GOES DARK"]
    assert [v["picked"] for v in listed["variants"]] == [True, False]

    picked = await owner.put(f"/api/v1/videos/{video_id}/thumbnail", json={"variant": 1})
    assert picked.status_code == 200, picked.text
    assert picked.json()["picked"] == 1
    async with db() as session:
        video = await session.get(Video, uuid.UUID(video_id))
        assert video is not None and video.thumbnail_variant == 1
        run = StageRun(
            status=StageStatus.succeeded,
            artifacts={"thumbnail": "thumbnail.jpg", "thumbnail_b": "thumbnail_b.jpg"},
        )
        (tmp_path / "thumbnail.jpg").write_bytes(b"a")
        (tmp_path / "thumbnail_b.jpg").write_bytes(b"b")
        # what upload's plan sends: the picked variant's file
        sent = _artifact(tmp_path, run, artifact_name(video.thumbnail_variant))
        assert sent == tmp_path / "thumbnail_b.jpg"
    assert artifact_name(None) == "thumbnail" and artifact_name(7) == "thumbnail"


async def test_bad_picks_are_refused(
    owner: Api, other: Api, db: async_sessionmaker[AsyncSession]
) -> None:
    video_id = await _video_with_thumbnails(owner, db, variants=1)
    url = f"/api/v1/videos/{video_id}/thumbnail"
    assert (await owner.put(url, json={"variant": 5})).status_code == 422
    missing = await owner.put(url, json={"variant": 1})  # the stage made only one
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "thumbnail_variant_not_found"
    assert (await other.put(url, json={"variant": 0})).status_code == 404  # not theirs
    assert (await other.get(f"/api/v1/videos/{video_id}/thumbnails")).status_code == 404
    async with db() as session:
        await session.execute(
            update(Video)
            .where(Video.id == uuid.UUID(video_id))
            .values(status=VideoStatus.published)
        )
        await session.commit()
    uploaded = await owner.put(url, json={"variant": 0})
    assert uploaded.status_code == 409
    assert uploaded.json()["error"]["code"] == "thumbnail_uploaded"
