"""Billing accounts (B-301 .. B-316) and invoices (INV-9001 .. INV-9018). Dirty cases, on purpose:

- Same customer as CRM C-1001/C-1017 and ERP K-2001: B-301, ``billing_address.name`` "A. Schmidt",
  phone ``(030) 1234567``, e-mail with a trailing space.
- Weber Logistik (B-302) already has the new address, like the ERP's K-2002 (the CRM's C-1002 is outdated).
- Missing e-mails: B-305 (``null``), B-309 (empty string). Upper-case e-mail: B-306. No phone: B-316.
- Phone formats: brackets B-301/B-303/B-308/B-310, E.164 B-312, ``0041`` prefix B-311, dashes B-304,
  slashes B-309, international with spaces B-302/B-306.
- ``updated`` carries the Berlin offset, so summer records say ``+02:00`` and winter ones ``+01:00``.
- Negative balance (credit): B-307.
- Schema breaker: B-313 has ``balance_cents`` "lots" (a string, not an integer).
"""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]


def _address(name: str, line1: str, postal_code: str, city: str, country: str = "DE") -> dict[str, str]:
    return {"name": name, "line1": line1, "postal_code": postal_code, "city": city, "country": country}


def _account(
    account_id: str,
    email: str | None,
    phone: str | None,
    address: dict[str, str],
    plan_and_balance: tuple[str, Any],
    updated: str,
) -> Record:
    plan, balance_cents = plan_and_balance
    return {
        "account_id": account_id,
        "customer_email": email,
        "phone_number": phone,
        "billing_address": address,
        "plan": plan,
        "balance_cents": balance_cents,
        "updated": updated,
    }


def _invoice(
    number: int, account_id: str, amount_cents: int, status: str, issued_on: str, updated: str
) -> Record:
    return {
        "invoice_id": f"INV-{9000 + number}",
        "account_id": account_id,
        "number": f"RE-2026-{number:04d}",
        "amount_cents": amount_cents,
        "currency": "EUR",
        "status": status,
        "issued_on": issued_on,
        "updated": updated,
    }


def seed() -> dict[str, list[Record]]:
    return {"accounts": _accounts(), "invoices": _invoices()}


def _accounts() -> list[Record]:
    return [
        _account(
            "B-301",
            "anna.schmidt@example.com ",
            "(030) 1234567",
            _address("A. Schmidt", "Friedrichstraße 100", "10117", "Berlin"),
            ("pro", 12050),
            "2026-11-19T08:00:00+01:00",
        ),
        _account(
            "B-302",
            "jonas.weber@weber-logistik.de",
            "+49 40 3344556",
            _address("Weber Logistik KG", "Am Sandtorkai 3", "20457", "Hamburg"),
            ("basic", 0),
            "2026-11-15T12:00:00+01:00",
        ),
        _account(
            "B-303",
            "l.fischer@fischer-soehne.de",
            "(089) 2345678",
            _address("Lena Fischer", "Leopoldstraße 45", "80802", "München"),
            ("pro", 4500),
            "2026-05-05T10:00:00+02:00",
        ),
        _account(
            "B-304",
            "mehmet@yilmaz-import.de",
            "0221-9876543",
            _address("Y\u0131lmaz Import Export", "Venloer Straße 210", "50823", "Köln"),
            ("basic", 0),
            "2026-05-13T09:30:00+02:00",
        ),
        _account(
            "B-305",
            None,
            "0341 7788990",
            _address("Sophie Wagner", "Karl-Liebknecht-Straße 20", "04107", "Leipzig"),
            ("free", 0),
            "2026-06-14T11:00:00+02:00",
        ),
        _account(
            "B-306",
            "LUKAS.BECKER@BECKERBAU.DE",
            "+49 69 12345678",
            _address("Becker Bau AG", "Mainzer Landstraße 50", "60325", "Frankfurt am Main"),
            ("enterprise", 350000),
            "2026-07-02T08:15:00+02:00",
        ),
        _account(
            "B-307",
            "marie@hoffmann-consulting.de",
            "0711 5556677",
            _address("Marie Hoffmann", "Königstraße 1", "70173", "Stuttgart"),
            ("pro", -2500),
            "2026-07-21T16:00:00+02:00",
        ),
        _account(
            "B-308",
            "felix.schaefer@schaefer-it.de",
            "(0351) 4445566",
            _address("Schäfer IT", "Prager Straße 8", "01069", "Dresden"),
            ("basic", 990),
            "2026-08-04T10:00:00+02:00",
        ),
        _account(
            "B-309",
            "",
            "0511/1234567",
            _address("Koch Catering", "Georgstraße 30", "30159", "Hannover"),
            ("free", 0),
            "2026-08-21T09:00:00+02:00",
        ),
        _account(
            "B-310",
            "emma.klein@klein-partner.at",
            "+43 (1) 5123456",
            _address("Klein & Partner", "Kärntner Straße 10", "1010", "Wien", "AT"),
            ("pro", 7800),
            "2026-09-22T13:00:00+02:00",
        ),
        _account(
            "B-311",
            "noah.wolf@wolf-maschinen.ch",
            "0041 44 668 18 00",
            _address("Wolf Maschinenbau AG", "Bahnhofstrasse 70", "8001", "Zürich", "CH"),
            ("enterprise", 0),
            "2026-10-02T10:30:00+02:00",
        ),
        _account(
            "B-312",
            "hannah@neumann-medien.de",
            "+491712345678",
            _address("Neumann Medien", "Obernstraße 2", "28195", "Bremen"),
            ("basic", 1990),
            "2026-10-16T09:00:00+02:00",
        ),
        _account(
            "B-313",
            "billing@mueller-metall.de",
            "0211 4455667",
            _address("Müller Metall GmbH", "Königsallee 92", "40212", "Düsseldorf"),
            ("pro", "lots"),
            "2026-10-29T12:30:00+01:00",
        ),
        _account(
            "B-314",
            "ben.schulz@schulz-transporte.de",
            "0421 556677",
            _address("Schulz Transporte", "Am Wall 120", "28195", "Bremen"),
            ("basic", 0),
            "2026-11-06T08:45:00+01:00",
        ),
        _account(
            "B-315",
            "mia.braun@braun-textil.de",
            "0821 998877",
            _address("Braun Textil", "Maximilianstraße 15", "86150", "Augsburg"),
            ("free", 0),
            "2026-11-11T14:00:00+01:00",
        ),
        _account(
            "B-316",
            "leon.hartmann@hartmann-getraenke.de",
            None,
            _address("Hartmann Getränke", "Große Bleiche 40", "55116", "Mainz"),
            ("pro", 2999),
            "2026-11-21T08:30:00+01:00",
        ),
    ]


def _invoices() -> list[Record]:
    return [
        _invoice(1, "B-301", 12050, "open", "2026-11-01", "2026-11-01T06:00:00+01:00"),
        _invoice(2, "B-301", 8990, "paid", "2026-10-01", "2026-10-09T10:12:00+02:00"),
        _invoice(3, "B-302", 124800, "paid", "2026-10-01", "2026-10-20T15:00:00+02:00"),
        _invoice(4, "B-303", 4500, "overdue", "2026-09-01", "2026-10-01T06:00:00+02:00"),
        _invoice(5, "B-304", 219999, "paid", "2026-06-01", "2026-06-10T09:00:00+02:00"),
        _invoice(6, "B-306", 350000, "open", "2026-11-01", "2026-11-01T06:00:00+01:00"),
        _invoice(7, "B-307", 72000, "paid", "2026-08-01", "2026-08-05T11:00:00+02:00"),
        _invoice(8, "B-307", -2500, "open", "2026-11-10", "2026-11-10T09:30:00+01:00"),
        _invoice(9, "B-308", 990, "paid", "2026-09-01", "2026-09-03T08:00:00+02:00"),
        _invoice(10, "B-309", 105075, "paid", "2026-09-01", "2026-09-15T14:20:00+02:00"),
        _invoice(11, "B-310", 340000, "open", "2026-10-01", "2026-10-01T06:00:00+02:00"),
        _invoice(12, "B-311", 890000, "void", "2026-10-01", "2026-10-04T17:00:00+02:00"),
        _invoice(13, "B-312", 1990, "paid", "2026-10-16", "2026-10-19T10:00:00+02:00"),
        _invoice(14, "B-313", 56000, "overdue", "2026-09-15", "2026-10-30T06:00:00+01:00"),
        _invoice(15, "B-314", 129900, "open", "2026-11-06", "2026-11-06T09:00:00+01:00"),
        _invoice(16, "B-315", 24950, "draft", "2026-11-11", "2026-11-11T14:05:00+01:00"),
        _invoice(17, "B-316", 2999, "open", "2026-11-21", "2026-11-21T08:35:00+01:00"),
        _invoice(18, "B-302", 60000, "open", "2026-11-15", "2026-11-15T12:05:00+01:00"),
    ]
