"""The shipped regimes table (reference/REGULATIONS.md), frozen as JSON beside this migration.

Later changes to the shipped rows come with a migration of their own; rows edited by legal in
the admin or the API are never overwritten.
"""

import json
from pathlib import Path

from django.db import migrations

ROWS = Path(__file__).with_name("0002_regimes.json")


def load(apps, schema_editor):
    RegimeRule = apps.get_model("disclosure", "RegimeRule")
    for row in json.loads(ROWS.read_text(encoding="utf-8")):
        RegimeRule.objects.get_or_create(code=row["code"], stage=row["stage"], defaults=row)


def unload(apps, schema_editor):
    apps.get_model("disclosure", "RegimeRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0001_regime_rules")]
    operations = [migrations.RunPython(load, unload)]
