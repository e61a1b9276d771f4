"""The owner dashboard: server-rendered pages, cookie sessions, CSRF and the ``/ws`` socket."""

from backend.web.install import install_web

__all__ = ["install_web"]
