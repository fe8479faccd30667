"""All configuration, read once from the environment (no scattered os.environ)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    """Gateway settings; `from_env` is the only reader of the environment."""

    data_dir: Path = Path("data")
    database_url: str = ""
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    sandboxes: bool = False
    public_url: str = ""
    ui_assets_dir: Path = Path(".venv/share/plantgate-ui/node_modules")
    upstream_connect_timeout: float = 5.0
    upstream_read_timeout: float = 30.0
    upstream_retries: int = 2
    max_page_size: int = 200
    connect_attempts_per_link: int = 10  # completions tried per connect link and hour (0: no cap)
    schema_cache_size: int = 256  # connection schemas kept built (LRU); about 2 MB each
    # Sync and outage handling (seconds); tests shrink these.
    sync_interval: float = 900.0
    min_sync_interval: float = 60.0
    sync_jitter: float = 0.1  # fraction of the interval added at random
    sync_tick: float = 1.0
    sync_page_size: int = 200
    sync_overlap: float = 60.0  # incremental passes re-read this much before the last start
    history_days: int = 90  # 0: the whole history
    reconcile_interval: float = 86400.0  # full passes that find records deleted upstream
    lease_ttl: float = 60.0
    backoff_base: float = 30.0
    backoff_cap: float = 3600.0
    retry_after_cap: float = 3600.0
    breaker_probe_interval: float = 5.0
    scheduler: bool = True
    redis_url: str = ""
    # Webhooks
    webhook_timeout: float = 10.0
    webhook_backoff_base: float = 30.0
    webhook_max_age: float = 86400.0
    webhook_rotation_overlap_hours: float = 24.0  # how long a rotated-out secret still signs (rotateWebhookSecret)
    # Request log and audit trail (README "Request logs and audit trail")
    request_log_retention_days: float = 14.0  # 0: kept until deleted by hand
    audit_retention_days: float = 365.0  # 0: kept until deleted by hand
    request_log_body_bytes: int = 4096  # per body, for connections with logBodies on
    request_log_flush_interval: float = 1.0  # seconds between batched writes of the request log
    retention_interval: float = 3600.0  # seconds between prunings of old log and audit entries
    # Per-request cost limits and protocol (README "Limits and protocol")
    max_depth: int = 15
    max_aliases: int = 50
    max_tokens: int = 5000
    max_complexity: int = 20000
    introspection_for_connections: bool = True
    apq_cache_size: int = 1000
    replica_cache_pages: int = 256  # replica pages kept for repeated reads (0: off)
    ws_init_timeout: float = 10.0
    max_body_bytes: int = 1024 * 1024  # request bodies, every route
    max_json_depth: int = 64  # nesting of request JSON and argument values
    # Hardening: rate limits (requests per minute; 0 = off), upstream concurrency, SSRF, logs
    rate_limit_per_token: int = 600
    rate_limit_per_org: int = 3000
    upstream_concurrency: int = 10
    allow_private_networks: bool = False
    allowed_hosts: tuple[str, ...] = ()
    allow_insecure_http: bool = False
    agent_heartbeat_interval: float = 10.0  # seconds between an agent's heartbeats; 2 missed: offline
    agent_max_payload_bytes: int = 16 * 1024 * 1024  # per request body and per answer through an agent
    agent_max_calls: int = 32  # calls in flight per agent (more: RATE_LIMITED)
    log_format: str = "text"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'plantgate.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict[str, object] = {
            "data_dir": Path(env.get("PLANTGATE_DATA_DIR", "data")),
            "database_url": env.get("PLANTGATE_DATABASE_URL", ""),
            "secret_key": env.get("PLANTGATE_SECRET_KEY") or None,
            "host": env.get("PLANTGATE_HOST", "127.0.0.1"),
            "port": int(env.get("PLANTGATE_PORT", "8000")),
            "sandboxes": _flag(env.get("PLANTGATE_SANDBOXES"), False),
            "public_url": env.get("PLANTGATE_PUBLIC_URL", ""),
            "ui_assets_dir": Path(env.get("PLANTGATE_UI_ASSETS", ".venv/share/plantgate-ui/node_modules")),
            "schema_cache_size": int(env.get("PLANTGATE_SCHEMA_CACHE_SIZE", "256")),
            "connect_attempts_per_link": int(env.get("PLANTGATE_CONNECT_ATTEMPTS_PER_LINK", "10")),
            "upstream_connect_timeout": float(env.get("PLANTGATE_UPSTREAM_CONNECT_TIMEOUT", "5")),
            "upstream_read_timeout": float(env.get("PLANTGATE_UPSTREAM_READ_TIMEOUT", "30")),
            "upstream_retries": int(env.get("PLANTGATE_UPSTREAM_RETRIES", "2")),
            "sync_interval": float(env.get("PLANTGATE_SYNC_INTERVAL", "900")),
            "min_sync_interval": float(env.get("PLANTGATE_MIN_SYNC_INTERVAL", "60")),
            "sync_tick": float(env.get("PLANTGATE_SYNC_TICK", "1")),
            "sync_page_size": int(env.get("PLANTGATE_SYNC_PAGE_SIZE", "200")),
            "history_days": int(env.get("PLANTGATE_HISTORY_DAYS", "90")),
            "reconcile_interval": float(env.get("PLANTGATE_RECONCILE_INTERVAL", "86400")),
            "lease_ttl": float(env.get("PLANTGATE_LEASE_TTL", "60")),
            "backoff_base": float(env.get("PLANTGATE_BACKOFF_BASE", "30")),
            "backoff_cap": float(env.get("PLANTGATE_BACKOFF_CAP", "3600")),
            "retry_after_cap": float(env.get("PLANTGATE_RETRY_AFTER_CAP", "3600")),
            "breaker_probe_interval": float(env.get("PLANTGATE_BREAKER_PROBE_INTERVAL", "5")),
            "scheduler": _flag(env.get("PLANTGATE_SCHEDULER"), True),
            "redis_url": env.get("PLANTGATE_REDIS_URL", ""),
            "webhook_timeout": float(env.get("PLANTGATE_WEBHOOK_TIMEOUT", "10")),
            "webhook_backoff_base": float(env.get("PLANTGATE_WEBHOOK_BACKOFF_BASE", "30")),
            "webhook_max_age": float(env.get("PLANTGATE_WEBHOOK_MAX_AGE", "86400")),
            "webhook_rotation_overlap_hours": float(env.get("PLANTGATE_WEBHOOK_ROTATION_OVERLAP_HOURS", "24")),
            "request_log_retention_days": float(env.get("PLANTGATE_REQUEST_LOG_RETENTION_DAYS", "14")),
            "audit_retention_days": float(env.get("PLANTGATE_AUDIT_RETENTION_DAYS", "365")),
            "request_log_body_bytes": int(env.get("PLANTGATE_REQUEST_LOG_BODY_BYTES", "4096")),
            "request_log_flush_interval": float(env.get("PLANTGATE_REQUEST_LOG_FLUSH_INTERVAL", "1")),
            "retention_interval": float(env.get("PLANTGATE_RETENTION_INTERVAL", "3600")),
            "max_depth": int(env.get("PLANTGATE_MAX_DEPTH", "15")),
            "max_aliases": int(env.get("PLANTGATE_MAX_ALIASES", "50")),
            "max_tokens": int(env.get("PLANTGATE_MAX_TOKENS", "5000")),
            "max_complexity": int(env.get("PLANTGATE_MAX_COMPLEXITY", "20000")),
            "introspection_for_connections": _flag(env.get("PLANTGATE_INTROSPECTION_FOR_CONNECTIONS"), True),
            "apq_cache_size": int(env.get("PLANTGATE_APQ_CACHE_SIZE", "1000")),
            "replica_cache_pages": int(env.get("PLANTGATE_REPLICA_CACHE_PAGES", "256")),
            "ws_init_timeout": float(env.get("PLANTGATE_WS_INIT_TIMEOUT", "10")),
            "max_body_bytes": int(env.get("PLANTGATE_MAX_BODY_BYTES", str(1024 * 1024))),
            "max_json_depth": int(env.get("PLANTGATE_MAX_JSON_DEPTH", "64")),
            "rate_limit_per_token": int(env.get("PLANTGATE_RATE_LIMIT_PER_TOKEN", "600")),
            "rate_limit_per_org": int(env.get("PLANTGATE_RATE_LIMIT_PER_ORG", "3000")),
            "upstream_concurrency": int(env.get("PLANTGATE_UPSTREAM_CONCURRENCY", "10")),
            "allow_private_networks": _flag(env.get("PLANTGATE_ALLOW_PRIVATE_NETWORKS"), False),
            "allowed_hosts": tuple(h.strip() for h in env.get("PLANTGATE_ALLOWED_HOSTS", "").split(",") if h.strip()),
            "allow_insecure_http": _flag(env.get("PLANTGATE_ALLOW_INSECURE_HTTP"), False),
            "agent_heartbeat_interval": float(env.get("PLANTGATE_AGENT_HEARTBEAT_INTERVAL", "10")),
            "agent_max_payload_bytes": int(env.get("PLANTGATE_AGENT_MAX_PAYLOAD_BYTES", str(16 * 1024 * 1024))),
            "agent_max_calls": int(env.get("PLANTGATE_AGENT_MAX_CALLS", "32")),
            "log_format": env.get("PLANTGATE_LOG_FORMAT", "text").strip().lower(),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]  # each value is built above with its field's type
