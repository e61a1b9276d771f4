"""Artifacts are served by name, to their owner only."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import StageRun, StageStatus, VideoStage
from backend.settings import Settings
from tests.backend.conftest import Api


async def _video_with_artifacts(
    owner: Api, settings: Settings, db: async_sessionmaker[AsyncSession]
) -> str:
    channel = await owner.create_channel()
    video = (await owner.post(f"/api/v1/channels/{channel['id']}/videos", json={})).json()
    video_dir = settings.media_dir / video["id"]
    (video_dir / "images").mkdir(parents=True)
    (video_dir / "video.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    (video_dir / "images" / "scene_01.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (settings.data_dir / "secret.txt").write_text("not yours")
    async with db() as session:
        session.add(
            StageRun(
                video_id=uuid.UUID(video["id"]),
                stage=VideoStage.render,
                status=StageStatus.succeeded,
                artifacts={"video": "video.mp4", "escape": "../../secret.txt"},
            )
        )
        session.add(
            StageRun(
                video_id=uuid.UUID(video["id"]),
                stage=VideoStage.images,
                status=StageStatus.succeeded,
                artifacts={"image_01": "images/scene_01.png"},
            )
        )
        await session.commit()
    return str(video["id"])


async def test_owner_downloads_artifacts_by_name(
    owner: Api, settings: Settings, db: async_sessionmaker[AsyncSession]
) -> None:
    video_id = await _video_with_artifacts(owner, settings, db)
    listing = (await owner.get(f"/api/v1/videos/{video_id}/media")).json()
    assert listing["video"] == f"/api/v1/videos/{video_id}/media/video"
    response = await owner.get(f"/api/v1/videos/{video_id}/media/video")
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    partial = await owner.get(
        f"/api/v1/videos/{video_id}/media/video", headers={"Range": "bytes=0-9"}
    )
    assert partial.status_code == 206 and len(partial.content) == 10
    image = await owner.get(f"/api/v1/videos/{video_id}/media/image_01")
    assert image.headers["content-type"] == "image/png"


async def test_no_path_traversal_and_no_unknown_names(
    owner: Api, settings: Settings, db: async_sessionmaker[AsyncSession]
) -> None:
    video_id = await _video_with_artifacts(owner, settings, db)
    for name in ("escape", "..%2F..%2Fsecret.txt", "nope", "VIDEO", "video.mp4"):
        response = await owner.get(f"/api/v1/videos/{video_id}/media/{name}")
        assert response.status_code == 404, name
        assert "not yours" not in response.text


async def test_another_user_gets_404(
    owner: Api, other: Api, settings: Settings, db: async_sessionmaker[AsyncSession]
) -> None:
    video_id = await _video_with_artifacts(owner, settings, db)
    assert (await other.get(f"/api/v1/videos/{video_id}/media/video")).status_code == 404
    assert (await other.get(f"/api/v1/videos/{video_id}/media")).status_code == 404
