from __future__ import annotations

from itertools import islice

import pytest

from connectors.base import ConnectorError
from tests.connectors.personas import values
from tests.connectors.servers import Reply, Seen

RECORDS = [{"id": n, "name": f"Customer {n}"} for n in range(1, 8)]
MAX_PAGES = 20  # every walk in these tests is bounded


def walk(connector, since=None):
    return list(islice(connector.fetch(since=since), MAX_PAGES))


def ids(pages):
    return [record["id"] for page in pages for record in page.records]


def by_page(seen: Seen) -> Reply:
    page, size = int(seen.query["page"]), int(seen.query["page_size"])
    return Reply(200, {"data": RECORDS[(page - 1) * size : page * size]})


def by_offset(seen: Seen) -> Reply:
    offset, limit = int(seen.query["offset"]), int(seen.query["limit"])
    return Reply(200, {"data": RECORDS[offset : offset + limit]})


def by_cursor(seen: Seen) -> Reply:
    start = int(seen.query.get("after", "0"))
    chunk = RECORDS[start : start + 3]
    following = str(start + 3) if start + 3 < len(RECORDS) else None
    return Reply(200, {"result": {"items": chunk}, "meta": {"next": following}})


def by_link(seen: Seen) -> Reply:
    start = int(seen.query.get("start", "0"))
    headers = {}
    if start + 3 < len(RECORDS):
        headers["Link"] = f'</records?start={start + 3}>; rel="next", </records?start=0>; rel="first"'
    return Reply(200, RECORDS[start : start + 3], headers=headers)


def test_without_pagination_one_answer_holds_everything(api, make_connector):
    api.on("GET", "/records", Reply(200, RECORDS))
    pages = walk(make_connector(values(api.url, read_path="/records")))
    assert ids(pages) == list(range(1, 8))
    assert [(page.cursor, page.has_more) for page in pages] == [(None, False)]


def test_page_numbers_are_walked_to_the_short_page(api, make_connector):
    api.on("GET", "/records", by_page)
    connector = make_connector(
        values(api.url, read_path="/records", records_path="data", pagination="page", page_size=3)
    )
    pages = walk(connector)
    assert ids(pages) == list(range(1, 8))
    assert [(page.cursor, page.has_more) for page in pages] == [("2", True), ("3", True), (None, False)]
    assert [seen.query["page"] for seen in api.seen] == ["1", "2", "3"]


def test_a_full_last_page_ends_with_an_empty_one(api, make_connector):
    api.on("GET", "/records", by_page)
    connector = make_connector(
        values(api.url, read_path="/records", records_path="data", pagination="page", page_size=7)
    )
    pages = walk(connector)
    assert ids(pages) == list(range(1, 8))
    assert [len(page.records) for page in pages] == [7, 0]


def test_offsets_are_walked(api, make_connector):
    api.on("GET", "/records", by_offset)
    options = {"pagination": "offset", "page_size": 3, "page_size_param": "limit", "records_path": "data"}
    pages = walk(make_connector(values(api.url, read_path="/records", **options)))
    assert ids(pages) == list(range(1, 8))
    assert [seen.query["offset"] for seen in api.seen] == ["0", "3", "6"]
    assert pages[0].cursor == "3"


def test_a_cursor_in_the_body_is_followed(api, make_connector):
    api.on("GET", "/records", by_cursor)
    options = {"pagination": "cursor", "cursor_path": "meta.next", "cursor_param": "after"}
    connector = make_connector(values(api.url, read_path="/records", records_path="result.items", **options))
    pages = walk(connector)
    assert ids(pages) == list(range(1, 8))
    assert [page.cursor for page in pages] == ["3", "6", None]
    assert [seen.query.get("after") for seen in api.seen] == [None, "3", "6"]


def test_the_link_header_is_followed(api, make_connector):
    api.on("GET", "/records", by_link)
    pages = walk(make_connector(values(api.url, read_path="/records", pagination="link")))
    assert ids(pages) == list(range(1, 8))
    assert pages[0].cursor == f"{api.url}/records?start=3"
    assert [page.has_more for page in pages] == [True, True, False]


def test_a_next_link_to_another_host_is_not_followed(api, make_connector):
    link = '<http://elsewhere.invalid/records?start=3>; rel="next"'
    api.on("GET", "/records", Reply(200, RECORDS[:3], headers={"Link": link}))
    with pytest.raises(ConnectorError, match="points to another address") as caught:
        walk(make_connector(values(api.url, read_path="/records", pagination="link")))
    assert caught.value.permanent


@pytest.mark.parametrize("style", ["page", "offset"])
def test_a_system_ignoring_the_page_parameter_stops_the_walk(api, make_connector, style):
    api.on("GET", "/records", Reply(200, RECORDS[:3]))
    connector = make_connector(values(api.url, read_path="/records", pagination=style, page_size=3))
    with pytest.raises(ConnectorError, match="same page twice"):
        walk(connector)
    assert len(api.seen) == 2


def test_a_cursor_that_never_moves_stops_the_walk(api, make_connector):
    api.on("GET", "/records", Reply(200, {"items": RECORDS[:3], "next_cursor": "abc"}))
    connector = make_connector(
        values(api.url, read_path="/records", records_path="items", pagination="cursor")
    )
    with pytest.raises(ConnectorError, match="same page twice"):
        walk(connector)
    assert len(api.seen) == 2


def test_since_is_sent_on_every_page(api, make_connector):
    api.on("GET", "/records", by_page)
    options = {"records_path": "data", "pagination": "page", "page_size": 3, "since_param": "updated_since"}
    walk(make_connector(values(api.url, read_path="/records", **options)), since="2024-05-01T00:00:00Z")
    assert [seen.query["updated_since"] for seen in api.seen] == ["2024-05-01T00:00:00Z"] * 3


def test_without_since_no_filter_is_sent(api, make_connector):
    api.on("GET", "/records", Reply(200, RECORDS))
    walk(make_connector(values(api.url, read_path="/records", since_param="updated_since")))
    assert "updated_since" not in api.seen[0].query


def test_fetch_is_lazy(api, make_connector):
    api.on("GET", "/records", by_page)
    connector = make_connector(
        values(api.url, read_path="/records", records_path="data", pagination="page", page_size=3)
    )
    first = next(iter(connector.fetch()))
    assert len(first.records) == 3
    assert len(api.seen) == 1
