"""`plantgate mcp`: the Model Context Protocol server for one connection token.

It is a client of the gateway's GraphQL API (no database access): the tools are
read off the connection's own shaped schema by introspection, so an MCP client
sees exactly the entities and writes that connection has.
"""
