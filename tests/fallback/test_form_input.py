"""The fallback form answers bad input with a message, never a server error; an entity field never takes
the form's one-time key; entries of a flow that cannot take them in say why, and the tick backs off."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hub.catalog.models import EntityField, FieldType
from hub.catalog.schema import clean_record
from hub.catalog.selectors import entity_schema
from hub.fallback.forms import KEY_FIELD
from hub.fallback.models import ManualEntry
from hub.fallback.services import EntryError, entry_submit
from hub.flows.models import Flow, Run, RunState
from hub.flows.models.run import FALLBACK_TRIGGER
from hub.flows.runs import run_execute
from hub.flows.scheduling import ENTRIES_RETRY_AFTER, entries_waiting
from hub.mappings.models import MappingVersion

pytestmark = pytest.mark.django_db


def person(username: str, role: str = "Operator") -> User:
    user = User.objects.create_user(username, f"{username}@example.com", "a-long-password-42", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def operator() -> User:
    return person("olga")


def signed_in(user: User) -> Client:
    client = Client(raise_request_exception=False)  # a server error is an answer here, not an exception
    client.force_login(user)
    return client


def form_url(flow: Flow) -> str:
    return f"/operations/flows/{flow.pk}/entry/"


def key_of(client: Client, flow: Flow) -> str:
    page = client.get(form_url(flow)).content.decode()
    found = re.search(r'name="_submission_key" value="([^"]+)"', page)
    assert found, "the form carries a one-time key"
    return found.group(1)


def general_error(answer) -> str:
    found = re.search(r'<div class="errornote">(.*?)</div>', answer.content.decode(), re.S)
    assert found, answer.content.decode()[-2000:]
    return found.group(1).strip()


def test_a_damaged_key_longer_than_the_column_is_refused_with_a_message(make_flow, operator):
    flow = make_flow()
    answer = signed_in(operator).post(form_url(flow), {KEY_FIELD: "k" * 65, "email": "ida@example.com"})
    assert answer.status_code == 200
    assert "one-time key is damaged: reload the page" in general_error(answer)
    assert not ManualEntry.objects.exists()
    with pytest.raises(EntryError, match="1 to 64 characters"):
        entry_submit(flow=flow, values={"email": "ida@example.com"}, submission_key="k" * 65, actor=operator)


def test_a_key_already_used_by_someone_else_is_refused_with_a_message(make_flow, operator):
    flow = make_flow()
    olga, oscar = signed_in(operator), signed_in(person("oscar"))
    key = key_of(olga, flow)
    assert olga.post(form_url(flow), {KEY_FIELD: key, "email": "ida@example.com"}).status_code == 302
    answer = oscar.post(form_url(flow), {KEY_FIELD: key, "email": "ida2@example.com"})
    assert answer.status_code == 200
    assert general_error(answer) == "This form was already used by someone else: reload the page."
    assert list(ManualEntry.objects.values_list("values__email", flat=True)) == ["ida@example.com"]


def test_a_whole_number_too_long_to_store_is_refused_next_to_its_field(make_flow, operator):
    flow = make_flow()
    EntityField.objects.create(entity=flow.entity, name="amount", type=FieldType.INTEGER, position=99)
    client = signed_in(operator)
    answer = client.post(
        form_url(flow), {KEY_FIELD: key_of(client, flow), "email": "ida@example.com", "amount": "9" * 5000}
    )
    assert answer.status_code == 200
    errors = re.search(r'id="amount-errors">(.*?)</ul>', answer.content.decode(), re.S)
    assert errors
    assert "expected a whole number of at most 30 digits" in errors.group(1)
    assert not ManualEntry.objects.exists()
    good = client.post(
        form_url(flow), {KEY_FIELD: key_of(client, flow), "email": "ida@example.com", "amount": "9" * 30}
    )
    assert good.status_code == 302
    assert ManualEntry.objects.get().values["amount"] == int("9" * 30)


def test_a_source_record_with_such_a_number_is_quarantined_with_the_reason(make_flow):
    flow = make_flow()
    EntityField.objects.create(entity=flow.entity, name="amount", type=FieldType.INTEGER, position=99)
    schema = entity_schema(flow.entity)
    for value in ("9" * 5000, 10**40, -(10**30), 1e300):
        checked = clean_record(schema, {"email": "ida@example.com", "amount": value})
        assert "at most 30 digits" in " ".join(checked.errors["amount"]), value
    assert clean_record(schema, {"email": "ida@example.com", "amount": -(10**30) + 1}).errors == {}


def test_an_entity_field_named_like_the_old_key_does_not_replace_the_one_time_key(make_flow, operator):
    flow = make_flow()
    EntityField.objects.create(entity=flow.entity, name="submission_key", type=FieldType.TEXT, position=99)
    client = signed_in(operator)
    page = client.get(form_url(flow)).content.decode()
    assert page.count('name="submission_key"') == 1  # the entity's field, shown as a field
    assert page.count(f'name="{KEY_FIELD}"') == 1
    for email in ("ida@example.com", "other@example.com"):
        answer = client.post(
            form_url(flow), {KEY_FIELD: key_of(client, flow), "email": email, "submission_key": "same"}
        )
        assert answer.status_code == 302
    assert sorted(e.values["email"] for e in ManualEntry.objects.all()) == [
        "ida@example.com",
        "other@example.com",
    ]
    assert {e.values["submission_key"] for e in ManualEntry.objects.all()} == {"same"}


def test_entries_of_a_flow_that_cannot_take_them_in_say_why_and_the_tick_backs_off(make_flow, operator):
    flow = make_flow()
    for n in range(3):
        entry_submit(flow=flow, values={"email": f"p{n}@example.com"}, submission_key=f"k{n}", actor=operator)
    MappingVersion.objects.filter(mapping__system__name="Target").delete()  # the target's mapping unpublished
    run_execute(Run.objects.get(state=RunState.QUEUED).pk, worker="test")
    failed = Run.objects.get(trigger=FALLBACK_TRIGGER)
    assert failed.state == RunState.FAILED
    assert failed.error

    now = timezone.now()
    assert entries_waiting(now) == 0
    assert entries_waiting(now + ENTRIES_RETRY_AFTER - timedelta(seconds=5)) == 0
    assert Run.objects.count() == 1

    reason = f"The hub could not take entries in for this flow: {failed.error}"
    client = signed_in(operator)
    entry = ManualEntry.objects.first()
    assert entry is not None
    shown = re.search(
        r'id="entry-delivery">(.*?)</div>',
        client.get(f"/operations/entries/{entry.pk}/").content.decode(),
        re.S,
    )
    assert shown
    assert shown.group(1).strip() == reason.replace("'", "&#x27;").replace('"', "&quot;")
    with CaptureQueriesContext(connection) as three:
        listed = client.get("/operations/entries/").content.decode()
    assert listed.count(reason.replace("'", "&#x27;").replace('"', "&quot;")) == 3
    for n in range(3, 30):
        ManualEntry.objects.create(
            flow=flow, values={"email": f"p{n}@example.com"}, entered_by=operator, submission_key=f"k{n}"
        )
    with CaptureQueriesContext(connection) as thirty:
        listed = client.get("/operations/entries/").content.decode()
    assert listed.count("The hub could not take entries in for this flow") == 30
    assert len(thirty) == len(three)

    assert entries_waiting(now + ENTRIES_RETRY_AFTER + timedelta(seconds=5)) == 1  # then it tries again
    assert Run.objects.filter(state=RunState.QUEUED).count() == 1
