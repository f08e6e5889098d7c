"""Fixtures for the grant, sign-off and preview page tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import custodian_of
from tests.governance.factories import drafter_in, grant_line


@pytest.fixture
def sharing() -> dict[str, Any]:
    """A grant line's parts: an adult social care dataset, a role, a GP practice, a purpose."""
    return grant_line(agency_name="Avonshire County Council")


@pytest.fixture
def drafter(sharing: dict[str, Any]) -> Any:
    """A partnership admin in the same partnership, who drafts grants."""
    return drafter_in(sharing)


@pytest.fixture
def custodian(sharing: dict[str, Any]) -> Any:
    """A custodian of the dataset, at its owning agency."""
    return custodian_of(sharing["dataset"])


@pytest.fixture
def foreign_sharing() -> dict[str, Any]:
    """The same kind of grant line in another partnership."""
    return grant_line(agency_name="Elsewhere Borough Council")
