import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "reference_data.json"


def load(apps, schema_editor):
    """Rui'an's 23 towns and streets (12 街道, 9 镇, 2 乡, since the 2016 adjustment) and the departments."""
    Town = apps.get_model("accounts", "Town")
    Department = apps.get_model("accounts", "Department")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    for code, name, name_en, kind in data["towns"]:
        Town.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en, "kind": kind})
    for code, name, name_en in data["departments"]:
        Department.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
