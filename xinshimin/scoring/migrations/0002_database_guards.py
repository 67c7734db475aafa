"""On PostgreSQL the database itself keeps published policy versions frozen and fact history append-only."""

from django.db import migrations

PG_GUARDS = """
CREATE OR REPLACE FUNCTION scoring_policy_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'policy version % is % and cannot be deleted', OLD.version_id, OLD.status
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND (
        NEW.status = 'draft'
        OR NEW.document IS DISTINCT FROM OLD.document
        OR NEW.effective_on IS DISTINCT FROM OLD.effective_on
        OR NEW.version_id IS DISTINCT FROM OLD.version_id
        OR NEW.jurisdiction IS DISTINCT FROM OLD.jurisdiction
        OR NEW.published_at IS DISTINCT FROM OLD.published_at
    ) THEN
        RAISE EXCEPTION 'policy version % is % and frozen', OLD.version_id, OLD.status
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER scoring_policy_frozen
    BEFORE UPDATE OR DELETE ON scoring_policyrecord
    FOR EACH ROW EXECUTE FUNCTION scoring_policy_frozen();

CREATE OR REPLACE FUNCTION scoring_fact_revision_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'fact revisions are append-only: % refused on scoring_factrevision', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER scoring_fact_revision_append_only
    BEFORE UPDATE OR DELETE ON scoring_factrevision
    FOR EACH ROW EXECUTE FUNCTION scoring_fact_revision_append_only();
"""

PG_DROP_GUARDS = """
DROP TRIGGER IF EXISTS scoring_policy_frozen ON scoring_policyrecord;
DROP FUNCTION IF EXISTS scoring_policy_frozen();
DROP TRIGGER IF EXISTS scoring_fact_revision_append_only ON scoring_factrevision;
DROP FUNCTION IF EXISTS scoring_fact_revision_append_only();
"""


def add_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_GUARDS, params=None)


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP_GUARDS, params=None)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_policies_facts_snapshots")]
    operations = [migrations.RunPython(add_guards, drop_guards)]
