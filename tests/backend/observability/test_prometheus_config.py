"""prometheus.yml scrapes every process where it listens, and loads the mounted rules."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from backend.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


def load(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / name).read_text()))


def jobs() -> dict[str, dict[str, Any]]:
    return {job["job_name"]: job for job in load("prometheus.yml")["scrape_configs"]}


def test_api_every_worker_replica_and_the_gateway_are_scraped() -> None:
    found = jobs()
    services = load("docker-compose.yml")["services"]
    assert found["api"]["static_configs"][0]["targets"] == ["api:8000"]
    assert found["ai"]["static_configs"][0]["targets"] == ["ai:8100"]
    # the worker service's name resolves to every replica's address (Docker DNS)
    (discovery,) = found["worker"]["dns_sd_configs"]
    assert discovery["type"] == "A" and discovery["names"] == ["worker"]
    assert "worker" in services and "ports" not in services["worker"]
    assert discovery["port"] == Settings.model_fields["worker_metrics_port"].default
    worker_env = services["worker"]["environment"]
    assert worker_env["YTE_WORKER_METRICS_HOST"] == "0.0.0.0"


def test_the_rules_file_is_mounted_where_prometheus_reads_it() -> None:
    (rules,) = load("prometheus.yml")["rule_files"]
    mounts = load("docker-compose.yml")["services"]["prometheus"]["volumes"]
    sources = {m.split(":")[1]: m.split(":")[0] for m in mounts if m.startswith("./")}
    directory, name = rules.rsplit("/", 1)
    assert sources[directory] == "./docker/prometheus" and name == "alerts.yml"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_config(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    shipped = ROOT / "docker/prometheus/alerts.yml"
    if shipped.exists():
        shutil.copy(shipped, rules / "alerts.yml")
    else:  # the alerts file is another part's; the config must still load without rules
        (rules / "alerts.yml").write_text("groups: []\n")
    config = (ROOT / "prometheus.yml").read_text().replace("/etc/prometheus/rules", str(rules))
    (tmp_path / "prometheus.yml").write_text(config)
    result = subprocess.run(
        ["promtool", "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
