"""Fetch weights from the Hugging Face Hub (``models pull``) and check they are whole (``verify``).

Pull runs on a connected machine only; nothing else in the gateway touches the network
for weights. Each pulled folder gets a manifest of file sizes, and verify checks those
sizes plus the internal length of every safetensors and GGUF file.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

from ai.registry import ModelSpec

MANIFEST = ".ytempire-manifest.json"
GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class Verdict:
    model: str
    ok: bool
    detail: str


def pull(spec: ModelSpec, models_dir: Path, token: str | None = None) -> Path:
    from huggingface_hub import hf_hub_download, snapshot_download

    if not spec.hf_repo or not spec.path:
        raise ValueError(
            f"{spec.id} is not pulled from the Hub (it ships with a package or is procedural/cloud)"
        )
    folder = spec.local_dir(models_dir)
    assert folder is not None
    folder.mkdir(parents=True, exist_ok=True)
    snapshot_download(
        repo_id=spec.hf_repo, local_dir=folder, allow_patterns=spec.hf_files, token=token
    )
    for extra in spec.extra_weights:
        hf_hub_download(
            repo_id=extra["repo"], filename=extra["file"], local_dir=folder, token=token
        )
    write_manifest(folder)
    return folder


def write_manifest(folder: Path) -> None:
    files = {
        str(p.relative_to(folder)): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST and ".cache" not in p.parts
    }
    (folder / MANIFEST).write_text(json.dumps({"files": files}, indent=1))


def verify(spec: ModelSpec, models_dir: Path) -> Verdict:
    if spec.is_cloud or spec.backend == "slides":
        return Verdict(spec.id, True, "no local files")
    try:
        folder = spec.local_dir(models_dir)
    except FileNotFoundError as exc:
        return Verdict(spec.id, False, str(exc))
    assert folder is not None
    target = folder / spec.file if spec.file else folder
    if not target.exists():
        return Verdict(spec.id, False, f"missing: {target}")
    problems: list[str] = []
    manifest = folder / MANIFEST
    if spec.path and manifest.exists():
        expected: dict[str, int] = json.loads(manifest.read_text())["files"]
        for name, size in expected.items():
            path = folder / name
            if not path.exists():
                problems.append(f"{name} missing")
            elif path.stat().st_size != size:
                problems.append(f"{name} is {path.stat().st_size} bytes, expected {size}")
    elif spec.path:
        problems.append(f"no {MANIFEST} (pulled by hand?)")
    files = [target] if target.is_file() else sorted(target.rglob("*"))
    checked = 0
    for path in files:
        if path.suffix == ".safetensors":
            problem = check_safetensors(path)
        elif path.suffix == ".gguf":
            problem = check_gguf(path)
        else:
            continue
        checked += 1
        if problem:
            problems.append(f"{path.name}: {problem}")
    if problems:
        return Verdict(spec.id, False, "; ".join(problems[:5]))
    where = f"package {spec.package}" if spec.package else str(target)
    if not checked:
        return Verdict(spec.id, True, f"present in {where}")
    return Verdict(spec.id, True, f"{checked} weight file(s) complete in {where}")


def check_safetensors(path: Path) -> str | None:
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            return "truncated header"
        (header_len,) = struct.unpack("<Q", head)
        if header_len > size - 8:
            return "header longer than the file"
        try:
            header = json.loads(handle.read(header_len))
        except ValueError:
            return "unreadable header"
    ends = [t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"]
    expected = 8 + header_len + (max(ends) if ends else 0)
    if size != expected:
        return f"{size} bytes, header says {expected} (incomplete download?)"
    return None


def check_gguf(path: Path) -> str | None:
    with path.open("rb") as handle:
        if handle.read(4) != GGUF_MAGIC:
            return "not a GGUF file"
    return None
