"""The parameters of the CSV files kind, as the admin form shows them."""

from __future__ import annotations

from connectors.base import Param, ParamType

DELIMITERS = (
    (",", "Comma ( , )"),
    (";", "Semicolon ( ; )"),
    ("tab", "Tab"),
    ("|", "Vertical bar ( | )"),
)
ENCODINGS = (
    ("utf-8", "UTF-8"),
    ("utf-8-sig", "UTF-8 with BOM (for Excel)"),
    ("cp1252", "Windows-1252 (older Windows programs)"),
    ("latin-1", "ISO-8859-1 (Latin-1)"),
)

FOLDERS = (
    Param(
        "inbox",
        "Folder to read files from",
        help="Full path of the folder where the other system leaves its CSV files, e.g. "
        "/srv/exchange/erp/outgoing. Needed when this system is a source.",
    ),
    Param(
        "pattern",
        "File names to read",
        default="*.csv",
        help="Which files of that folder to read, oldest name first: * stands for any characters, e.g. "
        "*.csv or orders-*.csv; upper and lower case count as the same. Files whose name starts with a "
        "dot are never read. A flow can name another pattern.",
    ),
    Param(
        "processed_folder",
        "Move read files to",
        help="Optional. Full path of a folder to move each file into once all its rows are read, e.g. "
        "/srv/exchange/erp/done. Left empty, files stay where they are and the hub remembers which it "
        "has read; a file that changes afterwards is read again.",
    ),
    Param(
        "outbox",
        "Folder to write files to",
        help="Full path of the folder where the hub leaves CSV files for the other system, e.g. "
        "/srv/exchange/erp/incoming. Needed when this system is a target; it must not be the folder "
        "files are read from.",
    ),
    Param(
        "file_prefix",
        "Start of written file names",
        default="records",
        help="Each delivery is one file named with this start, a dash and a code, e.g. "
        "records-3f2a9c01d4e5b6a7c8d9.csv. Letters, digits, dots, dashes and underscores only. A flow "
        "can name another start.",
    ),
)

FORMAT = (
    Param(
        "delimiter",
        "Column separator",
        ParamType.CHOICE,
        default=",",
        choices=DELIMITERS,
        help="The character between the values on a line. Excel uses a semicolon in many languages.",
    ),
    Param(
        "encoding",
        "Character encoding",
        ParamType.CHOICE,
        default="utf-8",
        choices=ENCODINGS,
        help="How letters are stored in the files. UTF-8 suits most systems; choose “UTF-8 with BOM” "
        "when Excel opens the files the hub writes. Files read as UTF-8 may have a BOM or not.",
    ),
    Param(
        "header",
        "First line holds the column names",
        ParamType.BOOLEAN,
        default=True,
        help="Untick when the files hold only data: the columns are then called column_1, column_2 and "
        "so on, and written files get no header line.",
    ),
    Param(
        "page_size",
        "Rows per page",
        ParamType.INTEGER,
        default=1000,
        min_value=1,
        max_value=100000,
        help="How many rows to hand over at a time; a large file is read a page at a time.",
    ),
)

PARAMS: tuple[Param, ...] = FOLDERS + FORMAT
