"""A real RQ worker process picks up background connection tests from a real Redis."""

from __future__ import annotations

import os
import subprocess
import sys

import django_rq
import pytest
from django.conf import settings
from django.db import connection

from hub.systems.jobs import enqueue_probes
from hub.systems.models import System
from tests.access import secret_scan

pytestmark = pytest.mark.django_db(transaction=True)


def run_worker_burst() -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}"}
    result = subprocess.run(
        [sys.executable, "manage.py", "rqworker", "default", "--burst", "--with-scheduler"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    secret_scan.SCAN.capture("output of an rqworker", result.stdout + result.stderr)  # the secrets scan
    return result


def test_background_connection_tests_run_in_a_real_worker(demo):
    queue = django_rq.get_queue("default")
    queue.empty()
    ids = list(System.objects.order_by("name").values_list("pk", flat=True))

    from django.db import transaction

    with transaction.atomic():
        enqueue_probes(ids)
        assert queue.count == 0  # nothing is sent before the transaction commits
    assert queue.count == len(ids)

    result = run_worker_burst()
    assert result.returncode == 0, result.stderr[-2000:]
    assert queue.count == 0
    outcomes = dict(System.objects.values_list("name", "last_probe_ok"))
    assert outcomes == {"Billing": True, "CRM": True, "ERP": True}
