"""Errors raised by the renderer; messages say what went wrong and where."""

from __future__ import annotations


class RenderError(RuntimeError):
    """A render could not be produced (bad input, ffmpeg failure)."""


class RenderVerificationError(RenderError):
    """A rendered file does not match what was asked for (missing stream, wrong length)."""


class RenderInputError(RenderError, ValueError):
    """The spec cannot be rendered as given (missing file, no scenes, bad number)."""
