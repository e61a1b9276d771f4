"""Leaving the process promptly, even with a stage still busy in a worker thread."""

from __future__ import annotations

import os
import sys
import threading

import typer


def exit_now(code: int) -> None:
    """Exit with ``code`` without waiting for threads that are still at work.

    An abandoned stage can leave a thread in an encode or a model call, and a job in a
    daemon thread starts executor threads (DNS lookups, ``to_thread``) that the
    interpreter waits for at exit. Their work is lost at most: a stage stays `running`
    without a lease and the reconciler runs it again.
    """
    if threading.active_count() == 1:
        raise typer.Exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
