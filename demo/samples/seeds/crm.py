"""CRM contacts (``id`` C-1001 .. C-1020). Dirty cases, on purpose:

- Same person three times: C-1001 "Anna" "Schmidt" (``+49 30 1234567``) and, inside the CRM again,
  C-1017 "anna" "schmidt " (e-mail ``Anna.Schmidt@EXAMPLE.com``, phone ``0049301234567``, street
  "Friedrichstr. 100", company "Schmidt GmbH " with a trailing space). The ERP (K-2001) and billing (B-301)
  hold her a third and fourth time.
- Missing e-mails: C-1005 (``null``), C-1009 (empty string). Upper-case e-mail: C-1019.
- Phone formats: E.164 C-1006, international with spaces C-1001/C-1003, ``0049`` prefix C-1017, slashes
  C-1007, brackets C-1008, dashes C-1010, ``+49 (0)211`` C-1015, mobile C-1014, Austria C-1011,
  Switzerland C-1012, no phone at all C-1016.
- Outdated address: C-1002 (Weber Logistik) still has "Hafenstraße 12, 20459 Hamburg", updated 2026-02-10;
  the ERP's K-2002 has the new address and a newer ``modified``.
- Country not as ISO code: C-1018 (``"Deutschland"``).
- Schema breaker: C-1013 has ``first_name`` 42 (a number), ``email`` "not-an-email", no address.
- Unicode near-duplicate: C-1004 "Y\u0131lmaz" (Turkish dotless i); the ERP's K-2004 spells it "Yilmaz".
- Inactive contacts (status "I"): C-1010, C-1016. Tie on ``updated_at``: C-1003 and C-1004.
"""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]


def _address(street: str, postcode: str, city: str, country: str = "DE") -> dict[str, str]:
    return {"street": street, "city": city, "postcode": postcode, "country": country}


def _contact(
    contact_id: str,
    name: tuple[Any, str],
    email: str | None,
    phone: str | None,
    company: str | None,
    address: dict[str, str] | None,
    updated_at: str,
    status: str = "A",
) -> Record:
    first_name, last_name = name
    return {
        "id": contact_id,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
        "company": company,
        "address": address,
        "status": status,
        "updated_at": updated_at,
    }


def seed() -> dict[str, list[Record]]:
    return {"contacts": _contacts()}


def _contacts() -> list[Record]:
    berlin = _address("Friedrichstraße 100", "10117", "Berlin")
    return [
        _contact(
            "C-1001",
            ("Anna", "Schmidt"),
            "anna.schmidt@example.com",
            "+49 30 1234567",
            "Schmidt GmbH",
            berlin,
            "2026-11-20T09:15:00Z",
        ),
        _contact(
            "C-1002",
            ("Jonas", "Weber"),
            "jonas.weber@weber-logistik.de",
            "040 3344556",
            "Weber Logistik KG",
            _address("Hafenstraße 12", "20459", "Hamburg"),
            "2026-02-10T11:00:00Z",
        ),
        _contact(
            "C-1003",
            ("Lena", "Fischer"),
            "l.fischer@fischer-soehne.de",
            "+49 89 2345678",
            "Fischer & Söhne OHG",
            _address("Leopoldstraße 45", "80802", "München"),
            "2026-05-04T07:30:00Z",
        ),
        _contact(
            "C-1004",
            ("Mehmet", "Y\u0131lmaz"),
            "mehmet@yilmaz-import.de",
            "0221 9876543",
            "Y\u0131lmaz Import Export",
            _address("Venloer Straße 210", "50823", "Köln"),
            "2026-05-04T07:30:00Z",
        ),
        _contact(
            "C-1005",
            ("Sophie", "Wagner"),
            None,
            "0341/7788990",
            "Wagner Design",
            _address("Karl-Liebknecht-Straße 20", "04107", "Leipzig"),
            "2026-06-12T13:45:00Z",
        ),
        _contact(
            "C-1006",
            ("Lukas", "Becker"),
            "lukas.becker@beckerbau.de",
            "+496912345678",
            "Becker Bau AG",
            _address("Mainzer Landstraße 50", "60325", "Frankfurt am Main"),
            "2026-07-01T08:00:00Z",
        ),
        _contact(
            "C-1007",
            ("Marie", "Hoffmann"),
            "marie@hoffmann-consulting.de",
            "0711/5556677",
            "Hoffmann Consulting",
            _address("Königstraße 1", "70173", "Stuttgart"),
            "2026-07-15T10:20:00Z",
        ),
        _contact(
            "C-1008",
            ("Felix", "Schäfer"),
            "felix.schaefer@schaefer-it.de",
            "(0351) 444 5566",
            "Schäfer IT",
            _address("Prager Straße 8", "01069", "Dresden"),
            "2026-08-03T09:00:00Z",
        ),
        _contact(
            "C-1009",
            ("Julia", "Koch"),
            "",
            "0511 123 45 67",
            "Koch Catering",
            _address("Georgstraße 30", "30159", "Hannover"),
            "2026-08-19T16:10:00Z",
        ),
        _contact(
            "C-1010",
            ("Paul", "Richter"),
            "p.richter@richter-elektro.de",
            "0911-333222",
            "Richter Elektro",
            _address("Königstraße 60", "90402", "Nürnberg"),
            "2026-09-02T12:00:00Z",
            status="I",
        ),
        _contact(
            "C-1011",
            ("Emma", "Klein"),
            "emma.klein@klein-partner.at",
            "+43 1 5123456",
            "Klein & Partner",
            _address("Kärntner Straße 10", "1010", "Wien", "AT"),
            "2026-09-20T08:30:00Z",
        ),
        _contact(
            "C-1012",
            ("Noah", "Wolf"),
            "noah.wolf@wolf-maschinen.ch",
            "+41 44 668 18 00",
            "Wolf Maschinenbau AG",
            _address("Bahnhofstrasse 70", "8001", "Zürich", "CH"),
            "2026-10-01T14:00:00Z",
        ),
        _contact("C-1013", (42, "Test"), "not-an-email", "n/a", None, None, "2026-10-05T10:00:00Z"),
        _contact(
            "C-1014",
            ("Hannah", "Neumann"),
            "hannah@neumann-medien.de",
            "0171 2345678",
            "Neumann Medien",
            _address("Obernstraße 2", "28195", "Bremen"),
            "2026-10-14T09:45:00Z",
        ),
        _contact(
            "C-1015",
            ("Jürgen", "Müller"),
            "j.mueller@mueller-metall.de",
            "+49 (0)211 4455667",
            "Müller Metall GmbH",
            _address("Königsallee 92", "40212", "Düsseldorf"),
            "2026-10-28T11:11:00Z",
        ),
        _contact(
            "C-1016",
            ("Clara", "Zimmermann"),
            "clara@zimmermann-immo.de",
            None,
            "Zimmermann Immobilien",
            _address("Kettwiger Straße 5", "45127", "Essen"),
            "2026-11-02T15:00:00Z",
            status="I",
        ),
        _contact(
            "C-1017",
            ("anna", "schmidt "),
            "Anna.Schmidt@EXAMPLE.com",
            "0049301234567",
            "Schmidt GmbH ",
            _address("Friedrichstr. 100", "10117", "Berlin"),
            "2026-06-30T10:00:00Z",
        ),
        _contact(
            "C-1018",
            ("Ben", "Schulz"),
            "ben.schulz@schulz-transporte.de",
            "0421 / 55 66 77",
            "Schulz Transporte",
            _address("Am Wall 120", "28195", "Bremen", "Deutschland"),
            "2026-11-05T08:00:00Z",
        ),
        _contact(
            "C-1019",
            ("Mia", "Braun"),
            "MIA.BRAUN@BRAUN-TEXTIL.DE",
            "+49 821 998877",
            "Braun Textil",
            _address("Maximilianstraße 15", "86150", "Augsburg"),
            "2026-11-10T10:30:00Z",
        ),
        _contact(
            "C-1020",
            ("Leon", "Hartmann"),
            "leon.hartmann@hartmann-getraenke.de",
            "06131 223344",
            "Hartmann Getränke",
            _address("Große Bleiche 40", "55116", "Mainz"),
            "2026-11-21T07:00:00Z",
        ),
    ]
