"""Moved to :mod:`backend.niches.discovery`; only :mod:`backend.discovery.tasks` is left here."""
