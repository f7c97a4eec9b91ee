"""The deadline clock of a regulatory obligation: reminded 4 hours before, then legal and the
DPO at the deadline, GRC and the AI risk officer 2 hours after (policy as data, editable)."""

from django.db import migrations


def seed(apps, schema_editor):
    ClockPolicy = apps.get_model("clocks", "ClockPolicy")
    EscalationStep = apps.get_model("clocks", "EscalationStep")
    policy, created = ClockPolicy.objects.get_or_create(
        kind="obligation",
        severity=None,
        defaults={
            "amount": 0,
            "unit": "hours",
            "remind_before_minutes": 240,
            "description": "Regulatory obligation: due at its legal deadline (disclosure rules).",
        },
    )
    if created:
        EscalationStep.objects.create(
            policy=policy, position=1, roles=["legal", "dpo"], delay_minutes=0
        )
        EscalationStep.objects.create(
            policy=policy, position=2, roles=["grc", "risk_officer"], delay_minutes=120
        )


def unseed(apps, schema_editor):
    apps.get_model("clocks", "ClockPolicy").objects.filter(kind="obligation").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("disclosure", "0003_assessment_and_obligations"),
        ("clocks", "0004_kind_from_registry"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
