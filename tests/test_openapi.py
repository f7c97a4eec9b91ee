"""The OpenAPI schema is valid OpenAPI 3 and the interactive docs work without a CDN."""

import re

import pytest
import yaml
from openapi_spec_validator import validate


@pytest.mark.django_db
def test_schema_is_valid_openapi_3_and_lists_the_inventory(client, users):
    client.force_login(users["auditor"])
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate(schema)
    assert schema["openapi"].startswith("3.")
    for path in [
        "/api/v1/systems/",
        "/api/v1/systems/{id}/version-at/",
        "/api/v1/model-versions/",
        "/api/v1/deployments/",
        "/api/v1/monitoring-rules/",
    ]:
        assert path in schema["paths"], path
    assert "tokenAuth" in schema["components"]["securitySchemes"]


@pytest.mark.django_db
def test_docs_page_loads_its_assets_from_this_server(client, users):
    client.force_login(users["engineer"])
    page = client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("swagger-ui" in a for a in assets)
    assert all(a.startswith("/") for a in assets), assets


@pytest.mark.django_db
def test_schema_generation_has_no_warnings(tmp_path):
    from django.core.management import call_command

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    assert (tmp_path / "schema.yml").stat().st_size > 1000
