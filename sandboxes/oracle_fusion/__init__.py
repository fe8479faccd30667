"""A local imitation of Oracle Fusion Cloud's REST API (maintenance and procurement resources)."""
