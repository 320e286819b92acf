"""Manual entries: stored at once, taken into the hub's records by a run, corrected while not reconciled."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery

from hub.audit.services import Actor, actor_user
from hub.catalog.schema import clean_record
from hub.catalog.selectors import entity_schema
from hub.fallback.models import EntryState, ManualEntry
from hub.flows.models import Flow, FlowState, Run, RunState
from hub.flows.models.run import FALLBACK_TRIGGER
from hub.flows.runs import run_request
from hub.systems.models import System, SystemStatus

MANUAL_SYSTEM = "Manual entry"
MANUAL_KIND = "manual_entry"
KEY_LENGTH = ManualEntry._meta.get_field("submission_key").max_length or 64


class EntryError(Exception):
    """A manual entry that cannot be taken as it is; the message says why, for the person who typed it."""

    def __init__(self, message: str, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.field_errors = field_errors or {}


def manual_system() -> System:
    """The system manual entries are recorded as coming from (created on first use)."""
    system = System.objects.filter(kind=MANUAL_KIND).order_by("pk").first()
    if system is not None:
        return system
    try:
        with transaction.atomic():
            return System.objects.create(
                name=MANUAL_SYSTEM, kind=MANUAL_KIND, status=SystemStatus.ACTIVE,
                description="Records people type into the hub's fallback form while a link is down. "
                "Created by the hub; it connects to nothing.",
            )  # fmt: skip
    except IntegrityError:  # created meanwhile by another request, or the name is taken by another system
        system = System.objects.filter(kind=MANUAL_KIND).order_by("pk").first()
        if system is None:
            raise EntryError(
                f"A system named '{MANUAL_SYSTEM}' of another kind exists, so the hub cannot create its "
                "manual-entry system: rename that system."
            ) from None
        return system


def entry_problems(flow: Flow) -> str | None:
    """Why the fallback form cannot take entries for this flow, or None."""
    if flow.state != FlowState.ACTIVE:
        return f"The flow '{flow.name}' is not active, so entries for it would not be delivered."
    if not any(spec.natural_key for spec in entity_schema(flow.entity).fields):
        return (
            f"{flow.entity.name} has no natural-key field, so an entry could not be matched to the version "
            f"{flow.source.name} sends later: mark its identifying field as natural key first."
        )
    return None


def intake_failures(flow_ids: Iterable[int]) -> dict[int, str]:
    """The error of each flow's latest "fallback form" run, for the flows where that run failed: why their
    waiting entries are not taken in. One query, whatever the number of flows."""
    last = Run.objects.filter(flow=OuterRef("pk"), trigger=FALLBACK_TRIGGER).order_by("-pk").values("pk")[:1]
    latest = Flow.objects.filter(pk__in=set(flow_ids)).annotate(last=Subquery(last)).values("last")
    failed = Run.objects.filter(pk__in=latest, state=RunState.FAILED).values_list("flow_id", "error")
    return {flow_id: error or "the run failed without saying why" for flow_id, error in failed}


def entry_check(flow: Flow, values: dict[str, Any]) -> dict[str, Any]:
    """The values as the pipeline would take them; ``EntryError`` with the problems by field otherwise."""
    checked = clean_record(entity_schema(flow.entity), values)
    if checked.errors:
        raise EntryError("Some fields need correcting.", checked.errors)
    return checked.values


def entry_submit(
    *, flow: Flow, values: dict[str, Any], submission_key: str, actor: Actor
) -> tuple[ManualEntry, bool]:
    """Store an entry and ask for a run to take it in. The same form (``submission_key``) stores one entry:
    returns (entry, created)."""
    problem = entry_problems(flow)
    if problem:
        raise EntryError(problem)
    if not 0 < len(submission_key) <= KEY_LENGTH:
        raise EntryError(f"The form's one-time key must be 1 to {KEY_LENGTH} characters: reload the page.")
    cleaned = entry_check(flow, values)
    user = actor_user(actor)
    if user is None:
        raise EntryError("A manual entry needs the person who typed it.")
    try:
        with transaction.atomic():
            entry = ManualEntry.objects.create(
                flow=flow, values=cleaned, entered_by=user, submission_key=submission_key
            )
            run_request(flow=flow, trigger=FALLBACK_TRIGGER, actor=actor)
    except IntegrityError:
        earlier = ManualEntry.objects.filter(submission_key=submission_key).first()
        if earlier is None:
            raise
        if earlier.entered_by_id != user.pk:
            raise EntryError("This form was already used by someone else: reload the page.") from None
        return earlier, False
    return entry, True


def entry_correct(*, entry: ManualEntry, values: dict[str, Any], actor: Actor) -> ManualEntry:
    """A person corrects their entry before the authoritative system has sent its version."""
    reconciled = EntryError(
        f"{entry.flow.source.name} has sent its own version of this record: correct it there, or "
        "settle the differences shown as conflicts."
    )
    if entry.state == EntryState.RECONCILED:
        raise reconciled
    cleaned = entry_check(entry.flow, values)
    with transaction.atomic():
        # Locked, then saved as a whole, so that the audit trail records the change of values.
        current = ManualEntry.objects.select_for_update().get(pk=entry.pk)
        if current.state == EntryState.RECONCILED:
            raise reconciled
        if current.version != entry.version:
            raise EntryError("Someone changed this entry while you were correcting it: look at it again.")
        current.values, current.version, current.state, current.problems = (
            cleaned, current.version + 1, EntryState.WAITING, {},
        )  # fmt: skip
        current.save(update_fields=["values", "version", "state", "problems", "updated_at"])
        run_request(flow=entry.flow, trigger=FALLBACK_TRIGGER, actor=actor)
    return current
