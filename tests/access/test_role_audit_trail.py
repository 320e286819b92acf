"""How the role walks judge the audit trail: a read-only person's requests may add access entries (and
their seals, and move the chain's head to the newest seal), nothing else. Each rule is shown failing here,
on real entries and seals made by the hub's own services."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from hub.api.models import Partner
from hub.audit.chain import audit_seal_pending
from hub.audit.models import AuditSeal, ChainHead
from hub.audit.services import audit_access
from tests.access.walking import audit_problems, audit_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(db):
    made = Partner.objects.create(name="Acme", contact="it@acme.example")  # and its create entry
    audit_seal_pending()
    return made


def test_access_entries_and_their_seals_are_allowed(business_admin, partner):
    before = audit_state()
    audit_access(instance=partner, what="partner Acme", reason="checking", actor=business_admin)
    audit_seal_pending()
    after = audit_state()
    assert len(after.entries) > len(before.entries)
    assert len(after.seals) > len(before.seals)
    assert after.head != before.head
    assert audit_problems(before, after) == []


def test_a_change_entry_is_a_write_that_got_through(partner):
    before = audit_state()
    partner.name = "Acme Ltd"
    partner.save(update_fields=["name"])
    audit_seal_pending()
    problems = audit_problems(before, audit_state())
    assert any("is a update of 'Acme Ltd', not an access" in p for p in problems), problems
    assert any("which is not an access entry added now" in p for p in problems), problems


def test_an_existing_entry_changed_or_deleted_is_found(partner):
    before = audit_state()
    first = LogEntry.objects.order_by("pk")[0]
    LogEntry.objects.filter(pk=first.pk).update(changes_text="rewritten")
    assert audit_problems(before, audit_state()) == [f"audit entry {first.pk} changed or deleted"]
    LogEntry.objects.filter(pk=first.pk).delete()
    assert audit_problems(before, audit_state()) == [f"audit entry {first.pk} changed or deleted"]


def test_a_seal_changed_or_a_head_moved_without_seals_is_found(partner):
    before = audit_state()
    seal = AuditSeal.objects.order_by("sequence")[0]
    AuditSeal.objects.filter(pk=seal.pk).update(chain_hash="f" * 64)
    assert audit_problems(before, audit_state()) == [f"audit seal {seal.sequence} changed or deleted"]
    AuditSeal.objects.filter(pk=seal.pk).update(chain_hash=seal.chain_hash)
    ChainHead.objects.filter(pk=1).update(sequence=99)
    problems = audit_problems(before, audit_state())
    assert len(problems) == 1
    assert "the audit chain head moved" in problems[0]
