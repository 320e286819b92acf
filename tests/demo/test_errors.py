from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
import requests

from demo.samples.server import MAX_BODY_BYTES
from tests.demo.clients import TIMEOUT, Client


def _raw_post(client: Client, path: str, data: bytes) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    return client.session.post(f"{client.base_url}{path}", data=data, headers=headers, timeout=TIMEOUT)


@pytest.mark.parametrize("path", ["/nope", "/api/v2/invoices", "/v1/customers", "/api/contacts/C-1001"])
def test_an_unknown_path_is_a_json_404(crm: Client, erp: Client, billing: Client, path: str) -> None:
    for client in (crm, erp, billing):
        response = client.get(path)
        assert response.status_code == 404
        assert path in response.json()["error"]


def test_a_wrong_method_is_a_405_with_allow(erp: Client) -> None:
    response = erp.session.delete(f"{erp.base_url}/api/v2/orders", timeout=TIMEOUT)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"


def test_an_unknown_method_is_a_json_501(crm: Client) -> None:
    response = crm.session.request("BREW", f"{crm.base_url}/api/contacts", timeout=TIMEOUT)
    assert response.status_code == 501
    assert "BREW" in response.json()["error"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"first_name": "Anna",}', "malformed JSON body: Expecting property name"),
        (b"", "request body is empty"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b'[{"id": "C-1001"}]', "expected a JSON object, got an array"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_problem(crm: Client, data: bytes, expected: str) -> None:
    response = _raw_post(crm, "/api/contacts", data)
    assert response.status_code == 400
    assert expected in response.json()["error"]
    assert crm.state()["writes"] == 0


def test_a_batch_must_be_an_array_of_objects(crm: Client) -> None:
    response = _raw_post(crm, "/api/contacts/batch", b'{"id": "C-1001"}')
    assert response.status_code == 400
    assert "array" in response.json()["error"]


def test_an_oversized_body_is_refused_before_it_is_read(billing: Client) -> None:
    url = urlsplit(billing.base_url)
    assert url.hostname
    assert url.port
    head = f"POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n\r\n"
    with socket.create_connection((url.hostname, url.port), timeout=TIMEOUT) as connection:
        connection.sendall(head.encode())
        status_line = connection.makefile("rb").readline()
    assert status_line.startswith(b"HTTP/1.1 413 ")


@pytest.mark.parametrize(
    ("params", "name"),
    [({"page": "two"}, "page"), ({"per_page": "1000"}, "per_page"), ({"page": "0"}, "page")],
)
def test_a_bad_paging_parameter_is_a_400_naming_it(crm: Client, params: dict[str, str], name: str) -> None:
    response = crm.get("/api/contacts", **params)
    assert response.status_code == 400
    assert response.json()["error"].startswith(name)


def test_erp_limits_are_checked(erp: Client) -> None:
    assert erp.get("/api/v2/orders", offset=-1).status_code == 400
    assert erp.get("/api/v2/orders", limit=201).status_code == 400


def test_the_connection_survives_an_error(crm: Client) -> None:
    # The server speaks HTTP/1.1 keep-alive: an error must not desynchronise the next request.
    assert _raw_post(crm, "/api/contacts", b"{").status_code == 400
    assert crm.get("/api/status").status_code == 200
