"""ERP customers (K-2001 .. K-2016), orders (SO-5001 .. SO-5018), products (P-100 .. P-114). Dirty cases:

- Same customer as CRM C-1001/C-1017 and billing B-301: K-2001 "Schmidt GmbH", e-mail upper-cased
  (``ANNA.SCHMIDT@example.com``), phone ``030/1234567``.
- Newer address: K-2002 (Weber Logistik) "Am Sandtorkai 3, 20457 Hamburg", ``modified`` 20.11.2026 14:30,
  while the CRM's C-1002 still holds the old one (updated 2026-02-10).
- Unicode near-duplicate: K-2004 "Yilmaz Import Export" (ASCII i); CRM C-1004 and billing B-304 use
  the Turkish dotless i. K-2004 also has a different e-mail (info@...) than the CRM's person.
- Missing e-mails: K-2007 (empty string), K-2008 (``null``). ERP-only customer: K-2016.
- Phone formats: national with slashes (most), ``0221 / 987 65 43`` K-2004, foreign K-2010/K-2011.
- Every ``modified`` is Berlin wall-clock time ``dd.mm.yyyy HH:MM``; dates ``dd.mm.yyyy``; amounts are German
  decimals (``1.234,50``). Negative total (credit): SO-5018. Zero total: SO-5012. CHF order: SO-5011.
- Orphan order: SO-5014 references customer K-2999, which does not exist.
- Schema breaker: SO-5013 has ``total`` "abc".
- Inactive products (``active`` "no"): P-109, P-114.
"""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]


def _customer(
    customer_no: str,
    name: str,
    email: str | None,
    tel: str | None,
    address: tuple[str, str, str, str],
    modified: str,
) -> Record:
    street, zip_code, city, country_code = address
    return {
        "customer_no": customer_no,
        "name": name,
        "contact_email": email,
        "tel": tel,
        "street": street,
        "zip": zip_code,
        "city": city,
        "country_code": country_code,
        "modified": modified,
    }


def _order(
    order_no: str, customer_no: str, order_date: str, total: str, status: str, modified: str
) -> Record:
    currency = "CHF" if order_no == "SO-5011" else "EUR"
    return {
        "order_no": order_no,
        "customer_no": customer_no,
        "order_date": order_date,
        "total": total,
        "currency": currency,
        "status": status,
        "modified": modified,
    }


def _product(sku: str, title: str, price: str, modified: str, active: str = "yes") -> Record:
    return {"sku": sku, "title": title, "price": price, "active": active, "modified": modified}


def seed() -> dict[str, list[Record]]:
    return {"customers": _customers(), "orders": _orders(), "products": _products()}


def _customers() -> list[Record]:
    return [
        _customer(
            "K-2001",
            "Schmidt GmbH",
            "ANNA.SCHMIDT@example.com",
            "030/1234567",
            ("Friedrichstraße 100", "10117", "Berlin", "DE"),
            "20.11.2026 10:00",
        ),
        _customer(
            "K-2002",
            "Weber Logistik KG",
            "jonas.weber@weber-logistik.de",
            "040/3344556",
            ("Am Sandtorkai 3", "20457", "Hamburg", "DE"),
            "20.11.2026 14:30",
        ),
        _customer(
            "K-2003",
            "Fischer & Söhne OHG",
            "l.fischer@fischer-soehne.de",
            "089/2345678",
            ("Leopoldstraße 45", "80802", "München", "DE"),
            "04.05.2026 09:30",
        ),
        _customer(
            "K-2004",
            "Yilmaz Import Export",
            "info@yilmaz-import.de",
            "0221 / 987 65 43",
            ("Venloer Straße 210", "50823", "Köln", "DE"),
            "12.05.2026 08:00",
        ),
        _customer(
            "K-2005",
            "Becker Bau AG",
            "buchhaltung@beckerbau.de",
            "069/12345678",
            ("Mainzer Landstraße 50", "60325", "Frankfurt am Main", "DE"),
            "01.07.2026 11:15",
        ),
        _customer(
            "K-2006",
            "Hoffmann Consulting",
            "marie@hoffmann-consulting.de",
            "0711/5556677",
            ("Königstraße 1", "70173", "Stuttgart", "DE"),
            "16.07.2026 09:00",
        ),
        _customer(
            "K-2007",
            "Koch Catering",
            "",
            "0511/1234567",
            ("Georgstraße 30", "30159", "Hannover", "DE"),
            "20.08.2026 10:00",
        ),
        _customer(
            "K-2008",
            "Wagner Design",
            None,
            "0341/7788990",
            ("Karl-Liebknecht-Straße 20", "04107", "Leipzig", "DE"),
            "13.06.2026 12:00",
        ),
        _customer(
            "K-2009",
            "Richter Elektro",
            "p.richter@richter-elektro.de",
            "0911/333222",
            ("Königstraße 60", "90402", "Nürnberg", "DE"),
            "02.09.2026 15:00",
        ),
        _customer(
            "K-2010",
            "Klein & Partner",
            "emma.klein@klein-partner.at",
            "+43 1 5123456",
            ("Kärntner Straße 10", "1010", "Wien", "AT"),
            "21.09.2026 10:00",
        ),
        _customer(
            "K-2011",
            "Wolf Maschinenbau AG",
            "noah.wolf@wolf-maschinen.ch",
            "+41 44 668 18 00",
            ("Bahnhofstrasse 70", "8001", "Zürich", "CH"),
            "01.10.2026 16:00",
        ),
        _customer(
            "K-2012",
            "Neumann Medien",
            "hannah@neumann-medien.de",
            "0171/2345678",
            ("Obernstraße 2", "28195", "Bremen", "DE"),
            "15.10.2026 08:00",
        ),
        _customer(
            "K-2013",
            "Müller Metall GmbH",
            "j.mueller@mueller-metall.de",
            "0211/4455667",
            ("Königsallee 92", "40212", "Düsseldorf", "DE"),
            "28.10.2026 12:00",
        ),
        _customer(
            "K-2014",
            "Schulz Transporte",
            "ben.schulz@schulz-transporte.de",
            "0421/556677",
            ("Am Wall 120", "28195", "Bremen", "DE"),
            "05.11.2026 09:00",
        ),
        _customer(
            "K-2015",
            "Braun Textil",
            "mia.braun@braun-textil.de",
            "0821/998877",
            ("Maximilianstraße 15", "86150", "Augsburg", "DE"),
            "10.11.2026 11:30",
        ),
        _customer(
            "K-2016",
            "Lange Druckerei",
            "druck@lange-druckerei.de",
            "0761/404040",
            ("Kaiser-Joseph-Straße 200", "79098", "Freiburg im Breisgau", "DE"),
            "18.11.2026 13:00",
        ),
    ]


def _orders() -> list[Record]:
    return [
        _order("SO-5001", "K-2001", "18.11.2026", "1.234,50", "open", "18.11.2026 09:12"),
        _order("SO-5002", "K-2001", "02.10.2026", "89,90", "invoiced", "05.10.2026 10:00"),
        _order("SO-5003", "K-2002", "10.11.2026", "12.480,00", "shipped", "12.11.2026 08:30"),
        _order("SO-5004", "K-2003", "04.05.2026", "450,00", "invoiced", "06.05.2026 14:00"),
        _order("SO-5005", "K-2004", "12.05.2026", "2.199,99", "invoiced", "15.05.2026 09:00"),
        _order("SO-5006", "K-2005", "01.07.2026", "35.000,00", "open", "01.07.2026 11:20"),
        _order("SO-5007", "K-2006", "16.07.2026", "720,00", "invoiced", "20.07.2026 10:00"),
        _order("SO-5008", "K-2007", "20.08.2026", "1.050,75", "shipped", "22.08.2026 16:45"),
        _order("SO-5009", "K-2009", "02.09.2026", "99,00", "cancelled", "03.09.2026 08:00"),
        _order("SO-5010", "K-2010", "21.09.2026", "3.400,00", "invoiced", "25.09.2026 12:00"),
        _order("SO-5011", "K-2011", "01.10.2026", "8.900,00", "shipped", "02.10.2026 09:30"),
        _order("SO-5012", "K-2012", "15.10.2026", "0,00", "open", "15.10.2026 08:05"),
        _order("SO-5013", "K-2013", "28.10.2026", "abc", "open", "28.10.2026 12:10"),
        _order("SO-5014", "K-2999", "30.10.2026", "560,00", "open", "30.10.2026 14:00"),
        _order("SO-5015", "K-2014", "05.11.2026", "1.299,00", "shipped", "06.11.2026 10:00"),
        _order("SO-5016", "K-2015", "10.11.2026", "249,50", "open", "10.11.2026 11:40"),
        _order("SO-5017", "K-2016", "18.11.2026", "4.020,10", "open", "18.11.2026 13:05"),
        _order("SO-5018", "K-2001", "20.11.2026", "-120,00", "open", "20.11.2026 10:05"),
    ]


def _products() -> list[Record]:
    return [
        _product("P-100", "Beratungsstunde", "99,00", "02.01.2026 09:00"),
        _product("P-101", "Wartungsvertrag Basis", "1.200,00", "02.01.2026 09:00"),
        _product("P-102", "Wartungsvertrag Premium", "2.400,00", "02.01.2026 09:05"),
        _product("P-103", "Installationspauschale", "150,00", "15.01.2026 10:00"),
        _product("P-104", "Lizenz Pro (Jahr)", "1.234,50", "01.03.2026 08:00"),
        _product("P-105", "Lizenz Basic (Jahr)", "490,00", "01.03.2026 08:00"),
        _product("P-106", "Schulung (Tag)", "890,00", "10.04.2026 14:30"),
        _product("P-107", "Hardware-Kit S", "349,90", "05.06.2026 11:00"),
        _product("P-108", "Hardware-Kit M", "649,90", "05.06.2026 11:00"),
        _product("P-109", "Hardware-Kit L (ausgelaufen)", "999,90", "30.09.2026 17:00", active="no"),
        _product("P-110", "Anfahrt", "45,00", "01.10.2026 08:00"),
        _product("P-111", "Express-Zuschlag", "75,00", "01.10.2026 08:00"),
        _product("P-112", "Datenmigration", "2.500,00", "12.10.2026 13:00"),
        _product("P-113", "Support-Paket 10h", "850,00", "03.11.2026 09:00"),
        _product("P-114", "Altes Handbuch (Druck)", "12,50", "19.11.2026 16:00", active="no"),
    ]
