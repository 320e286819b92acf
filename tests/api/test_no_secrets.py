"""No key, key hash or system secret in any answer of the API, in its errors, or in the audit trail."""

from __future__ import annotations

from auditlog.models import LogEntry

from hub.api.models import ApiKey
from hub.catalog.models import Record
from hub.flows.models import DeadLetter, Flow, Run
from hub.flows.runs import run_execute
from tests.api.conftest import TARGET_TOKEN, order
from tests.api.test_push import push


def every_answer(client, keys) -> list[str]:
    acme = keys.header("acme_orders")
    batch = push(client, keys, {"records": [order(1), order(2)]}).json()["batch"]
    run_execute(Run.objects.get().pk, worker="test")
    flow = Flow.objects.get(name="Orders from partners")
    nightly = Flow.objects.get(name="Nightly orders")
    record = Record.objects.get(natural_key="SO-1")
    letter = DeadLetter.objects.get()
    prefix = keys.rows["acme"].prefix
    calls = [
        client.get("/api/v1/flows/", headers=acme),
        client.get("/api/v1/entities/", headers=acme),
        client.get("/api/v1/entities/Order/records/", headers=acme),
        client.get(f"/api/v1/entities/Order/records/{record.pk}/", headers=acme),
        client.get(f"/api/v1/batches/{batch}/", headers=acme),
        client.get("/api/v1/dead-letters/", headers=acme),
        client.post(f"/api/v1/dead-letters/{letter.pk}/replay/", headers=acme),
        client.post(f"/api/v1/flows/{nightly.pk}/runs/", headers=acme),
        push(client, keys, {"records": [order(9)]}),  # the same key, another body: 409
        client.post(
            f"/api/v1/flows/{flow.pk}/batches/", data="{", content_type="application/json", headers=acme
        ),
        client.get("/api/v1/flows/", headers={"Authorization": f"Api-Key {prefix}.wrong"}),
        client.get("/api/v1/flows/", headers={"Authorization": f"Api-Key {keys.acme_orders}x"}),
        client.get("/api/v1/nowhere/", headers=acme),
        client.get("/api/v1/schema/"),
        client.get("/api/v1/docs/"),
    ]
    return [
        f"{response.status_code} {dict(response.items())} {response.content.decode()}" for response in calls
    ]


def test_no_answer_and_no_audit_entry_holds_a_secret(client, keys, world):
    world.reject_when(lambda item: item.get("key") == "SO-2")
    answers = every_answer(client, keys)
    assert any(answer.startswith("409") for answer in answers)
    trail = " ".join(
        f"{e.changes} {e.additional_data} {e.object_repr} {e.cid}" for e in LogEntry.objects.all()
    )

    secrets = [keys.acme_orders, keys.globex_customers, TARGET_TOKEN]
    for key in ApiKey.objects.all():
        secrets += [key.hashed_key, key.hashed_key.rpartition("$")[2], key.hashed_key.rpartition("$")[2][:16]]
    for secret in secrets:
        for answer in answers:
            assert secret not in answer
        assert secret not in trail
