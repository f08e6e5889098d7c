"""The practitioner API's tests use the person-page world (tests/singleview/conftest.py) and a
service account of its GP practice, with the GP role, holding a knox token."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.models import Dataset
from agencies.service_accounts import service_account_create, service_account_token_create
from tests.singleview.conftest import person_of

JUSTIFICATION = "Unconscious patient brought in by ambulance crew."


def token_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def service_account(world: dict[str, Any]) -> Any:
    return service_account_create(
        agency=world["practice"], role=world["gp"], username="svc-practice"
    ).user


@pytest.fixture
def api(service_account: Any) -> APIClient:
    _, token = service_account_token_create(user=service_account)
    return token_client(token)


def person_url(record: Any, *rest: str) -> str:
    """The API address of the person a record is linked to (optionally a card or relationships)."""
    public_id = person_of(record).public_id
    if not rest:
        return reverse("api-person", args=[public_id])
    if rest[0] == "relationships":
        return reverse("api-person-relationships", args=[public_id])
    dataset = Dataset.objects.get(code=rest[0], agency__partnership=person_of(record).partnership)
    return reverse("api-person-card", args=[public_id, dataset.pk])
