"""Seeds: the first risk methodology (in force), the NIST taxonomies as tags, the 38 Annex A
controls of ISO/IEC 42001:2023 with an undecided SoA entry each, and the risk-review clock
policy. All of it is data GRC and the AI risk officer change afterwards (methodology through a
new version, the SoA through its service, the clock policy in the admin)."""

from django.db import migrations

ANNEX_A_SOURCE = "ISO/IEC 42001:2023 Annex A (secondary sources; REGULATIONS.md [S])"

OBJECTIVES = {
    "A.2": "Policies related to AI",
    "A.3": "Internal organization",
    "A.4": "Resources for AI systems",
    "A.5": "Assessing impacts of AI systems",
    "A.6": "AI system life cycle",
    "A.7": "Data for AI systems",
    "A.8": "Information for interested parties of AI systems",
    "A.9": "Use of AI systems",
    "A.10": "Third-party and customer relationships",
}

CONTROLS = [
    ("A.2.2", "AI policy"),
    ("A.2.3", "Alignment with other organizational policies"),
    ("A.2.4", "Review of the AI policy"),
    ("A.3.2", "AI roles and responsibilities"),
    ("A.3.3", "Reporting of concerns"),
    ("A.4.2", "Resource documentation"),
    ("A.4.3", "Data resources"),
    ("A.4.4", "Tooling resources"),
    ("A.4.5", "System and computing resources"),
    ("A.4.6", "Human resources"),
    ("A.5.2", "AI system impact assessment process"),
    ("A.5.3", "Documentation of AI system impact assessments"),
    ("A.5.4", "Assessing AI system impact on individuals or groups of individuals"),
    ("A.5.5", "Assessing societal impacts of AI systems"),
    ("A.6.1.2", "Objectives for responsible development of AI system"),
    ("A.6.1.3", "Processes for responsible AI system design and development"),
    ("A.6.2.2", "AI system requirements and specification"),
    ("A.6.2.3", "Documentation of AI system design and development"),
    ("A.6.2.4", "AI system verification and validation"),
    ("A.6.2.5", "AI system deployment"),
    ("A.6.2.6", "AI system operation and monitoring"),
    ("A.6.2.7", "AI system technical documentation"),
    ("A.6.2.8", "AI system recording of event logs"),
    ("A.7.2", "Data for development and enhancement of AI system"),
    ("A.7.3", "Acquisition of data"),
    ("A.7.4", "Quality of data for AI systems"),
    ("A.7.5", "Data provenance"),
    ("A.7.6", "Data preparation"),
    ("A.8.2", "System documentation and information for users"),
    ("A.8.3", "External reporting"),
    ("A.8.4", "Communication of incidents"),
    ("A.8.5", "Information for interested parties"),
    ("A.9.2", "Processes for responsible use of AI systems"),
    ("A.9.3", "Objectives for responsible use of AI system"),
    ("A.9.4", "Intended use of the AI system"),
    ("A.10.2", "Allocating responsibilities"),
    ("A.10.3", "Suppliers"),
    ("A.10.4", "Customers"),
]

NIST_600_1 = "NIST AI 600-1 (2024), section 2 (secondary sources; REGULATIONS.md [S])"
NIST_RMF = "NIST AI RMF 1.0 (AI 100-1), section 5 (REGULATIONS.md)"
TAGS = [
    ("nist_ai_600_1", "gai_cbrn", "CBRN information or capabilities", NIST_600_1, False),
    ("nist_ai_600_1", "gai_confabulation", "Confabulation", NIST_600_1, False),
    (
        "nist_ai_600_1",
        "gai_dangerous_content",
        "Dangerous, violent or hateful content",
        NIST_600_1,
        False,
    ),
    ("nist_ai_600_1", "gai_data_privacy", "Data privacy", NIST_600_1, False),
    ("nist_ai_600_1", "gai_environmental", "Environmental impacts", NIST_600_1, False),
    ("nist_ai_600_1", "gai_harmful_bias", "Harmful bias and homogenization", NIST_600_1, False),
    ("nist_ai_600_1", "gai_human_ai_config", "Human-AI configuration", NIST_600_1, False),
    ("nist_ai_600_1", "gai_information_integrity", "Information integrity", NIST_600_1, False),
    ("nist_ai_600_1", "gai_information_security", "Information security", NIST_600_1, False),
    ("nist_ai_600_1", "gai_intellectual_property", "Intellectual property", NIST_600_1, False),
    (
        "nist_ai_600_1",
        "gai_obscene_content",
        "Obscene, degrading and/or abusive content",
        NIST_600_1,
        False,
    ),
    (
        "nist_ai_600_1",
        "gai_value_chain",
        "Value chain and component integration",
        NIST_600_1,
        False,
    ),
    ("nist_ai_rmf", "rmf_govern", "GOVERN", NIST_RMF, True),
    ("nist_ai_rmf", "rmf_map", "MAP", NIST_RMF, True),
    ("nist_ai_rmf", "rmf_measure", "MEASURE", NIST_RMF, True),
    ("nist_ai_rmf", "rmf_manage", "MANAGE", NIST_RMF, True),
]

LIKELIHOOD = [
    (1, "Rare", "Not expected to occur within five years; only in exceptional circumstances."),
    (2, "Unlikely", "Could occur, but not expected within the next year (under 10% a year)."),
    (3, "Possible", "Might occur within the next year (10-50%); has occurred elsewhere."),
    (4, "Likely", "Expected to occur within the next year (50-90%); has occurred here before."),
    (5, "Almost certain", "Expected to occur several times a year (over 90%), or occurring now."),
]
IMPACT = [
    (
        1,
        "Negligible",
        "No harm to people; no regulatory or contractual consequence; no cost worth recording.",
    ),
    (
        2,
        "Minor",
        "Short inconvenience to a few people, fully reversible; internal follow-up only; "
        "cost under 10,000 EUR.",
    ),
    (
        3,
        "Moderate",
        "Reversible harm to a group of people or to rights of a few; a notification may be "
        "owed; cost under 250,000 EUR.",
    ),
    (
        4,
        "Major",
        "Serious or hard to reverse harm to many people or to fundamental rights; a "
        "regulatory notification is owed; cost under 5 million EUR.",
    ),
    (
        5,
        "Severe",
        "Death or serious harm to health, irreversible disruption of critical infrastructure, "
        "widespread infringement of rights; cost above 5 million EUR.",
    ),
]
BANDS = [
    {
        "code": "low",
        "label": "Low",
        "min_score": 1,
        "max_score": 4,
        "accept_roles": ["grc", "risk_officer"],
    },
    {
        "code": "medium",
        "label": "Medium",
        "min_score": 5,
        "max_score": 9,
        "accept_roles": ["risk_officer"],
    },
    {
        "code": "high",
        "label": "High",
        "min_score": 10,
        "max_score": 16,
        "accept_roles": ["risk_officer"],
    },
    {
        "code": "critical",
        "label": "Critical",
        "min_score": 17,
        "max_score": 25,
        "accept_roles": ["executive"],
    },
]


def _scale(rows):
    return [{"level": level, "name": name, "definition": text} for level, name, text in rows]


def seed(apps, schema_editor):
    RiskMethodology = apps.get_model("risk", "RiskMethodology")
    RiskTag = apps.get_model("risk", "RiskTag")
    Control = apps.get_model("risk", "Control")
    ApplicabilityStatement = apps.get_model("risk", "ApplicabilityStatement")
    ClockPolicy = apps.get_model("clocks", "ClockPolicy")
    EscalationStep = apps.get_model("clocks", "EscalationStep")
    from django.utils import timezone

    if not RiskMethodology.objects.exists():
        RiskMethodology.objects.create(
            version=1,
            title="AI risk methodology",
            status="in_force",
            likelihood_scale=_scale(LIKELIHOOD),
            impact_scale=_scale(IMPACT),
            bands=BANDS,
            acceptance_threshold=9,
            notes=(
                "Score = likelihood x impact (1-25). Residual risks scoring above 9 (high and "
                "critical) stand only when accepted: high by the AI risk officer, critical by "
                "an executive. Seeded default; review and approve a version of your own."
            ),
            approved_at=timezone.now(),
        )
    for scheme, code, label, source, verified in TAGS:
        RiskTag.objects.get_or_create(
            code=code,
            defaults={"scheme": scheme, "label": label, "source": source, "verified": verified},
        )
    for position, (code, title) in enumerate(CONTROLS, start=1):
        objective = ".".join(code.split(".")[:2])
        control, _ = Control.objects.get_or_create(
            code=code,
            defaults={
                "objective_code": objective,
                "objective_title": OBJECTIVES[objective],
                "title": title,
                "position": position,
                "source": ANNEX_A_SOURCE,
            },
        )
        ApplicabilityStatement.objects.get_or_create(control=control)
    policy, created = ClockPolicy.objects.get_or_create(
        kind="risk_review",
        severity=None,
        defaults={
            "amount": 0,
            "unit": "calendar_days",
            "remind_before_minutes": 7 * 24 * 60,
            "description": (
                "Risk review: due on the risk's next review date; the owner is reminded a week "
                "before, the AI risk officer told on the day, GRC a week after."
            ),
        },
    )
    if created:
        EscalationStep.objects.create(
            policy=policy, position=1, roles=["clock_owner", "risk_officer"], delay_minutes=0
        )
        EscalationStep.objects.create(
            policy=policy, position=2, roles=["grc"], delay_minutes=7 * 24 * 60
        )


def unseed(apps, schema_editor):
    apps.get_model("clocks", "ClockPolicy").objects.filter(kind="risk_review").delete()
    apps.get_model("risk", "ApplicabilityStatement").objects.all().delete()
    apps.get_model("risk", "Control").objects.all().delete()
    apps.get_model("risk", "RiskTag").objects.all().delete()
    apps.get_model("risk", "RiskMethodology").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0001_initial"),
        ("clocks", "0004_kind_from_registry"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
