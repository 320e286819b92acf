"""A dirty contact from a CRM export, mapped through a full rule set and validated as a Contact."""

from hub.catalog.schema import EntitySchema, FieldSpec, FieldType, clean_record, natural_key
from hub.mappings.transforms import RuleSpec, compile_rules

CONTACT = EntitySchema(
    "Contact",
    (
        FieldSpec("email", FieldType.EMAIL, required=True, natural_key=True),
        FieldSpec("first_name", FieldType.TEXT, required=True),
        FieldSpec("last_name", FieldType.TEXT, required=True),
        FieldSpec("full_name", FieldType.TEXT),
        FieldSpec("phone", FieldType.PHONE),
        FieldSpec("status", FieldType.ENUM, enum_values=("active", "inactive", "unknown")),
        FieldSpec("credit_limit", FieldType.DECIMAL),
        FieldSpec("employees", FieldType.INTEGER),
        FieldSpec("newsletter", FieldType.BOOLEAN),
        FieldSpec("born", FieldType.DATE),
        FieldSpec("last_contact", FieldType.DATETIME),
        FieldSpec("city", FieldType.TEXT),
        FieldSpec("country", FieldType.TEXT, required=True, format_rule="[A-Z]{2}"),
        FieldSpec("currency", FieldType.TEXT),
        FieldSpec("account", FieldType.REFERENCE, reference_entity="Account"),
    ),
)

CRM_RULES = [
    RuleSpec("E-Mail", "email", ["email"]),
    RuleSpec("Name", "first_name", ["split: sep=' '; index=0", "title"]),
    RuleSpec("Name", "last_name", ["split: sep=' '; index=-1", "title"]),
    RuleSpec("", "full_name", ["template: {Name}", "title"]),
    RuleSpec("Telefon", "phone", ["trim", "phone: DE"]),
    RuleSpec("Status", "status", ["trim", "value_map: A=active; I=inactive; *=unknown"]),
    RuleSpec("Kreditlimit", "credit_limit", ["decimal: de_DE"]),
    RuleSpec("Mitarbeiter", "employees", ["to_integer"]),
    RuleSpec("Newsletter", "newsletter", ["to_boolean"]),
    RuleSpec("Geburtstag", "born", ["date: %d.%m.%Y | %Y-%m-%d"]),
    RuleSpec("Letzter Kontakt", "last_contact", ["datetime: %d.%m.%Y %H:%M; tz=Europe/Berlin"]),
    RuleSpec("Adresse.Ort", "city", ["trim", "title"]),
    RuleSpec("Adresse.Land", "country", ["trim", "upper", "default: DE"]),
    RuleSpec("", "currency", ["constant: EUR"]),
    RuleSpec("Firma[0].id", "account", []),
]

DIRTY_CONTACT = {
    "E-Mail": "  Anna.Schmidt@Example.COM ",
    "Name": "  anna SCHMIDT ",
    "Telefon": "(030) 1234567",
    "Status": " a",
    "Kreditlimit": "1.234,50",
    "Mitarbeiter": " 12 ",
    "Newsletter": "Ja",
    "Geburtstag": "01.02.1990",
    "Letzter Kontakt": "20.11.2026 10:00",
    "Adresse": {"Ort": "  BERLIN", "Land": ""},
    "Firma": [{"id": 4711}],
    "Notiz": "ignored: no rule reads it",
}


def test_a_dirty_crm_contact_becomes_a_clean_canonical_contact() -> None:
    mapped = compile_rules(CRM_RULES).apply(DIRTY_CONTACT)
    assert mapped.errors == {}
    cleaned = clean_record(CONTACT, mapped.values)
    assert cleaned.errors == {}
    assert cleaned.values == {
        "email": "anna.schmidt@example.com",
        "first_name": "Anna",
        "last_name": "Schmidt",
        "full_name": "Anna Schmidt",
        "phone": "+49301234567",
        "status": "active",
        "credit_limit": "1234.50",
        "employees": 12,
        "newsletter": True,
        "born": "1990-02-01",
        "last_contact": "2026-11-20T09:00:00Z",
        "city": "Berlin",
        "country": "DE",
        "currency": "EUR",
        "account": "4711",
    }
    assert natural_key(CONTACT, cleaned.values) == ("anna.schmidt@example.com",)


def test_a_broken_contact_is_reported_field_by_field() -> None:
    broken = DIRTY_CONTACT | {
        "E-Mail": "anna(at)example.com",
        "Telefon": "n/a",
        "Adresse": {"Land": "Germany"},
    }
    mapped = compile_rules(CRM_RULES).apply(broken)
    assert mapped.errors == {
        "email": [
            "step 1 'email': 'anna(at)example.com' does not look like an e-mail address (name@example.com)"
        ],
        "phone": [
            "step 2 'phone: DE': 'n/a' does not look like a phone number "
            "(numbers without a country code are read as DE)"
        ],
    }
    cleaned = clean_record(CONTACT, mapped.values)
    assert cleaned.errors == {
        "email": ["This field is required."],
        "country": ["'GERMANY' does not match the required format [A-Z]{2}"],
    }
    assert natural_key(CONTACT, cleaned.values) is None
