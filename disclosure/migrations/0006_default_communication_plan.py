"""A starting communication plan (documented information, editable by GRC in the admin)."""

from django.db import migrations

PLAN = [
    ("regulator", None, "legal", "Through the authority's channel, by the obligation's deadline."),
    (
        "affected_individuals",
        None,
        "dpo",
        "Without undue delay once an obligation to tell them applies.",
    ),
    ("customers", None, "legal", "When their decisions or data were affected; after legal review."),
    ("partners", None, "grc", "When a supplier's model or a partner's service is involved."),
    ("internal", None, "grc", "When the incident is triaged; updates at each status change."),
    ("board", 0, "executive", "P0: within 24 hours of the severity being confirmed."),
    ("public", None, "executive", "Only with legal's and the executive's approval."),
]


def seed(apps, schema_editor):
    Entry = apps.get_model("disclosure", "CommunicationPlanEntry")
    for audience, severity, role, timing in PLAN:
        Entry.objects.get_or_create(
            audience=audience,
            min_severity=severity,
            defaults={"approver_role": role, "timing": timing},
        )


def unseed(apps, schema_editor):
    apps.get_model("disclosure", "CommunicationPlanEntry").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0005_communications")]
    operations = [migrations.RunPython(seed, unseed)]
