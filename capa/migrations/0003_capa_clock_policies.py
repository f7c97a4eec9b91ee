"""CAPA clocks as policy data (DESIGN section 4, "CAPA horizons"): immediate 2 days, short-term
30 days, long-term 90 days, and the effectiveness check due at its own date. The owner is
reminded before the due date; at it the owner and the AI risk officer are told, then GRC.
GRC edits these in the admin afterwards."""

from django.db import migrations

CD, H = "calendar_days", "hours"
# kind, amount, unit, remind before (minutes), description, [(roles, delay minutes), ...]
POLICIES = [
    (
        "capa_due_immediate",
        2,
        CD,
        8 * 60,
        "Immediate CAPA (correction, day 1-2): due 2 days after it is raised",
        [(["clock_owner", "risk_officer"], 0), (["grc"], 8 * 60)],
    ),
    (
        "capa_due_short_term",
        30,
        CD,
        3 * 24 * 60,
        "Short-term CAPA (days 3-30): due 30 days after it is raised",
        [(["clock_owner", "risk_officer"], 0), (["grc"], 2 * 24 * 60)],
    ),
    (
        "capa_due_long_term",
        90,
        CD,
        7 * 24 * 60,
        "Long-term CAPA (30+ days): due 90 days after it is raised",
        [(["clock_owner", "risk_officer"], 0), (["grc"], 7 * 24 * 60)],
    ),
    (
        "capa_effectiveness",
        0,
        H,
        3 * 24 * 60,
        "CAPA effectiveness check: due at the date planned for it",
        [(["risk_officer"], 0), (["grc"], 2 * 24 * 60)],
    ),
]


def seed(apps, schema_editor):
    ClockPolicy = apps.get_model("clocks", "ClockPolicy")
    EscalationStep = apps.get_model("clocks", "EscalationStep")
    for kind, amount, unit, remind, description, steps in POLICIES:
        policy, created = ClockPolicy.objects.get_or_create(
            kind=kind,
            severity=None,
            defaults={
                "amount": amount,
                "unit": unit,
                "remind_before_minutes": remind,
                "description": description,
            },
        )
        if created:
            for position, (roles, delay) in enumerate(steps, start=1):
                EscalationStep.objects.create(
                    policy=policy, position=position, roles=roles, delay_minutes=delay
                )


def unseed(apps, schema_editor):
    apps.get_model("clocks", "ClockPolicy").objects.filter(
        kind__in=[p[0] for p in POLICIES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("capa", "0002_capa_actions"),
        ("clocks", "0004_kind_from_registry"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
