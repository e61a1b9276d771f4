"""Niche discovery: source adapters (YouTube, Google Trends, Reddit, RSS), scoring, dedup, jobs.

Adapters are synchronous (google-api-python-client is) and share one :class:`SourceRuntime`
for rate limiting, retries, Redis caching and the health record; the async services call
them through ``asyncio.to_thread``.
"""
