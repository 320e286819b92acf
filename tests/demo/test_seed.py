"""The dirty cases the demo relies on are really in the seed data (and only the documented breakers break)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from demo.samples.billing import BillingSystem
from demo.samples.crm import CrmSystem
from demo.samples.erp import ErpSystem
from demo.samples.seeds import billing as billing_seed
from demo.samples.seeds import crm as crm_seed
from demo.samples.seeds import erp as erp_seed
from demo.samples.system import SampleSystem
from demo.samples.timefmt import parse_erp, parse_iso
from tests.demo.clients import Client, walk_billing, walk_crm, walk_erp

SYSTEMS: list[tuple[type[SampleSystem], Any]] = [
    (CrmSystem, crm_seed),
    (ErpSystem, erp_seed),
    (BillingSystem, billing_seed),
]
BREAKERS = {
    "crm": {"contacts": ["C-1013"]},
    "erp": {"orders": ["SO-5013"]},
    "billing": {"accounts": ["B-313"]},
}


def _by(records: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {record[key]: record for record in records}


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


@pytest.mark.parametrize(("system_class", "module"), SYSTEMS)
def test_only_the_documented_records_break_the_schema(system_class: type[SampleSystem], module: Any) -> None:
    data = module.seed()
    for spec in system_class.resources:
        broken = [record[spec.key_field] for record in data[spec.name] if spec.validate(record) is not None]
        assert broken == BREAKERS[system_class.name].get(spec.name, []), spec.name
        for key in broken:
            assert key in module.__doc__  # the docstring the demo's README points at names it


@pytest.mark.parametrize(("system_class", "module"), SYSTEMS)
def test_the_seed_is_deterministic_fresh_and_sized_for_a_demo(
    system_class: type[SampleSystem], module: Any
) -> None:
    first, second = module.seed(), module.seed()
    assert first == second
    for spec in system_class.resources:
        records = first[spec.name]
        assert 15 <= len(records) <= 30
        assert len({record[spec.key_field] for record in records}) == len(records)
        for record in records:
            spec.parse_time(record[spec.timestamp_field])  # every timestamp parses, so filters work
    next(iter(first.values()))[0]["changed"] = True
    assert "changed" not in next(iter(module.seed().values()))[0]


def test_the_schema_breakers_are_served(crm: Client, erp: Client, billing: Client) -> None:
    contact = _by(walk_crm(crm, 100), "id")["C-1013"]
    assert (contact["first_name"], contact["email"]) == (42, "not-an-email")
    assert _by(walk_erp(erp, "orders", 100), "order_no")["SO-5013"]["total"] == "abc"
    assert _by(walk_billing(billing, "accounts", 100), "account_id")["B-313"]["balance_cents"] == "lots"


def test_the_same_customer_appears_with_small_differences() -> None:
    contacts = _by(crm_seed.seed()["contacts"], "id")
    customer = _by(erp_seed.seed()["customers"], "customer_no")["K-2001"]
    account = _by(billing_seed.seed()["accounts"], "account_id")["B-301"]
    anna, again = contacts["C-1001"], contacts["C-1017"]
    emails = [anna["email"], again["email"], customer["contact_email"], account["customer_email"]]
    phones = [anna["phone"], again["phone"], customer["tel"], account["phone_number"]]
    assert len(set(emails)) == 4
    assert len({email.strip().lower() for email in emails}) == 1
    assert len(set(phones)) == 4
    assert all(_digits(phone).endswith("301234567") for phone in phones)
    assert (again["first_name"], again["last_name"]) == ("anna", "schmidt ")
    assert account["billing_address"]["name"] == "A. Schmidt"
    assert customer["name"] == anna["company"] == again["company"].strip()


def test_missing_emails_are_null_or_empty() -> None:
    contacts = _by(crm_seed.seed()["contacts"], "id")
    customers = _by(erp_seed.seed()["customers"], "customer_no")
    accounts = _by(billing_seed.seed()["accounts"], "account_id")
    assert (contacts["C-1005"]["email"], contacts["C-1009"]["email"]) == (None, "")
    assert (customers["K-2008"]["contact_email"], customers["K-2007"]["contact_email"]) == (None, "")
    assert (accounts["B-305"]["customer_email"], accounts["B-309"]["customer_email"]) == (None, "")


def test_phone_numbers_come_in_many_shapes() -> None:
    phones = [contact["phone"] for contact in crm_seed.seed()["contacts"] if contact["phone"]]
    shapes = {re.sub(r"\d+", "9", phone) for phone in phones}
    assert {"+9 9 9", "+9", "9/9", "(9) 9 9", "9-9", "9"} <= shapes


def test_the_crm_address_is_outdated_and_the_erp_one_is_newer() -> None:
    old = _by(crm_seed.seed()["contacts"], "id")["C-1002"]
    new = _by(erp_seed.seed()["customers"], "customer_no")["K-2002"]
    assert old["company"] == new["name"]
    assert old["address"]["street"] != new["street"]
    assert parse_erp(new["modified"]) > parse_iso(old["updated_at"])
