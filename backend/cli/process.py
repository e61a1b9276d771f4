"""Leaving the process promptly, even with a stage still busy in a worker thread."""

from __future__ import annotations

import os
import sys
import threading

import typer


def exit_now(code: int) -> None:
    """Exit with ``code`` without waiting for busy non-daemon threads.

    An abandoned stage can leave a thread in an encode or a model call; the interpreter
    would wait for it at exit. Its try is lost at most: the stage stays `running`
    without a lease and the reconciler runs it again.
    """
    busy = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if not busy:
        raise typer.Exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
