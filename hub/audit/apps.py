from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hub.audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from auditlog.models import LogEntry
        from django.db.models.signals import post_save

        from hub.audit.chain import entry_saved
        from hub.audit.registration import register_models

        register_models()
        # Every entry is sealed into the hash chain once its transaction commits (hub/audit/chain.py).
        post_save.connect(entry_saved, sender=LogEntry, dispatch_uid="hub.audit.seal")
