"""Packages of backend/ and ai/ import each other one way only (scripts/import_graph.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "import_graph.py"


def _graph_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_cycles_between_packages() -> None:
    graph = _graph_module()
    edges, _ = graph.graph()
    assert graph.cycles(edges) == []


def test_the_gateway_imports_nothing_from_the_backend() -> None:
    edges, _ = _graph_module().graph()
    assert edges["ai"] == set()


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = _graph_module()
    assert graph.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
