"""The provisioned Grafana dashboard asks only for metrics this codebase defines.

Every metric name in every panel's PromQL is checked against the metrics registered once
the API, worker and gateway modules are imported (their sample names: ``_total``,
``_bucket``, ...), the scrape-time queue collector's, and Prometheus's own ``up``; and each
subject the issue names has its panel. Where ``promtool`` is installed, every expression
must also parse.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import fakeredis
import pytest
import yaml
from prometheus_client import REGISTRY
from prometheus_client.registry import Collector

import ai.app  # noqa: F401  (registers the gateway's metrics)
import backend.app
import backend.jobs.worker  # noqa: F401  (the worker's job metrics)
from backend.observability.metrics import QueueCollector

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD = ROOT / "docker/grafana/dashboards/ytempire.json"
PROMQL_WORDS = {
    # functions, aggregations and keywords used (or usable) in the panels
    "sum", "min", "max", "avg", "count", "rate", "irate", "increase", "delta",
    "histogram_quantile", "clamp_min", "clamp_max", "time", "vector", "scalar", "abs",
    "by", "without", "on", "ignoring", "group_left", "group_right", "or", "and", "unless",
    "bool", "offset", "topk", "bottomk", "label_replace", "absent", "sort_desc",
}  # fmt: skip
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}


def sample_names(collectors: list[Collector]) -> set[str]:
    names = set()
    for collector in collectors:
        for family in collector.collect():
            for suffix in SUFFIXES.get(family.type, ("",)):
                names.add(family.name + suffix)
    return names


def defined_metrics() -> set[str]:
    return sample_names([REGISTRY, QueueCollector(fakeredis.FakeRedis())]) | {"up"}


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (label matchers, strings, ranges and
    grouping clauses taken out first)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    words = set(re.findall(r"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*", text))
    return {w for w in words if w not in PROMQL_WORDS}


def panels() -> list[dict[str, Any]]:
    return list(json.loads(DASHBOARD.read_text())["panels"])


def exprs() -> list[str]:
    return [t["expr"] for p in panels() for t in p["targets"]]


def test_the_name_extraction_sees_selectors_and_nothing_else() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, stage) (rate(a_bucket{stage=~"x|y"}[5m]))) '
        "/ on(stage) group_left clamp_min(sum without (pid) (b_total offset 1h), 1e-9) "
        "or vector(0) - time()"
    )
    assert metric_names(expr) == {"a_bucket", "b_total"}


def test_every_panel_queries_metrics_that_exist() -> None:
    defined = defined_metrics()
    for backup in ("last_success_timestamp_seconds", "last_size_bytes", "last_verified"):
        assert f"ytempire_backup_{backup}" in defined  # registered by backend.backup.metrics
    unknown = {
        (panel["title"], name)
        for panel in panels()
        for target in panel["targets"]
        for name in metric_names(target["expr"])
        if name not in defined
    }
    assert not unknown, f"panels query metrics nobody defines: {sorted(unknown)}"


def test_each_subject_of_the_issue_has_a_panel() -> None:
    text = "\n".join(exprs())
    for needed in (
        "ytempire_videos_total",  # videos per day by outcome
        "histogram_quantile(0.5, sum by (le, stage) (rate(ytempire_stage_duration_seconds_bucket",
        "histogram_quantile(0.95, sum by (le, stage) (rate(ytempire_stage_duration_seconds_bucket",
        "ytempire_queue_depth",
        'ytempire_cost_spend_usd{period="day"}',
        'ytempire_cost_budget_usd{period="day"}',
        "ytempire_youtube_quota_units_left",
        "ytempire_ai_model_latency_seconds_bucket",
        "ytempire_ai_text_tokens_per_second",
        "ytempire_ai_memory_held_bytes",
        "ytempire_ai_memory_budget_bytes",
        "ytempire_ai_model_memory_bytes",
        "ytempire_discovery_niches_scored_total",
        "ytempire_backup_last_success_timestamp_seconds",
        "ytempire_backup_last_size_bytes",
        "ytempire_backup_last_verified",
    ):
        assert needed in text, f"no panel for {needed}"


def test_panels_are_well_formed() -> None:
    found = panels()
    ids = [p["id"] for p in found]
    assert len(ids) == len(set(ids))
    for panel in found:
        assert panel["datasource"]["uid"] == "ytempire-prometheus", panel["title"]
        assert panel["targets"], panel["title"]
        box = panel["gridPos"]
        assert box["x"] + box["w"] <= 24, panel["title"]
    cells = set()  # no two panels overlap on the grid
    for panel in found:
        box = panel["gridPos"]
        mine = {
            (x, y)
            for x in range(box["x"], box["x"] + box["w"])
            for y in range(box["y"], box["y"] + box["h"])
        }
        assert not cells & mine, f"{panel['title']} overlaps another panel"
        cells |= mine


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_every_expression_parses(tmp_path: Path) -> None:
    rules = [
        {"record": f"dashboard:expr_{i}", "expr": re.sub(r"\$__\w+", "5m", expr)}
        for i, expr in enumerate(exprs())
    ]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        ["promtool", "check", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
