"""The audit trail's hash chain: a seal per auditlog entry, the chain's head, and the anchors of archives.

Seals name their entry by its primary key (not a foreign key): deleting an entry must leave its seal
behind, so that verification can say which one went missing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import models

GENESIS = "0" * 64  # the hash the first seal of a fresh chain links to
# How new seals link (hub.audit.chain.seal_link); older seals keep the format they were made in.
LINK_VERSION = 2


class ChainHead(models.Model):
    """One row: where the chain ends. Sealers lock it, so that two of them never extend the chain at once."""

    sequence = models.BigIntegerField(default=0)
    chain_hash = models.CharField(max_length=64, default=GENESIS)
    # The highest LogEntry id the sealer has read: later scans start there (plus a look-back in time for
    # transactions that committed out of id order).
    scanned_to = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)
    # The last head written to the head record outside the database (HUB_AUDIT_HEAD_FILE), and when.
    recorded_sequence = models.BigIntegerField(default=0)
    recorded_at = models.DateTimeField(null=True, blank=True)
    # When a sealer last looked for entries the look-back missed (a transaction that committed very late).
    full_scan_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "audit chain head"

    def __str__(self) -> str:
        return f"chain head at {self.sequence}"


class AuditSeal(models.Model):
    sequence = models.BigIntegerField(unique=True)
    entry_id = models.BigIntegerField(unique=True)
    entry_hash = models.CharField(max_length=64)
    chain_hash = models.CharField(max_length=64)
    # The entry's actor when sealed: deleting a user sets the entries' actor to null (auditlog's
    # on_delete=SET_NULL), which verification recognises rather than calling it tampering.
    actor_id = models.BigIntegerField(null=True, blank=True)
    sealed_at = models.DateTimeField()
    # 1: the link covers the entry's hash and position; 2: also the seal's actor and time. Seals made before
    # version 2 keep version 1, so that existing chains verify as they were sealed (never re-linked).
    link_version = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["sequence"]
        verbose_name = "audit seal"

    def __str__(self) -> str:
        return f"seal {self.sequence} of entry {self.entry_id}"


class AuditAnchor(models.Model):
    """An archive of the chain's oldest part: verification of what stays starts from its last hash."""

    first_sequence = models.BigIntegerField()
    sequence = models.BigIntegerField(unique=True)  # the last archived seal
    chain_hash = models.CharField(max_length=64)
    count = models.PositiveIntegerField()
    cutoff = models.DateTimeField()
    path = models.CharField(max_length=500)
    file_sha256 = models.CharField(max_length=64)
    archived_at = models.DateTimeField()
    # The link format of its last seal: verification of what stays starts from it (a later seal in an older
    # format was relinked). Anchors made before link version 2 existed hold 1.
    link_version = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["sequence"]
        verbose_name = "audit archive anchor"

    def __str__(self) -> str:
        return f"archive of seals {self.first_sequence}-{self.sequence}"


class VerificationState(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Checking"
    DONE = "done", "Done"
    FAILED = "failed", "Could not finish"


class AuditVerification(models.Model):
    """A check of the whole chain someone asked for on the audit page, done by a worker (it reads every
    entry: over a million entries that takes minutes, longer than a web request may)."""

    requested_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        max_length=10, choices=VerificationState.choices, default=VerificationState.QUEUED
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)
    checked = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, help_text="Each break: its position, entry and what is wrong.")
    more_problems = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(
        default=list, help_text="What the check could not look at (such as a missing head record file)."
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = "audit trail verification"

    def __str__(self) -> str:
        return f"verification {self.pk} ({self.state})"


def seal_time_text(moment: datetime) -> str:
    """A seal's time as its link (and an archive file) holds it: UTC, ISO 8601, to the microsecond."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
