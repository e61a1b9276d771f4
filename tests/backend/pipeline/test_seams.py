"""The pipeline's seams: steps open no session, one usage model, explicit wiring."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

import httpx
import pytest
import redis
from rq import Queue
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import Channel, StageRun, StageStatus, VideoStage
from backend.pipeline.dispatch import PipelineDispatcher
from backend.settings import Settings
from backend.videos import service as video_service
from backend.videos.schemas import VideoCreate
from tests.backend.conftest import Api
from tests.backend.pipeline.conftest import make_channel

ROOT = Path(__file__).resolve().parents[3]
STEPS = ROOT / "backend" / "pipeline" / "steps"


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def sources(*folders: str) -> list[Path]:
    return [p for folder in folders for p in (ROOT / folder).rglob("*.py")]


def test_no_step_imports_sqlalchemy_or_opens_a_session() -> None:
    steps = sorted(STEPS.glob("*.py"))
    assert len(steps) >= 8
    for path in steps:
        banned = {
            name
            for name in imports(path)
            if name.split(".")[0] == "sqlalchemy"
            or name.startswith(
                ("backend.db.session", "backend.db.engine", "backend.pipeline.repository")
            )
        }
        assert banned == set(), f"{path.name} imports {banned}"
        assert "sessions" not in path.read_text(), f"{path.name} reaches for a session maker"


def test_the_pipeline_builds_its_queries_in_its_repository_only() -> None:
    for path in (ROOT / "backend" / "pipeline").rglob("*.py"):
        if path.name == "repository.py":
            continue
        uses = {n for n in imports(path) if n.split(".")[0] == "sqlalchemy"}
        assert not any(n in ("sqlalchemy", "sqlalchemy.sql") for n in uses), path
        assert "select(" not in path.read_text(), f"{path} builds a query"


def test_one_usage_model_and_one_usage_header() -> None:
    text = {p: p.read_text() for p in sources("ai", "backend")}
    for gone in ("class AIUsage", "class CallUsage", "class Charge"):
        where = [p.relative_to(ROOT).as_posix() for p, t in text.items() if gone in t]
        assert where == (["backend/costs/service.py"] if gone == "class Charge" else []), gone
    defined = [p for p, t in text.items() if "USAGE_HEADER =" in t]
    assert [p.relative_to(ROOT).as_posix() for p in defined] == ["ai/schemas.py"]


def test_agents_call_the_gateway_through_ai_calls() -> None:
    for path in (ROOT / "backend" / "agents").glob("*.py"):
        body = path.read_text()
        for direct in (".chat.completions", ".embeddings.create", ".images.", ".audio.speech"):
            assert direct not in body, f"{path.name} calls the SDK directly ({direct})"


def test_no_connection_rides_in_session_info() -> None:
    for path in sources("backend"):
        if path.relative_to(ROOT).as_posix() == "backend/db/session.py":
            continue  # the unit of work's own after-commit list
        assert "session.info" not in path.read_text(), path


async def test_queueing_without_a_dispatcher_is_refused(
    settings: Settings, db: async_sessionmaker[AsyncSession]
) -> None:
    channel = await make_channel(db, settings)
    async with db() as session:
        fresh = await session.get(Channel, channel.id)
        assert fresh is not None
        with pytest.raises(TypeError, match="dispatcher"):
            await video_service.create(session, fresh, VideoCreate(topic="Tides"))  # type: ignore[call-arg]


async def test_the_app_wires_its_dispatcher_to_its_redis(
    owner: Api, client: httpx.AsyncClient, settings: Settings
) -> None:
    """A video queued over the API has its first stage enqueued on the app's Redis."""
    channel = await owner.create_channel()
    created = await owner.post(f"/api/v1/channels/{channel['id']}/videos", json={"topic": "Tides"})
    assert created.status_code == 201, created.text
    video_id = created.json()["id"]
    app = client._transport.app  # type: ignore[attr-defined]
    dispatcher = app.state.dispatcher
    assert isinstance(dispatcher, PipelineDispatcher)
    assert dispatcher.connection is app.state.redis.sync
    jobs = Queue("production", connection=dispatcher.connection).job_ids
    assert f"stage-{video_id}-topic-0" in jobs


async def test_video_detail_shows_tries_as_a_field_not_inside_the_output(
    owner: Api, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    channel = await owner.create_channel()
    created = await owner.post(f"/api/v1/channels/{channel['id']}/videos", json={"topic": "Tides"})
    video_id = uuid.UUID(created.json()["id"])
    async with db() as session:
        session.add(
            StageRun(
                video_id=video_id,
                stage=VideoStage.topic,
                status=StageStatus.failed,
                attempts=2,
                tries=2,
                output={"topic": "Tides"},
            )
        )
        await session.commit()
    detail = (await owner.get(f"/api/v1/videos/{video_id}")).json()
    (stage,) = detail["stages"]
    assert stage["tries"] == 2 and stage["attempts"] == 2
    assert "_tries" not in str(detail)
