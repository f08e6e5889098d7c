"""The API's documentation: the OpenAPI 3 schema lists the practitioner API with its purpose
parameters, and Swagger UI at /api/docs/ loads only our own static files, with no inline script
or style for the CSP to refuse."""

import json
import re

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_schema_documents_the_practitioner_api_and_its_purpose_parameters(client):
    schema = json.loads(client.get("/api/schema/?format=json").content)

    search = schema["paths"]["/api/v1/people"]["get"]
    person = schema["paths"]["/api/v1/people/{public_id}"]["get"]
    relationship = schema["paths"]["/api/v1/people/{public_id}/relationships"]["post"]
    required = {p["name"] for p in search["parameters"] if p.get("required")}
    assert {"purpose", "family_name", "nhs_number"} <= {p["name"] for p in search["parameters"]}
    assert "purpose" in required
    assert {"200", "400", "503"} <= set(search["responses"])
    assert {"200", "308", "400", "404"} <= set(person["responses"])
    assert "201" in relationship["responses"]
    assert "/api/v1/purposes" in schema["paths"]
    assert "/api/v1/people/{public_id}/cards/{dataset_id}" in schema["paths"]
    assert "knoxApiToken" in schema["components"]["securitySchemes"]


def test_the_docs_page_loads_only_local_assets(client):
    response = client.get(reverse("api-docs"))

    page = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert response.status_code == 200
    assert assets
    assert all(asset.startswith(("/", "?")) for asset in assets), assets
    assert f"{settings.STATIC_URL}drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in (
        assets
    )
    assert "cdn" not in page.lower()
    assert "<style" not in page
    assert re.findall(r"<script>", page) == []


def test_the_docs_start_up_script_is_a_file_of_its_own(client):
    response = client.get(reverse("api-docs"), {"script": ""})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in response.content.decode()


def test_the_docs_are_served_under_the_content_security_policy(client):
    response = client.get(reverse("api-docs"))

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
