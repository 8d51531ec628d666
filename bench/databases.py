"""The benchmarks' own databases: each benchmark recreates one on the server named by
DATABASE_URL (never that database itself) and points Django at it."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit


def database_url(base: str, name: str) -> str:
    """`base` with its database name replaced by `name`."""
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def database_recreate(base_url: str, name: str) -> None:
    """Drop and create `name` on the server of `base_url`, then use it (DATABASE_URL)."""
    import psycopg

    admin_url = database_url(base_url, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = database_url(base_url, name)
