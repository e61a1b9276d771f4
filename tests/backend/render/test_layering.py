"""The renderer is a leaf: nothing from the rest of the backend, and from ai only what the
two share: text fitting, and the speech engines' word timings (their type and alignment)."""

from __future__ import annotations

import ast
from pathlib import Path

RENDER = Path(__file__).resolve().parents[3] / "backend" / "render"
SHARED_FROM_AI = {"ai.text_fit", "ai.backends.base", "ai.backends.word_timing"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return names | {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}


def test_the_renderer_imports_only_itself_and_the_shared_text_fitting() -> None:
    outside: dict[str, set[str]] = {}
    for path in sorted(RENDER.glob("*.py")):
        mods = {m for m in _imports(path) if m.split(".")[0] in {"backend", "ai"}}
        foreign = {
            m for m in mods if not m.startswith("backend.render") and m not in SHARED_FROM_AI
        }
        if foreign:
            outside[path.name] = foreign
    assert outside == {}
    assert "ai.text_fit" in _imports(RENDER / "text.py")
