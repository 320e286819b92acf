"""People and roles in the audit trail: accounts made, their flags, groups, permissions and passwords
changed in the admin, each attributed to the admin who did it, and never a password hash."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.forms import MultiWidget

pytestmark = pytest.mark.django_db

USERS = "/admin/auth/user/"
NEW_PASSWORD = "a-new-long-password-77"


@pytest.fixture
def oscar(db):
    user = get_user_model().objects.create_user(
        "oscar", "oscar@example.com", "oscars-password-1", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Operator"))
    return user


def newest() -> int:
    return LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def entries_about(model: Any, instance: Any, since: int = 0, **filters: Any) -> list[LogEntry]:
    content_type = ContentType.objects.get_for_model(model)
    found = LogEntry.objects.filter(
        content_type=content_type, object_pk=str(instance.pk), pk__gt=since, **filters
    )
    return list(found.order_by("pk"))


def audit_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="auditlog", codename="view_logentry")


def as_submitted(response: Any, **changes: Any) -> dict[str, Any]:
    """What a browser sends back from an admin change page as shown, with ``changes`` made."""
    data: dict[str, Any] = {}
    for bound in response.context["adminform"].form:
        if bound.field.disabled:
            continue
        value, widget = bound.value(), bound.field.widget
        if isinstance(widget, MultiWidget):
            parts = widget.decompress(value) or [None] * len(widget.widgets)
            for n, (part, sub) in enumerate(zip(parts, widget.widgets, strict=True)):
                data[f"{bound.html_name}_{n}"] = sub.format_value(part) or ""
        elif isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(getattr(item, "pk", item)) for item in value]
        elif value is not None:
            data[bound.html_name] = str(value)
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return data


def change_in_admin(client, user, **changes: Any) -> None:
    page = client.get(f"{USERS}{user.pk}/change/")
    assert page.status_code == 200
    response = client.post(f"{USERS}{user.pk}/change/", as_submitted(page, **changes))
    assert response.status_code == 302, response.context["adminform"].form.errors


def every_column_of_every_entry() -> list[str]:
    columns = [field.attname for field in LogEntry._meta.concrete_fields]
    return [str(value) for row in LogEntry.objects.values_list(*columns) for value in row]


@pytest.mark.parametrize(
    ("flag", "before"), [("is_superuser", False), ("is_staff", True), ("is_active", True)]
)
def test_a_flag_changed_in_the_admin_is_attributed_to_the_admin(client, business_admin, oscar, flag, before):
    client.force_login(business_admin)
    since = newest()
    change_in_admin(client, oscar, **{flag: not before})

    oscar.refresh_from_db()
    assert getattr(oscar, flag) is (not before)
    [entry] = entries_about(get_user_model(), oscar, since, action=LogEntry.Action.UPDATE)
    assert entry.changes == {flag: [before, not before]}  # and nothing else: no last_login, no password
    assert entry.actor == business_admin
    assert entry.object_repr == "oscar"


def test_making_an_account_in_the_admin_is_attributed_and_keeps_no_hash(client, business_admin):
    client.force_login(business_admin)
    response = client.post(
        f"{USERS}add/",
        {
            "username": "petra",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    petra = get_user_model().objects.get(username="petra")
    [made] = entries_about(get_user_model(), petra, action=LogEntry.Action.CREATE)
    assert made.actor == business_admin
    assert made.changes["username"] == [None, "petra"]
    assert made.changes["password"] == ["[redacted]", "[redacted]"]
    assert_no_password_anywhere(petra)


def test_groups_and_permissions_given_in_the_admin_are_recorded(client, business_admin, oscar):
    client.force_login(business_admin)
    reviewer = Group.objects.get(name="Compliance reviewer")
    permission = audit_permission()
    since = newest()
    change_in_admin(client, oscar, groups=[str(reviewer.pk)], user_permissions=[str(permission.pk)])

    made = entries_about(get_user_model(), oscar, since, action=LogEntry.Action.UPDATE)
    assert {entry.actor for entry in made} == {business_admin}
    assert sorted(
        (name, change["operation"], change["objects"])
        for entry in made
        for name, change in entry.changes.items()
    ) == [
        ("groups", "add", ["Compliance reviewer"]),
        ("groups", "delete", ["Operator"]),
        ("user_permissions", "add", [str(permission)]),
    ]


def test_a_groups_permissions_changed_in_the_admin_are_recorded(client, business_admin):
    client.force_login(business_admin)
    group = Group.objects.get(name="Operator")
    permission = audit_permission()
    page = client.get(f"/admin/auth/group/{group.pk}/change/")
    data = as_submitted(page)
    data["permissions"] = [*data["permissions"], str(permission.pk)]
    assert client.post(f"/admin/auth/group/{group.pk}/change/", data).status_code == 302

    [entry] = entries_about(Group, group, action=LogEntry.Action.UPDATE)
    assert entry.changes["permissions"]["objects"] == [str(permission)]
    assert entry.actor == business_admin
    assert entry.changes["permissions"]["operation"] == "add"


def test_a_password_change_is_recorded_without_the_hash(client, business_admin, oscar):
    old_hash = oscar.password
    client.force_login(business_admin)
    since = newest()
    response = client.post(
        f"{USERS}{oscar.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    oscar.refresh_from_db()
    assert oscar.check_password(NEW_PASSWORD)

    [entry] = entries_about(get_user_model(), oscar, since, action=LogEntry.Action.UPDATE)
    assert entry.changes == {"password": ["[redacted]", "[redacted]"]}
    assert entry.actor == business_admin
    assert_no_password_anywhere(oscar, old_hash)


def assert_no_password_anywhere(user: Any, *older_hashes: str) -> None:
    """No hash (nor its salt or digest alone) and no plaintext in any column of any entry."""
    pieces = {NEW_PASSWORD, "oscars-password-1"}
    for encoded in (user.password, *older_hashes):
        _algorithm, *parts = encoded.split("$")
        pieces |= {encoded, *(part for part in parts if len(part) >= 8)}
    columns = every_column_of_every_entry()
    assert not [piece for piece in pieces for value in columns if piece in value]
