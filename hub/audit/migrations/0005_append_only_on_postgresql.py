"""On PostgreSQL, the audit tables refuse changes the hub never makes (on SQLite this does nothing).

Triggers, so that they hold for whatever role the hub connects as:

- auditlog's entries: no UPDATE, except the one auditlog makes when a user is deleted (their entries'
  actor set to null, every other column unchanged); no DELETE, except of an entry whose seal an archive
  anchor covers (archive_audit records the anchor first, in the same transaction).
- seals: no UPDATE; no DELETE except of a seal an archive anchor covers.
- archive anchors: no UPDATE, no DELETE.

They stop edits through the hub's own connection (a bug, a mistaken script, an injected statement); the
tables' owner can still disable them (ALTER TABLE ... DISABLE TRIGGER), which is what the hash chain and the
head record outside the database are for. Migration 0006 guards anchor inserts and TRUNCATE.
"""

from typing import Any

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION hub_audit_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.actor_id IS NULL AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
            RETURN NEW;  -- a deleted user's entries lose their actor (auditlog's on_delete=SET_NULL)
        END IF;
        RAISE EXCEPTION 'audit entry % cannot be changed: the audit trail is append-only', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF EXISTS (
        SELECT 1 FROM audit_auditseal s JOIN audit_auditanchor a
            ON s.sequence BETWEEN a.first_sequence AND a.sequence
        WHERE s.entry_id = OLD.id
    ) THEN
        RETURN OLD;  -- archived: its archive's anchor covers it
    END IF;
    RAISE EXCEPTION 'audit entry % cannot be deleted: only archive_audit removes entries, once archived', OLD.id
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE OR REPLACE FUNCTION hub_audit_seal_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM audit_auditanchor a WHERE OLD.sequence BETWEEN a.first_sequence AND a.sequence
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit seal % cannot be changed or deleted: the audit chain is append-only', OLD.sequence
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE OR REPLACE FUNCTION hub_audit_anchor_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit archive anchor % cannot be changed or deleted', OLD.sequence
        USING ERRCODE = 'insufficient_privilege';
END $$;
"""

TRIGGERS = {
    "hub_audit_entry_guard": "auditlog_logentry",
    "hub_audit_seal_guard": "audit_auditseal",
    "hub_audit_anchor_guard": "audit_auditanchor",
}


def install(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS, params=None)  # no parameters: its "%" are PL/pgSQL's own
    for name, table in TRIGGERS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
        )


def remove(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table in TRIGGERS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_chain_link_version_head_record"), ("auditlog", "__latest__")]

    operations = [migrations.RunPython(install, remove)]
