"""The on-premises agent: a transport that runs inside a plant and only dials out.

`plantgate agent` holds one WebSocket to the gateway and executes, against the
plant's own systems, the HTTP calls the gateway's connectors make for the
connections assigned to it. It has no connector logic: protocol.py is the wire,
runner.py the socket, caller.py one call, policy.py what it may reach, and
credentials.py / inject.py the credentials that stay in the plant.
"""
