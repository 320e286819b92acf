from __future__ import annotations

import pytest

from hub.configuration.importer import ConfigImportError, config_import
from tests.configuration.conftest import Hub, line_of, snapshot

BILLING = """  - name: Billing
    kind: http_json
    settings: {base_url: "http://127.0.0.1:8102"}
entities:
"""

# (text to replace, its replacement, text on the line at fault, the error after "line N: ")
CASES = [
    (
        "base_url: https://erp.example.com/api",
        "base_url: ftp://erp.example.com",
        "ftp://",
        "systems[1].settings.base_url: expected an address starting with http:// or https://",
    ),
    (
        "    owner_team: IT",
        "    owner_tema: IT",
        "owner_tema",
        "systems[0].owner_tema: unknown key 'owner_tema': did you mean 'owner_team'? known keys here: "
        "name, kind, description, owner_team, contact, environment, status, read_only, settings, secrets",
    ),
    (
        "    read_path: /customers",
        "    read_path: /customers\n      bearer_token: tok-in-plain-text",
        "tok-in-plain-text",
        "systems[0].settings.bearer_token: is a secret: set it with set_secret or the admin, "
        "never in plain text",
    ),
    (
        "secrets: [bearer_token]",
        "secrets: []",
        "settings:",
        "systems[0].settings.bearer_token: 'Bearer token' is required when auth_style is bearer",
    ),
    (
        "secrets: [bearer_token]",
        "secrets: [bearer_token, token]",
        "secrets: [bearer_token, token]",
        "systems[0].secrets[1]: 'token' is not a secret of http_json (its secrets: api_key, bearer_token, "
        "oauth2_client_secret, password)",
    ),
    (
        "  - name: Customer\n",
        "  - name: customer\n",
        "name: customer",
        "entities[1].name: Use a name like 'Customer' or 'SalesOrder'.",
    ),
    (
        "{name: account, type: reference, reference: Account}",
        "{name: account, type: reference, reference: Acount}",
        "reference: Acount",
        "entities[1].fields[3].reference: unknown entity 'Acount': it is neither in this file nor in the hub",
    ),
    (
        "{source: level, target: tier, transforms: [lower]}",
        "{source: level, target: level, transforms: [lower]}",
        "target: level",
        "mappings[0].rules[1].target: 'level' is not a field of Customer "
        "(its fields: account, email, name, tier).",
    ),
    (
        "          - {source: full_name, target: name}\n  - system: ERP",
        "          - {source: full_name, target: full_name}\n  - system: ERP",
        "number: 1",
        "mappings[0].versions[0]: version 1 of CRM → Customer was published already with other rules; "
        "versions cannot be changed: publish a new number",
    ),
    (
        "{entity: Customer, field: tier, system: ERP}",
        "{entity: Customer, field: tier, system: ERP}\n  - {entity: Customer, field: tier, system: CRM}",
        "field: tier, system: CRM",
        "source_of_truth[2]: a source of truth for field Customer.tier appears twice in the file "
        "(first at line 59)",
    ),
    (
        "fields: [email, name]",
        "fields: [email, nom]",
        "fields: [email, nom]",
        "flows[0].fields[1]: 'nom' is not a field of Customer",
    ),
    (
        "freshness_minutes: 60",
        "freshness_minutes: soon",
        "freshness_minutes",
        "flows[0].freshness_minutes: expected a whole number",
    ),
    (
        "    interval_minutes: 15\n",
        "",
        "- name: Customers to ERP",
        "flows[0].interval_minutes: Say how many minutes apart the runs should be.",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "at", "message"), CASES, ids=[case[3].split(":")[0] for case in CASES]
)
def test_an_error_is_reported_at_its_line_and_nothing_changes(
    hub: Hub, exported: str, old: str, new: str, at: str, message: str
) -> None:
    assert old in exported
    text = exported.replace(old, new, 1)
    before = snapshot()

    with pytest.raises(ConfigImportError) as caught:
        config_import(text=text, dry_run=False)

    assert caught.value.errors == [f"line {line_of(text, at)}: {message}"]
    assert snapshot() == before


def test_an_error_in_the_last_flow_after_valid_new_systems_changes_nothing(hub: Hub, exported: str) -> None:
    text = exported.replace("entities:\n", BILLING, 1).replace("targets: [ERP]", "targets: [ERP, Billing]")
    before = snapshot()

    with pytest.raises(ConfigImportError) as caught:
        config_import(text=text, dry_run=False)

    assert caught.value.errors == [
        f"line {line_of(text, 'targets: [ERP, Billing]')}: flows[0].targets: "
        "No outbound mapping for Customer to: Billing. Add one under Mappings."
    ]
    assert snapshot() == before


def test_every_error_is_collected_in_line_order(hub: Hub, exported: str) -> None:
    text = (
        exported.replace("environment: staging", "environment: moon", 1)
        .replace("  - name: ERP\n", "  - name: CRM\n")
        .replace("source: CRM", "source: Nowhere")
    )

    with pytest.raises(ConfigImportError) as caught:
        config_import(text=text, dry_run=True)

    assert caught.value.errors == [
        f"line {line_of(text, 'moon')}: systems[0].environment: Value 'moon' is not a valid choice.",
        f"line {line_of(text, '- name: CRM', after='moon')}: systems[1]: "
        "system 'CRM' appears twice in the file (first at line 3)",
        f"line {line_of(text, 'source: Nowhere')}: flows[0].source: "
        "unknown system 'Nowhere': it is neither in this file nor in the hub",
    ]


def test_a_yaml_syntax_error_gives_its_line_and_column(hub: Hub, exported: str) -> None:
    text = exported.replace("  - {name: number", "  - {name: [number", 1)

    with pytest.raises(ConfigImportError) as caught:
        config_import(text=text, dry_run=False)

    (error,) = caught.value.errors
    assert error.startswith(f"line {line_of(text, '[number')}, column ")
    assert "not valid YAML" in error


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "line 1: the file is empty: expected 'version: 1' and the sections of the configuration"),
        ("version: 2\n", "line 1: version: unsupported version 2: this hub reads version 1"),
        ("version: 1\nsystems: CRM\n", "line 2: systems: expected a list of items, each starting with '- '"),
        ("version: 1\nversion: 1\n", "line 2: version: this key appears twice in the same place"),
        ("- CRM\n", "line 1: expected an item written as 'key: value' lines"),
        ("systems: []\n", "line 1: 'version' is required"),
    ],
)
def test_the_document_itself_must_have_the_right_shape(db: object, text: str, error: str) -> None:
    with pytest.raises(ConfigImportError) as caught:
        config_import(text=text, dry_run=False)

    assert caught.value.errors == [error]
