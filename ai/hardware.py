"""Hardware profiles (``hardware/*.yaml``) and detection of the machine we run on."""

from __future__ import annotations

import dataclasses
import os
import platform
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from ai.registry import REPO_ROOT, Modality

DEFAULT_PROFILES_DIR = REPO_ROOT / "hardware"
GIB = 1024**3


class ProfileMatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gpu: bool = True
    min_vram_gb: float = 0
    max_vram_gb: float = 1e9
    name_contains: list[str] = Field(default_factory=list)


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    match: ProfileMatch = Field(default_factory=ProfileMatch)
    memory_budget_gb: float = Field(gt=0)  # VRAM for GPU models (RAM on cpu-only)
    board_watts: float = Field(ge=0)  # accelerator board power, for local cost
    cpu_watts: float = Field(default=120, ge=0)  # package power while a CPU model runs
    image_max_batch: int = Field(default=4, ge=1)
    image_batch_window_ms: float = Field(default=25, ge=0)
    models: dict[Modality, list[str]] = Field(default_factory=dict)  # the local-gpu tier
    container: dict[str, str] = Field(default_factory=dict)  # compose limits, informative

    @property
    def memory_budget_bytes(self) -> int:
        return int(self.memory_budget_gb * GIB)


def load_profiles(directory: Path | None = None) -> dict[str, Profile]:
    folder = directory or DEFAULT_PROFILES_DIR
    profiles = {}
    for path in sorted(folder.glob("*.yaml")):
        profile = Profile.model_validate(yaml.safe_load(path.read_text()))
        profiles[profile.name] = profile
    return profiles


@dataclass(frozen=True)
class MachineInfo:
    cpu_name: str
    cpu_count: int
    ram_gb: float
    cuda: bool
    gpu_name: str | None
    vram_gb: float
    torch_version: str


def detect_machine() -> MachineInfo:
    import torch

    cuda = torch.cuda.is_available()
    gpu_name = torch.cuda.get_device_name(0) if cuda else None
    vram = torch.cuda.get_device_properties(0).total_memory / GIB if cuda else 0.0
    return MachineInfo(
        cpu_name=_cpu_name(),
        cpu_count=os.cpu_count() or 1,
        ram_gb=_ram_bytes() / GIB,
        cuda=cuda,
        gpu_name=gpu_name,
        vram_gb=round(vram, 1),
        torch_version=torch.__version__,
    )


def match_profile(machine: MachineInfo, profiles: dict[str, Profile]) -> Profile:
    """The most specific profile for the machine: by GPU name first, then by VRAM."""
    if not machine.cuda:
        candidates = [p for p in profiles.values() if not p.match.gpu]
        if not candidates:
            raise LookupError("no profile for a machine without a GPU (match.gpu: false)")
        return candidates[0]
    gpu_profiles = [p for p in profiles.values() if p.match.gpu]
    name = (machine.gpu_name or "").lower()
    by_name = [
        p
        for p in gpu_profiles
        if any(token.lower() in name for token in p.match.name_contains)
        and machine.vram_gb >= p.match.min_vram_gb
    ]
    if by_name:
        return max(by_name, key=lambda p: p.match.min_vram_gb)
    by_vram = [
        p
        for p in gpu_profiles
        if not p.match.name_contains
        and p.match.min_vram_gb <= machine.vram_gb <= p.match.max_vram_gb
    ]
    if by_vram:
        return max(by_vram, key=lambda p: p.match.min_vram_gb)
    fitting = [p for p in gpu_profiles if p.match.min_vram_gb <= machine.vram_gb]
    if fitting:
        return max(fitting, key=lambda p: p.match.min_vram_gb)
    return match_profile(dataclasses.replace(machine, cuda=False), profiles)


def resolve_profile(
    name: str | None, directory: Path | None = None, machine: MachineInfo | None = None
) -> Profile:
    profiles = load_profiles(directory)
    if name:
        if name not in profiles:
            raise LookupError(f"unknown hardware profile {name!r}; known: {sorted(profiles)}")
        return profiles[name]
    return match_profile(machine or detect_machine(), profiles)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0
