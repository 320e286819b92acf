from __future__ import annotations

import time

import pytest
import requests

from demo.samples.crm import CrmSystem
from demo.samples.protocol import ApiError, Request
from tests.demo.clients import SECRETS, Client


def test_down_answers_503_until_set_up_again(crm: Client) -> None:
    assert crm.control("outage", {"mode": "down", "status": 503}).status_code == 200
    for _ in range(3):
        response = crm.get("/api/status")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        assert "error" in response.json()
    assert crm.state()["outage"]["mode"] == "down"  # control endpoints keep answering
    crm.control("outage", {"mode": "up"})
    assert crm.get("/api/status").status_code == 200


def test_down_refuses_writes_and_counts_none(erp: Client) -> None:
    erp.control("outage", {"mode": "down", "status": 500})
    response = erp.post("/api/v2/customers", {"customer_no": "K-2001", "tel": "1"}, idempotency_key="k")
    assert response.status_code == 500
    assert erp.state()["writes"] == 0


def test_every_second_request_fails_when_asked(billing: Client) -> None:
    billing.control("outage", {"mode": "down", "status": 503, "every": 2})
    codes = [billing.get("/api/status").status_code for _ in range(4)]
    assert codes == [503, 200, 503, 200]


def test_slow_delays_answers(crm: Client) -> None:
    crm.control("outage", {"mode": "slow", "delay": 0.6})
    with pytest.raises(requests.Timeout):
        crm.session.get(f"{crm.base_url}/api/status", timeout=0.2)
    started = time.monotonic()
    assert crm.get("/api/status").status_code == 200
    assert time.monotonic() - started >= 0.6
    crm.control("outage", {"mode": "up"})


def test_slow_defaults_to_two_seconds(crm: Client) -> None:
    assert crm.control("outage", {"mode": "slow"}).json() == {
        "mode": "slow",
        "status": 503,
        "every": 1,
        "delay": 2.0,
    }
    crm.control("outage", {"mode": "up"})


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"mode": "sideways"},
        {"mode": "down", "status": 200},
        {"mode": "down", "every": 0},
        {"mode": "slow", "delay": "2"},
    ],
)
def test_a_bad_outage_request_is_a_400(crm: Client, body: dict[str, object]) -> None:
    assert crm.control("outage", body).status_code == 400
    assert crm.state()["outage"]["mode"] == "up"


def test_reset_restores_the_seed_and_forgets_writes_replies_and_outages(crm: Client) -> None:
    crm.post("/api/contacts", {"first_name": "Temp"}, idempotency_key="once")
    crm.post("/api/contacts", {"id": "C-1001", "email": ""})
    crm.control("outage", {"mode": "down"})
    assert crm.control("reset").json() == {"reset": True, "contacts": 20}
    state = crm.state()
    assert (state["writes"], state["write_log"], state["outage"]["mode"]) == (0, [], "up")
    contacts = {c["id"]: c for c in state["records"]["contacts"]}
    assert "C-1021" not in contacts
    assert contacts["C-1001"]["email"] == "anna.schmidt@example.com"
    # The idempotency key was forgotten too: the same key writes again.
    assert crm.post("/api/contacts", {"first_name": "Temp"}, idempotency_key="once").status_code == 201


def test_state_lists_every_resource(erp: Client) -> None:
    state = erp.state()
    assert state["system"] == "erp"
    assert {name: len(records) for name, records in state["records"].items()} == {
        "customers": 16,
        "orders": 18,
        "products": 15,
    }


def test_control_endpoints_answer_on_loopback_only() -> None:
    system = CrmSystem(SECRETS)
    remote = Request("GET", "/_control/state", {}, {}, b"", client_host="192.0.2.10")
    with pytest.raises(ApiError) as refused:
        system.handle(remote)
    assert refused.value.status == 403
    local = Request("GET", "/_control/state", {}, {}, b"", client_host="127.0.0.1")
    assert system.handle(local).status == 200
