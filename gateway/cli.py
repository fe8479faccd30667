"""The `plantgate` command: serve, migrate, create an organization, check credits, systems doc, schema SDL, MCP, agent."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import uvicorn
from cryptography.fernet import Fernet

from agent import cli as agent_cli
from connectors.catalog_doc import render

from .app import SANDBOX_PREFIX, create_app
from .auth import ADMIN_PREFIX
from .credit_audit import audit_all
from .graphql.sdl import admin_sdl, connection_sdl, data_sdl
from .keyrotation import rotate_key
from .logs import configure_logging
from .organizations import create_organization
from .services import Services
from .settings import Settings


def serve(args: argparse.Namespace) -> None:
    overrides: dict[str, object] = {}
    if args.demo:
        overrides["sandboxes"] = True
    if args.port is not None:
        overrides["port"] = args.port
    if args.host is not None:
        overrides["host"] = args.host
    settings = Settings.from_env(None, **overrides)
    services = Services.start(settings)
    if args.demo:
        from .demo import prepare_demo

        print(prepare_demo(services, settings.effective_public_url + SANDBOX_PREFIX), flush=True)
    app = create_app(settings, services)
    # uvicorn's access line would print query strings; the app writes its own (gateway/accesslog.py).
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)


def migrate(args: argparse.Namespace) -> None:
    Services.start(Settings.from_env())
    print("database is at the newest revision")


def create_org(args: argparse.Namespace) -> None:
    services = Services.start(Settings.from_env())
    created = create_organization(services.store, args.name, args.credits)
    print(f"organization {created.organization.id}\nadmin key    {created.admin_key}  (shown once)")


def rotate_key_command(args: argparse.Namespace) -> None:
    settings = Settings.from_env()
    new_key = Fernet.generate_key()
    if settings.secret_key:  # printed before anything changes, so it cannot be lost
        print(
            f"new key: {new_key.decode()}\nset PLANTGATE_SECRET_KEY to it (or to 'new,old' while processes restart)",
            flush=True,
        )
    try:
        done = rotate_key(settings, new_key)
    except RuntimeError as exc:
        sys.exit(f"rotate-key: {exc}")
    where = (
        f"key file {done.key_file} now holds only the new key" if done.key_file else "the old key is no longer needed"
    )
    print(
        f"re-encrypted {done.connections} connection(s) and {done.webhook_endpoints} webhook secret(s); {where}; "
        "restart the gateway processes"
    )


def check(args: argparse.Namespace) -> None:
    """Verify the credit invariant of every organization; exit 1 on any drift."""
    services = Services.start(Settings.from_env())
    with services.store.read() as session:
        audits = audit_all(session)
    for found in audits:
        print(found.describe())
    drifted = [a for a in audits if not a.consistent]
    print(f"{len(audits)} organization(s) checked, {len(drifted)} with drift")
    if drifted:
        sys.exit(1)


def systems_doc(args: argparse.Namespace) -> None:
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(render(), encoding="utf-8")
    print(f"wrote {args.output}")


def schema_command(args: argparse.Namespace) -> None:
    """Print a schema's SDL for client generators; only `--connection` opens the database."""
    if args.admin:
        sdl = admin_sdl()
    elif args.connection:
        store = Services.start(Settings.from_env()).store
        try:
            sdl = connection_sdl(store, args.connection)
        except LookupError as exc:
            sys.exit(f"schema: {exc.args[0]}")
        finally:
            store.close()
    else:
        sdl = data_sdl()
    if args.output:
        Path(args.output).write_text(sdl, encoding="utf-8")
    else:
        sys.stdout.write(sdl)


def mcp_command(args: argparse.Namespace) -> None:
    """Serve MCP for one connection token; the MCP SDK is imported only here, where it is used."""
    from .mcp.gateway_client import GatewayClient, GatewayError
    from .mcp.run import run_http, run_stdio
    from .mcp.server import build_server, build_tools

    token = args.token or os.environ.get("PLANTGATE_TOKEN")
    if not token:
        sys.exit("plantgate mcp: give the connection token with --token or PLANTGATE_TOKEN")
    if token.startswith(ADMIN_PREFIX):  # its schema would make every admin action a tool
        sys.exit("plantgate mcp: that is an admin key; give a connection token (pg_conn_…)")
    try:
        tools = build_tools(GatewayClient(args.url, token))
    except GatewayError as exc:
        sys.exit(f"plantgate mcp: {exc}")
    server = build_server(tools)
    if args.transport == "http":
        run_http(server, args.host, args.port)
    else:
        run_stdio(server)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="plantgate", description="GraphQL gateway for industrial systems")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="run the gateway")
    run.add_argument("--demo", action="store_true", help="built-in sandboxes and a demo organization")
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    run.set_defaults(handler=serve)
    commands.add_parser("migrate", help="create or upgrade the tables").set_defaults(handler=migrate)
    org = commands.add_parser("create-org", help="create an organization and print its admin key")
    org.add_argument("name")
    org.add_argument("--credits", type=int, default=10)
    org.set_defaults(handler=create_org)
    commands.add_parser(
        "rotate-key", help="re-encrypt stored credentials and webhook secrets under a new key"
    ).set_defaults(handler=rotate_key_command)
    commands.add_parser(
        "check", help="verify that credit pools, ledgers and connections agree (exit 1 on drift)"
    ).set_defaults(handler=check)
    doc = commands.add_parser("systems-doc", help="render docs/systems.md from the catalog")
    doc.add_argument("--output", default="docs/systems.md")
    doc.set_defaults(handler=systems_doc)
    sdl = commands.add_parser(
        "schema", help="print the SDL of the data schema (default), the admin schema, or one connection's schema"
    )
    which = sdl.add_mutually_exclusive_group()
    which.add_argument("--admin", action="store_true", help="the schema admin keys are served")
    which.add_argument("--connection", metavar="ID", help="the schema of this connection's token (reads the database)")
    sdl.add_argument("--output", "-o", help="write to this file instead of stdout")
    sdl.set_defaults(handler=schema_command)
    mcp = commands.add_parser("mcp", help="serve the Model Context Protocol for one connection token")
    mcp.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    mcp.add_argument("--url", default="http://127.0.0.1:8000", help="the running gateway")
    mcp.add_argument("--token", help="the connection token (default: PLANTGATE_TOKEN)")
    mcp.add_argument("--host", default="127.0.0.1", help="where --transport http listens")
    mcp.add_argument("--port", type=int, default=8765, help="where --transport http listens (path /mcp)")
    mcp.set_defaults(handler=mcp_command)
    agent_cli.add_parser(commands)
    args = parser.parse_args(argv)
    configure_logging(Settings.from_env().log_format)
    args.handler(args)


if __name__ == "__main__":  # pragma: no cover
    main()
