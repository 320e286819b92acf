"""The operators' pages: link health and backlog, the fallback form with the pipeline's checks next to
each field, one entry per form, their entries with delivery states, and who may do what."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hub.fallback.forms import KEY_FIELD
from hub.fallback.models import EntryState, ManualEntry
from hub.fallback.services import entry_submit
from hub.flows.models import Flow
from hub.systems.links import link_failed
from hub.systems.models import System

pytestmark = pytest.mark.django_db


def person(username: str, role: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", "a-long-password-42", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def operator() -> User:
    return person("olga", "Operator")


@pytest.fixture
def flow(make_flow) -> Flow:
    flow = make_flow()
    System.objects.filter(name="Source").update(breaker_failures=1)
    link_failed(system=System.objects.get(name="Source"), error="Connection refused at 127.0.0.1:9")
    return flow


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(client: Client, flow: Flow, **values: str) -> dict[str, str]:
    page = client.get(f"/operations/flows/{flow.pk}/entry/").content.decode()
    key = re.search(r'name="_submission_key" value="([^"]+)"', page)
    assert key, "the form carries a one-time key"
    return {KEY_FIELD: key.group(1), "email": "ida@example.com", "first_name": "Ida", **values}


def test_operators_see_each_link_its_state_and_the_deliveries_waiting_for_it(flow, operator):
    page = signed_in(operator).get("/operations/")
    assert page.status_code == 200
    text = page.content.decode()
    row = re.search(r'<tr data-system="Source">(.*?)</tr>', text, re.S)
    assert row
    assert "Down: calls paused" in row.group(1)
    assert "Connection refused" in row.group(1)
    assert re.search(r'<tr data-system="Target">.*?Up.*?</tr>', text, re.S)
    assert f"/operations/flows/{flow.pk}/entry/" in text
    assert "Manual entry" not in re.findall(r'data-system="([^"]+)"', text)


def test_the_form_shows_the_down_banner_and_each_problem_next_to_its_field(flow, operator):
    client = signed_in(operator)
    page = client.get(f"/operations/flows/{flow.pk}/entry/").content.decode()
    assert 'id="link-banner"' in page
    assert "The link to Source is down since" in page
    assert "delivered when the link is back" in page

    bad = client.post(f"/operations/flows/{flow.pk}/entry/", form_data(client, flow, country="Germany"))
    assert bad.status_code == 200
    text = bad.content.decode()
    errors = re.search(r'id="country-errors">(.*?)</ul>', text, re.S)
    assert errors
    assert "does not match the required format ^[A-Z]{2}$" in errors.group(1)
    assert 'value="Ida"' in text  # what was typed is kept
    assert not ManualEntry.objects.exists()  # nothing half-saved


def test_a_form_sent_twice_stores_one_entry(flow, operator):
    client = signed_in(operator)
    data = form_data(client, flow, country="DE")
    first = client.post(f"/operations/flows/{flow.pk}/entry/", data)
    second = client.post(f"/operations/flows/{flow.pk}/entry/", data)
    entry = ManualEntry.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/operations/entries/{entry.pk}/"
    assert entry.values["country"] == "DE"
    assert entry.entered_by == operator
    page = client.get(f"/operations/entries/{entry.pk}/").content.decode()
    assert 'data-state="waiting"' in page
    assert "waiting to be taken in" in page


def test_only_operators_enter_and_only_their_author_corrects(flow, operator):
    reviewer = person("rita", "Compliance reviewer")
    admin_ = person("bruno", "Business admin")
    for user in (reviewer, admin_):
        client = signed_in(user)
        assert client.get(f"/operations/flows/{flow.pk}/entry/").status_code == 403
        assert (
            client.post(f"/operations/flows/{flow.pk}/entry/", {"email": "x@example.com"}).status_code == 403
        )
        assert client.get("/operations/").status_code == 200
        assert "by hand</a>" not in client.get("/operations/").content.decode()
    entry, _ = entry_submit(
        flow=flow, values={"email": "ida@example.com"}, submission_key="k", actor=operator
    )
    colleague = person("oscar", "Operator")
    client = signed_in(colleague)
    assert 'id="correct-form"' not in client.get(f"/operations/entries/{entry.pk}/").content.decode()
    assert client.post(f"/operations/entries/{entry.pk}/", {"email": "y@example.com"}).status_code == 403
    assert signed_in(reviewer).get(f"/operations/entries/{entry.pk}/").status_code == 200
    anonymous = Client().get("/operations/")
    assert anonymous.status_code == 302
    assert "/admin/login/" in anonymous["Location"]


def test_the_author_corrects_a_waiting_entry_on_its_page(flow, operator):
    entry, _ = entry_submit(
        flow=flow,
        values={"email": "ida@example.com", "first_name": "Ida"},
        submission_key="k",
        actor=operator,
    )
    client = signed_in(operator)
    page = client.get(f"/operations/entries/{entry.pk}/").content.decode()
    key = re.search(r'name="_submission_key" value="([^"]+)"', page)
    assert key
    bad = client.post(
        f"/operations/entries/{entry.pk}/",
        {KEY_FIELD: key.group(1), "email": "ida@example.com", "country": "de"},
    )
    assert bad.status_code == 200
    assert 'id="country-errors"' in bad.content.decode()
    good = client.post(
        f"/operations/entries/{entry.pk}/",
        {KEY_FIELD: key.group(1), "email": "ida@example.com", "first_name": "Ida", "country": "DE"},
    )
    assert good.status_code == 302
    entry.refresh_from_db()
    assert entry.version == 2
    assert entry.values["country"] == "DE"
    assert entry.state == EntryState.WAITING


def test_the_entries_list_costs_the_same_queries_for_3_or_30_entries(flow, operator):
    client = signed_in(operator)

    def queries_for(count: int) -> int:
        for n in range(ManualEntry.objects.count(), count):
            entry_submit(
                flow=flow, values={"email": f"p{n}@example.com"}, submission_key=f"k{n}", actor=operator
            )
        with CaptureQueriesContext(connection) as captured:
            page = client.get("/operations/entries/")
        assert page.status_code == 200
        assert page.content.decode().count("<tr data-entry=") == count
        return len(captured)

    assert queries_for(3) == queries_for(30)


def test_the_admin_lists_each_systems_link_and_backlog(flow, business_admin):
    client = signed_in(business_admin)
    page = client.get("/admin/systems/system/").content.decode()
    assert "Down: calls paused until a test succeeds since" in page
    assert 'id="operations-link"' in page
    source = System.objects.get(name="Source")
    form = client.get(f"/admin/systems/system/{source.pk}/change/").content.decode()
    assert "Link health" in form
    assert "Failures before the link is marked down" in form


def test_typing_and_correcting_an_entry_are_in_the_audit_trail_with_their_author(flow, operator):
    from auditlog.models import LogEntry

    client = signed_in(operator)
    client.post(f"/operations/flows/{flow.pk}/entry/", form_data(client, flow, country="DE"))
    entry = ManualEntry.objects.get()
    page = client.get(f"/operations/entries/{entry.pk}/").content.decode()
    key = re.search(r'name="_submission_key" value="([^"]+)"', page)
    assert key
    client.post(
        f"/operations/entries/{entry.pk}/",
        {KEY_FIELD: key.group(1), "email": "ida@example.com", "first_name": "Ida", "country": "AT"},
    )

    created, corrected = LogEntry.objects.get_for_object(entry).order_by("pk")
    assert (created.action, created.actor) == (LogEntry.Action.CREATE, operator)
    assert created.cid.startswith("request:")
    assert (corrected.action, corrected.actor) == (LogEntry.Action.UPDATE, operator)
    assert corrected.changes_dict["values"][1]["country"] == "AT"
    assert corrected.changes_dict["version"] == [1, 2]
