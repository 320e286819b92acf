import pytest

from hub.mappings.paths import MISSING, get_path, parse_path, set_path, validate_path

ORDER = {
    "number": "SO-1001",
    "customer": {"address": {"city": "Berlin", "zip": None}},
    "lines": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}],
    "2024": {"total": "99.00"},
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("number", "SO-1001"),
        ("customer.address.city", "Berlin"),
        ("customer.address.zip", None),
        ("lines.0.sku", "A-1"),
        ("lines[1].sku", "B-7"),
        ("2024.total", "99.00"),
        ("lines.2.sku", MISSING),
        ("customer.phone", MISSING),
        ("number.length", MISSING),
        ("customer.address.zip.code", MISSING),
    ],
)
def test_get_path(path: str, expected: object) -> None:
    assert get_path(ORDER, path) == expected


def test_brackets_hold_list_positions_only() -> None:
    with pytest.raises(ValueError, match="expected a list position"):
        get_path(ORDER, "lines[1][qty]")


def test_both_list_syntaxes_are_the_same_path() -> None:
    assert parse_path("lines[0].sku") == parse_path("lines.0.sku") == ("lines", 0, "sku")


def test_keys_may_contain_spaces_and_dashes() -> None:
    assert get_path({"E-Mail Adresse": "a@b.de"}, "E-Mail Adresse") == "a@b.de"


def test_set_path_creates_nested_objects_and_lists() -> None:
    record: dict[str, object] = {}
    set_path(record, "address.city", "Berlin")
    set_path(record, "lines[1].sku", "B-7")
    set_path(record, "lines.0.sku", "A-1")
    assert record == {"address": {"city": "Berlin"}, "lines": [{"sku": "A-1"}, {"sku": "B-7"}]}


def test_set_path_keeps_existing_siblings() -> None:
    record: dict[str, object] = {"address": {"zip": "10115"}}
    set_path(record, "address.city", "Berlin")
    assert record == {"address": {"zip": "10115", "city": "Berlin"}}


def test_set_path_refuses_to_overwrite_a_plain_value_with_an_object() -> None:
    record: dict[str, object] = {"name": "Anna"}
    with pytest.raises(ValueError, match="'name' already holds a value that is not an object"):
        set_path(record, "name.first", "Anna")


def test_set_path_refuses_huge_list_positions() -> None:
    with pytest.raises(ValueError, match="list positions stop at 9999"):
        set_path({}, "lines.100000000.sku", "x")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "the path is empty"),
        ("   ", "the path is empty"),
        ("address..city", "empty part at position 9"),
        (".city", "empty part at position 1"),
        ("address.", "ends with a dot"),
        ("lines[x].sku", "expected a list position .* got 'x'"),
        ("lines[0", "without its partner"),
        ("lines0]", "without its partner"),
        ("lines[0]sku", "put a dot between"),
        ("[0].sku", "starts with a list position"),
        ("address. city", "starts or ends with a space"),
    ],
)
def test_validate_path_explains_what_is_wrong(path: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_path(path)


@pytest.mark.parametrize(
    "path", ["email", "address.city", "lines.0.sku", "lines[0].sku", "a[0][1]", "Kunden Nr"]
)
def test_validate_path_accepts_good_paths(path: str) -> None:
    validate_path(path)
