"""The OpenAPI 3 schema of /api/v1/ is served at /api/schema/."""

import json

import pytest

pytestmark = pytest.mark.django_db


def test_schema_is_openapi_3_and_lists_the_extract_upload(client):
    response = client.get("/api/schema/?format=json")
    schema = json.loads(response.content)

    assert response.status_code == 200
    assert schema["openapi"].startswith("3.")
    assert "post" in schema["paths"]["/api/v1/datasets/{id}/extracts"]
