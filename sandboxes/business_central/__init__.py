"""A local imitation of Business Central API v2.0 (see app.py)."""
