"""Topic choice in the loop: growth x the revenue expected from the channel's past winners
and losers, by the real CPU embeddings (MiniLM through the in-process gateway)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import openai
import pytest

from backend.agents.trend_prophet import TopicChooser, TopicPick, expected_revenue

NICHE = "personal finance"
NEAR_WINNER = "Pay off credit card debt faster"
NEAR_LOSER = "Envelope budgeting app walkthrough"
WINNER = "How I paid off $20k of credit card debt"
LOSER = "Budgeting app review: YNAB vs Mint"


@dataclass(frozen=True)
class Past:
    topic: str
    revenue_usd: float


def _pick(topic: str, growth: float = 0.2) -> TopicPick:
    return TopicPick(topic, NICHE, growth, [], "store:google_trends", "rising", "keyword")


def test_expected_revenue_is_the_shrunk_kernel_average_of_the_nearest() -> None:
    sims = np.array([[0.7, 0.1, 0.2], [0.1, 0.7, 0.2]])
    revenues = np.array([40.0, 2.0, 9.0])
    got, mean = expected_revenue(sims, revenues, bandwidth=0.15, prior_weight=0.25, neighbors=2)
    assert mean == pytest.approx(17.0)
    k = [math.exp(-(1 - s) / 0.15) for s in (0.7, 0.2)]  # the two nearest of row 0
    assert got[0] == pytest.approx((0.25 * 17 + k[0] * 40 + k[1] * 9) / (0.25 + k[0] + k[1]))
    assert got[0] > mean > got[1]
    none, zero = expected_revenue(np.zeros((2, 0)), np.zeros(0), bandwidth=0.15, prior_weight=1)
    assert zero == 0.0 and none.tolist() == [0.0, 0.0]


async def test_a_topic_near_a_past_winner_outranks_one_near_a_past_loser(
    gateway_client: openai.AsyncOpenAI,
) -> None:
    candidates = [_pick(NEAR_LOSER), _pick(NEAR_WINNER)]  # equally trending
    chooser = TopicChooser()
    plain = await chooser.choose(gateway_client, niche=NICHE, candidates=candidates)
    assert plain.pick.topic == NEAR_LOSER  # on relevance x growth alone it wins
    assert plain.expected_revenue_usd is None and plain.revenue_factor == 1.0

    past = [Past(WINNER, 40.0), Past(LOSER, 2.0), Past("Sinking funds for holidays", 12.0)]
    choice = await chooser.choose(
        gateway_client,
        niche=NICHE,
        candidates=candidates,
        past_topics=[p.topic for p in past],
        past_videos=past,
    )
    assert choice.pick.topic == NEAR_WINNER
    assert choice.past_videos == 3 and choice.revenue_factor > 1.0
    assert choice.expected_revenue_usd is not None and choice.expected_revenue_usd > 18.0

    # the same candidates with the winner and the loser swapped: the other one wins
    swapped = [Past(WINNER, 2.0), Past(LOSER, 40.0), Past("Sinking funds for holidays", 12.0)]
    again = await chooser.choose(
        gateway_client,
        niche=NICHE,
        candidates=candidates,
        past_topics=[p.topic for p in swapped],
        past_videos=swapped,
    )
    assert again.pick.topic == NEAR_LOSER and again.revenue_factor > 1.0


async def test_growth_still_counts_against_expected_revenue(
    gateway_client: openai.AsyncOpenAI,
) -> None:
    """rank = relevance x (1 + growth) x E[r]/mu: a much faster-rising topic near the loser
    beats one near the winner that is falling."""
    past = [Past(WINNER, 40.0), Past(LOSER, 2.0)]
    choice = await TopicChooser().choose(
        gateway_client,
        niche=NICHE,
        candidates=[_pick(NEAR_WINNER, growth=-0.5), _pick(NEAR_LOSER, growth=1.0)],
        past_videos=past,
    )
    assert choice.pick.topic == NEAR_LOSER and choice.revenue_factor < 1.0


async def test_no_revenue_or_a_zero_mean_leaves_the_ranking_as_it_was(
    gateway_client: openai.AsyncOpenAI,
) -> None:
    candidates = [_pick(NEAR_LOSER), _pick(NEAR_WINNER)]
    zero = [Past(WINNER, 0.0), Past(LOSER, 0.0)]
    choice = await TopicChooser().choose(
        gateway_client, niche=NICHE, candidates=candidates, past_videos=zero
    )
    assert choice.pick.topic == NEAR_LOSER and choice.revenue_factor == 1.0
    with pytest.raises(ValueError):
        TopicChooser(revenue_bandwidth=0)
