"""The trend helpers: the shipped sample series, the bundled source, and niche matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.niches.trends.match import exact_category, normalize_category, overlap_scores, tokens
from backend.niches.trends.samples import CATALOG, write_catalog
from backend.niches.trends.source import DEFAULT_SERIES_DIR, BundledTrendSource


def test_the_shipped_sample_series_are_what_the_generator_writes(tmp_path: Path) -> None:
    written = write_catalog(tmp_path)
    assert sorted(p.stem for p in written) == sorted(CATALOG)
    for path in written:
        assert path.read_text() == (DEFAULT_SERIES_DIR / path.name).read_text(), path.name


def test_the_bundled_source_reads_one_series_per_topic_and_refuses_bad_files(
    tmp_path: Path,
) -> None:
    source = BundledTrendSource()
    assert source.categories() == sorted(CATALOG)
    cooking = source.series("cooking")
    assert [s.topic for s in cooking] == [shape.topic for shape in CATALOG["cooking"]]
    assert all(list(s.frame.columns) == ["ds", "y"] and len(s.frame) == 106 for s in cooking)
    assert cooking[0].source == "bundled:cooking.csv"
    with pytest.raises(KeyError, match="no trend series for category 'knitting'"):
        source.series("knitting")
    (tmp_path / "odd.csv").write_text("date,a\n2026-01-05,1\n")
    with pytest.raises(ValueError, match="the header must be"):
        BundledTrendSource(tmp_path).series("odd")
    with pytest.raises(FileNotFoundError):
        BundledTrendSource(tmp_path / "missing")


def test_a_free_text_niche_matches_categories_by_name_then_words() -> None:
    assert normalize_category("Personal Finance!") == "personal_finance"
    assert exact_category("personal finance", CATALOG) == "personal_finance"
    assert exact_category("money tips", CATALOG) is None
    assert tokens("The best budgeting apps") == {"budget", "app"}  # plural and -ing dropped
    assert tokens("Guitar for beginners, explained") == {"guitar"}  # pitch words are not topics
    scores = overlap_scores("money and tax tips", {"personal_finance": ["money", "tax"], "x": []})
    assert scores == {"personal_finance": 2}
