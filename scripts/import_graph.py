"""Arrows between the packages of backend/ and ai/, read from the source (ast), and any cycle.

    python scripts/import_graph.py            # arrows, file counts per package, cycles
    python scripts/import_graph.py --check    # exit 1 when packages import each other in a cycle

A package is ``ai`` (one process) or a top-level folder or module of ``backend`` (a domain,
``backend.app`` the assembly). Imports inside functions count too: a lazy import still ties
two packages together.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def modules() -> Iterator[tuple[str, Path]]:
    for top in ("backend", "ai"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts).removesuffix(".__init__"), path


def imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
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


def package_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "ai":
        return "ai"
    if parts[0] == "backend" and len(parts) > 1:
        return parts[1]
    return None


def graph() -> tuple[dict[str, set[str]], dict[str, int]]:
    edges: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    known = {package_of(name) for name, _ in modules()}
    for name, path in modules():
        source = package_of(name)
        if source is None:
            continue
        counts[source] = counts.get(source, 0) + 1
        targets = {package_of(t) for t in imports(name, path)}
        edges.setdefault(source, set()).update(
            t for t in targets if t and t != source and t in known
        )
    return edges, counts


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                group.append(item)
                if item == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 on a cycle")
    args = parser.parse_args()
    edges, counts = graph()
    found = cycles(edges)
    if not args.check:
        for source in sorted(edges):
            targets = ", ".join(sorted(edges[source])) or "-"
            print(f"{source:<14} ({counts.get(source, 0):>3} files) -> {targets}")
    for group in found:
        print("cycle: " + " <-> ".join(group))
    if not found:
        print("no cycles between packages")
    return 1 if found and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
