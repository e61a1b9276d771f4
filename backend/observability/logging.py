"""Structured logs (structlog): JSON in production, readable console output otherwise.

Logs always go to stderr, never stdout, so they do not mix into a command's output.
They are written to whatever ``sys.stderr`` is at the time (not the one at configure
time), so a live progress display that captures stderr prints them above itself.
"""

from __future__ import annotations

import logging
import sys

import structlog

from backend.observability.redaction import ScrubbingFormatter, redact_event, scrub_rendered


class _CurrentStderr:
    """A stream that writes to the current ``sys.stderr``."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


STDERR = _CurrentStderr()


def configure_logging(level: str = "INFO", json: bool = False) -> None:
    logging.basicConfig(format="%(message)s", stream=STDERR, level=level, force=True)
    for handler in logging.getLogger().handlers:  # stdlib lines (uvicorn, SQLAlchemy) too
        handler.setFormatter(ScrubbingFormatter("%(message)s"))
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_event,  # secrets never reach a log (backend/observability/redaction.py)
            structlog.processors.format_exc_info,
            scrub_rendered,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=STDERR),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
