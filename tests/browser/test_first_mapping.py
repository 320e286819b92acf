"""A business admin, in a real browser, sets up a system and a mapping and previews a dirty record."""

from __future__ import annotations

import json

import pytest

from hub.mappings.models import Mapping
from hub.systems.models import Secret, System

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DIRTY = {
    "Mail": "  Anna.Schmidt@EXAMPLE.com ",
    "Tel": "030/1234567",
    "Nachname": "schmidt ",
    "Land": "de",
}


def log_in(page, live_server, user: str, password: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", user)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def test_business_admin_creates_a_system_maps_a_field_and_previews(
    page, live_server, business_admin, demo, artifacts
):
    log_in(page, live_server, "beatrice", "correct-horse-42")

    page.goto(f"{live_server.url}/admin/systems/system/add/")
    page.select_option("#id_kind", "sql")  # the form reloads with the SQL settings...
    page.wait_for_selector("#id_param__url")
    page.select_option("#id_kind", "http_json")  # ...and back with the HTTP ones
    page.wait_for_selector("#id_param__base_url")
    page.fill("#id_name", "Partner shop")
    page.fill("#id_param__base_url", "http://127.0.0.1:9/api")
    page.select_option("#id_param__auth_style", "bearer")
    assert page.is_visible("#id_param__bearer_token")
    assert page.is_hidden("#id_param__password")  # only what the chosen sign-in style needs is asked
    assert page.is_hidden("#id_param__cursor_param")
    page.fill("#id_param__bearer_token", "shop-token-secret-9d1")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    shop = System.objects.get(name="Partner shop")
    assert Secret.objects.filter(system=shop, name="bearer_token").exists()

    page.goto(f"{live_server.url}/admin/mappings/mapping/add/")
    page.select_option("#id_system", label="Partner shop")
    page.select_option("#id_entity", label="Customer")
    page.select_option("#id_direction", "inbound")
    rows = [("Mail", "email", "email"), ("Tel", "phone", "phone: DE"),
            ("Nachname", "last_name", "trim\ntitle"),
            ("Land", "country", "upper")]  # fmt: skip
    for index, (source, target, transforms) in enumerate(rows):
        if index > 0:
            page.click(".add-row a")
        page.fill(f"#id_rules-{index}-source", source)
        page.fill(f"#id_rules-{index}-target", target)
        page.fill(f"#id_rules-{index}-transforms", transforms)
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    mapping = Mapping.objects.get(system=shop)
    assert mapping.rules.count() == 4

    page.click("#preview-link")
    page.fill("#id_sample", json.dumps(DIRTY))
    page.click("input[name=_preview]")
    page.wait_for_selector("#preview-result")
    output = json.loads(page.inner_text("#preview-output"))
    page.screenshot(path=str(artifacts / "mapping-preview.png"), full_page=True)

    assert output["email"] == "anna.schmidt@example.com"
    assert output["phone"] == "+49301234567"
    assert output["last_name"] == "Schmidt"
    assert output["country"] == "DE"
    assert "shop-token-secret-9d1" not in page.content()


def test_a_rule_for_an_unknown_field_is_refused_in_the_browser(page, live_server, business_admin, demo):
    log_in(page, live_server, "beatrice", "correct-horse-42")
    page.goto(f"{live_server.url}/admin/mappings/mapping/add/")
    page.select_option("#id_system", label="CRM")
    page.select_option("#id_entity", label="Product")
    page.select_option("#id_direction", "inbound")
    page.fill("#id_rules-0-source", "name")
    page.fill("#id_rules-0-target", "colour")
    page.fill("#id_rules-0-transforms", "date: %Q")
    page.click("input[name=_save]")
    page.wait_for_selector(".errorlist")
    text = page.inner_text("#content")
    assert "'colour' is not a field of Product" in text
    assert not Mapping.objects.filter(system__name="CRM", entity__name="Product").exists()
