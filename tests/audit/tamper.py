"""What a database superuser can do that the application cannot: write past the append-only
triggers. Used to prove that the hash chain notices."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection

from audit.models import APPEND_ONLY_TABLES


@contextmanager
def bypassing_triggers() -> Iterator[None]:
    """Inside the test's transaction: PostgreSQL stops firing triggers for this session
    (superuser only); on SQLite the triggers are dropped (rolled back with the test)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            for table in APPEND_ONLY_TABLES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def raw(sql: str, params: Sequence[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
