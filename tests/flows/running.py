"""Running a flow in the test's own process, and reading what happened to each record."""

from __future__ import annotations

from hub.flows.models import Flow, RecordOutcome, Run
from hub.flows.runs import run_execute, run_request


def run_once(flow: Flow) -> Run:
    """Request a run (none may be waiting) and execute it here, as a worker would; the finished run."""
    run, created = run_request(flow=flow, trigger="manual")
    assert created, f"a run of {flow.name} was already waiting"
    finished = run_execute(run.pk, worker="test")
    assert finished is not None
    return finished


def outcomes(run: Run) -> dict[str, str]:
    """Each external id's outcome in the run (its last page's, when it came twice)."""
    return dict(RecordOutcome.objects.filter(run=run).order_by("page").values_list("external_id", "outcome"))
