import pytest

from hub.mappings.transforms import MappingSyntaxError, RuleSpec, apply_rules, compile_rules, rule_errors


def test_missing_source_gives_none_not_an_error() -> None:
    result = apply_rules([RuleSpec("fax", "fax", ["trim"])], {"name": "Anna"})
    assert result.values == {"fax": None}
    assert result.ok


def test_a_missing_source_still_runs_the_chain() -> None:
    rules = [
        RuleSpec("city", "city", ["trim", "default: Unknown"]),
        RuleSpec("x.y", "currency", ["constant: EUR"]),
    ]
    assert apply_rules(rules, {"x": None}).values == {"city": "Unknown", "currency": "EUR"}


def test_nested_targets_build_nested_records_for_outbound() -> None:
    rules = [
        RuleSpec("city", "address.city", ["upper"]),
        RuleSpec("sku", "lines[0].sku"),
        RuleSpec("", "currency", ["constant: EUR"]),
    ]
    result = apply_rules(rules, {"city": "Berlin", "sku": "A-1"})
    assert result.values == {"address": {"city": "BERLIN"}, "lines": [{"sku": "A-1"}], "currency": "EUR"}


def test_nested_sources_read_objects_and_lists() -> None:
    order = {"customer": {"email": " X@Y.DE "}, "lines": [{"sku": "A-1"}]}
    rules = [RuleSpec("customer.email", "email", ["email"]), RuleSpec("lines.0.sku", "first_sku")]
    assert apply_rules(rules, order).values == {"email": "x@y.de", "first_sku": "A-1"}


def test_one_failing_rule_does_not_stop_the_others() -> None:
    rules = [
        RuleSpec("phone", "phone", ["phone: DE"]),
        RuleSpec("born", "birthday", ["date: %d.%m.%Y"]),
        RuleSpec("name", "name", ["trim"]),
    ]
    result = apply_rules(rules, {"phone": "n/a", "born": "1990-05-01", "name": " Anna "})
    assert result.values == {"name": "Anna"}
    assert result.errors == {
        "phone": [
            "step 1 'phone: DE': 'n/a' does not look like a phone number "
            "(numbers without a country code are read as DE)"
        ],
        "birthday": ["step 1 'date: %d.%m.%Y': '1990-05-01' does not match %d.%m.%Y"],
    }


def test_template_rules_read_the_source_record() -> None:
    rules = [RuleSpec("", "full_name", ["template: {first} {last}", "title"])]
    assert apply_rules(rules, {"first": "anna", "last": "SCHMIDT"}).values == {"full_name": "Anna Schmidt"}


def test_compile_lists_every_wrong_rule_by_target() -> None:
    rules = [
        RuleSpec("a..b", "x", ["trim"]),
        RuleSpec("born", "birthday", ["trim", "date: %q"]),
        RuleSpec("ok", "fine", ["trim"]),
    ]
    with pytest.raises(MappingSyntaxError) as caught:
        compile_rules(rules)
    assert caught.value.errors == {
        "x": ["source: path 'a..b' has an empty part at position 3"],
        "birthday": ["step 2 'date: %q': unknown directive %q; expected a strptime format such as %d.%m.%Y"],
    }


@pytest.mark.parametrize(
    ("first", "second"), [("name", "name"), ("name", "name.first"), ("lines[0]", "lines.0.sku")]
)
def test_two_rules_may_not_write_the_same_place(first: str, second: str) -> None:
    with pytest.raises(MappingSyntaxError) as caught:
        compile_rules([RuleSpec("a", first), RuleSpec("b", second)])
    assert caught.value.errors == {second: [f"target: '{first}' is already written by another rule"]}


def test_rule_errors_for_the_admin_form() -> None:
    assert rule_errors(RuleSpec("email", "email", ["trim", "email"])) == []
    assert rule_errors(RuleSpec("", "", ["phone: Germany"])) == [
        "target: the path is empty; write a field name such as 'email' or 'address.city'",
        "step 1 'phone: Germany': unknown country code 'Germany'; expected a two-letter country code such as "
        "'phone: DE'",
    ]


def test_a_too_large_list_position_is_reported_not_raised() -> None:
    result = apply_rules([RuleSpec("sku", "lines.20000.sku")], {"sku": "A"})
    assert result.errors == {"lines.20000.sku": ["cannot set 'lines.20000.sku': list positions stop at 9999"]}


def test_compiled_mapping_applies_to_many_records_without_reparsing() -> None:
    mapping = compile_rules([RuleSpec("status", "status", ["value_map: A=active; *=inactive"])])
    results = [mapping.apply({"status": code}).values["status"] for code in ("A", "B", "a")]
    assert results == ["active", "inactive", "active"]
