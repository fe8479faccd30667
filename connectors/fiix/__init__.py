"""Fiix CMMS: the connector (`connector.py`) and its signed RPC wire (`rpc.py`)."""
