"""The roles' rights on manual entries and link health (issue 7), added to the matrix of 0001_roles:

| models               | Business admin | Operator | Compliance reviewer |
| -------------------- | -------------- | -------- | ------------------- |
| fallback.ManualEntry | V              | ACV      | V                   |
| systems.Link         | V              | V        | V                   |

Operators type records into the fallback form (add) and correct their own (change: the page also checks
that the entry is theirs). Nobody deletes a manual entry: it is part of the record's history.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Business admin": [("fallback", "view_manualentry"), ("systems", "view_link")],
    "Operator": [
        ("fallback", "add_manualentry"),
        ("fallback", "change_manualentry"),
        ("fallback", "view_manualentry"),
        ("systems", "view_link"),
    ],
    "Compliance reviewer": [("fallback", "view_manualentry"), ("systems", "view_link")],
}


def grant(apps, schema_editor):
    for label in ("fallback", "systems"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True  # create_permissions skips apps it thinks have no models
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for app_label, codename in codenames:
            group.permissions.add(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )


def revoke(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = group_model.objects.filter(name=name).first()
        if group is None:
            continue
        for app_label, codename in codenames:
            group.permissions.remove(
                *permission_model.objects.filter(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_roles"),
        ("fallback", "0001_initial"),
        ("systems", "0003_link_health"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
