"""The parameters of the HTTP JSON API kind, as the admin form shows them."""

from __future__ import annotations

from connectors.base import Param, ParamType

AUTH_STYLES = (
    ("none", "No credentials"),
    ("bearer", "Bearer token"),
    ("basic", "Username and password (HTTP basic)"),
    ("api_key", "API key in a header"),
    ("oauth2", "OAuth2 client credentials"),
)
PAGINATION_STYLES = (
    ("none", "No pages: one answer holds every record"),
    ("page", "Page numbers (page=1, 2, 3 ...)"),
    ("offset", "Offset (skip the first N records)"),
    ("cursor", "Next-page cursor in the answer"),
    ("link", "Next-page link in the Link header"),
)
PUSH_METHODS = (("POST", "POST (create)"), ("PUT", "PUT (replace)"), ("PATCH", "PATCH (update)"))
PUSH_MODES = (("single", "One record per request"), ("batch", "All records of a batch in one request"))


def _when(style: str, *values: str) -> tuple[str, tuple[str, ...]]:
    return (style, values)


CONNECTION = (
    Param(
        "base_url",
        "Base address",
        ParamType.URL,
        required=True,
        help="The address every path below starts from, e.g. https://crm.example.com/api/v2.",
    ),
    Param(
        "verify_tls",
        "Check the system's certificate",
        ParamType.BOOLEAN,
        default=True,
        help="Leave ticked. Untick only for a test system with a self-made certificate.",
    ),
    Param(
        "connect_timeout",
        "Connection timeout (seconds)",
        ParamType.DECIMAL,
        default=5,
        min_value=0.1,
        max_value=60,
        help="How long to wait for the system to accept a connection before giving up.",
    ),
    Param(
        "read_timeout",
        "Answer timeout (seconds)",
        ParamType.DECIMAL,
        default=30,
        min_value=0.1,
        max_value=300,
        help="How long to wait for an answer once connected before giving up.",
    ),
    Param(
        "probe_path",
        "Path for “Test connection”",
        default="/",
        help="A page of the system that answers quickly when the credentials are right, e.g. /me.",
    ),
)

AUTHENTICATION = (
    Param(
        "auth_style",
        "How the hub signs in",
        ParamType.CHOICE,
        required=True,
        default="none",
        choices=AUTH_STYLES,
        help="Ask the system's administrator which of these it expects.",
    ),
    Param(
        "bearer_token",
        "Bearer token",
        secret=True,
        required_when=_when("auth_style", "bearer"),
        help="The access token the system gave you. Stored encrypted and never shown again.",
    ),
    Param(
        "username",
        "Username",
        required_when=_when("auth_style", "basic"),
        help="The account the hub signs in with.",
    ),
    Param(
        "password",
        "Password",
        secret=True,
        required_when=_when("auth_style", "basic"),
        help="That account's password. Stored encrypted and never shown again.",
    ),
    Param(
        "api_key_header",
        "API key header name",
        default="X-API-Key",
        required_when=_when("auth_style", "api_key"),
        help="The name of the header that carries the key; the system's documentation says which.",
    ),
    Param(
        "api_key",
        "API key",
        secret=True,
        required_when=_when("auth_style", "api_key"),
        help="The key the system gave you. Stored encrypted and never shown again.",
    ),
    Param(
        "oauth2_token_url",
        "OAuth2 token address",
        ParamType.URL,
        required_when=_when("auth_style", "oauth2"),
        help="Where the hub asks for an access token, e.g. https://login.example.com/oauth/token.",
    ),
    Param(
        "oauth2_client_id",
        "OAuth2 client id",
        required_when=_when("auth_style", "oauth2"),
        help="The id of the client registered for the hub.",
    ),
    Param(
        "oauth2_client_secret",
        "OAuth2 client secret",
        secret=True,
        required_when=_when("auth_style", "oauth2"),
        help="The secret of that client. Stored encrypted and never shown again.",
    ),
    Param(
        "oauth2_scope",
        "OAuth2 scope",
        help="Optional. The permissions to ask for, separated by spaces, if the system wants them.",
    ),
)

READING = (
    Param(
        "read_path",
        "Path to read records from",
        help="Where the records are listed, e.g. /customers. Needed when this system is a source.",
    ),
    Param(
        "records_path",
        "Where the records sit in an answer",
        help="Dotted path to the list of records, e.g. data or result.items. "
        "Leave empty when the whole answer is the list.",
    ),
    Param(
        "since_param",
        "Changed-since parameter",
        help="Name of the parameter that asks only for records changed since a date, e.g. "
        "updated_since. Leave empty if the system has none: every run then reads everything.",
    ),
    Param(
        "pagination",
        "How the system splits long lists",
        ParamType.CHOICE,
        default="none",
        choices=PAGINATION_STYLES,
        help="The system's documentation calls this pagination.",
    ),
    Param(
        "page_param",
        "Page number parameter",
        default="page",
        help="Name of the parameter that carries the page number (page-number style).",
        shown_when=("pagination", ("page",)),
    ),
    Param(
        "offset_param",
        "Offset parameter",
        default="offset",
        help="Name of the parameter that carries how many records to skip (offset style).",
        shown_when=("pagination", ("offset",)),
    ),
    Param(
        "page_size_param",
        "Page size parameter",
        default="page_size",
        help="Name of the parameter that says how many records one page holds.",
        shown_when=("pagination", ("page", "offset", "cursor")),
    ),
    Param(
        "page_size",
        "Records per page",
        ParamType.INTEGER,
        default=100,
        min_value=1,
        max_value=1000,
        help="How many records to ask for at a time.",
        shown_when=("pagination", ("page", "offset", "cursor")),
    ),
    Param(
        "cursor_path",
        "Where the next-page cursor sits in an answer",
        default="next_cursor",
        help="Dotted path to the value that points to the next page, e.g. meta.next (cursor style).",
        shown_when=("pagination", ("cursor",)),
    ),
    Param(
        "cursor_param",
        "Cursor parameter",
        default="cursor",
        help="Name of the parameter that sends that value back to get the next page (cursor style).",
        shown_when=("pagination", ("cursor",)),
    ),
)

WRITING = (
    Param(
        "push_path",
        "Path to send records to",
        help="Where records are delivered, e.g. /customers. May contain {external_id}, replaced by "
        "the record's id in this system, e.g. /customers/{external_id} (one-by-one only). "
        "Needed when this system is a target.",
    ),
    Param(
        "push_method",
        "How records are sent",
        ParamType.CHOICE,
        default="POST",
        choices=PUSH_METHODS,
        help="The HTTP method the system expects for deliveries.",
    ),
    Param(
        "push_mode",
        "Send records",
        ParamType.CHOICE,
        default="single",
        choices=PUSH_MODES,
        help="Batch mode sends a JSON list of records in one request; the system must accept lists.",
    ),
    Param(
        "push_id_path",
        "Where the system's id sits in its answer",
        default="id",
        help="Dotted path to the id the system gave a delivered record, e.g. id or data.id.",
    ),
    Param(
        "idempotency_header",
        "Idempotency header name",
        default="Idempotency-Key",
        help="Header that lets the system recognise a record sent twice, so that it is not created twice.",
    ),
)

PARAMS: tuple[Param, ...] = CONNECTION + AUTHENTICATION + READING + WRITING
