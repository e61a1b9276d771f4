"""revenue_optimizer's RPM is the niche catalogue's table: one source for the expected RPM
of an SEO package and the prior of the monetization score."""

from __future__ import annotations

from backend.agents.revenue_optimizer import (
    RPM_USD,
    YOUTUBE_CATEGORY,
    RevenueOptimizer,
    match_category,
)
from backend.niches.catalog import catalog
from backend.publishing.metadata import CATEGORY_IDS
from tests.backend.agents.conftest import good_script
from tests.backend.agents.test_revenue_optimizer import NOW


def test_every_catalogue_category_has_its_rpm_and_a_youtube_category() -> None:
    table = catalog()
    assert {k: c.rpm_usd for k, c in table.categories.items()} == RPM_USD
    assert table.rpm_ceiling == max(RPM_USD.values()) == RPM_USD["personal_finance"]
    for key in table.categories:
        assert YOUTUBE_CATEGORY[key] in CATEGORY_IDS, key
        assert match_category(key) == key
    assert all(0 < c.rpm_usd < c.cpm_usd for c in table.categories.values())


def test_the_seo_package_expects_the_tables_rpm() -> None:
    seo = RevenueOptimizer().optimize(
        good_script(), niche="entertainment", fmt="long", language="en", now=NOW
    )
    assert seo.expected_rpm_usd == catalog().get("entertainment").rpm_usd
    assert seo.category == "Entertainment"
