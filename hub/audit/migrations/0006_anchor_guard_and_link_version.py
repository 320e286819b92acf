"""Anchors record their last seal's link format; on PostgreSQL, an anchor must continue the anchors before
it and name a real seal of the chain, seals must lie below the chain's head, and the audit tables refuse
TRUNCATE (on SQLite only the field).

An anchor opens the seals and entries it covers to deletion (migration 0005), so a row inserted by hand
could open the whole trail. The insert trigger accepts only what archive_audit writes: the anchor starts
right after the previous one (or at seal 1), ends at or below the chain's head, and carries the chain hash
of the seal it ends at (archive_audit records it before it deletes the seals). What it cannot refuse (a
hand-made anchor that copies those) is what the anchor lines of the head record and the archive file check
in verify_audit report.

Seals: a statement inserting seals must keep them at or below the chain's head (the sealer moves the head
first, in the same transaction, holding its lock): a seal inserted beyond the head by hand would keep the
entry it names out of the chain. (Below the head every place is taken but the archived ones; a seal put
there is not looked up here, since the trigger must not wait for the anchor table, but verification reports
it, like a seal beyond the head on SQLite, and its entry as never sealed.)

TRUNCATE fires no row triggers: a statement trigger refuses it, unless the session says
``SET hub.audit_truncate = 'on'`` (the test suite's throwaway databases empty their tables with TRUNCATE
between tests: tests/on_postgres.py sets it for its connections; no hub code path sets it).
"""

from typing import Any

from django.db import migrations, models

FUNCTIONS = """
CREATE OR REPLACE FUNCTION hub_audit_anchor_insert_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    previous bigint;
    head bigint;
    sealed text;
BEGIN
    SELECT max(sequence) INTO previous FROM audit_auditanchor;
    IF NEW.first_sequence <> coalesce(previous, 0) + 1 THEN
        RAISE EXCEPTION 'audit archive anchor %-% refused: it must start at seal %, right after the previous archive',
            NEW.first_sequence, NEW.sequence, coalesce(previous, 0) + 1
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT sequence INTO head FROM audit_chainhead WHERE id = 1;
    IF NEW.sequence < NEW.first_sequence OR NEW.sequence > coalesce(head, 0) THEN
        RAISE EXCEPTION 'audit archive anchor %-% refused: it must end at a seal of the chain (its head is at %)',
            NEW.first_sequence, NEW.sequence, coalesce(head, 0)
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT chain_hash INTO sealed FROM audit_auditseal WHERE sequence = NEW.sequence;
    IF sealed IS NULL OR sealed <> NEW.chain_hash THEN
        RAISE EXCEPTION 'audit archive anchor %-% refused: its chain hash is not the one of seal %',
            NEW.first_sequence, NEW.sequence, NEW.sequence
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION hub_audit_seal_insert_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head bigint;
    high bigint;
BEGIN
    SELECT sequence INTO head FROM audit_chainhead WHERE id = 1;
    SELECT max(sequence) INTO high FROM added;
    IF high > coalesce(head, 0) THEN
        RAISE EXCEPTION 'audit seal % refused: a sealer moves the chain''s head (at %) before it adds seals up to it',
            high, coalesce(head, 0)
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION hub_audit_truncate_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('hub.audit_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% cannot be truncated: the audit trail is append-only', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
"""

TRUNCATE_GUARDED = ("auditlog_logentry", "audit_auditseal", "audit_auditanchor", "audit_chainhead")


def install(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS, params=None)  # no parameters: its "%" are PL/pgSQL's own
    schema_editor.execute("DROP TRIGGER IF EXISTS hub_audit_anchor_insert_guard ON audit_auditanchor")
    schema_editor.execute(
        "CREATE TRIGGER hub_audit_anchor_insert_guard BEFORE INSERT ON audit_auditanchor "
        "FOR EACH ROW EXECUTE FUNCTION hub_audit_anchor_insert_guard()"
    )
    schema_editor.execute("DROP TRIGGER IF EXISTS hub_audit_seal_insert_guard ON audit_auditseal")
    schema_editor.execute(
        "CREATE TRIGGER hub_audit_seal_insert_guard AFTER INSERT ON audit_auditseal "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION hub_audit_seal_insert_guard()"
    )
    for table in TRUNCATE_GUARDED:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS hub_audit_truncate_guard ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER hub_audit_truncate_guard BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION hub_audit_truncate_guard()"
        )


def remove(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS hub_audit_anchor_insert_guard ON audit_auditanchor")
    schema_editor.execute("DROP TRIGGER IF EXISTS hub_audit_seal_insert_guard ON audit_auditseal")
    for table in TRUNCATE_GUARDED:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS hub_audit_truncate_guard ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS hub_audit_anchor_insert_guard()")
    schema_editor.execute("DROP FUNCTION IF EXISTS hub_audit_truncate_guard()")
    schema_editor.execute("DROP FUNCTION IF EXISTS hub_audit_seal_insert_guard()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_append_only_on_postgresql")]

    operations = [
        # Every anchor made so far predates link version 2 (never released before this migration).
        migrations.AddField(
            model_name="auditanchor", name="link_version", field=models.PositiveSmallIntegerField(default=1)
        ),
        migrations.RunPython(install, remove),
    ]
