"""The topic stage through the real runner: topics from the niche store that match the
channel's niche, the text model when the store has nothing fresh, a clear failure when
that fails too, and the bundled synthetic series only in the offline mode.

The text model is scripted behind a real HTTP gateway (``tests/fakes/scripted_gateway``);
the embeddings are the real CPU MiniLM."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import openai
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.agents.trend_prophet import NoTopicAvailable
from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.models import (
    Channel,
    CostEvent,
    Niche,
    StageStatus,
    Trend,
    Video,
    VideoStage,
    VideoStatus,
)
from backend.pipeline.tasks import _run_stage
from backend.settings import Settings, use_settings
from tests.backend.pipeline.conftest import events_of, make_channel, runs_of
from tests.fakes.scripted_gateway import ScriptedGateway

ANSWERS: list[str | None] = []  # the scripted text model's next answers (None: a 400)


@pytest.fixture(scope="module")
def real_gateway(tmp_path_factory: pytest.TempPathFactory) -> openai.AsyncOpenAI:
    from ai.client import make_openai_client

    data_dir: Path = tmp_path_factory.mktemp("ai-data")
    return make_openai_client(Settings(environment="test", data_dir=data_dir))


@pytest.fixture
def gateway(real_gateway: openai.AsyncOpenAI) -> Iterator[ScriptedGateway]:
    ANSWERS.clear()
    with ScriptedGateway(real_gateway, lambda _m: ANSWERS.pop(0) if ANSWERS else None) as gw:
        yield gw
    ANSWERS.clear()


@pytest.fixture
def production(settings: Settings, gateway: ScriptedGateway) -> Iterator[Settings]:
    configured = settings.model_copy(
        update={"ai_base_url": gateway.base_url, "ai_api_key": "k" * 32}
    )
    use_settings(configured)
    yield configured
    use_settings(None)


async def _store(
    db: async_sessionmaker[AsyncSession],
    niches: dict[tuple[str, str], list[str]],
    fetched_days_ago: int = 1,
) -> None:
    """Stored niches (name, category) with their rising topics."""
    fetched = utcnow() - timedelta(days=fetched_days_ago)
    async with unit_of_work(db) as session:
        for (name, category), topics in niches.items():
            niche = Niche(
                id=uuid.uuid4(), name=name, category=category, score=60.0, keywords=[name]
            )
            session.add(niche)
            await session.flush()
            for i, topic in enumerate(topics):
                session.add(
                    Trend(
                        id=uuid.uuid4(),
                        niche_id=niche.id,
                        topic=topic,
                        source="google_trends",
                        series=[],
                        forecast=[],
                        growth=0.5 - i * 0.1,
                        fetched_at=fetched,
                    )
                )


GARDEN = {
    ("vegetable gardening for beginners", "diy_home"): [
        "Bloom your own vegetable garden",
        "Raised beds for beginners",
    ]
}
BUDGET = {("budgeting", "personal_finance"): ["The 50/30/20 budget rule", "Budgeting apps"]}


async def _topic_stage(
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    niche: str = "budgeting for beginners",
    fails: bool = False,
) -> tuple[Channel, Video]:
    channel = await make_channel(db, settings, niche=niche)
    async with unit_of_work(db) as session:
        video = Video(id=uuid.uuid4(), channel_id=channel.id, status=VideoStatus.queued)
        session.add(video)
    if fails:  # the runner records the failure, then the job fails with the error
        with pytest.raises(NoTopicAvailable):
            await _run_stage(video.id, VideoStage.topic)
    else:
        await _run_stage(video.id, VideoStage.topic)
    async with db() as session:
        found = await session.get(Video, video.id)
        assert found is not None
        return channel, found


async def test_the_store_topic_matches_the_niche_never_the_gardening_one(
    production: Settings, db: async_sessionmaker[AsyncSession], gateway: ScriptedGateway
) -> None:
    await _store(db, {**GARDEN, **BUDGET})
    _channel, video = await _topic_stage(db, production)
    assert video.topic in ("The 50/30/20 budget rule", "Budgeting apps")
    run = (await runs_of(db, video.id))[VideoStage.topic]
    assert run.status == StageStatus.succeeded
    assert run.output["source"] == "store:google_trends" and run.output["relevance"] > 0.3
    assert gateway.chats == []  # the store answered; the text model was not asked
    async with db() as session:
        ledger = list(
            await session.scalars(select(CostEvent).where(CostEvent.video_id == video.id))
        )
    assert [c.kind for c in ledger] == ["embeddings"]  # on the video's ledger, at topic
    assert ledger[0].stage == "topic"


async def test_a_niche_with_nothing_in_the_store_gets_a_topic_from_the_text_model(
    production: Settings, db: async_sessionmaker[AsyncSession], gateway: ScriptedGateway
) -> None:
    await _store(db, GARDEN)  # shares only "for beginners" with the channel's niche
    ANSWERS.append("Raised beds for beginners\nHow to budget your first paycheck\n")
    _channel, video = await _topic_stage(db, production)
    assert video.topic == "How to budget your first paycheck"
    run = (await runs_of(db, video.id))[VideoStage.topic]
    assert run.output["source"] == "llm:scripted:scripted-llm"
    assert run.output["considered"]["model_off_niche"] == 1
    assert len(gateway.chats) == 1


async def test_stale_store_topics_are_not_fresh_and_the_text_model_is_asked(
    production: Settings, db: async_sessionmaker[AsyncSession], gateway: ScriptedGateway
) -> None:
    await _store(db, BUDGET, fetched_days_ago=production.topic_fresh_days + 5)
    ANSWERS.append("Zero-based budgeting in ten minutes")
    _channel, video = await _topic_stage(db, production)
    assert video.topic == "Zero-based budgeting in ten minutes"
    assert len(gateway.chats) == 1


async def test_when_the_text_model_fails_too_the_video_fails_at_topic_with_the_reason(
    production: Settings, db: async_sessionmaker[AsyncSession], gateway: ScriptedGateway
) -> None:
    ANSWERS.append(None)  # the gateway cannot serve a text model
    channel, video = await _topic_stage(db, production, fails=True)
    assert video.status == VideoStatus.failed
    assert video.error is not None and video.error.startswith("topic failed: NoTopicAvailable")
    assert "no topic for niche 'budgeting for beginners'" in video.error
    assert "the niche store had 0" in video.error and "Queue the video with a topic" in video.error
    assert "the text model failed (400: no text model can serve this)" in video.error
    [failed] = [e for e in await events_of(db, channel.id) if e.type == "video.failed"]
    assert failed.severity == "error" and "no topic for niche" in failed.message
    # production never falls back to the bundled synthetic series
    assert video.topic is None


async def test_only_the_offline_mode_uses_the_bundled_series_and_only_on_niche(
    production: Settings, db: async_sessionmaker[AsyncSession], gateway: ScriptedGateway
) -> None:
    use_settings(production.model_copy(update={"offline_topics": True}))
    _channel, video = await _topic_stage(db, production)
    run = (await runs_of(db, video.id))[VideoStage.topic]
    assert run.status == StageStatus.succeeded, video.error
    assert run.output["source"].startswith("bundled:")
    # the bundled personal_finance series (the niche's "budget"), not diy_home's gardens
    assert video.topic in (
        "index fund investing",
        "high yield savings accounts",
        "budgeting apps",
        "side hustles",
        "tax filing tips",
    )
    assert gateway.chats == []


async def test_offline_a_niche_no_series_matches_goes_to_the_text_model_not_any_series(
    production: Settings, db: async_sessionmaker[AsyncSession], gateway: ScriptedGateway
) -> None:
    use_settings(production.model_copy(update={"offline_topics": True}))
    ANSWERS.append("Knitting your first pair of socks\nBloom your own vegetable garden")
    _channel, video = await _topic_stage(db, production, niche="knitting")
    assert video.topic == "Knitting your first pair of socks"
    run = (await runs_of(db, video.id))[VideoStage.topic]
    assert run.output["source"].startswith("llm:")
    assert run.output["considered"]["store_candidates"] == 0  # no "overall" series pick
