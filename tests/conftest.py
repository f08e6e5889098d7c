"""Shared fixtures. PostgreSQL-only tests are skipped, and the run says so, on SQLite."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.conf import settings

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
