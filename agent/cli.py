"""`plantgate agent`: run the agent, and `plantgate agent credentials`: keep a login in the plant.

Everything can come from the environment (PLANTGATE_AGENT_*), so the key never
shows in a process list; values given as `-` are asked for without echo.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from pathlib import Path

from .credentials import PlantCredentials, bound
from .policy import PlantPolicy
from .runner import Agent, AgentConfig, KeyRefused, Replaced

log = logging.getLogger("plantgate.agent")


def _listed(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def add_parser(commands: argparse._SubParsersAction) -> None:
    env = os.environ
    agent = commands.add_parser("agent", help="run the on-premises agent inside a plant (dials out to the gateway)")
    agent.add_argument("--gateway", default=env.get("PLANTGATE_AGENT_GATEWAY"), help="the gateway's URL")
    agent.add_argument("--key", default=env.get("PLANTGATE_AGENT_KEY"), help="the agent key (PLANTGATE_AGENT_KEY)")
    agent.add_argument(
        "--instance",
        action="append",
        default=_listed(env.get("PLANTGATE_AGENT_INSTANCES")),
        help="an instance URL the agent may call (repeat for several; PLANTGATE_AGENT_INSTANCES)",
    )
    agent.add_argument(
        "--allow-network",
        action="append",
        default=_listed(env.get("PLANTGATE_AGENT_ALLOW_NETWORKS")),
        help="a network beyond the private ranges the agent may reach, e.g. 127.0.0.1/32",
    )
    agent.add_argument("--data-dir", default=env.get("PLANTGATE_AGENT_DATA_DIR", "plantgate-agent"))
    agent.add_argument("--concurrency", type=int, default=8, help="calls in flight at most (more: answered busy)")
    agent.add_argument(
        "--max-bytes", type=int, default=16 * 1024 * 1024, help="the largest request body or answer carried"
    )
    agent.set_defaults(handler=run)
    actions = agent.add_subparsers(dest="agent_command")
    credentials = actions.add_parser("credentials", help="logins kept in the plant (encrypted in --data-dir)")
    what = credentials.add_subparsers(dest="credentials_command", required=True)
    put = what.add_parser("set", help="store (or update) a named login: NAME field=value … ('-' asks)")
    put.add_argument("name")
    put.add_argument("--instance", help="fill this login only into calls under this instance URL (recommended)")
    put.add_argument("fields", nargs="+", metavar="field=value")
    put.set_defaults(handler=set_credentials)
    remove = what.add_parser("remove", help="forget a named login")
    remove.add_argument("name")
    remove.set_defaults(handler=remove_credentials)
    what.add_parser("list", help="the names and field names (never values)").set_defaults(handler=list_credentials)


def _store(args: argparse.Namespace) -> PlantCredentials:
    return PlantCredentials(Path(args.data_dir), os.environ.get("PLANTGATE_AGENT_SECRET") or None)


def set_credentials(args: argparse.Namespace) -> None:
    fields: dict[str, str] = {}
    for item in args.fields:
        name, sep, value = item.partition("=")
        if not sep or not name:
            sys.exit(f"plantgate agent credentials: '{item}' is not field=value")
        fields[name] = getpass.getpass(f"{name}: ") if value == "-" else value
    try:
        _store(args).set(args.name, fields, args.instance)
    except ValueError as exc:
        sys.exit(f"plantgate agent credentials: {exc}")
    print(f"stored '{args.name}' ({', '.join(sorted(fields))}); give agentCredentials: \"{args.name}\" when connecting")


def remove_credentials(args: argparse.Namespace) -> None:
    if not _store(args).remove(args.name):
        sys.exit(f"plantgate agent credentials: no login named '{args.name}'")


def list_credentials(args: argparse.Namespace) -> None:
    for name, entry in sorted(_store(args).load().items()):
        fields, instance = bound(entry)
        print(f"{name}: {', '.join(sorted(fields))}" + (f" (only for {instance})" if instance else ""))


def run(args: argparse.Namespace) -> None:
    if not args.gateway or not args.key:
        sys.exit("plantgate agent: give --gateway and the key (PLANTGATE_AGENT_KEY)")
    if not args.instance:
        sys.exit("plantgate agent: give at least one --instance URL the agent may call")
    try:
        policy = PlantPolicy.of(args.instance, args.allow_network)
        config = AgentConfig(
            args.gateway, args.key, policy, _store(args), concurrency=args.concurrency, max_bytes=args.max_bytes
        )
        agent = Agent(config)
    except ValueError as exc:
        sys.exit(f"plantgate agent: {exc}")
    try:
        asyncio.run(agent.run())
    except KeyRefused as exc:
        sys.exit(f"plantgate agent: {exc}; ask the organization's admin for a new key")
    except Replaced as exc:
        sys.exit(f"plantgate agent: {exc}")
    except KeyboardInterrupt:
        pass
