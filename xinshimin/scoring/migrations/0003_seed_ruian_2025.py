"""Seed the Rui'an 2025 policy (xinshimin/policies/data/ruian-2025.json) as a published version."""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

SEED = Path(__file__).resolve().parents[2] / "policies" / "data" / "ruian-2025.json"


def seed(apps, schema_editor):
    from xinshimin.policies import policy_from_document  # validate before storing

    PolicyRecord = apps.get_model("scoring", "PolicyRecord")
    document = json.loads(SEED.read_text(encoding="utf-8"))
    policy = policy_from_document(document)
    if PolicyRecord.objects.filter(version_id=policy.version_id).exists():
        return
    PolicyRecord.objects.create(
        jurisdiction=policy.jurisdiction,
        version_id=policy.version_id,
        title=policy.title.zh,
        effective_on=policy.effective_on,
        source_document=policy.source_document,
        status="published",
        document=document,
        # Whole seconds: test fixtures serialise datetimes to milliseconds, and the frozen-policy trigger
        # would see a reloaded row with a rounded timestamp as an edit.
        published_at=timezone.now().replace(microsecond=0),
    )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0002_database_guards")]
    # Reversing leaves the row; reversing 0001 drops the table (a published version cannot be deleted).
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
