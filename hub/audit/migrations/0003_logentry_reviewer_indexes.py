"""Indexes on auditlog's table for the reviewer's filters: by correlation id (an API key, a run) and by
person, each newest first. auditlog's own indexes are single-column, so these lists scanned a person's or a
key's whole history before (make bench: the audit pages over 1,000,000 entries)."""

from django.db import migrations

INDEXES = {
    "hub_logentry_cid_time": "(cid, timestamp)",
    "hub_logentry_actor_time": "(actor_id, timestamp)",
}


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_audit_verification"), ("auditlog", "__latest__")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON auditlog_logentry {columns}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, columns in INDEXES.items()
    ]
