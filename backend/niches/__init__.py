"""Niches: the scored niche catalogue, its API, watchlists with alert thresholds, and the
store-backed topic explorer the production pipeline draws from."""
