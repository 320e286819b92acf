"""The OpenAPI contract is checked in: an API change without the file updated is a visible failure."""

from __future__ import annotations

import difflib
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

SCHEMA_FILE = Path(settings.BASE_DIR) / "docs" / "api" / "openapi-v1.yaml"
REGENERATE = (
    ".venv/bin/python manage.py spectacular --validate --fail-on-warn --file docs/api/openapi-v1.yaml"
)


def test_the_checked_in_schema_is_the_generated_one(tmp_path):
    generated = tmp_path / "openapi-v1.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(generated))

    expected, actual = SCHEMA_FILE.read_text(), generated.read_text()
    if expected != actual:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), actual.splitlines(True), str(SCHEMA_FILE), "generated", n=2
            )
        )
        raise AssertionError(
            "The API changed but docs/api/openapi-v1.yaml did not. If the change is intended (and, for a "
            f"breaking change, a new version is not needed), regenerate the file and commit it:\n    {REGENERATE}\n"
            f"\n{diff[:6000]}"
        )


def test_the_docs_and_the_schema_are_served_without_a_key_and_without_a_cdn(client, db):
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in html
    assert "cdn." not in html
    assert 'src="https://' not in html
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/flows/{flow_id}/batches/" in schema.content
