"""Shared fixtures. PostgreSQL-only tests are skipped, and the run says so, on SQLite."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.db.backends.base.operations import BaseDatabaseOperations

from singleview.connectivity import reachable
from tests.factories import AgencyFactory, PartnershipFactory, UserFactory
from tests.signin import sign_in


def _redis_available() -> bool:
    return reachable(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skipped = 0
    for item in items:
        if "postgres" in item.keywords and not settings.POSTGRES_AVAILABLE:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL, which is unreachable"))
            skipped += 1
        if "redis" in item.keywords and not _redis_available():
            item.add_marker(pytest.mark.skip(reason="needs Redis, which is unreachable"))
    config.stash[_POSTGRES_SKIPS] = skipped


_POSTGRES_SKIPS = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if settings.POSTGRES_AVAILABLE:
        terminalreporter.write_line(
            f"Database: PostgreSQL ({settings.DATABASES['default']['HOST']})."
        )
    else:
        terminalreporter.write_line(
            "Database: SQLite, because PostgreSQL was unreachable. "
            f"{config.stash.get(_POSTGRES_SKIPS, 0)} PostgreSQL-only tests were skipped.",
            yellow=True,
        )


def _flush_despite_protections(self: BaseDatabaseOperations, sql_list: Iterable[str]) -> None:
    """Django's flush (the teardown of transactional and live-server tests) empties every table,
    including those the database protects (sign-offs, the audit log). Only here, for the test
    database, the protections are lifted for that one transaction: on PostgreSQL by running it as
    a replica session (triggers do not fire); on SQLite by dropping and re-creating the triggers.
    Nothing outside the test suite flushes."""
    connection = self.connection
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            for sql in sql_list:
                cursor.execute(sql)
            return
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")
        triggers = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP TRIGGER "{name}"')
        for sql in sql_list:
            cursor.execute(sql)
        for sql in triggers:
            cursor.execute(sql)


@pytest.fixture(scope="session", autouse=True)
def _flush_lifts_database_protections() -> Iterator[None]:
    original = BaseDatabaseOperations.execute_sql_flush
    BaseDatabaseOperations.execute_sql_flush = _flush_despite_protections  # type: ignore[method-assign]
    yield
    BaseDatabaseOperations.execute_sql_flush = original  # type: ignore[method-assign]


@pytest.fixture
def partnership() -> Any:
    return PartnershipFactory()


@pytest.fixture
def other_partnership() -> Any:
    return PartnershipFactory()


@pytest.fixture
def agency(partnership: Any) -> Any:
    return AgencyFactory(partnership=partnership)


@pytest.fixture
def practitioner(agency: Any) -> Any:
    return UserFactory(agency=agency, user_types=["practitioner"])


@pytest.fixture
def signed_in(client: Any) -> Any:
    """Sign a user in through the real password and TOTP pages; returns the client."""

    def _sign_in(user: Any) -> Any:
        sign_in(client, user)
        return client

    return _sign_in
