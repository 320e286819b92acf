"""The admin's mapping preview: a sample record in, the mapped record and every error out."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest

from connectors.base import ConnectorError
from hub.catalog.selectors import entity_schema
from hub.mappings.forms import PreviewForm
from hub.mappings.models import Direction, Mapping
from hub.mappings.services import draft_rules, mapping_preview, rules_from_data
from hub.systems.services import system_connector
from hub.systems.vault import VaultError


def fetch_sample(*, mapping: Mapping, request: HttpRequest) -> tuple[dict[str, Any] | None, str]:
    """One record from the system's first page, or why there is none."""
    who = request.user.get_username() or "someone"
    try:
        connector = system_connector(
            system=mapping.system, reason=f"mapping preview by {who}", actor=request.user
        )
        try:
            page = next(iter(connector.fetch(since=None, resource=mapping.resource or None)), None)
        finally:
            connector.close()
    except (ConnectorError, VaultError, NotImplementedError) as error:
        return None, f"Could not fetch a sample from {mapping.system.name}: {error}"
    if page is None or not page.records:
        return None, f"{mapping.system.name} returned no records to use as a sample."
    return page.records[0], ""


def preview_context(*, request: HttpRequest, mapping: Mapping) -> dict[str, Any]:
    versions = [(str(v.number), f"Version {v.number}") for v in mapping.versions.all()]
    data = request.POST.copy() if request.method == "POST" else None
    # Fetching decrypts the system's secrets: only for people who may change the mapping.
    can_fetch = mapping.direction == Direction.INBOUND and request.user.has_perm("mappings.change_mapping")
    fetch_error = ""
    if data is not None and "_fetch" in data and can_fetch:
        sample, fetch_error = fetch_sample(mapping=mapping, request=request)
        if sample is not None:
            data["sample"] = json.dumps(sample, indent=2, ensure_ascii=False)
    form = PreviewForm(data, versions=versions)
    context: dict[str, Any] = {
        "form": form,
        "mapping": mapping,
        "can_fetch": can_fetch,
        "fetch_error": fetch_error,
    }
    if data is None or not form.is_valid():
        return context
    number = form.cleaned_data.get("version")
    rules = (
        rules_from_data(mapping.versions.get(number=int(number)).rules) if number else draft_rules(mapping)
    )
    preview = mapping_preview(
        rules=rules,
        direction=mapping.direction,
        schema=entity_schema(mapping.entity),
        sample=form.cleaned_data["sample"],
    )
    context["preview"] = preview
    context["output_json"] = json.dumps(preview.output, indent=2, ensure_ascii=False, default=str)
    return context
