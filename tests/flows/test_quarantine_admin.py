"""A quarantined record corrected field by field in the admin, then processed by the run it starts."""

from __future__ import annotations

import pytest

from hub.catalog.models import Record
from hub.flows.models import Flow, Quarantined, QuarantineState, Run, RunState
from hub.flows.runs import run_execute
from tests.flows.running import run_once

pytestmark = pytest.mark.django_db(transaction=True)

CRM_FLOW = "New customers from the CRM to ERP and billing"


def test_a_person_corrects_a_quarantined_record_in_the_admin_and_the_next_run_takes_it(
    client, demo, business_admin
):
    run_once(Flow.objects.get(name=CRM_FLOW))
    item = Quarantined.objects.get(external_id="C-1005", state=QuarantineState.OPEN)
    client.force_login(business_admin)
    url = f"/admin/flows/quarantined/{item.pk}/change/"

    page = client.get(url)

    assert page.status_code == 200
    form = page.context["adminform"].form
    values = {name: field.initial for name, field in form.fields.items() if name.startswith("value__")}
    assert "value__email" in values
    invalid = client.post(url, {**values, "value__email": "still not an address"})
    assert invalid.status_code == 200  # the form again, with the reason next to the field
    assert "value__email" in invalid.context["adminform"].form.errors
    saved = client.post(url, {**values, "value__email": "corrected.c1005@example.com"})

    assert saved.status_code == 302
    item.refresh_from_db()
    assert item.state == QuarantineState.RESUBMITTED
    run = Run.objects.filter(flow__name=CRM_FLOW, state=RunState.QUEUED).get()
    finished = run_execute(run.pk, worker="test")
    assert finished is not None
    assert finished.state == RunState.SUCCEEDED, finished.error
    assert Record.objects.filter(natural_key="corrected.c1005@example.com").exists()


def test_a_quarantined_record_is_readable_by_someone_who_may_only_view_it(client, demo):
    from django.contrib.auth.models import Permission, User

    run_once(Flow.objects.get(name=CRM_FLOW))
    item = Quarantined.objects.filter(state=QuarantineState.OPEN).order_by("pk")[0]
    reviewer = User.objects.create_user("rhea", password="correct-horse-42", is_staff=True)
    # This test's database is emptied between tests (transaction=True), roles included: the permission itself.
    reviewer.user_permissions.add(Permission.objects.get(codename="view_quarantined"))
    client.force_login(reviewer)

    page = client.get(f"/admin/flows/quarantined/{item.pk}/change/")

    assert page.status_code == 200
    assert "Correct the values" not in page.content.decode()
