"""The regimes table as shipped: one row per regime and stage (reference/REGULATIONS.md).

Loaded into the database by migration; legal and GRC edit the rows there (admin and API).
Each row carries its source and whether it needs legal review: a fact only checked against
secondary sources, or whose effective date is unsettled, is flagged so every page and PDF that
shows the obligation says so.
"""

from datetime import date

from .rules import (
    AWARE,
    CLASSIFICATION,
    DISCOVERY,
    PREVIOUS_STAGE,
    SEVERITY_CONFIRMED,
    YEAR_END,
    Regime,
)

# Regulation (EU) 2026/1744 (Digital Omnibus on AI) defers Chapter III Sections 1-3 for
# high-risk systems; when Art. 73 effectively bites is not settled: flagged for legal review.
EU_HIGH_RISK_DATES = {
    "high_risk_annex_iii": date(2027, 12, 2),
    "high_risk_annex_i": date(2028, 8, 2),
}

GDPR_33_3 = (
    "Art. 33(3): the nature of the breach incl. categories and approximate numbers of people "
    "and records concerned; the DPO's or another contact's name and details; the likely "
    "consequences; the measures taken or proposed, incl. to mitigate adverse effects. May be "
    "given in phases (33(4))."
)
ART73_CONTENT = (
    "What happened and when; the AI system and the version in use at the time; the causal link "
    "(established or reasonably likely); the persons affected; the corrective action taken or "
    "planned. An initial incomplete report may be followed by a complete one (Art. 73(5))."
)
HIPAA_404C = (
    "164.404(c): what happened, with the dates of the breach and of its discovery; the types of "
    "unsecured PHI involved; steps individuals should take to protect themselves; what the "
    "entity is doing to investigate, mitigate and prevent; contact procedures (toll-free "
    "number, e-mail, web site or postal address)."
)

DEFAULT_REGIMES: tuple[Regime, ...] = (
    Regime(
        code="eu_ai_act_art73",
        stage="report",
        title="EU AI Act — serious incident report (provider)",
        trigger="Serious incident (Art. 3(49)) of a high-risk AI system the organisation provides "
        "on the EU market; medical-device AI: fundamental-rights incidents only (73(10)).",
        clock_start=AWARE,
        deadline_rule="15d; death: 10d; critical_infrastructure_disruption|widespread_infringement: 2d",
        deadline_note="Immediately after the causal link (or its reasonable likelihood) is "
        "established; at the latest 15 days, 10 days after a death, 2 days for a widespread "
        "infringement or critical-infrastructure disruption.",
        recipient="Market surveillance authority of each Member State where it occurred",
        required_content=ART73_CONTENT,
        source="Regulation (EU) 2024/1689 Art. 73(1)-(5), (9)-(10); Art. 3(49)",
        needs_legal_review=True,
        applies_from_by_class=EU_HIGH_RISK_DATES,
    ),
    Regime(
        code="eu_ai_act_art26_5",
        stage="provider_notice",
        title="EU AI Act — deployer informs the provider",
        trigger="The organisation deploys a high-risk AI system and identifies a serious incident.",
        clock_start=AWARE,
        deadline_rule="",
        deadline_note="Immediately: the provider first, then the importer or distributor and the "
        "market surveillance authority; if the provider cannot be reached, Art. 73 applies to the "
        "deployer. Suspend use where there is an Art. 79(1) risk.",
        recipient="The provider, then the importer or distributor and the market surveillance "
        "authority",
        required_content="The serious incident, the system and version, what is known of the "
        "cause, the persons affected, and the use suspended or continued.",
        source="Regulation (EU) 2024/1689 Art. 26(5)",
        needs_legal_review=True,
        applies_from_by_class=EU_HIGH_RISK_DATES,
    ),
    Regime(
        code="eu_ai_act_art55",
        stage="report",
        title="EU AI Act — general-purpose AI model with systemic risk",
        trigger="Serious incident involving a general-purpose AI model with systemic risk that "
        "the organisation provides.",
        clock_start=AWARE,
        deadline_rule="",
        deadline_note="Without undue delay (no day count in the Act; the voluntary Code of "
        "Practice, measure 9.3, uses 2/5/10/15 days).",
        recipient="The AI Office (and national competent authorities as appropriate)",
        required_content="Relevant information on the serious incident and possible corrective "
        "measures.",
        source="Regulation (EU) 2024/1689 Art. 55(1)(c)",
        needs_legal_review=True,
        applies_from=date(2025, 8, 2),
    ),
    Regime(
        code="gdpr_art33",
        stage="notification",
        title="GDPR — notify the supervisory authority",
        trigger="Personal-data breach as controller, unless unlikely to result in a risk to "
        "people's rights and freedoms.",
        clock_start=AWARE,
        deadline_rule="72h",
        deadline_note="Without undue delay and, where feasible, not later than 72 hours after "
        "becoming aware; a later notification gives the reasons for the delay.",
        recipient="The competent supervisory authority (lead authority for cross-border "
        "processing)",
        required_content=GDPR_33_3,
        source="Regulation (EU) 2016/679 Art. 33(1), (3)-(5)",
    ),
    Regime(
        code="gdpr_art33_processor",
        stage="controller_notice",
        title="GDPR — processor tells the controller",
        trigger="Personal-data breach at the organisation acting as processor.",
        clock_start=AWARE,
        deadline_rule="",
        deadline_note="Without undue delay after becoming aware (Art. 33(2)); check the "
        "processing agreement for a contractual deadline.",
        recipient="The controller",
        required_content=GDPR_33_3,
        source="Regulation (EU) 2016/679 Art. 33(2)",
    ),
    Regime(
        code="gdpr_art34",
        stage="communication",
        title="GDPR — tell the people affected",
        trigger="Breach likely to result in a high risk to people's rights and freedoms; exempt "
        "when the data is unintelligible, later measures remove the high risk, or it would need "
        "disproportionate effort (then a public communication).",
        clock_start=AWARE,
        deadline_rule="",
        deadline_note="Without undue delay.",
        recipient="The data subjects affected",
        required_content="In clear and plain language: the nature of the breach and Art. "
        "33(3)(b)-(d) — contact point, likely consequences, measures taken or proposed.",
        source="Regulation (EU) 2016/679 Art. 34",
    ),
    Regime(
        code="nis2_art23",
        stage="early_warning",
        title="NIS2 — early warning",
        trigger="Significant incident of an essential or important entity.",
        clock_start=AWARE,
        deadline_rule="24h",
        deadline_note="Without undue delay and in any event within 24 hours of becoming aware.",
        recipient="The CSIRT or competent authority",
        required_content="Whether the incident is suspected of being caused by unlawful or "
        "malicious acts and whether it could have a cross-border impact.",
        source="Directive (EU) 2022/2555 Art. 23(4)(a)",
        position=1,
    ),
    Regime(
        code="nis2_art23",
        stage="notification",
        title="NIS2 — incident notification",
        trigger="Significant incident of an essential or important entity.",
        clock_start=AWARE,
        deadline_rule="72h",
        deadline_note="Without undue delay and in any event within 72 hours of becoming aware.",
        recipient="The CSIRT or competent authority",
        required_content="Update of the early warning; initial assessment of severity and impact; "
        "indicators of compromise where available.",
        source="Directive (EU) 2022/2555 Art. 23(4)(b)",
        position=2,
    ),
    Regime(
        code="nis2_art23",
        stage="final",
        title="NIS2 — final report",
        trigger="Significant incident of an essential or important entity.",
        clock_start=PREVIOUS_STAGE,
        deadline_rule="1mo",
        deadline_note="Not later than one month after the incident notification (an "
        "intermediate report on request in between).",
        recipient="The CSIRT or competent authority",
        required_content="Detailed description incl. severity and impact; type of threat or root "
        "cause; mitigation measures applied and ongoing; cross-border impact.",
        source="Directive (EU) 2022/2555 Art. 23(4)(d)",
        position=3,
    ),
    Regime(
        code="dora_art19",
        stage="initial",
        title="DORA — initial notification",
        trigger="Major ICT-related incident of a financial entity (classified under Del. Reg. "
        "2024/1772).",
        clock_start=CLASSIFICATION,
        deadline_rule="4h",
        deadline_note="Within 4 hours of classification and no later than 24 hours after "
        "becoming aware; when classified later, within 4 hours of classification.",
        recipient="The competent authority",
        required_content="Templates of Impl. Reg. 2025/302 (initial notification fields).",
        source="Regulation (EU) 2022/2554 Art. 19(4); Del. Reg. 2025/301 Art. 5",
        position=1,
    ),
    Regime(
        code="dora_art19",
        stage="intermediate",
        title="DORA — intermediate report",
        trigger="Major ICT-related incident of a financial entity.",
        clock_start=PREVIOUS_STAGE,
        deadline_rule="72h",
        deadline_note="Within 72 hours of the initial notification (and updated when the "
        "status changes significantly).",
        recipient="The competent authority",
        required_content="Templates of Impl. Reg. 2025/302 (intermediate report fields).",
        source="Regulation (EU) 2022/2554 Art. 19(4); Del. Reg. 2025/301 Art. 5",
        position=2,
    ),
    Regime(
        code="dora_art19",
        stage="final",
        title="DORA — final report",
        trigger="Major ICT-related incident of a financial entity.",
        clock_start=PREVIOUS_STAGE,
        deadline_rule="1mo",
        deadline_note="Within one month of the latest intermediate report.",
        recipient="The competent authority",
        required_content="Templates of Impl. Reg. 2025/302 (final report: root cause, measures, "
        "costs and losses).",
        source="Regulation (EU) 2022/2554 Art. 19(4); Del. Reg. 2025/301 Art. 5",
        position=3,
    ),
    Regime(
        code="cer_art15",
        stage="initial",
        title="CER Directive — initial notification",
        trigger="Incident that significantly disrupts or could disrupt essential services of a "
        "critical entity.",
        clock_start=AWARE,
        deadline_rule="24h",
        deadline_note="Without undue delay, unless operationally unable, within 24 hours of "
        "becoming aware.",
        recipient="The competent authority",
        required_content="Number and proportion of users affected, duration, geographical area.",
        source="Directive (EU) 2022/2557 Art. 15(1)",
        position=1,
    ),
    Regime(
        code="cer_art15",
        stage="detailed",
        title="CER Directive — detailed report",
        trigger="Incident that significantly disrupts essential services of a critical entity.",
        clock_start=PREVIOUS_STAGE,
        deadline_rule="1mo",
        deadline_note="At the latest one month after the initial notification.",
        recipient="The competent authority",
        required_content="A detailed report of the incident.",
        source="Directive (EU) 2022/2557 Art. 15(1)",
        position=2,
    ),
    Regime(
        code="hipaa_individuals",
        stage="notice",
        title="HIPAA — notice to individuals",
        trigger="Breach of unsecured protected health information (covered entity; a business "
        "associate tells the covered entity).",
        clock_start=DISCOVERY,
        deadline_rule="60d",
        deadline_note="Without unreasonable delay and in no case later than 60 calendar days "
        "after discovery.",
        recipient="Each individual affected",
        required_content=HIPAA_404C,
        source="45 CFR 164.404 (individuals), 164.410 (business associates)",
        needs_legal_review=True,
    ),
    Regime(
        code="hipaa_hhs",
        stage="notice",
        title="HIPAA — notice to the Secretary (HHS)",
        trigger="Breach of unsecured PHI: 500 or more individuals with the individuals' notice; "
        "fewer in the annual log.",
        clock_start=YEAR_END,
        deadline_rule="60d",
        deadline_note="500 or more: at the same time as the individuals' notice (60 days from "
        "discovery). Fewer: in the annual log, within 60 days after the end of the calendar year.",
        recipient="The Secretary of HHS (OCR breach portal)",
        required_content="The breach portal's fields (same content as the individuals' notice).",
        source="45 CFR 164.408",
    ),
    Regime(
        code="hipaa_media",
        stage="notice",
        title="HIPAA — notice to the media",
        trigger="Breach of unsecured PHI of more than 500 residents of a State or jurisdiction.",
        clock_start=DISCOVERY,
        deadline_rule="60d",
        deadline_note="Without unreasonable delay and in no case later than 60 calendar days "
        "after discovery.",
        recipient="Prominent media outlets serving the State or jurisdiction",
        required_content=HIPAA_404C,
        source="45 CFR 164.406",
        needs_legal_review=True,
    ),
    Regime(
        code="ca_sb53",
        stage="report",
        title="California SB 53 — critical safety incident",
        trigger="Critical safety incident of a frontier developer.",
        clock_start=DISCOVERY,
        deadline_rule="15d",
        deadline_note="Within 15 days of discovery; within 24 hours to an appropriate authority "
        "when there is an imminent risk of death or serious physical injury. An amended report "
        "is allowed.",
        recipient="California Office of Emergency Services (Cal OES)",
        required_content="The date of the incident; why it qualifies as a critical safety "
        "incident; a short and plain statement describing it; whether it was associated with "
        "internal use of a frontier model.",
        source="Cal. Bus. & Prof. Code 22757.13 (SB 53)",
        applies_from=date(2026, 1, 1),
    ),
    Regime(
        code="china_cac",
        stage="report",
        title="China — CAC cybersecurity incident report",
        trigger="Relatively major cybersecurity incident (critical information infrastructure "
        "operators and network operators in China).",
        clock_start=DISCOVERY,
        deadline_rule="4h",
        deadline_note="Critical information infrastructure operators within 1 hour; others "
        "within 4 hours; a summary within 30 days after the incident is handled.",
        recipient="The Cyberspace Administration of China (national or provincial)",
        required_content="As the CAC incident measures set out.",
        source="CAC national cybersecurity incident reporting measures (from 1 Nov 2025)",
        needs_legal_review=True,
        applies_from=date(2025, 11, 1),
    ),
    Regime(
        code="internal_board",
        stage="notice",
        title="Internal — board notice (P0)",
        trigger="A P0 incident.",
        clock_start=SEVERITY_CONFIRMED,
        deadline_rule="24h",
        deadline_note="Within 24 hours of the severity being confirmed.",
        recipient="The board",
        required_content="What happened, who is affected, containment, regulatory exposure, "
        "next decisions.",
        source="Company incident policy (DESIGN section 4)",
    ),
    Regime(
        code="internal_executive",
        stage="notice",
        title="Internal — executive notice (P1)",
        trigger="A P1 incident.",
        clock_start=SEVERITY_CONFIRMED,
        deadline_rule="24h",
        deadline_note="Within 24 hours of the severity being confirmed.",
        recipient="The executive team",
        required_content="What happened, who is affected, containment, regulatory exposure, "
        "next decisions.",
        source="Company incident policy (DESIGN section 4)",
    ),
)
