"""``/metrics`` of a ``ytempire worker``: every process of the worker counts, horses included.

RQ's forking worker runs each job in a work horse that exits when the job is done, so a
counter the horse increments in its own memory dies with it. Here the worker runs in
prometheus_client's multiprocess mode: every process (the worker and each horse) writes
its samples to mmap files of its own (``<type>_<pid>.db``) in the worker's directory
(``PROMETHEUS_MULTIPROC_DIR``), each write landing in the file as it happens, so even a
horse that is killed keeps what it counted. The worker serves the merge of all the files
on its own port (``YTE_WORKER_METRICS_PORT``, 9100; 0: none).

A worker outlives thousands of horses, and a file per horse would make every scrape
slower. So when a horse has ended, :meth:`WorkerMetrics.fold_dead` adds its counters,
histograms and summaries into the worker's ``*_horses.db`` files, keeps what its gauges
of the ``max``/``min``/``sum``/``mostrecent`` kinds said, and removes its files; all of it
under the lock a scrape takes, so no scrape sees a horse twice or not at all. Gauges of the
per-process kinds (``all``, the default, and ``live*``) are not served: a horse's pid means
nothing to a dashboard. Our gauges that workers set say how processes combine.

The mode must be chosen before prometheus_client is imported. ``ytempire worker`` started
without ``PROMETHEUS_MULTIPROC_DIR`` makes itself a private directory and executes itself
again with it set (:func:`reexec_in_multiprocess_mode`); the pid stays the same.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

import structlog
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.metrics_core import Metric
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector

log = structlog.get_logger(__name__)

DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
OWNED_ENV = "YTE_WORKER_METRICS_DIR_OWNED"  # set by the re-exec: remove the dir at exit
ARCHIVE = "horses"  # the pid part of the folded files' names
SUMMED = ("counter", "histogram", "summary")
KEPT_GAUGES = ("max", "min", "sum", "mostrecent")  # a dead process's value still counts


def multiprocess_dir() -> Path | None:
    """The multiprocess directory this process was started with, if any."""
    value = os.environ.get(DIR_ENV)
    return Path(value) if value else None


def multiprocess_active() -> bool:
    """Whether prometheus_client chose multiprocess mode when it was imported."""
    from prometheus_client import values

    return getattr(values.ValueClass, "_multiprocess", False) is True


PRIVATE_PREFIX = "ytempire-worker-metrics-"  # + "<pid>-<random>", in the temp dir


def sweep_orphans(parent: Path) -> list[Path]:
    """Remove the private directories of workers that died without removing theirs (a
    SIGKILL, an OOM kill); a directory is its worker's while that pid lives."""
    removed = []
    for directory in parent.glob(f"{PRIVATE_PREFIX}*-*"):
        pid = directory.name.removeprefix(PRIVATE_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
    return removed


def reexec_in_multiprocess_mode() -> NoReturn:
    """Execute this command again with a fresh private ``PROMETHEUS_MULTIPROC_DIR``."""
    parent = Path(tempfile.gettempdir())
    sweep_orphans(parent)
    directory = tempfile.mkdtemp(prefix=f"{PRIVATE_PREFIX}{os.getpid()}-", dir=parent)
    env = {**os.environ, DIR_ENV: directory, OWNED_ENV: "1"}
    argv = [sys.executable, *sys.orig_argv[1:]]
    log.info("worker.metrics.reexec", directory=directory)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)  # noqa: S606 (this very command, again)


def _parse(path: Path) -> tuple[str, str, str] | None:
    """(type, gauge mode or "", pid part) of a ``<type>[_<mode>]_<pid>.db`` file name."""
    parts = path.name[: -len(".db")].split("_")
    if parts[0] == "gauge" and len(parts) == 3:
        return parts[0], parts[1], parts[2]
    if parts[0] in SUMMED and len(parts) == 2:
        return parts[0], "", parts[1]
    return None


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a process that may still write (a zombie may not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc: a live pid is taken at its word
    return state != "Z"


class _Collector(MultiProcessCollector):
    """The merge of the directory's files, under the fold lock, without per-pid gauges."""

    def __init__(self, path: Path, lock: threading.Lock) -> None:
        super().__init__(None, str(path))
        self._dir = path
        self._lock = lock

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            files = [
                str(f)
                for f in self._dir.glob("*.db")
                if (kind := _parse(f)) is not None and not _per_process(kind)
            ]
            return list(self.merge(files, accumulate=True))


def _per_process(kind: tuple[str, str, str]) -> bool:
    typ, mode, _ = kind
    return typ == "gauge" and mode not in KEPT_GAUGES


class WorkerMetrics:
    """The worker's multiprocess directory: cleared at start, folded, served, removed."""

    def __init__(self, directory: Path, *, owned: bool = False) -> None:
        self.directory = directory
        self.owned = owned
        self._lock = threading.Lock()
        self._archives: dict[str, MmapedDict] = {}  # the worker's *_horses.db files
        self._folded: dict[str, dict[str, tuple[float, float]]] = {}  # what they hold
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_Collector(directory, self._lock))
        self._server: Any = None

    @classmethod
    def from_environment(cls) -> WorkerMetrics | None:
        directory = multiprocess_dir()
        if directory is None or not multiprocess_active():
            return None
        return cls(directory, owned=os.environ.get(OWNED_ENV) == "1")

    def clear_stale(self) -> None:
        """Remove files of an earlier run (this directory belongs to this worker alone);
        this process's own files, written since it started, stay."""
        self.directory.mkdir(parents=True, exist_ok=True)
        mine = str(os.getpid())
        with self._lock:
            for path in self.directory.glob("*.db"):
                kind = _parse(path)
                if kind is None or kind[2] != mine:
                    path.unlink(missing_ok=True)

    def fold_dead(self) -> list[int]:
        """Fold the files of every process of this worker that has ended into the archive;
        returns their pids. Call it from the thread that forks (it runs after a horse ended
        and is never racing the fork of a horse that could reuse the pid)."""
        me = os.getpid()
        by_pid: dict[int, list[tuple[Path, tuple[str, str, str]]]] = {}
        for path in self.directory.glob("*.db"):
            kind = _parse(path)
            if kind is None or not kind[2].isdigit() or int(kind[2]) == me:
                continue
            by_pid.setdefault(int(kind[2]), []).append((path, kind))
        folded = []
        for pid, files in sorted(by_pid.items()):
            if _alive(pid):
                continue
            with self._lock:
                for path, kind in files:
                    self._fold(path, kind)
                    path.unlink(missing_ok=True)
            folded.append(pid)
        return folded

    def _fold(self, path: Path, kind: tuple[str, str, str]) -> None:
        typ, mode, _ = kind
        if _per_process(kind):
            return  # a dead process's per-process gauge says nothing any more
        prefix = f"{typ}_{mode}" if typ == "gauge" else typ
        if prefix not in self._archives:
            self._archives[prefix] = MmapedDict(str(self.directory / f"{prefix}_{ARCHIVE}.db"))
            self._folded[prefix] = {}
        archive, folded = self._archives[prefix], self._folded[prefix]
        for key, value, timestamp, _pos in MmapedDict.read_all_values_from_file(str(path)):
            if key not in folded:
                folded[key] = (value, timestamp)
            elif typ in SUMMED or mode == "sum":
                folded[key] = (folded[key][0] + value, 0.0)
            elif mode == "max":
                folded[key] = (max(folded[key][0], value), 0.0)
            elif mode == "min":
                folded[key] = (min(folded[key][0], value), 0.0)
            elif timestamp >= folded[key][1]:  # mostrecent
                folded[key] = (value, timestamp)
            archive.write_value(key, *folded[key])

    def serve(self, host: str, port: int) -> bool:
        """Serve ``/metrics`` on ``host:port`` from a daemon thread; False (logged) when the
        port cannot be had: the worker works on without it, and Prometheus marks the target
        down."""
        try:
            self._server, _thread = start_http_server(port, addr=host, registry=self.registry)
        except OSError as exc:
            log.error(
                "worker.metrics.unavailable",
                host=host,
                port=port,
                error=str(exc),
                fix="give each worker on this host its own YTE_WORKER_METRICS_PORT (0: none)",
            )
            return False
        log.info("worker.metrics.serving", host=host, port=self._server.server_port)
        return True

    @property
    def port(self) -> int | None:
        return None if self._server is None else int(self._server.server_port)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            for archive in self._archives.values():
                archive.close()
            self._archives.clear()
            self._folded.clear()
        if self.owned:
            with contextlib.suppress(OSError):
                shutil.rmtree(self.directory)
