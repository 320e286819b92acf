"""The compliance reviewer's audit trail: filters, the entry page, exports, the chain check, and its cost."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hub.api.keys import api_key_issue
from hub.api.models import ApiKey, Partner
from hub.api.services import Caller
from hub.audit.attribution import attributed
from hub.audit.events import Event
from hub.audit.services import audit_access, audit_access_many
from hub.catalog.models import Entity
from hub.systems.models import Secret, System
from hub.systems.services import secret_reveal, secret_set

pytestmark = pytest.mark.django_db

LIST = "/admin/auditlog/logentry/"
EXPORT = "/admin/auditlog/logentry/export/"
VERIFY = "/admin/auditlog/logentry/verify/"
PLAINTEXT = "Plain-Secret-Value-7Q2x"


# People and a trail made by the real services ----------------------------------------------------------


@pytest.fixture
def reviewer(db):
    """A member of the Compliance reviewer role (hub/access): read-only everywhere, the trail included."""
    user = get_user_model().objects.create_user("rita", "rita@example.com", "correct-horse-43", is_staff=True)
    user.groups.add(Group.objects.get(name="Compliance reviewer"))
    return user


@pytest.fixture
def outsider(db):
    """An operator: staff, but the trail is not theirs to read."""
    user = get_user_model().objects.create_user("otto", "otto@example.com", "correct-horse-44", is_staff=True)
    user.groups.add(Group.objects.get(name="Operator"))
    return user


@pytest.fixture
def trail(business_admin, reviewer):
    """A small trail: changes by people, a decryption, API key reads, run work and a system access."""
    ids: dict[str, list[int]] = {}

    def mark(name, before):
        ids[name] = list(LogEntry.objects.filter(pk__gt=before).values_list("pk", flat=True))

    def newest():
        return LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    # Making the people (this fixture's and any made before it) is in the trail too, by nobody in particular:
    # each account's creation, and the role it was given.
    mark("accounts_made", 0)
    made = LogEntry.objects.filter(pk__in=ids["accounts_made"])
    ids["roles_given"] = list(made.filter(action=LogEntry.Action.UPDATE).values_list("pk", flat=True))
    assert set(made.values_list("content_type", "actor")) == {
        (ContentType.objects.get_for_model(get_user_model()).pk, None)
    }
    assert {
        (str(reviewer.pk), LogEntry.Action.UPDATE),
        (str(business_admin.pk), LogEntry.Action.CREATE),
    } <= set(made.values_list("object_pk", "action"))
    assert {"groups"} == {name for entry in made.filter(pk__in=ids["roles_given"]) for name in entry.changes}

    start = newest()
    with set_actor(business_admin):
        crm = System.objects.create(name="CRM", kind="http_json", description="Sales")
        secret = secret_set(system=crm, name="bearer_token", value=PLAINTEXT, actor=business_admin)
    mark("beatrice_created", start)

    start = newest()
    with set_actor(reviewer):
        crm.description = "Where sales keeps people"
        crm.save(update_fields=["description"])
    mark("rita_changed", start)

    start = newest()
    assert (
        secret_reveal(secret=secret, reason="connection test by beatrice", actor=business_admin) == PLAINTEXT
    )
    mark("decrypted", start)

    start = newest()
    acme = Partner.objects.create(name="Acme")
    key = ApiKey(partner=acme, name="Orders")
    api_key_issue(key=key)
    globex_key = ApiKey(partner=Partner.objects.create(name="Globex"), name="Reads")
    api_key_issue(key=globex_key)
    entities = [Entity.objects.create(name=f"Thing{n}") for n in range(3)]
    mark("setup", start)
    start = newest()
    Caller(key=key, address="203.0.113.9").audit(entities, "record", "read through the API")
    mark("acme_reads", start)
    start = newest()
    Caller(key=globex_key, address="203.0.113.10").audit(entities[:1], "record", "read through the API")
    mark("globex_reads", start)

    start = newest()
    audit_access_many(
        instances=entities[1:], what="record", reason="delivered to ERP",
        details={"by": "run 12 of flow Customers to ERP"}, cid="run:12",
    )  # fmt: skip
    mark("run12", start)
    start = newest()
    audit_access(
        instance=secret, what="secret bearer_token", reason="run 120 of flow Other", event=Event.DECRYPTED
    )
    mark("run120", start)

    start = newest()
    with attributed(cid="outbox:3", by="outbox of flow Customers to ERP"):
        audit_access(instance=secret, what="secret bearer_token", reason="retry", event=Event.DECRYPTED)
    mark("outbox", start)

    start = newest()
    audit_access(instance=crm, what="system settings", reason="nightly check")
    mark("system", start)
    LogEntry.objects.filter(pk__in=ids["system"]).update(timestamp=timezone.now() - timedelta(days=40))
    return {"ids": ids, "crm": crm, "secret": secret, "key": key, "acme": acme, "entities": entities}


def shown(client, query: str = "") -> set[int]:
    """The entries a page lists, leaving out the sign-ins the test client's log-in itself records."""
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    return {row["entry"].pk for row in response.context["rows"] if not _sign_in(row["entry"])}


def _sign_in(entry) -> bool:
    return (entry.additional_data or {}).get("event") in (Event.LOGGED_IN, Event.LOGIN_FAILED)


def ids_of(trail, *names) -> set[int]:
    return {pk for name in names for pk in trail["ids"][name]}


def everything(trail) -> set[int]:
    return ids_of(trail, *trail["ids"])


# Filters -------------------------------------------------------------------------------------------------


def test_the_list_shows_every_entry_in_plain_words(client, reviewer, trail):
    client.force_login(reviewer)
    response = client.get(LIST)
    assert {row["entry"].pk for row in response.context["rows"]} >= everything(trail)
    page = response.content.decode()
    for words in ["beatrice", "rita", "API key", "of Acme", "run 12 of flow Customers to ERP", "system",
                  "decrypted secret bearer_token", "changed description", "connection test by beatrice"]:  # fmt: skip
        assert words in page, words


def test_each_filter_narrows_to_its_entries(client, reviewer, business_admin, trail):
    client.force_login(reviewer)
    system_type = ContentType.objects.get_for_model(System)
    secret_type = ContentType.objects.get_for_model(Secret)
    crm, key, acme = trail["crm"], trail["key"], trail["acme"]
    people = ids_of(trail, "beatrice_created", "rita_changed", "decrypted")
    cases = {
        f"actor={business_admin.pk}": ids_of(trail, "beatrice_created", "decrypted"),
        f"actor={reviewer.pk}": ids_of(trail, "rita_changed"),
        "who=person": people,
        "who=api": ids_of(trail, "acme_reads", "globex_reads"),
        "who=worker": ids_of(trail, "run12", "outbox"),
        f"api_key={key.prefix}": ids_of(trail, "acme_reads"),
        f"partner={acme.pk}": ids_of(trail, "acme_reads"),
        "run=12": ids_of(trail, "run12"),
        "run=120": ids_of(trail, "run120"),
        f"content_type={secret_type.pk}": {e.pk for e in LogEntry.objects.filter(content_type=secret_type)},
        f"content_type={system_type.pk}&object_pk={crm.pk}": {
            e.pk for e in LogEntry.objects.filter(content_type=system_type, object_pk=str(crm.pk))
        },
        "action=changed": ids_of(trail, "rita_changed", "roles_given"),
        "action=created": {e.pk for e in LogEntry.objects.filter(action=LogEntry.Action.CREATE)},
        "action=decrypted": ids_of(trail, "decrypted", "run120", "outbox"),
        "cid=outbox:3": ids_of(trail, "outbox"),
        "action=accessed": ids_of(trail, "acme_reads", "globex_reads", "run12", "system"),
        "action=deleted": set(),
        "cid=run:12": ids_of(trail, "run12"),
        "q=nightly": ids_of(trail, "system"),
        "q=Thing0": {e.pk for e in LogEntry.objects.filter(object_repr="Thing0")},
    }
    for query, expected in cases.items():
        assert expected or query == "action=deleted", query
        assert shown(client, query) == expected, query

    old = (timezone.now() - timedelta(days=40)).date()
    assert shown(client, f"date_from={old}&date_to={old}") == ids_of(trail, "system")
    assert shown(client, f"date_from={old + timedelta(days=1)}") == everything(trail) - ids_of(
        trail, "system"
    )
    assert shown(client, f"date_to={old - timedelta(days=1)}") == set()
    assert shown(client, "who=system") == everything(trail) - people - ids_of(
        trail, "acme_reads", "globex_reads", "run12", "outbox"
    )
    # Filters combine.
    assert shown(client, f"actor={business_admin.pk}&action=decrypted") == ids_of(trail, "decrypted")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-45", "Enter a date as YYYY-MM-DD"),
        ("date_to=yesterday", "Enter a date as YYYY-MM-DD"),
        ("date_from=2026-03-02&date_to=2026-03-01", "The end date is before the start date."),
        ("object_pk=5", "Choose the object type too"),
        ("run=abc", "Enter a whole number."),
        ("content_type=999999", "Select a valid choice."),
        ("action=burgled", "Select a valid choice."),
    ],
)
def test_a_bad_filter_is_a_message_on_the_page(client, reviewer, trail, query, message):
    client.force_login(reviewer)
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "The filter could not be used" in response.content.decode()
    assert response.context.get("rows") is None


def test_pages_follow_one_another_without_gaps_or_repeats(client, reviewer, trail):
    entity = trail["entities"][0]
    audit_access_many(instances=[entity] * 120, what="record", reason="paging")  # one timestamp for all
    client.force_login(reviewer)
    seen: list[int] = []
    response = client.get(LIST)
    while True:
        seen += [row["entry"].pk for row in response.context["rows"]]
        if not response.context["older_url"]:
            break
        response = client.get(LIST + response.context["older_url"])
    assert len(seen) == len(set(seen)) == LogEntry.objects.count()
    back = client.get(LIST + response.context["newer_url"])
    assert [row["entry"].pk for row in back.context["rows"]] == seen[
        -50 - len(response.context["rows"]) : -len(response.context["rows"])
    ]
    assert client.get(f"{LIST}?before=not-a-cursor").context["bad_cursor"]


# The entry page -----------------------------------------------------------------------------------------


def test_an_entry_shows_its_diff_and_context(client, reviewer, trail):
    client.force_login(reviewer)
    change = LogEntry.objects.get(pk=trail["ids"]["rita_changed"][0])
    page = client.get(f"{LIST}{change.pk}/change/").content.decode()
    for words in ["Sales", "Where sales keeps people", "description"]:
        assert words in page

    read = LogEntry.objects.filter(pk__in=trail["ids"]["acme_reads"]).first()
    page = client.get(f"{LIST}{read.pk}/change/").content.decode()
    for words in ["203.0.113.9", f"api-key:{trail['key'].prefix}", "Acme"]:
        assert words in page

    run_entry = LogEntry.objects.filter(pk__in=trail["ids"]["run12"]).first()
    run_entry.additional_data = {
        **run_entry.additional_data,
        "user_agent": "hub-worker/1",
        "request_id": "req-77",
    }
    run_entry.save(update_fields=["additional_data"])
    page = client.get(f"{LIST}{run_entry.pk}/change/").content.decode()
    assert "/admin/flows/run/12/change/" in page
    assert "/admin/flows/recordoutcome/?run__id__exact=12" in page
    assert "hub-worker/1" in page
    assert "req-77" in page
    assert client.get(f"{LIST}999999/change/").status_code == 404
    assert client.get(f"{LIST}abc/change/").status_code in (400, 404)


def test_masked_values_stay_masked_and_no_page_shows_a_secret(client, business_admin, trail):
    client.force_login(business_admin)
    secret = trail["secret"]
    with set_actor(business_admin):
        secret_set(system=trail["crm"], name="bearer_token", value=PLAINTEXT + "-v2", actor=business_admin)
    masked = LogEntry.objects.log_create(
        secret, action=LogEntry.Action.UPDATE, changes={"value": ["[redacted]", "[redacted]"]}
    )
    pages = [client.get(LIST).content.decode()]
    pages += [
        client.get(f"{LIST}{pk}/change/").content.decode()
        for pk in LogEntry.objects.values_list("pk", flat=True)
    ]
    pages += [_body(client.get(f"{EXPORT}?format={fmt}")) for fmt in ("csv", "json")]
    for page in pages:
        assert PLAINTEXT not in page
    assert "[redacted]" in client.get(f"{LIST}{masked.pk}/change/").content.decode()


# Export -------------------------------------------------------------------------------------------------


def _body(response) -> str:
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_holds_exactly_the_filtered_entries_and_is_recorded(
    client, reviewer, business_admin, trail, fmt
):
    client.force_login(reviewer)
    query = f"actor={business_admin.pk}"
    body = _body(client.get(f"{EXPORT}?{query}&format={fmt}"))
    rows = list(csv.DictReader(io.StringIO(body))) if fmt == "csv" else json.loads(body)
    assert {int(row["id"]) for row in rows} == ids_of(trail, "beatrice_created", "decrypted")
    assert len(rows) == len(ids_of(trail, "beatrice_created", "decrypted"))
    assert {row["who"] for row in rows} == {"beatrice"}

    exported = LogEntry.objects.filter(additional_data__event="exported")
    assert exported.count() == 1
    entry = exported.get()
    assert entry.actor == reviewer
    assert entry.action == LogEntry.Action.ACCESS
    assert fmt.upper() in entry.additional_data["reason"]
    assert "person beatrice" in entry.additional_data["reason"]
    # The whole trail, later: the first export is in it, this one's own entry is not.
    body = _body(client.get(f"{EXPORT}?format={fmt}"))
    rows = list(csv.DictReader(io.StringIO(body))) if fmt == "csv" else json.loads(body)
    rows = [row for row in rows if row["event"] not in (Event.LOGGED_IN, Event.LOGIN_FAILED)]
    assert {int(row["id"]) for row in rows} == everything(trail) | {entry.pk}
    assert shown(client, "action=exported") == set(exported.values_list("pk", flat=True))


def test_an_export_of_nothing_is_still_a_valid_document(client, reviewer, trail):
    client.force_login(reviewer)
    assert json.loads(_body(client.get(f"{EXPORT}?action=deleted&format=json"))) == []
    assert _body(client.get(f"{EXPORT}?action=deleted&format=csv")).startswith("id,timestamp,who")


def test_an_export_with_a_bad_filter_or_format_is_refused_with_a_reason(client, reviewer, trail):
    client.force_login(reviewer)
    response = client.get(f"{EXPORT}?date_from=31/12/2026&format=csv")
    assert response.status_code == 400
    assert b"YYYY-MM-DD" in response.content
    assert client.get(f"{EXPORT}?format=xlsx").status_code == 400
    assert not LogEntry.objects.filter(additional_data__event="exported").exists()


def test_csv_cells_cannot_become_spreadsheet_formulas(client, reviewer, trail):
    entity = Entity.objects.create(name="=HYPERLINK(evil)")
    audit_access(instance=entity, what="record", reason="@SUM(1)")
    client.force_login(reviewer)
    body = _body(client.get(f"{EXPORT}?q=HYPERLINK&format=csv"))
    row = next(csv.DictReader(io.StringIO(body)))
    assert row["object"] == "'=HYPERLINK(evil)"
    assert row["reason"] == "'@SUM(1)"


# Read-only, and who may see it --------------------------------------------------------------------------


def test_nobody_can_add_change_or_delete_an_entry_not_even_a_superuser(client, business_admin, trail):
    from django.test import RequestFactory

    model_admin = admin.site._registry[LogEntry]
    request = RequestFactory().get("/")
    request.user = business_admin
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.has_view_permission(request)

    client.force_login(business_admin)
    entry = LogEntry.objects.get(pk=trail["ids"]["rita_changed"][0])
    before = (entry.object_repr, entry.changes, entry.timestamp)
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}add/", {"object_repr": "forged"}).status_code == 403
    assert client.post(f"{LIST}{entry.pk}/change/", {"object_repr": "forged"}).status_code == 405
    assert client.post(f"{LIST}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(LIST, {"action": "delete_selected", "_selected_action": [entry.pk]}).status_code == 405
    entry.refresh_from_db()
    assert (entry.object_repr, entry.changes, entry.timestamp) == before
    assert LogEntry.objects.filter(object_repr="forged").count() == 0


def test_staff_without_the_view_permission_see_nothing(client, outsider, trail):
    client.force_login(outsider)
    entry_id = trail["ids"]["decrypted"][0]
    for url in [LIST, f"{LIST}{entry_id}/change/", f"{EXPORT}?format=csv", VERIFY]:
        assert client.get(url).status_code == 403, url
    assert not LogEntry.objects.filter(additional_data__event="exported").exists()


# The chain check ----------------------------------------------------------------------------------------


def test_the_verify_button_asks_a_worker_and_the_page_shows_its_report(client, reviewer, trail):
    from hub.audit.checking import audit_verify
    from hub.audit.models import AuditVerification
    from hub.audit.verifying import verification_run

    client.force_login(reviewer)
    assert "Verify the trail" in client.get(LIST).content.decode()
    assert client.post(VERIFY).status_code == 302
    assert client.post(VERIFY).status_code == 302  # a second click while one waits asks for nothing more
    check = AuditVerification.objects.get()
    assert check.requested_by == reviewer
    assert "Waiting for a worker" in client.get(VERIFY).content.decode()

    expected = audit_verify()  # the fixture backdates entries, which the chain may already report
    said = "intact" if expected.ok else f"{len(expected.problems) + expected.more_problems} problem(s)"
    assert verification_run(check.pk) == said  # what the worker's job does
    assert verification_run(check.pk) == "already checked or being checked"  # a job delivered twice
    page = client.get(VERIFY).content.decode()
    assert f"{expected.checked} entr" in page
    assert ("The trail is intact" in page) == expected.ok

    victim = LogEntry.objects.filter(pk__in=trail["ids"]["rita_changed"]).first()
    LogEntry.objects.filter(pk=victim.pk).update(object_repr="edited behind the hub's back")
    client.post(VERIFY)
    verification_run(AuditVerification.objects.latest("pk").pk)
    page = client.get(VERIFY).content.decode()
    assert "NOT intact" in page
    for problem in audit_verify().problems:
        assert f"<td>{problem.position}</td>" in page


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_pages_cost_the_same_queries_with_50_or_500_entries(client, reviewer, business_admin, trail):
    entities = trail["entities"]
    client.force_login(reviewer)

    def grow(total):
        missing = total - LogEntry.objects.count()
        with set_actor(business_admin):
            for n in range(missing // 2):
                entities[n % 3].description = f"v{n}"
                entities[n % 3].save(update_fields=["description"])
        Caller(key=trail["key"], address="198.51.100.1").audit(
            [entities[0]] * (total - LogEntry.objects.count()), "record", "read"
        )
        assert LogEntry.objects.count() == total

    urls = [LIST, f"{LIST}?action=changed", f"{LIST}?who=api&q=Thing", f"{LIST}?actor={business_admin.pk}"]
    grow(50)
    small = [_queries(client, url) for url in urls]
    oldest = LogEntry.objects.order_by("timestamp", "id").first()
    small_entry = _queries(client, f"{LIST}{oldest.pk}/change/")
    grow(500)
    deep = client.get(LIST).context["older_url"]
    assert deep
    assert [_queries(client, url) for url in urls] == small
    assert _queries(client, f"{LIST}{oldest.pk}/change/") == small_entry
    assert _queries(client, LIST + deep) == small[0]
    assert max(small) <= 12
