from __future__ import annotations

import hashlib

from connectors.base import AuthenticationError, OutgoingRecord, RemoteError, UnreachableError
from tests.connectors.personas import values
from tests.connectors.servers import Reply, Seen, refused_port

BATCH = [
    OutgoingRecord("run7-rec1", {"name": "Ada"}),
    OutgoingRecord("run7-rec2", {"name": "Grace"}),
    OutgoingRecord("run7-rec3", {"name": "Linus"}),
]


def created(seen: Seen) -> Reply:
    return Reply(201, {"data": {"id": f"crm-{seen.json()['name']}"}})


def push_values(url: str, **overrides):
    return values(url, push_path="/customers", push_id_path="data.id") | overrides


def test_one_by_one_sends_each_record_with_its_key(api, make_connector):
    api.on("POST", "/customers", created)
    outcomes = make_connector(push_values(api.url)).push(BATCH)
    assert [seen.json() for seen in api.seen] == [record.payload for record in BATCH]
    assert [seen.headers["idempotency-key"] for seen in api.seen] == [r.idempotency_key for r in BATCH]
    assert [(o.idempotency_key, o.ok, o.external_id) for o in outcomes] == [
        ("run7-rec1", True, "crm-Ada"),
        ("run7-rec2", True, "crm-Grace"),
        ("run7-rec3", True, "crm-Linus"),
    ]


def test_the_record_id_can_be_part_of_the_path(api, make_connector):
    api.on("PUT", "/customers/crm%2F42", Reply(200, {}))
    connector = make_connector(push_values(api.url, push_path="/customers/{external_id}", push_method="PUT"))
    record = OutgoingRecord("k1", {"name": "Ada"}, external_id="crm/42")
    [outcome] = connector.push([record])
    assert outcome.ok
    assert outcome.external_id == "crm/42"
    assert api.seen[0].method == "PUT"


def test_a_record_without_id_for_an_id_path_fails_alone(api, make_connector):
    api.on("PATCH", "/customers/7", Reply(204))
    connector = make_connector(
        push_values(api.url, push_path="/customers/{external_id}", push_method="PATCH")
    )
    outcomes = connector.push([OutgoingRecord("k1", {}), OutgoingRecord("k2", {}, external_id="7")])
    assert [o.ok for o in outcomes] == [False, True]
    assert outcomes[0].error is not None
    assert outcomes[0].error.permanent


def test_a_rejected_record_is_reported_not_raised(api, make_connector):
    def picky(seen: Seen) -> Reply:
        if seen.json()["name"] == "Grace":
            return Reply(422, {"error": "email is required"})
        return created(seen)

    api.on("POST", "/customers", picky)
    outcomes = make_connector(push_values(api.url)).push(BATCH)
    assert [o.ok for o in outcomes] == [True, False, True]
    error = outcomes[1].error
    assert isinstance(error, RemoteError)
    assert error.permanent
    assert "email is required" in error.message


def test_a_transient_failure_is_reported_as_transient(api, make_connector):
    answers = iter([Reply(201, {}), Reply(503, {}), Reply(201, {})])
    api.on("POST", "/customers", lambda seen: next(answers))
    outcomes = make_connector(push_values(api.url)).push(BATCH)
    assert [o.ok for o in outcomes] == [True, False, True]
    assert outcomes[1].error is not None
    assert not outcomes[1].error.permanent


def test_refused_credentials_stop_the_batch(api, make_connector):
    api.on("POST", "/customers", Reply(401, {}))
    outcomes = make_connector(push_values(api.url)).push(BATCH)
    assert len(api.seen) == 1
    assert [o.ok for o in outcomes] == [False, False, False]
    assert all(isinstance(o.error, AuthenticationError) for o in outcomes)


def test_an_unreachable_system_marks_every_record(make_connector):
    connector = make_connector(push_values(f"http://127.0.0.1:{refused_port()}"))
    outcomes = connector.push(BATCH)
    assert [o.idempotency_key for o in outcomes] == [r.idempotency_key for r in BATCH]
    assert all(isinstance(o.error, UnreachableError) and not o.ok for o in outcomes)


def test_batch_mode_sends_one_request_with_a_batch_key(api, make_connector):
    api.on("POST", "/customers", lambda seen: Reply(200, [{"data": {"id": f"c{n}"}} for n in range(3)]))
    outcomes = make_connector(push_values(api.url, push_mode="batch")).push(BATCH)
    [seen] = api.seen
    assert seen.json() == [record.payload for record in BATCH]
    digest = hashlib.sha256(b"run7-rec1\nrun7-rec2\nrun7-rec3").hexdigest()[:32]
    assert seen.headers["idempotency-key"] == f"run7-rec1:{digest}"
    assert [(o.ok, o.external_id) for o in outcomes] == [(True, "c0"), (True, "c1"), (True, "c2")]


def test_batch_key_changes_with_the_records(api, make_connector):
    api.on("POST", "/customers", Reply(200, {}))
    connector = make_connector(push_values(api.url, push_mode="batch"))
    connector.push(BATCH)
    connector.push(BATCH)
    connector.push(BATCH[:2])
    keys = [seen.headers["idempotency-key"] for seen in api.seen]
    assert keys[0] == keys[1] != keys[2]


def test_batch_mode_reports_the_records_the_system_rejected(api, make_connector):
    items = [{"data": {"id": "c0"}}, {"error": "duplicate email"}, {"data": {"id": "c2"}}]
    api.on("POST", "/customers", Reply(207, items))
    outcomes = make_connector(push_values(api.url, push_mode="batch")).push(BATCH)
    assert [o.ok for o in outcomes] == [True, False, True]
    assert outcomes[1].error is not None
    assert "duplicate email" in outcomes[1].error.message


def test_a_failed_batch_marks_every_record(api, make_connector):
    api.on("POST", "/customers", Reply(500, {}))
    outcomes = make_connector(push_values(api.url, push_mode="batch")).push(BATCH)
    assert len(api.seen) == 1
    assert [o.ok for o in outcomes] == [False, False, False]
    assert all(o.error is not None and not o.error.permanent for o in outcomes)


def test_the_idempotency_header_name_is_configurable(api, make_connector):
    api.on("POST", "/customers", Reply(201, {}))
    make_connector(push_values(api.url, idempotency_header="X-Request-Id")).push(BATCH[:1])
    assert api.seen[0].headers["x-request-id"] == "run7-rec1"
    assert "idempotency-key" not in api.seen[0].headers


def test_an_empty_batch_sends_nothing(api, make_connector):
    assert make_connector(push_values(api.url, push_mode="batch")).push([]) == []
    assert api.seen == []
