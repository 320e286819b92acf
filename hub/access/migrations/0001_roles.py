"""The three roles, as groups with exact model permissions. A person gets a role by joining its group
(and ``is_staff`` to reach the admin at all). Superusers stand outside this matrix.

Matrix (A = add, C = change, D = delete, V = view; "-" = nothing):

| models                                                        | Business admin | Operator | Compliance reviewer |
| ------------------------------------------------------------- | -------------- | -------- | ------------------- |
| systems.System, systems.Secret                                | ACDV           | V        | V                   |
| catalog.Entity, EntityField, SourceOfTruth                    | ACDV           | V        | V                   |
| mappings.Mapping, MappingRule, MappingVersion                 | ACDV           | V        | V                   |
| flows.Flow                                                    | ACDV           | V        | V                   |
| api.Partner, ApiKey, EntityGrant, FlowGrant                   | ACDV           | V        | V                   |
| catalog.Record, CrossReference                                | V              | V        | V                   |
| catalog.Conflict (accept / keep actions check C)              | V              | CV       | V                   |
| flows.Quarantined (reject action, correction form check C)    | V              | CV       | V                   |
| flows.Delivery (dead-letter replay / discard check C)         | V              | CV       | V                   |
| flows.DeadLetter (the proxy the dead-letter list is shown by) | V              | V        | V                   |
| flows.Run, RecordOutcome, DeliveryAttempt, InboundBatch       | V              | V        | V                   |
| api.PartnerBatch                                              | V              | V        | V                   |
| auditlog.LogEntry (the audit trail; never writable by anyone) | -              | -        | V                   |
| audit.AuditSeal, AuditAnchor, ChainHead, AuditVerification    | -              | -        | V                   |
| axes.AccessAttempt, AccessLog, AccessFailureLog (sign-ins)    | -              | -        | V                   |
| auth.User, auth.Group (who holds which role)                  | -              | -        | V                   |
| django_rq "Access admin page" (the queue dashboard's writes)  | -              | ✓        | -                   |

Decisions behind it:
- Separation of duties: business admins configure, operators deal with what runs produce (conflicts,
  quarantined records, dead letters). A business admin cannot resolve conflicts or replay dead letters.
- Operators cannot start a flow from the admin: the flow admin's "Run now", activate and pause actions
  check ``flows.change_flow``, which is configuration. Giving it would let operators edit flows.
- Admin pages that are histories (runs, outcomes, deliveries, records, versions) are read-only in code
  for everyone; the permissions above only open them for reading.
- Nobody but a superuser manages users and groups.

Permissions are created by a post_migrate handler, i.e. after this migration on a fresh database: the
migration creates them itself first (``create_permissions`` for every app), so it works on a new database
and on an existing one alike. Running it again sets the groups to exactly this matrix.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ALL = ("add", "change", "delete", "view")
VIEW = ("view",)

CONFIGURATION = [
    "systems.system", "systems.secret",
    "catalog.entity", "catalog.entityfield", "catalog.sourceoftruth",
    "mappings.mapping", "mappings.mappingrule", "mappings.mappingversion",
    "flows.flow",
    "api.partner", "api.apikey", "api.entitygrant", "api.flowgrant",
]  # fmt: skip
OPERATIONS = [
    "catalog.record", "catalog.crossreference", "catalog.conflict",
    "flows.run", "flows.recordoutcome", "flows.quarantined", "flows.delivery", "flows.deadletter",
    "flows.deliveryattempt", "flows.inboundbatch",
    "api.partnerbatch",
]  # fmt: skip
OPERATOR_CHANGES = ["catalog.conflict", "flows.quarantined", "flows.delivery"]
REVIEW_ONLY = [
    "auditlog.logentry", "audit.auditseal", "audit.auditanchor", "audit.chainhead",
    "audit.auditverification",
    "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog",
    "auth.user", "auth.group",
]  # fmt: skip

BUSINESS_ADMIN = "Business admin"
OPERATOR = "Operator"
REVIEWER = "Compliance reviewer"


def _matrix() -> dict[str, set[tuple[str, str]]]:
    def grant(models, actions):
        return {(model, action) for model in models for action in actions}

    return {
        BUSINESS_ADMIN: grant(CONFIGURATION, ALL) | grant(OPERATIONS, VIEW),
        OPERATOR: grant(CONFIGURATION + OPERATIONS, VIEW)
        | grant(OPERATOR_CHANGES, ("change",))
        | {("django_rq.dashboard", "admin")},
        REVIEWER: grant(CONFIGURATION + OPERATIONS + REVIEW_ONLY, VIEW),
    }


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True  # create_permissions skips apps it thinks have no models
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, grants in _matrix().items():
        wanted = []
        for label, action in sorted(grants):
            app_label, model = label.split(".")
            codename = action if action == "admin" else f"{action}_{model}"
            wanted.append(
                permission_model.objects.get(
                    content_type__app_label=app_label, content_type__model=model, codename=codename
                )
            )
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.set(wanted)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[BUSINESS_ADMIN, OPERATOR, REVIEWER]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auditlog", "0017_add_actor_email"),
        ("audit", "0002_audit_verification"),
        ("axes", "0010_accessattemptexpiration"),
        ("django_rq", "0003_alter_dashboard_permission_names"),
        ("systems", "0001_initial"),
        ("catalog", "0002_initial"),
        ("mappings", "0001_initial"),
        ("flows", "0008_outcome_once_per_page"),
        ("api", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
