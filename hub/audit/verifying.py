"""Checking the whole chain in the background: asked for on the audit page, done by a worker.

The worker runs the same check as ``verify_audit`` (``audit_verify``): it seals what is pending, compares
the chain with the head record outside the database, and stores what it could not check as warnings.

The request stores an AuditVerification and enqueues its id on commit; the worker claims it with a
conditional update (so a job delivered twice checks once) and stores the report. If Redis was away when it
was asked for, the tick enqueues it again.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta

from django.db import DatabaseError, transaction
from django.utils import timezone

from hub.audit.models import AuditVerification, VerificationState
from hub.audit.services import Actor, actor_user

log = logging.getLogger(__name__)
JOB = "hub.audit.verifying.verification_run"
REQUEUE_AFTER = timedelta(minutes=1)


def verification_request(*, actor: Actor = None) -> AuditVerification:
    """Ask for a check; one waiting check is enough, so a second click returns the first."""
    waiting = AuditVerification.objects.filter(
        state__in=[VerificationState.QUEUED, VerificationState.RUNNING]
    ).first()
    if waiting is not None:
        return waiting
    verification = AuditVerification.objects.create(requested_by=actor_user(actor))
    _enqueue(verification.pk)
    return verification


def verification_run(verification_id: int) -> str:
    """The job: check the chain and store the report."""
    from hub.audit.checking import audit_verify

    claimed = AuditVerification.objects.filter(pk=verification_id, state=VerificationState.QUEUED).update(
        state=VerificationState.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return "already checked or being checked"
    try:
        report = audit_verify()
    except DatabaseError as error:
        AuditVerification.objects.filter(pk=verification_id).update(
            state=VerificationState.FAILED,
            finished_at=timezone.now(),
            error=f"{type(error).__name__}: {error}",
        )
        raise
    problems = [{"position": p.position, "entry_id": p.entry_id, "what": p.what} for p in report.problems]
    AuditVerification.objects.filter(pk=verification_id).update(
        state=VerificationState.DONE, finished_at=timezone.now(), ok=report.ok, checked=report.checked,
        problems=problems, more_problems=report.more_problems, warnings=report.warnings,
    )  # fmt: skip
    return "intact" if report.ok else f"{len(problems) + report.more_problems} problem(s)"


def verifications_requeue(*, now: datetime | None = None) -> int:
    """Checks still waiting a while after they were asked for (Redis was away): enqueue them again."""
    now = now or timezone.now()
    stale = AuditVerification.objects.filter(
        state=VerificationState.QUEUED, requested_at__lt=now - REQUEUE_AFTER
    )
    ids = list(stale.values_list("pk", flat=True))
    for pk in ids:
        _enqueue(pk)
    return len(ids)


def _enqueue(verification_id: int) -> None:
    from hub.flows.jobs import enqueue

    transaction.on_commit(functools.partial(enqueue, JOB, verification_id))
