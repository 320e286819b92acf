"""RFC 9457 problem documents: every error of the API in one shape, with field-level details.

``{"type", "title", "status", "detail", "instance", "errors": [{"pointer" | "parameter", "detail", "code"}]}``
served as ``application/problem+json``. ``pointer`` is a JSON pointer into the request body (RFC 6901);
``parameter`` names a query parameter or a header.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from hub.flows.engine.context import RunSetupError
from hub.flows.inbound import InboundError

log = logging.getLogger(__name__)
PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:integration-hub:problem:"

# status -> (type slug, title): one stable type per kind of error, for clients to branch on.
KINDS: dict[int, tuple[str, str]] = {
    400: ("invalid-request", "The request is not valid."),
    401: ("not-authenticated", "The API key is missing or not valid."),
    403: ("forbidden", "This key may not do that."),
    404: ("not-found", "There is nothing here for this key."),
    405: ("method-not-allowed", "This method is not allowed here."),
    406: ("not-acceptable", "The API answers in JSON only."),
    409: ("conflict", "The request conflicts with what the hub holds."),
    413: ("too-large", "The request is too large."),
    415: ("unsupported-media-type", "Send JSON (Content-Type: application/json)."),
    429: ("rate-limited", "Too many calls for this key."),
}


class Problem(exceptions.APIException):
    """A domain error with its own status, type and optional field errors."""

    def __init__(
        self,
        detail: str,
        *,
        status_code: int,
        kind: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.kind = kind
        self.errors = errors or []
        self.headers = headers or {}


def _as_api_exception(exc: Exception) -> exceptions.APIException | None:
    if isinstance(exc, RequestDataTooBig):
        return Problem("The body is too large: at most 5 MiB per call.", status_code=413)
    if isinstance(exc, DjangoValidationError | DataError | ValueError) and not isinstance(exc, InboundError):
        # A backstop: a value the database refused is the client's error (the cause is fixed at the edge).
        log.warning("a request value reached the database and was refused", exc_info=exc)
        return Problem("A value in the request cannot be stored or compared.", status_code=400)
    if isinstance(exc, Http404):
        return exceptions.NotFound("There is nothing here for this key.")
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, InboundError):
        return Problem(str(exc), status_code=exc.status)
    if isinstance(exc, RunSetupError):
        return Problem(str(exc), status_code=status.HTTP_409_CONFLICT, kind="flow-not-ready")
    return exc if isinstance(exc, exceptions.APIException) else None


def field_errors(detail: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Flatten DRF's nested error detail into (path, ErrorDetail) pairs."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from field_errors(value, (*path, str(key)) if key != "non_field_errors" else path)
    elif isinstance(detail, list):
        nested = any(isinstance(item, dict | list) for item in detail)
        for index, item in enumerate(detail):
            yield from field_errors(item, (*path, str(index)) if nested else path)
    else:
        yield path, detail


def _pointer(path: tuple[str, ...]) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in path)


def _error_items(detail: Any, in_query: bool) -> list[dict[str, str]]:
    items = []
    for path, message in field_errors(detail):
        item = {"detail": str(message), "code": str(getattr(message, "code", "invalid"))}
        if in_query and path:
            item["parameter"] = path[0]
        else:
            item["pointer"] = _pointer(path)
        items.append(item)
    return items


def problem_response(exc: exceptions.APIException, request: Any) -> Response:
    code = exc.status_code
    slug, title = KINDS.get(code, ("error", "The request failed."))
    errors: list[dict[str, str]] = []
    if isinstance(exc, Problem):
        slug, errors, detail = exc.kind or slug, exc.errors, str(exc.detail)
    elif isinstance(exc, exceptions.ValidationError):
        slug, detail = "validation", "Some values are not valid: see errors."
        errors = _error_items(exc.detail, in_query=request is not None and request.method == "GET")
    elif isinstance(exc, exceptions.ParseError):
        slug, detail = "malformed-json", str(exc.detail)
    else:
        detail = str(exc.detail) if not isinstance(exc.detail, dict | list) else title
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + slug,
        "title": title,
        "status": code,
        "detail": detail,
        "instance": request.path if request is not None else "",
    }
    if errors:
        body["errors"] = errors
    return Response(body, status=code, headers=_headers(exc), content_type=PROBLEM_CONTENT_TYPE)


def _headers(exc: exceptions.APIException) -> dict[str, str]:
    headers = dict(exc.headers) if isinstance(exc, Problem) else {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = str(exc.auth_header)  # type: ignore[attr-defined]
    wait = getattr(exc, "wait", None)
    if wait:
        headers["Retry-After"] = str(max(int(wait), 1))
    return headers


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    api_exc = _as_api_exception(exc)
    if api_exc is None:
        return None  # a bug: Django's 500 handling and logging take it
    from rest_framework.views import set_rollback  # not at import: DRF's views import our settings' classes

    set_rollback()
    return problem_response(api_exc, context.get("request"))
