"""The audit page's verification shows what it could not check (the head record outside the database)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from hub.audit.models import AuditVerification, VerificationState
from hub.audit.verifying import verification_run

pytestmark = pytest.mark.django_db

VERIFY = "/admin/auditlog/logentry/verify/"


def test_a_check_without_the_head_record_says_what_it_could_not_check(client, settings, tmp_path):
    settings.HUB_AUDIT_HEAD_FILE = str(tmp_path / "missing" / "heads.jsonl")
    reviewer = User.objects.create_superuser("rita", "rita@example.com", "a-long-password-42")
    check = AuditVerification.objects.create(requested_by=reviewer)

    verification_run(check.pk)

    check.refresh_from_db()
    assert check.state == VerificationState.DONE
    assert check.warnings, "a missing head record is a warning"
    client.force_login(reviewer)
    page = client.get(VERIFY).content.decode()
    assert page.count('class="warning verify-warning"') == len(check.warnings)
    assert "Could not be checked: " in page
