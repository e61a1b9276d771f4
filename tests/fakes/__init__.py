"""Real local servers that stand in for third-party services in tests."""
