"""Backup and restore of the whole appliance: database, media, key material (service.py)."""
