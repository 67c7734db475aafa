"""PostgreSQL: ``audit_chain_head(lock_key)`` takes the chain's advisory lock and returns the last event's
``seq`` and ``hash`` in one round trip (was two: bench/README-welfare.md). A VOLATILE PL/pgSQL function
takes a new snapshot for each statement it runs, so the read after the lock sees the event the previous
lock holder committed — exactly as the two separate statements did."""

from django.db import migrations

PG_CREATE = """
CREATE OR REPLACE FUNCTION audit_chain_head(lock_key bigint)
RETURNS TABLE (seq bigint, hash varchar) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY SELECT e.seq::bigint, e.hash::varchar FROM audit_auditevent e ORDER BY e.seq DESC LIMIT 1;
END
$$;
"""

PG_DROP = "DROP FUNCTION IF EXISTS audit_chain_head(bigint);"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
