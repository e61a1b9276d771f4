"""The orchestrator's agents: plain classes with one job each, called by the pipeline.

- :mod:`trend_prophet` picks a rising topic for a channel's niche (Prophet forecasts)
- :mod:`content_strategist` writes the script through the AI gateway
- :mod:`quality_guardian` scores a script and says why
- :mod:`revenue_optimizer` packages title, tags, description, thumbnail text, publish time
"""
