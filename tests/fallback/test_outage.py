"""An outage of a target, end to end, with the hub's real processes: nothing lost, nothing doubled.

The web server (``runserver``), an RQ worker with its scheduler and the tick (``hub_tick``) run as
subprocesses on the test database (a SQLite file) and the test's Redis, as ``bin/run-local`` starts them;
the source and the target are real HTTP servers on 127.0.0.1. With the target stopped, 500 records come
in: 200 from the source (runs of the flow, started by its schedule and by ``run_request``), 50 pushed by a
partner through the API and 250 typed into the fallback form by signed-in operators, both over HTTP to
the web server; 25 from the source and 25 typed change twice while the target is down. The circuit opens after ``breaker_failures`` failed pushes and nothing calls the target any more; the
worker and the tick are killed hard and the web server stopped with the outbox full, and all are started
again; then the target comes back, the tick's connection test closes the circuit and the outbox delivers
every version of every record once, in the order the versions were made.
"""

from __future__ import annotations

import re
import secrets
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import django_rq
import pytest
import requests
import yaml
from django.contrib.auth.models import Permission, User
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from hub.api.keys import api_key_issue
from hub.api.models import ApiKey, EntityGrant, Partner
from hub.catalog.models import Entity
from hub.configuration.importer import config_import
from hub.fallback.models import EntryState, ManualEntry
from hub.flows.models import Delivery, DeliveryAttempt, DeliveryState, Flow, InboundBatch, Run, RunState
from hub.flows.runs import run_request
from hub.flows.scheduling import outbox_wake
from hub.mappings.models import Mapping
from hub.mappings.services import mapping_publish
from hub.systems.links import link_succeeded
from hub.systems.models import Link, LinkState, System
from hub.systems.services import secret_set
from tests.fallback.processes import Processes, free_port, wait_for
from tests.flows.conftest import TARGET_TOKEN
from tests.flows.running import run_once
from tests.flows.servers import FIRST_NAMES, FIRST_UPDATE, Reply, Request, SourceServer, TargetServer

# About a minute on two cores; most of it is the tick's wait before it tests the link again (it doubles
# after each failed test), so a busy machine gets more room than the suite's 120 s.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

FROM_SOURCE = 200
PUSHED = 50  # through the partner API, in two pushes
TYPED = 250
CHANGED = 25  # from the source and typed: the first 25 change twice while the target is down
VERSIONS = FROM_SOURCE + PUSHED + TYPED + 2 * 2 * CHANGED
PARTNER = "Partner gateway"
PUSH_FLOW = "People from partners"
PAGE_SIZE = 100
BREAKER_FAILURES = 2
TICK_SECONDS = 1.0
SESSIONS = 4  # operators typing at once
HTTP_SECONDS = 30  # the longest one request to the web server may take
PASSWORD = "a-long-password-for-olga-42"
OPERATOR_PERMISSIONS = [
    ("fallback", "add_manualentry"),
    ("fallback", "change_manualentry"),
    ("fallback", "view_manualentry"),
    ("systems", "view_system"),
]


def person_email(number: int) -> str:
    return f"user{number:05d}@example.com"


def typed_email(number: int) -> str:
    return f"typed{number:05d}@example.com"


def pushed_email(number: int) -> str:
    return f"pushed{number:05d}@example.com"


def pushed_record(number: int) -> dict[str, str]:
    """A person as a partner pushes it: in the partner gateway's shape, with the partner's own id."""
    return {"id": f"P-{number}", "email": pushed_email(number), "first_name": " paula", "last_name": "pusher",
            "country": "de"}  # fmt: skip


def typed_values(number: int, last_name: str = "Typed") -> dict[str, str]:
    return {
        "email": typed_email(number),
        "first_name": "Olga",
        "last_name": last_name,
        "company": f"Typed {number} GmbH",
        "country": "DE",
        "status": "active",
    }


class Operator:
    """A person at the web server: signs in to the admin, then uses the operations pages in a session."""

    def __init__(self, base_url: str, username: str) -> None:
        self.base_url = base_url
        self.username = username
        self.session = requests.Session()

    def get(self, path: str) -> requests.Response:
        answer = self.session.get(self.base_url + path, timeout=HTTP_SECONDS, allow_redirects=False)
        assert answer.status_code == 200, f"GET {path}: {answer.status_code} {answer.text[:500]}"
        return answer

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        token = self.session.cookies.get("csrftoken")
        assert token, "no CSRF cookie: open a page with a form first"
        return self.session.post(
            self.base_url + path, data={**data, "csrfmiddlewaretoken": token}, timeout=HTTP_SECONDS,
            allow_redirects=False,
        )  # fmt: skip

    def sign_in(self) -> None:
        self.get("/admin/login/")
        answer = self.post(
            "/admin/login/?next=/operations/", {"username": self.username, "password": PASSWORD}
        )
        assert answer.status_code == 302, f"sign-in refused: {answer.status_code} {answer.text[:500]}"
        self.get("/operations/")

    def enter(self, flow: Flow, values: dict[str, str], key: str) -> int:
        """Send the fallback form; the id of the entry it stored (from the redirect to its page)."""
        path = f"/operations/flows/{flow.pk}/entry/"
        answer = self.post(path, {**values, "_submission_key": key})
        assert answer.status_code == 302, f"POST {path}: {answer.status_code} {answer.text[-1500:]}"
        found = re.fullmatch(r"/operations/entries/(\d+)/", answer.headers["Location"])
        assert found, answer.headers["Location"]
        return int(found.group(1))

    def correct(self, entry_id: int, values: dict[str, str]) -> None:
        path = f"/operations/entries/{entry_id}/"
        answer = self.post(path, {**values, "_submission_key": secrets.token_urlsafe(24)})
        assert answer.status_code == 302, f"POST {path}: {answer.status_code} {answer.text[-1500:]}"

    def link(self, system: str) -> tuple[str, int]:
        """The operations page's row for a system: its link state and its waiting deliveries."""
        html = self.get("/operations/").text
        row = re.search(rf'<tr data-system="{system}">.*?link-(\w+)".*?class="backlog">(\d+)<', html, re.S)
        assert row, f"no row for {system} on the operations page"
        return row.group(1), int(row.group(2))

    def entries(self) -> dict[int, str]:
        """Every entry in everyone's list, page by page (50 a page): its state as the page shows it."""
        shown: dict[int, str] = {}
        for page in range(1, 20):
            html = self.get(f"/operations/entries/?who=all&page={page}").text
            rows = re.findall(r'data-entry="(\d+)" data-state="(\w+)"', html)
            shown.update((int(pk), state) for pk, state in rows)
            if "older</a>" not in html:
                return shown
        raise AssertionError("the entries list has more pages than this test made entries for")


class ThrottlingTarget(TargetServer):
    """The test target that can answer 429 (Retry-After: 1), once, to the first push carrying a key."""

    throttled: str | None = None

    def handle(self, request: Request) -> Reply:
        items = request.json() if request.method == "POST" else None
        with self.lock:
            hit = isinstance(items, list) and any(
                isinstance(item, dict) and item.get(self.key_field) == self.throttled for item in items
            )
            if hit:
                self.throttled = None
                self.statuses[429] += 1
        if hit:
            return Reply(429, {"error": "too many requests"}, {"Retry-After": "1"})
        return super().handle(request)


@pytest.fixture
def target() -> Iterator[ThrottlingTarget]:
    with ThrottlingTarget(token=TARGET_TOKEN) as server:
        yield server


@dataclass
class Hub:
    """What the test started: the hub's processes, the flow, the port of the web server."""

    processes: Processes
    flow: Flow
    port: int
    worker: subprocess.Popen[bytes]
    ticker: subprocess.Popen[bytes]
    web: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settle(self, condition: Callable[[], bool], *, seconds: float, what: str) -> None:
        try:
            wait_for(condition, seconds=seconds, what=what, every=0.2)
        except AssertionError as error:
            raise AssertionError(f"{error}; the processes said:\n{self.processes.tail()}") from None

    def wait_for_web(self) -> None:
        """Until the web server answers; it must be ours (another program could have taken the port)."""
        self.settle(lambda: answers(self.port) or self.web.poll() is not None, seconds=30,
                    what="the web server to answer")  # fmt: skip
        assert self.web.poll() is None, f"the web server stopped:\n{self.processes.tail()}"

    def restart(self) -> None:
        """kill -9 the worker (and its work horse) and the tick, stop the web server; start new ones."""
        self.processes.kill_hard(self.worker)
        self.processes.kill_hard(self.ticker)
        self.processes.stop(self.web)
        assert delivery_states() == {DeliveryState.PENDING: VERSIONS}
        self.worker = self.processes.worker()
        self.ticker = self.processes.ticker(TICK_SECONDS)
        self.web = self.processes.web(self.port)
        self.wait_for_web()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    for name in ("default", "low"):
        django_rq.get_queue(name).empty()  # jobs other tests left behind (their database is gone)
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def operator_user(db: Any) -> User:
    user = User.objects.create_user("olga", "olga@example.com", PASSWORD, is_staff=True)
    for app, codename in OPERATOR_PERMISSIONS:  # the role groups are flushed with the database
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))
    return user


def add_push_flow() -> tuple[Flow, str]:
    """A partner-API flow of the same people to the same target, and a partner's key that may push."""
    document = {
        "version": 1,
        "systems": [{
            "name": PARTNER, "kind": "http_json", "description": "Partners push people here.",
            "owner_team": "Engine tests", "contact": "engine-tests@example.com", "environment": "staging",
            "status": "active", "secrets": ["bearer_token"],
            "settings": {"auth_style": "bearer", "base_url": "http://127.0.0.1:9", "read_path": "/records"},
        }],
        "mappings": [{"system": PARTNER, "entity": "Person", "direction": "inbound", "rules": [
            {"source": "email", "target": "email", "transforms": ["email"]},
            {"source": "first_name", "target": "first_name", "transforms": ["trim", "title"]},
            {"source": "last_name", "target": "last_name", "transforms": ["trim", "title"]},
            {"source": "country", "target": "country", "transforms": ["trim", "upper"]},
        ]}],
        "flows": [{
            "name": PUSH_FLOW, "entity": "Person", "source": PARTNER, "targets": ["Target"],
            "business_outcome": "People partners push reach the target.", "freshness_minutes": 60,
            "trigger": "api_push", "state": "active",
        }],
    }  # fmt: skip
    config_import(text=yaml.safe_dump(document, sort_keys=False), dry_run=False)
    secret_set(system=System.objects.get(name=PARTNER), name="bearer_token", value="unused", actor=None)
    mapping_publish(mapping=Mapping.objects.get(system__name=PARTNER), note="Outage test.", actor=None)
    Flow.objects.filter(name=PUSH_FLOW).update(retry_base_seconds=1, retry_window_seconds=5)
    key = ApiKey(partner=Partner.objects.create(name="Acme", contact="it@acme.example"), name="People")
    raw = api_key_issue(key=key)
    EntityGrant.objects.create(
        key=key, entity=Entity.objects.get(name="Person"), can_read=True, can_write=True
    )
    return Flow.objects.get(name=PUSH_FLOW), raw


def push(hub: Hub, flow: Flow, key: str, records: list[dict[str, str]], idempotency_key: str) -> int:
    """One push through the partner API of the web server; the batch id."""
    answer = requests.post(
        f"{hub.url}/api/v1/flows/{flow.pk}/batches/", json={"records": records}, timeout=HTTP_SECONDS,
        headers={"Authorization": f"Api-Key {key}", "Idempotency-Key": idempotency_key},
    )  # fmt: skip
    assert answer.status_code == 202, f"push: {answer.status_code} {answer.text[:1500]}"
    return int(answer.json()["batch"])


def push_all(hub: Hub, flow: Flow, key: str) -> list[int]:
    """PUSHED people in two pushes; the first sent again (a client's retry) is stored once."""
    half = PUSHED // 2
    records = [pushed_record(n) for n in range(1, PUSHED + 1)]
    batches = [
        push(hub, flow, key, records[:half], "outage-1"),
        push(hub, flow, key, records[half:], "outage-2"),
    ]
    assert push(hub, flow, key, records[:half], "outage-1") == batches[0]
    assert InboundBatch.objects.filter(flow=flow).count() == 2
    return batches


def batch_states(hub: Hub, key: str, batch: int) -> dict[str, int]:
    """The partner's view of a push: how many of its records are in which state."""
    answer = requests.get(
        f"{hub.url}/api/v1/batches/{batch}/",
        headers={"Authorization": f"Api-Key {key}"},
        timeout=HTTP_SECONDS,
    )
    assert answer.status_code == 200, f"batch {batch}: {answer.status_code} {answer.text[:1500]}"
    return {state: count for state, count in answer.json()["counts"].items() if count}


def answers(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/admin/login/", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def target_link() -> Link:
    link = Link.objects.filter(system__name="Target").first()
    assert link is not None, "the target's link was never recorded"
    return link


def delivery_states() -> dict[str, int]:
    return dict(Delivery.objects.values_list("state").annotate(n=Count("pk")))


def busy(flow: Flow | None = None) -> bool:
    """Whether a run of the flow (of any flow) is queued or running."""
    active = Run.objects.filter(state__in=[RunState.QUEUED, RunState.RUNNING])
    return active.filter(flow=flow).exists() if flow is not None else active.exists()


def counts(query: QuerySet[Any], expected: int) -> Callable[[], bool]:
    return lambda: query.count() == expected


def every_entry_recorded() -> dict[int, str]:
    return dict.fromkeys(ManualEntry.objects.values_list("pk", flat=True), EntryState.RECORDED)


def source_run(hub: Hub) -> None:
    """A run that reads the source (not a fallback run the tick started), requested here, finished."""
    for _ in range(20):  # bounded: a fallback run may be in the way
        hub.settle(lambda: not busy(hub.flow), seconds=60, what="the flow's runs to finish")
        run, created = run_request(flow=hub.flow, trigger="manual")
        if created:
            break
    else:
        raise AssertionError("no run of the flow could be requested: another was always waiting")
    hub.settle(lambda: Run.objects.get(pk=run.pk).state not in (RunState.QUEUED, RunState.RUNNING),
               seconds=60, what=f"run {run.pk} to finish")  # fmt: skip
    run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED, run.error


def change_people(source: SourceServer, first_name: str, day: int) -> None:
    """The source changes its first CHANGED people: a new first name, a later change time."""
    with source.lock:
        for number in range(1, CHANGED + 1):
            record = source.records[number - 1]
            later = FIRST_UPDATE + timedelta(days=day, minutes=number)
            source.records[number - 1] = {**record, "first_name": first_name, "updated_at": later.isoformat()}


def open_the_circuit(hub: Hub) -> int:
    """The tick starts the flow's first scheduled run (it never ran); its pushes fail and open the
    circuit after the configured failures, and nothing more is pushed. Returns the failed attempts."""
    hub.settle(
        lambda: Run.objects.filter(flow=hub.flow, trigger="schedule", state=RunState.SUCCEEDED).exists(),
        seconds=60, what="the scheduled run to finish",
    )  # fmt: skip
    link = target_link()
    assert (link.state, link.failures) == (LinkState.DOWN, BREAKER_FAILURES)
    # Two pushes of a page each: the first counted against the deliveries, the second found it down.
    assert DeliveryAttempt.objects.filter(ok=False).count() == BREAKER_FAILURES * PAGE_SIZE
    assert not DeliveryAttempt.objects.filter(ok=True).exists()
    counted = dict(Delivery.objects.values_list("attempts").annotate(n=Count("pk")))
    assert counted == {1: PAGE_SIZE, 0: FROM_SOURCE - PAGE_SIZE}
    return DeliveryAttempt.objects.count()


def type_in(hub: Hub, sessions: list[Operator]) -> dict[int, int]:
    """Each of TYPED forms sent once, shared out among the sessions; the entry ids by number."""
    olga = sessions[0]
    form = olga.get(f"/operations/flows/{hub.flow.pk}/entry/").text
    assert set(typed_values(1)) | {"_submission_key"} <= set(re.findall(r'name="(\w+)"', form))
    keys = {number: secrets.token_urlsafe(24) for number in range(1, TYPED + 1)}

    def send(index: int) -> dict[int, int]:
        mine = list(keys)[index :: len(sessions)]
        return {n: sessions[index].enter(hub.flow, typed_values(n), keys[n]) for n in mine}

    entry_ids: dict[int, int] = {}
    with ThreadPoolExecutor(len(sessions)) as pool:
        for part in pool.map(send, range(len(sessions))):
            entry_ids.update(part)
    assert olga.enter(hub.flow, typed_values(1), keys[1]) == entry_ids[1]  # the same form again: once
    assert sorted(ManualEntry.objects.values_list("pk", flat=True)) == sorted(entry_ids.values())
    return entry_ids


def correct_twice(hub: Hub, olga: Operator, entry_ids: dict[int, int]) -> None:
    """The first CHANGED entries corrected twice, each time after the last version was taken in."""
    corrected = {entry_ids[number]: number for number in range(1, CHANGED + 1)}
    for version, last_name in ((2, "Second"), (3, "Third")):
        hub.settle(lambda: not ManualEntry.objects.exclude(state=EntryState.RECORDED).exists(),
                   seconds=60, what="every entry to be taken into the hub's records")  # fmt: skip
        for entry_id, number in corrected.items():
            olga.correct(entry_id, typed_values(number, last_name=last_name))
        taken = ManualEntry.objects.filter(
            pk__in=corrected, state=EntryState.RECORDED, processed_version=version
        )
        hub.settle(counts(taken, CHANGED), seconds=60,
                   what=f"the corrections to version {version} to be taken in")  # fmt: skip


def assert_still_down(hub: Hub, attempts: int) -> None:
    """Every version waits, the tick kept testing the link, and nobody pushed since the circuit opened."""
    hub.settle(lambda: not busy(), seconds=60, what="the last runs to finish")
    link = target_link()
    assert link.state == LinkState.DOWN
    assert link.pause_seconds > 1  # tested by the tick, and each failed test doubled the wait
    tested = System.objects.get(name="Target")
    assert (tested.last_probe_ok, tested.last_probe_at is not None) == (False, True)
    assert DeliveryAttempt.objects.count() == attempts
    assert delivery_states() == {DeliveryState.PENDING: VERSIONS}


def assert_closed_by_a_test(since: datetime) -> None:
    """The tick's connection test after ``since`` closed the circuit, before anything was pushed."""
    link = target_link()
    assert (link.state, link.failures) == (LinkState.UP, 0)
    tested = System.objects.get(name="Target")
    assert tested.last_probe_ok is True
    assert tested.last_probe_at is not None
    assert tested.last_probe_at >= since
    first_push = DeliveryAttempt.objects.filter(ok=True).aggregate(at=Min("at"))["at"]
    assert first_push is not None
    assert first_push >= tested.last_probe_at


def assert_each_version_once_in_order(target: ThrottlingTarget, failed_attempts: int) -> None:
    assert delivery_states() == {DeliveryState.DELIVERED: VERSIONS}  # no dead letters, none left
    expected = {person_email(n): 3 if n <= CHANGED else 1 for n in range(1, FROM_SOURCE + 1)}
    expected |= {typed_email(n): 3 if n <= CHANGED else 1 for n in range(1, TYPED + 1)}
    expected |= {pushed_email(n): 1 for n in range(1, PUSHED + 1)}
    assert target.writes_per_key() == expected
    assert {
        (item["given_name"], item["family_name"]) for item in target.history() if "pushed" in item["email"]
    } == {("Paula", "PUSHER")}
    for number in range(1, CHANGED + 1):
        original = FIRST_NAMES[number % len(FIRST_NAMES)].title()
        given = [item["given_name"] for item in target.history(person_email(number))]
        assert given == [original, "Second", "Third"], person_email(number)
        family = [item["family_name"] for item in target.history(typed_email(number))]
        assert family == ["TYPED", "SECOND", "THIRD"], typed_email(number)
    # One successful attempt per delivery. The failed ones: those before the circuit opened, and the
    # first page's batch once more, throttled when the target came back.
    ok = Count("attempt_log", filter=Q(attempt_log__ok=True))
    assert not Delivery.objects.annotate(ok=ok).exclude(ok=1).exists()
    assert DeliveryAttempt.objects.filter(ok=False).count() == failed_attempts + PAGE_SIZE
    assert dict(Delivery.objects.values_list("attempts").annotate(n=Count("pk"))) == {
        3: PAGE_SIZE, 1: VERSIONS - PAGE_SIZE
    }  # fmt: skip
    assert target.replays == 0
    assert target.statuses == {429: 1, 200: target.statuses[200]}


def test_an_outage_with_restarts_loses_nothing_and_delivers_each_version_once_in_order(
    make_flow, source: SourceServer, target: ThrottlingTarget, processes: Processes, operator_user: User
) -> None:
    flow = make_flow(push_mode="batch", page_size=PAGE_SIZE, retry_base_seconds=1, retry_window_seconds=5)
    push_flow, api_key = add_push_flow()
    System.objects.filter(name="Target").update(breaker_failures=BREAKER_FAILURES, breaker_pause_seconds=1)
    source.add(FROM_SOURCE)
    target.down()
    port = free_port()
    hub = Hub(processes, flow, port, processes.worker(), processes.ticker(TICK_SECONDS), processes.web(port))

    failed_attempts = open_the_circuit(hub)

    hub.wait_for_web()
    batches = push_all(hub, push_flow, api_key)
    sessions = [Operator(hub.url, operator_user.username) for _ in range(SESSIONS)]
    for session in sessions:
        session.sign_in()
    entry_ids = type_in(hub, sessions)
    change_people(source, "second", day=1)
    source_run(hub)
    change_people(source, "third", day=2)
    source_run(hub)
    correct_twice(hub, sessions[0], entry_ids)
    assert_still_down(hub, failed_attempts)

    hub.restart()
    assert sessions[0].entries() == every_entry_recorded()  # the session outlived the web server
    assert sessions[0].link("Target") == (LinkState.DOWN, VERSIONS)
    assert len(entry_ids) == TYPED
    assert [batch_states(hub, api_key, batch) for batch in batches] == [{"waiting": PUSHED // 2}] * 2
    assert delivery_states() == {DeliveryState.PENDING: VERSIONS}

    # Back, but throttling the first push of person 1: the first page's batch (the oldest version of the
    # people who changed) waits, and their later versions must wait behind it.
    back = timezone.now()
    target.throttled = person_email(1)
    target.up()
    hub.settle(lambda: DeliveryState.PENDING not in delivery_states(), seconds=120,
               what="the outbox to drain")  # fmt: skip

    assert_closed_by_a_test(back)
    assert_each_version_once_in_order(target, failed_attempts)
    entries = ManualEntry.objects.values_list("state", "version", "processed_version")
    assert {state for state, _, _ in entries} == {EntryState.RECORDED}
    assert all(version == taken for _, version, taken in entries)
    assert sessions[1].entries() == every_entry_recorded()
    assert sessions[1].link("Target") == (LinkState.UP, 0)
    assert [batch_states(hub, api_key, batch) for batch in batches] == [{"delivered": PUSHED // 2}] * 2


@pytest.mark.django_db  # in process, and only the wake-ups: no worker takes the jobs
def test_the_link_coming_back_and_the_tick_wake_each_flow_once_not_once_per_delivery(
    make_flow, source: SourceServer, target: ThrottlingTarget, django_capture_on_commit_callbacks: Any
) -> None:
    flow = make_flow(push_mode="batch", page_size=PAGE_SIZE)
    System.objects.filter(name="Target").update(breaker_failures=1, breaker_pause_seconds=1)
    source.add(30)
    target.down()
    run_once(flow)
    assert (target_link().state, delivery_states()) == (LinkState.DOWN, {DeliveryState.PENDING: 30})
    target.up()
    queue = django_rq.get_queue("default")
    queue.empty()
    woken = [("hub.flows.jobs.deliver_flow", (flow.pk,))]

    with django_capture_on_commit_callbacks(execute=True):  # django-rq enqueues when the data is committed
        assert link_succeeded(system=System.objects.get(name="Target")) is True
    assert [(job.func_name, job.args) for job in queue.jobs] == woken

    queue.empty()
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_wake(timezone.now()) == 1
    assert [(job.func_name, job.args) for job in queue.jobs] == woken
    queue.empty()
