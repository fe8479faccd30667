"""The SDL of the schemas the gateway serves, for typed-client generators (`plantgate schema`).

Built from the same pieces the endpoint uses (extension, the system's shape, the
field sources), so a client generated from it asks only for what its caller is served.
"""

from __future__ import annotations

import strawberry

from connectors.registry import connector_class
from gateway.graphql.builder import build_schema
from schema.model import Extension, Shape

from ..customization import extension_of
from ..store.engine import Store
from ..store.tables import Connection
from .admin import admin_schema
from .shapes import field_sources, shape_of


def printed(schema: strawberry.Schema) -> str:
    """A schema's SDL, ending in one newline (as generators and diffs expect)."""
    return schema.as_str().rstrip("\n") + "\n"


def admin_sdl() -> str:
    """What an admin key is served."""
    return printed(admin_schema)


def data_sdl(extension: Extension = Extension(), shape: Shape = Shape()) -> str:
    """A data schema; the default is the unified one (every entity and operation, no custom settings)."""
    return printed(build_schema(extension, shape, field_sources()))


def connection_sdl(store: Store, connection_id: str) -> str:
    """The schema a connection's token is served: its system's shape and its settings (LookupError if unknown)."""
    with store.read() as session:
        connection = session.get(Connection, connection_id)
        if connection is None:
            raise LookupError(f"no connection with id {connection_id!r} in this database")
        extension, system = extension_of(connection), connection.system
    cls = connector_class(system)
    if cls is None:
        raise LookupError(f"connection {connection_id!r} is of an unknown system {system!r}")
    return data_sdl(extension, shape_of(cls))
