from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hub.audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from hub.audit.registration import register_models

        register_models()
