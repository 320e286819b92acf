"""An operator, in a real browser, types a record into the fallback form while the source's link is down.

The flow is real (tests/flows/conftest.py): a source and a target server on 127.0.0.1. The source's link
is marked down the way failed calls mark it; the target is stopped, so the entry waits in the outbox
until the target is back, its link tested, and the outbox delivers it, once.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User

from hub.fallback.models import EntryState, ManualEntry
from hub.flows.models import Flow, Run, RunState
from hub.flows.models.run import FALLBACK_TRIGGER
from hub.flows.outbox import outbox_deliver
from hub.flows.runs import run_execute
from hub.systems.jobs import probe_system
from hub.systems.links import link_failed
from hub.systems.models import Link, LinkState, System
from tests.flows.conftest import make_flow, source, target
from tests.flows.servers import TargetServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["make_flow", "source", "target"]  # the flow fixtures, used by name below

EMAIL = "anna.typed@example.com"
PASSWORD = "a-long-password-42"
STAMP = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"
OPERATOR_PERMISSIONS = [
    ("fallback", "add_manualentry"),
    ("fallback", "change_manualentry"),
    ("fallback", "view_manualentry"),
    ("systems", "view_system"),
]


@pytest.fixture
def operator(db: Any) -> User:
    """Staff with the operator's permissions given directly: a transactional test flushes the role groups."""
    user = User.objects.create_user("olga", "olga@example.com", PASSWORD, is_staff=True)
    for app, codename in OPERATOR_PERMISSIONS:
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))
    return user


def link_down(name: str) -> None:
    """Fail calls to the system until its breaker opens, as its fetches or pushes would."""
    system = System.objects.get(name=name)
    for _ in range(system.breaker_failures):
        link_failed(system=system, error="connection refused: the test stopped the server")
    assert Link.objects.get(system=system).state == LinkState.DOWN


def log_in(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/operations/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#links")


def fill(page: Any, **values: str) -> None:
    for label, value in values.items():
        page.get_by_label(label).fill(value)


def described(page: Any, label: str) -> list[str]:
    """What a screen reader reads after the field's name: the elements its aria-describedby names."""
    field = page.get_by_label(label)
    names = (field.get_attribute("aria-describedby") or "").split()
    texts = [page.locator(f'[id="{name}"]').all_inner_texts() for name in names]
    assert all(len(found) == 1 for found in texts), f"{label}: {names} name missing elements"
    # Every field here has a help text; one with an error also names its error list and is marked invalid.
    assert (field.get_attribute("aria-invalid") == "true") == (len(names) > 1), label
    return [found[0].strip() for found in texts]


def submit_twice(page: Any) -> dict[str, Any]:
    """The form is sent once by script (a first click whose answer never showed), then clicked again."""
    first = page.evaluate(
        """async () => {
            const form = document.querySelector("#entry-form");
            const answer = await fetch(form.action, {method: "POST", body: new FormData(form)});
            return {status: answer.status, url: answer.url, redirected: answer.redirected};
        }"""
    )
    with page.expect_navigation():
        page.click("#entry-form input[type=submit]")
    return first


def test_an_operator_types_an_entry_while_the_link_is_down_and_sees_it_delivered_later(
    page, live_server, make_flow, source, target: TargetServer, operator, artifacts
):
    flow: Flow = make_flow()
    link_down("Source")
    System.objects.filter(name="Target").update(breaker_failures=1)  # one refused push opens it
    target.down()

    log_in(page, live_server)
    source_row = page.locator('#links tr[data-system="Source"]')
    assert "Down" in source_row.locator(".link-state").inner_text()
    assert "connection refused" in source_row.inner_text()
    page.get_by_role("link", name="Enter Person by hand").click()
    page.wait_for_selector("#entry-form")
    banners = page.locator("#link-banner").all_inner_texts()
    assert len(banners) == 1, "the form shows that the source's link is down"
    banner = banners[0]
    assert re.search(rf"The link to Source is down since {STAMP}", banner), banner

    # One invalid field: the message is next to it, the rest is kept, nothing is stored.
    fill(page, email=EMAIL, first_name="Anna", last_name="Typed", company="Acme GmbH", country="Germany")
    with page.expect_navigation():
        page.click("#entry-form input[type=submit]")
    page.wait_for_selector("#entry-form")
    country_row = page.locator('#entry-form .form-row[data-field="country"]')
    assert "does not match the required format" in country_row.locator(".errorlist").inner_text()
    assert page.locator("#entry-form .errorlist").count() == 1  # only that field is marked
    assert described(page, "country") == ["Text", "'Germany' does not match the required format ^[A-Z]{2}$"]
    assert described(page, "email")[0].startswith("E-mail address. This identifies the record")
    assert "Nothing was saved" in page.locator(".errornote").inner_text()
    assert page.get_by_label("email").input_value() == EMAIL
    assert page.get_by_label("last_name").input_value() == "Typed"
    assert page.get_by_label("country").input_value() == "Germany"
    assert page.locator("#link-banner").is_visible()
    page.screenshot(path=str(artifacts / "fallback-form-error.png"), full_page=True)
    assert not ManualEntry.objects.exists()

    # Corrected and sent twice (a double click, a retry): one entry.
    fill(page, country="DE")
    page.screenshot(path=str(artifacts / "fallback-form-valid.png"), full_page=True)
    first = submit_twice(page)
    assert first["status"] == 200, first
    assert first["redirected"], first
    assert re.search(r"/operations/entries/\d+/$", page.url), page.url
    entry = ManualEntry.objects.get()
    assert first["url"].endswith(f"/operations/entries/{entry.pk}/")
    assert page.url.endswith(f"/operations/entries/{entry.pk}/")
    assert f"This form was already sent: it is entry {entry.pk}" in page.locator(".messagelist").inner_text()
    assert entry.values["country"] == "DE"
    assert entry.entered_by == operator
    assert page.locator("#entry-state").get_attribute("data-state") == EntryState.WAITING
    assert page.locator("#entry-delivery").inner_text() == "waiting to be taken in"

    # A worker takes it in; the target is down, so its delivery waits.
    run = Run.objects.get(flow=flow, state=RunState.QUEUED)
    assert run.trigger == FALLBACK_TRIGGER
    assert run_execute(run.pk, worker="test") is not None
    assert Link.objects.get(system__name="Target").state == LinkState.DOWN
    page.reload()
    assert page.locator("#entry-state").get_attribute("data-state") == EntryState.RECORDED
    assert page.locator("#entry-delivery").inner_text() == "waiting for Target"

    # The link returns: a successful test closes it, and the outbox delivers.
    target.up()
    assert probe_system(System.objects.get(name="Target").pk) is True
    assert outbox_deliver(flow_id=flow.pk) == 1
    page.reload()
    assert re.fullmatch(rf"delivered to Target at {STAMP}", page.locator("#entry-delivery").inner_text())
    assert target.writes_per_key() == {EMAIL: 1}
    assert target.items()[EMAIL]["family_name"] == "TYPED"

    page.locator(".breadcrumbs").get_by_role("link", name="My manual entries").click()
    row = page.locator(f'table#entries tr[data-entry="{entry.pk}"]')
    row.wait_for()
    assert row.get_attribute("data-state") == EntryState.RECORDED
    assert re.fullmatch(rf"delivered to Target at {STAMP}", row.locator("td.delivery").inner_text())
    assert page.locator("table#entries tbody tr").count() == 1
