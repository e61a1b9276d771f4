"""Trends: topic interest series (``source``), Prophet forecasts (``forecast``), which
categories a free-text niche means (``match``), and topics ranked by forecast growth
(``ranking``). A leaf of the niches domain: it imports nothing else from ``backend/``.

``samples`` regenerates the offline sample series in ``backend/data/trends``.
"""
