"""TopicChooser with the real CPU embeddings (MiniLM) and a scripted text model over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from backend.agents.trend_prophet import (
    NoTopicAvailable,
    TopicChooser,
    TopicPick,
    core_text,
    parse_proposals,
)
from tests.fakes.scripted_gateway import ScriptedGateway


def _pick(topic: str, growth: float = 0.1, match: str = "keyword") -> TopicPick:
    return TopicPick(topic, "niche", growth, [], "store:google_trends", "rising", match)


ANSWERS: list[str | None] = []  # the scripted text model's next answers, in order


@pytest.fixture
def scripted(gateway_client: openai.AsyncOpenAI) -> Iterator[ScriptedGateway]:
    def answer(_messages: list[dict[str, str]]) -> str | None:
        return ANSWERS.pop(0) if ANSWERS else "nothing useful"

    ANSWERS.clear()
    with ScriptedGateway(gateway_client, answer) as gateway:
        yield gateway
    ANSWERS.clear()


def _client(gateway: ScriptedGateway) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gateway.base_url, api_key="k", max_retries=0)


def test_pitch_words_do_not_count_as_what_a_topic_is_about() -> None:
    assert core_text("Budgeting for Beginners: the basics explained") == "budgeting"
    assert core_text("Guitar for beginners") == "guitar"
    assert core_text("for the") == "for the"  # nothing left: the text itself


def test_proposals_are_parsed_from_chatty_small_model_output() -> None:
    answer = (
        "Here are 8 short YouTube video topics for a channel on budgeting:\n"
        "The 8 specific YouTube video topics for a budgeting channel\n"
        "Topic 1: Budgeting for Kids\n"
        "This topic requires you to create a budget for your kids that includes not just "
        "money but also planning and saving for their future and many other things.\n"
        "2. **The 50/30/20 Rule** - a simple split\n"
        "- Zero-based budgeting in ten minutes\n"
        '* "Envelope method explained"\n'
        "Budget\n"
        "3) budgeting for kids\n"
    )
    assert parse_proposals(answer, 10) == [
        "Budgeting for Kids",
        "The 50/30/20 Rule",
        "Zero-based budgeting in ten minutes",
        "Envelope method explained",
    ]
    assert parse_proposals(answer, 2) == ["Budgeting for Kids", "The 50/30/20 Rule"]


async def test_a_budgeting_channel_never_takes_the_gardening_candidate(
    scripted: ScriptedGateway,
) -> None:
    candidates = [
        _pick("Bloom your own vegetable garden", growth=0.9),  # rising fastest, off-niche
        _pick("Zero-based budgeting in ten minutes", growth=0.05),
        _pick("The 50/30/20 budget rule", growth=0.02),
    ]
    choice = await TopicChooser().choose(
        _client(scripted), niche="budgeting for beginners", candidates=candidates
    )
    assert choice.pick.topic == "Zero-based budgeting in ten minutes"
    assert choice.relevance > 0.5
    assert choice.considered == {"store_candidates": 3, "store_off_niche": 1, "store_repeats": 0}
    assert scripted.chats == []  # the store had a topic: the text model was not asked
    assert [c.kind for c in choice.charges] == ["embeddings"]


async def test_off_niche_bundled_picks_and_past_topics_are_left_out(
    scripted: ScriptedGateway,
) -> None:
    candidates = [
        _pick("vegetable garden planning", match="overall"),  # no category matched the niche
        _pick("Budgeting apps compared"),
        _pick("Zero based budgeting in 10 minutes"),
    ]
    choice = await TopicChooser().choose(
        _client(scripted),
        niche="budgeting for beginners",
        candidates=candidates,
        past_topics=["Zero-based budgeting in ten minutes"],
    )
    assert choice.pick.topic == "Budgeting apps compared"
    assert choice.considered["store_repeats"] == 1
    assert choice.considered["store_off_niche"] == 1


async def test_with_nothing_in_the_store_the_text_model_proposes_and_repeats_are_dropped(
    scripted: ScriptedGateway,
) -> None:
    ANSWERS.append(
        "1. Grow tomatoes on a balcony\n"
        "2. Zero-based budgeting in ten minutes\n"
        "3. How to budget your first paycheck\n"
    )
    choice = await TopicChooser().choose(
        _client(scripted),
        niche="budgeting for beginners",
        candidates=[],
        past_topics=["Zero based budgeting in 10 minutes", "Sinking funds"],
    )
    assert choice.pick.topic == "How to budget your first paycheck"
    assert choice.pick.source == "llm:scripted:scripted-llm" and choice.pick.match == "llm"
    assert "proposed by the text model" in choice.pick.reason
    assert choice.considered["model_proposals"] == 3
    assert choice.considered["model_off_niche"] == 1  # the tomatoes
    assert choice.considered["model_repeats"] == 1
    prompt = scripted.chats[0][-1]["content"]
    assert "budgeting for beginners" in prompt and "Sinking funds" in prompt
    assert [c.kind for c in choice.charges] == ["text", "embeddings"]
    assert choice.charges[0].cost_usd == 0.0004


@pytest.mark.parametrize(
    "answer",
    [None, "Sure! Here you go:\n", "Grow tomatoes on a balcony\nRepot a fiddle leaf fig"],
    ids=["model-refuses", "nothing-parsed", "all-off-niche"],
)
async def test_when_the_model_fails_too_the_reason_says_what_was_tried(
    scripted: ScriptedGateway, answer: str | None
) -> None:
    ANSWERS.append(answer)
    with pytest.raises(NoTopicAvailable) as raised:
        await TopicChooser().choose(
            _client(scripted),
            niche="budgeting for beginners",
            candidates=[_pick("Bloom your own vegetable garden", match="overall")],
            stale=2,
        )
    message = str(raised.value)
    assert message.startswith("no topic for niche 'budgeting for beginners'")
    assert (
        "the niche store had 1 (off the niche: 1, repeats of past topics: 0), 2 more not fresh"
        in message
    )
    assert "Queue the video with a topic" in message
    if answer is None:
        assert "the text model failed (400: no text model can serve this)" in message
    elif "tomatoes" in answer:
        assert "the text model proposed 2 (off the niche: 2, repeats of past topics: 0)" in message
    else:
        assert "the text model proposed 0 (off the niche: 0" in message
