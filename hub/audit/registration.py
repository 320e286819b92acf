"""Which models the audit trail follows, and what it never writes down.

Registration is explicit and kept in this one place so that a reviewer can see at a glance what is
audited. Secret material (ciphertext) is excluded from every diff; the ``Secret`` row's metadata (who set
it, when) is still recorded.

People and roles are Django's own models: a user's creation, flags (staff, superuser, active), groups and
permissions are recorded, and a password change shows as a change of ``password`` with both values masked
(the hash never enters the trail). ``last_login`` is left out: each sign-in is its own ``logged_in`` entry.
So is ``date_joined``: the creation entry dates the account, and the admin's form drops the value's
microseconds, which would show as a change of it on every account's first save there.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth import get_user_model


def register_models() -> None:
    get = apps.get_model
    auditlog.register(
        get_user_model(),
        exclude_fields=["last_login", "date_joined"],
        mask_fields=["password"],
        mask_callable="hub.audit.masking.mask_fully",
        m2m_fields={"groups", "user_permissions"},
    )
    auditlog.register(get("auth", "Group"), m2m_fields={"permissions"})
    auditlog.register(
        get("systems", "System"), exclude_fields=["last_probe_at", "last_probe_ok", "last_probe_message"]
    )
    auditlog.register(get("systems", "Secret"), exclude_fields=["ciphertext", "last_used_at"])
    auditlog.register(get("catalog", "Entity"))
    auditlog.register(get("catalog", "EntityField"))
    auditlog.register(get("catalog", "SourceOfTruth"))
    auditlog.register(get("mappings", "Mapping"))
    auditlog.register(get("mappings", "MappingRule"))
    auditlog.register(get("mappings", "MappingVersion"))
    auditlog.register(
        get("flows", "Flow"),
        exclude_fields=["next_run_at", "webhook_secret", "cursor"],
        m2m_fields={"targets", "fields"},
    )
    # The partner API: the key's hash and its last use are never part of a diff.
    auditlog.register(get("api", "Partner"))
    auditlog.register(get("api", "ApiKey"), exclude_fields=["hashed_key", "last_used_at", "last_used_from"])
    auditlog.register(get("api", "EntityGrant"), m2m_fields={"fields"})
    auditlog.register(get("api", "FlowGrant"))
    # Records typed into the fallback form, and their authors' corrections (the engine's state changes
    # are conditional updates, not logged here: the run's outcomes are their trail).
    auditlog.register(get("fallback", "ManualEntry"), exclude_fields=["updated_at"])
