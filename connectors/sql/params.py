"""The parameters of the SQL database kind, as the admin form shows them."""

from __future__ import annotations

from connectors.base import Param, ParamType

PARAMS: tuple[Param, ...] = (
    Param(
        "url",
        "Database address",
        required=True,
        help="Where the database is and which user the hub signs in as, without the password, e.g. "
        "postgresql+psycopg://hub@db.example.com:5432/erp for PostgreSQL, or "
        "sqlite:////srv/data/shop.db for an SQLite file (four slashes before a full path). "
        "Put the password in the password field below, never in the address.",
    ),
    Param(
        "password",
        "Password",
        secret=True,
        help="The password of the user named in the address. Leave empty for an SQLite file, which has "
        "none. Stored encrypted and never shown again.",
    ),
    Param(
        "table",
        "Table",
        help="The table (or view) records are read from and written to, e.g. customers, or "
        "sales.customers to name a schema too. A flow can name another table.",
    ),
    Param(
        "key_column",
        "Record id column",
        required=True,
        default="id",
        help="The column that tells records apart, e.g. id or customer_number. A record sent here "
        "replaces the row with the same id, or is added when there is none; the column must be the "
        "table's primary key or be unique.",
    ),
    Param(
        "incremental_column",
        "Changed-at column",
        help="Optional. A column that is set to a later value whenever a row changes, e.g. updated_at, "
        "so that each run reads only the rows changed since the last one. Rows where it is empty are "
        "not read. Leave empty to read the whole table on every run.",
    ),
    Param(
        "page_size",
        "Rows per page",
        ParamType.INTEGER,
        default=1000,
        min_value=1,
        max_value=10000,
        help="How many rows to read at a time. Smaller pages use less memory.",
    ),
    Param(
        "read_only",
        "Read only",
        ParamType.BOOLEAN,
        default=False,
        help="Tick to make sure the hub never changes this database: sending records to it is refused, "
        "and the connection itself is opened read-only.",
    ),
    Param(
        "connect_timeout",
        "Connection timeout (seconds)",
        ParamType.INTEGER,
        default=10,
        min_value=1,
        max_value=120,
        help="How long to wait for the database to accept a connection (or, for an SQLite file, to be "
        "free of another program's lock) before giving up.",
    ),
)
