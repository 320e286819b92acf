from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "hub.api"
    verbose_name = "Partner API"

    def ready(self) -> None:
        from hub.api.schema import register_extensions

        register_extensions()
        self._register_audit()

    def _register_audit(self) -> None:
        # Kept beside the models until hub/audit/registration.py lists them (see docs/api/README.md).
        from auditlog.registry import auditlog

        from hub.api.models import ApiKey, EntityGrant, FlowGrant, Partner

        auditlog.register(Partner)
        auditlog.register(ApiKey, exclude_fields=["hashed_key", "last_used_at", "last_used_from"])
        auditlog.register(EntityGrant, m2m_fields={"fields"})
        auditlog.register(FlowGrant)
