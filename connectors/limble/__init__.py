"""Limble CMMS (Tier 1, cloud): REST API v2 with HTTP Basic (client id and secret)."""
