"""Record pages: a keyset on (updated_at, pk), so records sharing a moment are each on exactly one page."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from hub.catalog.models import Entity, Record


def read_all(client, keys, url: str) -> tuple[list[int], int]:
    seen: list[int] = []
    pages = 0
    while url and pages < 20:
        response = client.get(url, headers=keys.header("acme_orders"))
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [record["id"] for record in body["results"]]
        url, pages = body["next"], pages + 1
    return seen, pages


def test_1701_records_1700_of_them_changed_at_the_same_moment_are_each_read_once(client, keys):
    entity = Entity.objects.get(name="Order")
    Record.objects.bulk_create(
        Record(entity=entity, data={"number": f"N{i}"}, provenance={}, natural_key=f"N{i}", content_hash="x")
        for i in range(1701)
    )
    moment = timezone.now()
    first = Record.objects.order_by("pk").first()
    assert first is not None
    Record.objects.update(updated_at=moment)
    Record.objects.filter(pk=first.pk).update(updated_at=moment - timedelta(seconds=1))

    seen, pages = read_all(client, keys, "/api/v1/entities/Order/records/?page_size=500")

    assert pages == 4  # 500, 500, 500, 201; then next is null
    assert len(seen) == len(set(seen)) == Record.objects.count() == 1701
    assert seen[0] == first.pk


def test_previous_goes_back_to_the_page_before(client, keys):
    entity = Entity.objects.get(name="Order")
    Record.objects.bulk_create(
        Record(entity=entity, data={"number": f"N{i}"}, provenance={}, natural_key=f"N{i}", content_hash="x")
        for i in range(7)
    )
    Record.objects.update(updated_at=timezone.now())
    headers = keys.header("acme_orders")
    one = client.get("/api/v1/entities/Order/records/?page_size=3", headers=headers).json()
    assert one["previous"] is None
    two = client.get(one["next"], headers=headers).json()
    back = client.get(two["previous"], headers=headers).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in one["results"]]
    three = client.get(two["next"], headers=headers).json()
    assert len(three["results"]) == 1
    assert three["next"] is None
