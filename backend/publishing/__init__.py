"""YouTube publishing: OAuth (PKCE), encrypted grants, quota, crash-safe resumable upload."""
