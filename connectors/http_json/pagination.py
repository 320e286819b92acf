"""The ways a system splits a long list into pages, and the loop that walks them.

Each style says what the first request asks for and, from an answer, what the next request is (or None
at the end). ``Page.cursor`` is the position of the next page in the style's own terms: a page number,
an offset, the system's cursor or the next link. It is not an updated-since value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol
from urllib.parse import urljoin

import requests

from connectors.base import ConnectorError, Page

from .options import HttpJsonOptions
from .records import dig_or_none


@dataclass(frozen=True)
class PageRequest:
    url: str
    params: dict[str, str] = field(default_factory=dict)
    position: str | None = None


@dataclass(frozen=True)
class Answer:
    response: requests.Response
    body: Any
    records: list[dict[str, Any]]


class Style(Protocol):
    def first(self, request: PageRequest) -> PageRequest: ...

    def after(self, request: PageRequest, answer: Answer) -> PageRequest | None: ...


class Single:
    def first(self, request: PageRequest) -> PageRequest:
        return request

    def after(self, request: PageRequest, answer: Answer) -> PageRequest | None:
        return None


@dataclass(frozen=True)
class Counting:
    """Page numbers (start 1, step 1) or offsets (start 0, step one page); a short page is the last."""

    param: str
    size_param: str
    size: int
    start: int
    by_records: bool

    def first(self, request: PageRequest) -> PageRequest:
        return _with(request, {self.param: str(self.start)} | _size(self.size_param, self.size))

    def after(self, request: PageRequest, answer: Answer) -> PageRequest | None:
        if len(answer.records) < self.size:
            return None
        step = len(answer.records) if self.by_records else 1
        following = str(int(request.params[self.param]) + step)
        return _with(request, {self.param: following}, position=following)


@dataclass(frozen=True)
class BodyCursor:
    path: str
    param: str
    size_param: str
    size: int

    def first(self, request: PageRequest) -> PageRequest:
        return _with(request, _size(self.size_param, self.size))

    def after(self, request: PageRequest, answer: Answer) -> PageRequest | None:
        cursor = dig_or_none(answer.body, self.path)
        if cursor in (None, "", False) or not answer.records:
            return None
        return _with(request, {self.param: str(cursor)}, position=str(cursor))


@dataclass(frozen=True)
class LinkHeader:
    size_param: str
    size: int
    allowed: Callable[[str], bool]

    def first(self, request: PageRequest) -> PageRequest:
        return _with(request, _size(self.size_param, self.size))

    def after(self, request: PageRequest, answer: Answer) -> PageRequest | None:
        link = answer.response.links.get("next", {}).get("url")
        if not link:
            return None
        following = urljoin(answer.response.url, link)
        if not self.allowed(following):
            raise ConnectorError(
                "The system's next-page link points to another address; the hub does not send the "
                "credentials there.",
                permanent=True,
            )
        return PageRequest(url=following, position=following)


def _size(name: str, size: int) -> dict[str, str]:
    return {name: str(size)} if name else {}


def _with(request: PageRequest, params: dict[str, str], position: str | None = None) -> PageRequest:
    return replace(request, params=request.params | params, position=position)


def style_for(options: HttpJsonOptions, allowed: Callable[[str], bool]) -> Style:
    size_param, size = options.page_size_param, options.page_size
    styles: dict[str, Callable[[], Style]] = {
        "page": lambda: Counting(options.page_param, size_param, size, start=1, by_records=False),
        "offset": lambda: Counting(options.offset_param, size_param, size, start=0, by_records=True),
        "cursor": lambda: BodyCursor(options.cursor_path, options.cursor_param, size_param, size),
        "link": lambda: LinkHeader(size_param, size, allowed),
    }
    return styles.get(options.pagination, Single)()


def walk(style: Style, first: PageRequest, get: Callable[[PageRequest], Answer]) -> Iterator[Page]:
    """Request page after page until the style says there is none left."""
    request: PageRequest | None = style.first(first)
    previous: Answer | None = None
    while request is not None:
        answer = get(request)
        following = style.after(request, answer)
        _check_progress(request, following, answer, previous)
        cursor = following.position if following is not None else None
        yield Page(records=answer.records, cursor=cursor, has_more=following is not None)
        request, previous = following, answer


def _check_progress(
    request: PageRequest, following: PageRequest | None, answer: Answer, previous: Answer | None
) -> None:
    """Stop a walk that would never end because the system keeps sending the same page."""
    repeated = following is not None and (following.url, following.params) == (request.url, request.params)
    if repeated or (previous is not None and answer.records and answer.records == previous.records):
        raise ConnectorError(
            "The system sent the same page twice: check the pagination settings "
            "(the parameter names must be the ones the system expects).",
            permanent=True,
        )
