"""Where a call for an on-premises connection goes: through the agent that serves it.

registry.py keeps agents and their keys in the store; endpoint.py is the socket
an agent dials; session.py one open socket; hub.py routes a call to the socket,
in this process or (relay.py, through Redis) in another; transport.py is the
httpx transport connectors use for such a connection, so they stay unchanged;
presence.py turns an agent going offline or back into connection statuses.
"""
