"""The OpenAPI description: valid, every field described, served with its browser from this host only."""
import re

import yaml
from django.core.management import call_command


def test_schema_is_valid_and_every_field_is_described(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")
    undescribed = [
        f"{name}.{prop}"
        for name, component in schema["components"]["schemas"].items()
        for prop, spec in component.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert not undescribed, undescribed
    paths = schema["paths"]
    for path in ("/api/v1/villages/{code}/status/", "/api/v1/regions/{code}/summary/", "/api/v1/projects/{id}/actions/{name}/",
                 "/api/v1/progress-reports/", "/api/v1/funding-sources/", "/api/v1/allocations/", "/api/v1/disbursements/",
                 "/api/v1/assessments/", "/api/v1/auth/token/"):
        assert path in paths, path
    examples = [op for item in paths.values() for op in item.values() if isinstance(op, dict) and "examples" in str(op)]
    assert examples  # request examples are published


def test_docs_are_served_without_any_outside_host(client):
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert urls and all(not u.startswith(("http://", "https://", "//")) for u in urls), urls
    assert client.get("/api/schema/").status_code == 200
