"""The comparison side of `sync_throughput.py`: dlt's `rest_api` source, `merge` into the same store.

dlt (https://dlthub.com, installed with the `bench` extra, never by the product)
reads the same synthetic UpKeep source page by page (offset paging, 200 a page,
the same session header), and merges the work orders by `id` into PostgreSQL
(its `postgres` destination) or SQLite (its `sqlalchemy` destination), each with
its default `delete-insert` merge: extract to files, normalize, load into a
staging table, then delete and insert. The second run over the unchanged source
is its re-sync.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

TABLE = "work_orders"


def pipeline(database_url: str | None, directory: Path) -> Any:
    """A dlt pipeline into the store: PostgreSQL at `database_url`, else a SQLite file in `directory`."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    import dlt
    from dlt.destinations import postgres, sqlalchemy

    destination: Any
    if database_url:
        url = make_url(database_url)
        if url.password is None:  # dlt insists on one; a server with trust auth ignores it
            url = url.set(password="unused")
        destination = postgres(credentials=url.render_as_string(hide_password=False))
    else:
        destination = sqlalchemy(credentials=f"sqlite:///{directory / 'dlt.db'}")
    return dlt.pipeline(
        pipeline_name="bench_sync",
        destination=destination,
        dataset_name="bench",
        pipelines_dir=str(directory / "pipelines"),
    )


def source(base_url: str, session: str, page_size: int) -> Any:
    from dlt.sources.rest_api import rest_api_source

    return rest_api_source(
        {
            "client": {
                "base_url": f"{base_url}/api/v2/",
                "headers": {"Session-Token": session},
                "paginator": {
                    "type": "offset",
                    "limit": page_size,
                    "offset_param": "offset",
                    "limit_param": "limit",
                    "total_path": None,  # UpKeep sends no total: stop at the first empty page
                },
            },
            "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
            "resources": [{"name": TABLE, "endpoint": {"path": "work-orders", "data_selector": "results"}}],
        }
    )


def run(pipe: Any, base_url: str, session: str, page_size: int) -> float:
    """One extract-normalize-load of the whole source; its wall time in seconds."""
    started = time.perf_counter()
    pipe.run(source(base_url, session, page_size))
    return time.perf_counter() - started


def count(pipe: Any) -> int:
    with pipe.sql_client() as client:
        rows = client.execute_sql(f"SELECT count(*) FROM {client.make_qualified_table_name(TABLE)}")
    return int(rows[0][0])


def scratch() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="plantgate-dlt-bench-")
