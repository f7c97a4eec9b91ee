"""Report drafts pre-filled from the record — pure functions of a ``DraftContext``.

Each draft follows the content its regime requires: GDPR Art. 33(3), HIPAA 164.404(c),
California SB 53, and an EU AI Act Art. 73 serious-incident report. What the record does not
hold yet is written as a bracketed gap (``[to complete: …]``) so legal sees what to fill in
before approving; the draft becomes a communication that legal approves before it is sent.
"""

from dataclasses import dataclass, field
from datetime import datetime

GAP = "[to complete: {}]"


@dataclass(frozen=True)
class SystemLine:
    reference: str
    name: str
    version: str = ""
    artifact_digest: str = ""


@dataclass(frozen=True)
class DraftContext:
    reference: str
    title: str
    description: str
    detected_at: datetime | None
    aware_at: datetime | None
    failure_began_at: datetime | None
    systems: tuple[SystemLine, ...] = ()
    individuals_estimate: int | None = None
    individuals_confirmed: int | None = None
    data_categories: tuple[str, ...] = ()
    containment: tuple[str, ...] = ()
    corrective_actions: tuple[str, ...] = ()
    dpo_contact: str = ""
    organisation: str = ""
    harms: tuple[str, ...] = field(default_factory=tuple)
    internal_use: bool | None = None


def _when(moment: datetime | None, what: str) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else GAP.format(what)


def _people(ctx: DraftContext) -> str:
    if ctx.individuals_confirmed is not None:
        return f"{ctx.individuals_confirmed} (confirmed)"
    if ctx.individuals_estimate is not None:
        return f"about {ctx.individuals_estimate} (estimate; the confirmed count follows)"
    return GAP.format("approximate number of people concerned")


def _list(items, what: str) -> str:
    return "; ".join(items) if items else GAP.format(what)


def _systems(ctx: DraftContext) -> str:
    if not ctx.systems:
        return GAP.format("the AI system and the version in use")
    parts = []
    for s in ctx.systems:
        line = f"{s.reference} {s.name}"
        if s.version:
            line += f", version {s.version}"
        if s.artifact_digest:
            line += f" ({s.artifact_digest})"
        parts.append(line)
    return "; ".join(parts)


def gdpr_art33(ctx: DraftContext) -> tuple[str, str]:
    subject = f"Personal data breach notification (GDPR Art. 33) — {ctx.reference}"
    body = f"""Notification of a personal data breach under Article 33 GDPR

Controller: {ctx.organisation or GAP.format("controller name")}
Our reference: {ctx.reference}
Became aware: {_when(ctx.aware_at, "when we became aware")}

(a) Nature of the breach: {ctx.description or GAP.format("what happened")}
    Categories of data subjects and personal data: {_list(ctx.data_categories, "categories")}
    Approximate number of data subjects concerned: {_people(ctx)}
    Approximate number of personal data records concerned: {GAP.format("number of records")}
(b) Contact point: {ctx.dpo_contact or GAP.format("the DPO's name and contact details")}
(c) Likely consequences: {_list(ctx.harms, "likely consequences for the people concerned")}
(d) Measures taken or proposed, incl. to mitigate adverse effects: {_list(ctx.containment + ctx.corrective_actions, "measures")}

Where not all information is available yet, it will follow in phases (Art. 33(4)).
"""
    return subject, body


def hipaa_individuals(ctx: DraftContext) -> tuple[str, str]:
    subject = f"Notice of a breach of your health information — {ctx.reference}"
    body = f"""Dear [name],

What happened: {ctx.description or GAP.format("a brief description")}
Date of the breach: {_when(ctx.failure_began_at, "date of the breach")}; date we discovered it: {_when(ctx.aware_at or ctx.detected_at, "date of discovery")}.
What information was involved: {_list(ctx.data_categories, "types of unsecured protected health information")}
What you can do to protect yourself: {GAP.format("steps individuals should take")}
What we are doing: {_list(ctx.containment + ctx.corrective_actions, "investigation, mitigation and prevention")}
For more information: {GAP.format("toll-free number, e-mail address, web site or postal address")}
"""
    return subject, body


def ca_sb53(ctx: DraftContext) -> tuple[str, str]:
    subject = f"Critical safety incident report (SB 53) — {ctx.reference}"
    internal = {True: "Yes", False: "No"}.get(ctx.internal_use, GAP.format("yes or no"))
    body = f"""Critical safety incident report to the California Office of Emergency Services

Frontier developer: {ctx.organisation or GAP.format("developer name")}
Date of the critical safety incident: {_when(ctx.failure_began_at or ctx.detected_at, "date")}
Why it qualifies as a critical safety incident: {_list(ctx.harms, "the reasons it qualifies")}
Short and plain statement: {ctx.title}. {ctx.description}
Associated with internal use of a frontier model: {internal}
"""
    return subject, body


def eu_ai_act_art73(ctx: DraftContext) -> tuple[str, str]:
    subject = f"Serious incident report (EU AI Act Art. 73) — {ctx.reference}"
    body = f"""Report of a serious incident under Article 73 of Regulation (EU) 2024/1689

Provider: {ctx.organisation or GAP.format("provider name")}
Our reference: {ctx.reference}
Became aware: {_when(ctx.aware_at, "when we became aware")}

What happened: {ctx.description or GAP.format("what happened")}
AI system and version at the time: {_systems(ctx)}
Causal link between the AI system and the incident: {GAP.format("established or reasonably likely, and why")}
Serious harm (Art. 3(49)): {_list(ctx.harms, "the harm")}
Affected persons: {_people(ctx)}
Corrective action taken or planned: {_list(ctx.containment + ctx.corrective_actions, "corrective action")}

This is {GAP.format("an initial (incomplete) or the complete report")} (Art. 73(5)).
"""
    return subject, body


DRAFTS = {
    "gdpr_art33": ("regulator", gdpr_art33),
    "hipaa_individuals": ("affected_individuals", hipaa_individuals),
    "ca_sb53": ("regulator", ca_sb53),
    "eu_ai_act_art73": ("regulator", eu_ai_act_art73),
}
