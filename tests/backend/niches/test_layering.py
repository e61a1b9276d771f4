"""The niches domain's import graph, read from the source (ast): its parts import each other in
one direction only (endpoints → service → discovery → alerts → repository; discovery and
explorer → trends), trends is a leaf, and the domain never imports its callers."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import backend.niches

PACKAGE = "backend.niches"
ROOT = Path(backend.niches.__file__).resolve().parent
CALLERS = ("backend.agents", "backend.pipeline", "backend.web", "backend.cli", "backend.app")


def modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join((PACKAGE, *parts)).removesuffix(".__init__")
        yield name, ast.parse(path.read_text(), str(path))


def imported(name: str, tree: ast.Module) -> set[str]:
    """Absolute names of what ``tree`` imports (``from a import b`` gives ``a`` and ``a.b``)."""
    found: set[str] = set()
    package = name if name == PACKAGE else name.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def part(name: str) -> str | None:
    """The domain part a module belongs to: a top-level module or a subpackage."""
    rest = name.removeprefix(PACKAGE + ".")
    return None if rest == name or name == PACKAGE else rest.split(".")[0]


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name, tree in modules():
        source = part(name)
        if source is None:
            continue
        targets = {part(t) for t in imported(name, tree) if t.startswith(PACKAGE + ".")}
        edges.setdefault(source, set()).update(t for t in targets if t and t != source)
    return edges


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_between_the_parts_of_niches() -> None:
    edges = graph()
    assert {"discovery", "trends", "service", "explorer"} <= set(edges)
    assert cycle(edges) is None, f"import cycle: {' -> '.join(cycle(edges) or [])}"
    assert "trends" in edges["discovery"] and "discovery" in edges["service"]


def test_trends_is_a_leaf_and_the_domain_never_imports_its_callers() -> None:
    for name, tree in modules():
        names = imported(name, tree)
        if part(name) == "trends":
            outside = {n for n in names if n.startswith("backend.")}
            assert {n for n in outside if not n.startswith(PACKAGE + ".trends")} == set(), name
        callers = {n for n in names if n.startswith(CALLERS)}
        assert not callers, f"{name} imports {sorted(callers)}"
