"""The Prometheus alert rules (docker/prometheus/alerts.yml): promtool's unit tests fire
every rule on a bad synthetic series and keep it quiet on a healthy one, and every metric
a rule names is one our processes define (a renamed metric fails here, not silently in
production)."""

from __future__ import annotations

import os
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

import ai.metrics  # noqa: F401  (registers the gateway's metrics)
import backend.alerts.metrics
import backend.app
import backend.backup.metrics
import backend.costs.scrape
import backend.media.retention  # noqa: F401
from backend.observability.metrics import QueueCollector

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "docker" / "prometheus" / "alerts.yml"
RULE_TESTS = ROOT / "docker" / "prometheus" / "alerts_test.yml"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PROMETHEUS_BUILTIN = {"up"}
NAME = re.compile(r"\b(ytempire_[a-z0-9_]+|up)\b(?!\s*\()")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
REQUIRED = {  # the issue's list, as the rules name them
    "ApiErrorRateHigh",
    "ApiLatencyP95High",
    "QueueBacklog",
    "StageFailureRateHigh",
    "VideoStuck",
    "YouTubeQuotaLow",
    "BudgetWarning",
    "BudgetExhausted",
    "TargetDown",
    "DatabaseDown",
    "ScrapingSuccessLow",
    "DiscoveryRateLow",
    "DiskSpaceLow",
    "BackupStale",
}


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        message = "promtool is not installed (apt-get install prometheus; scripts/test.sh does)"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: a missing tool is a failure)", pytrace=False)
        pytest.skip(message)
    return found


def rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(RULES.read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def defined_names() -> set[str]:
    names: set[str] = set()
    collectors: list[Collector] = [REGISTRY, QueueCollector(fakeredis.FakeRedis())]
    for collector in collectors:
        for family in collector.collect():
            names.add(family.name)
            names.update(family.name + s for s in SUFFIXES.get(family.type, ()))
    return names


def test_promtool_checks_the_rules_file() -> None:
    result = subprocess.run(
        [promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_rule_fires_on_bad_series_and_stays_quiet_on_healthy_ones() -> None:
    result = subprocess.run(
        [promtool(), "test", "rules", RULE_TESTS.name],
        cwd=RULE_TESTS.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tested = set(re.findall(r"alertname: (\w+)", RULE_TESTS.read_text()))
    assert tested == {r["alert"] for r in rules()}, "a rule without a unit test"


def test_the_issue_list_is_covered() -> None:
    assert {r["alert"] for r in rules()} >= REQUIRED


def test_every_metric_a_rule_names_exists() -> None:
    known = defined_names() | PROMETHEUS_BUILTIN
    used = {name for rule in rules() for name in NAME.findall(rule["expr"])}
    assert used, "no metric names found in the rules"
    missing = sorted(used - known)
    assert missing == [], f"metrics no process defines: {missing}"


def test_the_name_check_can_fail() -> None:
    known = defined_names()
    assert "ytempire_http_requests_total" in known and "ytempire_queue_depth" in known
    assert "ytempire_no_such_metric" not in known


def test_every_rule_has_a_severity_and_a_summary() -> None:
    for rule in rules():
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


def test_prometheus_loads_the_rules_file_compose_mounts() -> None:
    config = yaml.safe_load((ROOT / "prometheus.yml").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    volumes = compose["services"]["prometheus"]["volumes"]
    mount = next(v for v in volumes if str(v).startswith("./docker/prometheus:"))
    target = str(mount).split(":")[1]
    assert f"{target}/{RULES.name}" in config["rule_files"]
    assert "alerting" not in config  # no Alertmanager (see the comment in prometheus.yml)
