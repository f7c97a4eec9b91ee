"""The defaults of DESIGN section 4 as data. GRC edits them in the admin afterwards."""

from django.db import migrations

H, BD, CD = "hours", "business_days", "calendar_days"

# kind, severity, amount, unit, remind before (minutes), description, [(roles, delay minutes), ...]
POLICIES = [
    ("triage", 0, 2, H, 30, "P0 triage within 2 hours", [(["risk_officer"], 0), (["ciso"], 60)]),
    ("triage", 1, 2, H, 30, "P1 triage within 2 hours", [(["risk_officer"], 0), (["ciso"], 120)]),
    ("triage", 2, 1, BD, 120, "P2 triage within 1 business day", [(["risk_officer"], 0)]),
    ("triage", 3, 5, BD, 24 * 60, "P3 triage within 5 business days", [(["grc"], 0)]),
    (
        "notify",
        0,
        1,
        H,
        15,
        "P0 notification chain within 1 hour: AI system owner -> AI risk officer -> CISO/DPO -> legal",
        [(["risk_officer"], 0), (["ciso", "dpo"], 30), (["legal"], 60)],
    ),
    (
        "notify",
        1,
        1,
        H,
        15,
        "P1 notification chain within 1 hour: AI system owner -> AI risk officer -> CISO/DPO -> legal",
        [(["risk_officer"], 0), (["ciso", "dpo"], 30), (["legal"], 60)],
    ),
    (
        "notify",
        2,
        4,
        H,
        60,
        "P2 notification: AI system owner -> AI risk officer within 4 hours",
        [(["risk_officer"], 0)],
    ),
    (
        "investigation",
        0,
        24,
        H,
        4 * 60,
        "P0 investigation within 24 hours",
        [(["risk_officer"], 0), (["ciso"], 4 * 60)],
    ),
    (
        "investigation",
        1,
        24,
        H,
        4 * 60,
        "P1 investigation within 24 hours",
        [(["risk_officer"], 0)],
    ),
    ("investigation", 2, 5, CD, 24 * 60, "P2 investigation within 5 days", [(["risk_officer"], 0)]),
    (
        "leadership",
        0,
        24,
        H,
        4 * 60,
        "P0: board notified within 24 hours of severity confirmation",
        [(["grc"], 0), (["executive"], 60)],
    ),
    ("leadership", 1, 24, H, 4 * 60, "P1: executives notified within 24 hours", [(["grc"], 0)]),
    (
        "post_incident_review",
        None,
        10,
        BD,
        2 * 24 * 60,
        "Post-incident review 10 business days after closure",
        [(["risk_officer"], 0), (["grc"], 24 * 60)],
    ),
    (
        "capa_immediate",
        None,
        2,
        CD,
        12 * 60,
        "Immediate corrective action within 2 days",
        [(["risk_officer"], 0)],
    ),
    (
        "capa_short_term",
        None,
        30,
        CD,
        3 * 24 * 60,
        "Short-term corrective action within 30 days",
        [(["risk_officer"], 0)],
    ),
]


def seed(apps, schema_editor):
    ClockPolicy = apps.get_model("clocks", "ClockPolicy")
    EscalationStep = apps.get_model("clocks", "EscalationStep")
    BusinessCalendar = apps.get_model("clocks", "BusinessCalendar")
    for kind, severity, amount, unit, remind, description, steps in POLICIES:
        policy, created = ClockPolicy.objects.get_or_create(
            kind=kind,
            severity=severity,
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
    if not BusinessCalendar.objects.exists():
        BusinessCalendar.objects.create(
            name="Organization calendar",
            country="GB",
            subdivision="ENG",
            time_zone="Europe/London",
            working_weekdays=[0, 1, 2, 3, 4],
            active=True,
        )


class Migration(migrations.Migration):
    dependencies = [("clocks", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
