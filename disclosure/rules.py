"""Which regulatory obligations an incident's facts trigger, and by when — pure functions.

No database here. ``evaluate(facts, regimes)`` takes the facts (``Facts``: the incident's and
its system's, by the names of the what-if endpoint) and the regime rows (``Regime``: the
editable table, one row per regime and stage) and answers one ``Obligation`` per row: does it
apply (yes / no / undetermined) and why, when its clock starts, its deadline to the minute in
UTC, the recipient and the content it must carry, its legal source and whether the rule needs
legal review.

What is data and what is code:
- data (the rows): the deadline rule, the clock-start event, recipient, content, source,
  review flag and the applicability dates — legal edits them without a release;
- code (here): what each regime's trigger means in terms of facts, and the arithmetic.

Deadline rules are short strings: ``"72h"``, ``"15d"``, ``"1mo"`` (calendar months), ``""``
(no numeric bound: the text says "immediately" or "without undue delay", which the note
carries), with conditional variants where the regulation has them, the strictest applicable
winning: ``"15d; death: 10d; critical_infrastructure_disruption|widespread_infringement: 2d"``
(EU AI Act Art. 73(2)-(4)). The deadline is the outer legal bound.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

YES, NO, UNDETERMINED = "yes", "no", "undetermined"

# Clock-start events a row may name.
AWARE = "aware"  # the organisation became aware (GDPR, NIS2, AI Act, CER, SB 53, CAC)
DISCOVERY = "discovery"  # HIPAA: the breach was discovered (the awareness time)
CLASSIFICATION = "classification"  # DORA initial: classification, capped by awareness + 24 h
PREVIOUS_STAGE = "previous_stage"  # the previous stage's submission, else its deadline
SEVERITY_CONFIRMED = "severity_confirmed"  # internal notices
YEAR_END = "year_end"  # HIPAA annual log: the end of the calendar year of discovery
CLOCK_STARTS = (AWARE, DISCOVERY, CLASSIFICATION, PREVIOUS_STAGE, SEVERITY_CONFIRMED, YEAR_END)

EU_HIGH_RISK = ("high_risk_annex_iii", "high_risk_annex_i")
SERIOUS_HARMS = (
    "death",
    "serious_health_harm",
    "critical_infrastructure_disruption",
    "fundamental_rights_infringement",
    "widespread_infringement",
    "serious_property_or_environment_harm",
)
DORA_INITIAL_CAP = timedelta(hours=24)  # Del. Reg. 2025/301 Art. 5(1)
HIPAA_MEDIA_THRESHOLD = 500  # more than 500 residents of one state (164.406)
HIPAA_HHS_THRESHOLD = 500  # 500 or more: with the individuals' notice (164.408(b))


# --- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the rules read. ``None`` means not known yet: a rule that needs it answers
    "undetermined" and names the fact, rather than guessing."""

    aware_at: datetime | None = None
    # the incident
    kind: str = "incident"  # incident | near_miss | exercise
    death: bool | None = None
    serious_health_harm: bool | None = None
    critical_infrastructure_disruption: bool | None = None
    fundamental_rights_infringement: bool | None = None
    widespread_infringement: bool | None = None
    serious_property_or_environment_harm: bool | None = None
    personal_data_breach: bool | None = None
    breach_risk: str | None = None  # none | risk | high
    data_unintelligible: bool | None = None
    phi_breach: bool | None = None
    phi_individuals: int | None = None
    phi_residents_by_state: Mapping[str, int] = field(default_factory=dict)
    nis2_significant: bool | None = None
    dora_major: bool | None = None
    dora_classified_at: datetime | None = None
    cer_significant_disruption: bool | None = None
    sb53_critical_safety_incident: bool | None = None
    imminent_risk_of_death_or_injury: bool | None = None
    severity: int | None = None  # 0 = P0 … 3 = P3
    severity_confirmed_at: datetime | None = None
    jurisdictions: tuple[str, ...] = ()
    # the AI system
    role: str = ""  # provider, deployer, importer, distributor, …
    eu_class: str = ""  # prohibited, high_risk_annex_iii, high_risk_annex_i, gpai_systemic_risk, …
    eu_market: bool | None = None
    medical_device: bool | None = None
    gdpr_role: str = "none"  # controller, processor, both, none
    hipaa: str = "none"  # covered_entity, business_associate, none
    nis2: str = "none"  # essential, important, none
    dora_financial_entity: bool | None = None
    cer_critical_entity: bool | None = None
    frontier_developer: bool | None = None
    china_cii_operator: bool | None = None


@dataclass(frozen=True)
class Regime:
    """One row of the regimes table: a regime's stage with its deadline rule as data."""

    code: str
    stage: str
    title: str
    trigger: str
    clock_start: str
    deadline_rule: str
    deadline_note: str
    recipient: str
    required_content: str
    source: str
    needs_legal_review: bool = False
    applies_from: date | None = None
    # A date per EU AI Act class where the regime's date depends on it (Art. 73 / 26 after
    # the Digital Omnibus); ``applies_from`` for every other class.
    applies_from_by_class: Mapping[str, date] = field(default_factory=dict)
    position: int = 0  # order of the stages within one code


# --- outputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Obligation:
    code: str
    stage: str
    applies: str
    reason: str
    clock_start: datetime | None
    deadline: datetime | None
    deadline_note: str
    recipient: str
    required_content: str
    source: str
    needs_legal_review: bool

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "stage": self.stage,
            "applies": self.applies,
            "reason": self.reason,
            "clock_start": _iso(self.clock_start),
            "deadline": _iso(self.deadline),
            "deadline_note": self.deadline_note,
            "recipient": self.recipient,
            "required_content": self.required_content,
            "source": self.source,
            "needs_legal_review": self.needs_legal_review,
        }


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


@dataclass(frozen=True)
class Verdict:
    applies: str
    reason: str
    recipient: str = ""  # overrides the row's recipient where the facts change who is told


def yes(reason: str, recipient: str = "") -> Verdict:
    return Verdict(YES, reason, recipient)


def no(reason: str) -> Verdict:
    return Verdict(NO, reason)


def undetermined(reason: str) -> Verdict:
    return Verdict(UNDETERMINED, reason)


# --- deadline arithmetic ------------------------------------------------------------------

_PERIOD = re.compile(r"^\s*(\d+)\s*(h|d|mo)\s*$")


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months; the day is clamped to the month's last (31 Jan + 1 month = 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def add_period(moment: datetime, period: str) -> datetime:
    match = _PERIOD.match(period)
    if not match:
        raise ValueError(f"Not a period: {period!r} (use e.g. 72h, 15d, 1mo)")
    amount, unit = int(match.group(1)), match.group(2)
    if unit == "h":
        return moment + timedelta(hours=amount)
    if unit == "d":
        return moment + timedelta(days=amount)
    return add_months(moment, amount)


@dataclass(frozen=True)
class DeadlineRule:
    default: str  # a period, or "" for no numeric bound
    variants: tuple[tuple[tuple[str, ...], str], ...] = ()  # ((fact, …), period): any fact true

    def periods_for(self, facts: Facts) -> list[str]:
        chosen = [self.default] if self.default else []
        for names, period in self.variants:
            if any(getattr(facts, name) is True for name in names):
                chosen.append(period)
        return chosen


def parse_deadline_rule(text: str) -> DeadlineRule:
    """``"15d; death: 10d; a|b: 2d"`` -> the default and its conditional variants."""
    parts = [p.strip() for p in (text or "").split(";")]
    default, variants = parts[0], []
    if default:
        add_period(datetime(2000, 1, 1, tzinfo=UTC), default)  # validates
    for part in parts[1:]:
        if not part:
            continue
        condition, _, period = part.partition(":")
        names = tuple(n.strip() for n in condition.split("|") if n.strip())
        unknown = [n for n in names if n not in Facts.__dataclass_fields__]
        if not names or unknown or not period.strip():
            raise ValueError(f"Not a deadline variant: {part!r} (use fact|fact: period)")
        add_period(datetime(2000, 1, 1, tzinfo=UTC), period.strip())
        variants.append((names, period.strip()))
    return DeadlineRule(default, tuple(variants))


def strictest_deadline(start: datetime, rule: DeadlineRule, facts: Facts) -> datetime | None:
    """The earliest of the applicable periods from ``start`` (None: no numeric bound)."""
    ends = [add_period(start, p) for p in rule.periods_for(facts)]
    return min(ends) if ends else None


def end_of_day_utc(day: date) -> datetime:
    return datetime.combine(day, time(23, 59), tzinfo=UTC)


def hipaa_annual_log_due(discovered: datetime) -> datetime:
    """164.408(c): within 60 days after the end of the calendar year of discovery (a date)."""
    year_end = date(discovered.astimezone(UTC).year, 12, 31)
    return end_of_day_utc(year_end + timedelta(days=60))


# --- triggers: what each regime means in facts --------------------------------------------


def _missing(facts: Facts, *names: str) -> list[str]:
    return [n for n in names if getattr(facts, n) is None]


def _external_exempt(facts: Facts) -> Verdict | None:
    if facts.kind in ("near_miss", "exercise"):
        label = "a near miss" if facts.kind == "near_miss" else "an exercise"
        return no(f"This is {label}: no external obligation (it is still assessed and recorded).")
    return None


def _serious_incident(facts: Facts, *, only_fundamental_rights: bool = False) -> Verdict | None:
    """None when it is an Art. 3(49) serious incident; else the verdict saying why not/unknown."""
    harms = ("fundamental_rights_infringement",) if only_fundamental_rights else SERIOUS_HARMS
    present = [h for h in harms if getattr(facts, h) is True]
    if present:
        return None
    unknown = [h for h in harms if getattr(facts, h) is None]
    if unknown:
        return undetermined(
            "Whether this is a serious incident (Art. 3(49)) is not known yet: record "
            + ", ".join(unknown)
            + "."
        )
    if only_fundamental_rights:
        return no(
            "Medical-device AI (Art. 73(10)): only fundamental-rights infringements are "
            "reported under Art. 73; none is recorded."
        )
    return no(
        "No Art. 3(49) harm is recorded (death, serious harm to health, critical "
        "infrastructure, fundamental rights, property or environment)."
    )


def _eu_high_risk_on_market(facts: Facts) -> Verdict | None:
    if facts.eu_class not in EU_HIGH_RISK:
        return no(
            f"The system is not a high-risk AI system (EU class: {facts.eu_class or 'not set'})."
        )
    if facts.eu_market is None:
        return undetermined("Whether the system is on the EU market is not recorded.")
    if not facts.eu_market:
        return no("The system is not placed on the EU market or put into service there.")
    return None


def trigger_eu_ai_act_art73(facts: Facts) -> Verdict:
    if v := _external_exempt(facts):
        return v
    if v := _eu_high_risk_on_market(facts):
        return v
    if facts.role == "deployer":
        return no("A deployer informs the provider first (Art. 26(5)); Art. 73 is the provider's.")
    if facts.role != "provider":
        return no(f"Art. 73 is the provider's duty; the organisation is {facts.role or 'not set'}.")
    if v := _serious_incident(facts, only_fundamental_rights=facts.medical_device is True):
        return v
    present = [h.replace("_", " ") for h in SERIOUS_HARMS if getattr(facts, h) is True]
    return yes(
        "Serious incident of a high-risk system the organisation provides: "
        + ", ".join(present)
        + "."
    )


def trigger_eu_ai_act_art26_5(facts: Facts) -> Verdict:
    if v := _external_exempt(facts):
        return v
    if v := _eu_high_risk_on_market(facts):
        return v
    if facts.role != "deployer":
        return no(
            f"Art. 26(5) is the deployer's duty; the organisation is {facts.role or 'not set'}."
        )
    if v := _serious_incident(facts):
        return v
    return yes(
        "Serious incident identified by a deployer: inform the provider first, then the "
        "importer or distributor and the market surveillance authority."
    )


def trigger_eu_ai_act_art55(facts: Facts) -> Verdict:
    if v := _external_exempt(facts):
        return v
    if facts.eu_class != "gpai_systemic_risk":
        return no("Not a general-purpose AI model with systemic risk.")
    if facts.role != "provider":
        return no("Art. 55 is the duty of the model's provider.")
    if v := _serious_incident(facts):
        return v
    return yes("Serious incident involving a general-purpose AI model with systemic risk.")


def _gdpr_breach(facts: Facts) -> Verdict | None:
    if facts.personal_data_breach is None:
        return undetermined("Whether personal data was breached is not recorded.")
    if not facts.personal_data_breach:
        return no("No personal-data breach is recorded.")
    return None


def trigger_gdpr_art33(facts: Facts) -> Verdict:
    if v := _external_exempt(facts):
        return v
    if facts.gdpr_role not in ("controller", "both"):
        return no("The organisation is not the controller for this system's personal data.")
    if v := _gdpr_breach(facts):
        return v
    if facts.breach_risk is None:
        return undetermined("Assess the risk to people's rights and freedoms (none, risk, high).")
    if facts.breach_risk == "none":
        return no(
            "The breach is unlikely to result in a risk to people's rights and freedoms "
            "(Art. 33(1)); record it in the breach register (Art. 33(5))."
        )
    return yes("Personal-data breach likely to result in a risk to people's rights and freedoms.")


def trigger_gdpr_art33_processor(facts: Facts) -> Verdict:
    if v := _external_exempt(facts):
        return v
    if facts.gdpr_role not in ("processor", "both"):
        return no("The organisation is not a processor for this system's personal data.")
    if v := _gdpr_breach(facts):
        return v
    return yes("A processor tells the controller of every personal-data breach (Art. 33(2)).")


def trigger_gdpr_art34(facts: Facts) -> Verdict:
    if v := _external_exempt(facts):
        return v
    if facts.gdpr_role not in ("controller", "both"):
        return no("The organisation is not the controller for this system's personal data.")
    if v := _gdpr_breach(facts):
        return v
    if facts.breach_risk is None:
        return undetermined("Assess the risk to people's rights and freedoms (none, risk, high).")
    if facts.breach_risk != "high":
        return no("The breach is not likely to result in a high risk to people (Art. 34(1)).")
    if facts.data_unintelligible is None:
        return undetermined(
            "Record whether the data was unintelligible to others (e.g. encrypted)."
        )
    if facts.data_unintelligible:
        return no("Exempt: the data is unintelligible to anyone not authorised (Art. 34(3)(a)).")
    return yes("High-risk personal-data breach: tell the people affected.")


def trigger_nis2_art23(facts: Facts) -> Verdict:
    if v := _external_exempt(facts):
        return v
    if facts.nis2 not in ("essential", "important"):
        return no("The organisation is not an essential or important entity under NIS2.")
    if facts.nis2_significant is None:
        return undetermined("Assess whether this is a significant incident (NIS2 Art. 23(3)).")
    if not facts.nis2_significant:
        return no("Not a significant incident under NIS2 Art. 23(3).")
    return yes(f"Significant incident of an {facts.nis2} entity.")


def trigger_dora_art19(facts: Facts) -> Verdict:
    if v := _external_exempt(facts):
        return v
    if facts.dora_financial_entity is None:
        return undetermined("Record whether the organisation is a DORA financial entity.")
    if not facts.dora_financial_entity:
        return no("The organisation is not a financial entity under DORA.")
    if facts.dora_major is None:
        return undetermined(
            "Classify the ICT-related incident (Del. Reg. 2024/1772): major or not."
        )
    if not facts.dora_major:
        return no("Not a major ICT-related incident.")
    return yes("Major ICT-related incident of a financial entity.")


def trigger_cer_art15(facts: Facts) -> Verdict:
    if v := _external_exempt(facts):
        return v
    if facts.cer_critical_entity is None:
        return undetermined("Record whether the organisation is a critical entity under CER.")
    if not facts.cer_critical_entity:
        return no("The organisation is not a critical entity under the CER Directive.")
    if facts.cer_significant_disruption is None:
        return undetermined("Assess whether essential services are significantly disrupted.")
    if not facts.cer_significant_disruption:
        return no("No significant disruption of essential services.")
    return yes("Incident significantly disrupting the provision of essential services.")


def _hipaa_breach(facts: Facts) -> Verdict | None:
    if v := _external_exempt(facts):
        return v
    if facts.hipaa not in ("covered_entity", "business_associate"):
        return no("The organisation is neither a HIPAA covered entity nor a business associate.")
    if facts.phi_breach is None:
        return undetermined("Record whether unsecured protected health information was breached.")
    if not facts.phi_breach:
        return no("No breach of unsecured protected health information is recorded.")
    return None


def trigger_hipaa_individuals(facts: Facts) -> Verdict:
    if v := _hipaa_breach(facts):
        return v
    if facts.hipaa == "business_associate":
        return yes(
            "A business associate tells the covered entity (164.410).",
            recipient="The covered entity",
        )
    return yes("Breach of unsecured PHI: tell each individual affected (164.404).")


def trigger_hipaa_media(facts: Facts) -> Verdict:
    if v := _hipaa_breach(facts):
        return v
    if facts.hipaa != "covered_entity":
        return no("Media notice is the covered entity's duty.")
    over = {
        s: n for s, n in (facts.phi_residents_by_state or {}).items() if n > HIPAA_MEDIA_THRESHOLD
    }
    if over:
        states = ", ".join(f"{s} ({n})" for s, n in sorted(over.items()))
        return yes(
            f"More than {HIPAA_MEDIA_THRESHOLD} residents of a state are affected: {states}."
        )
    if not facts.phi_residents_by_state:
        return undetermined("Record how many residents of each state are affected.")
    return no(f"No state has more than {HIPAA_MEDIA_THRESHOLD} residents affected.")


def trigger_hipaa_hhs(facts: Facts) -> Verdict:
    if v := _hipaa_breach(facts):
        return v
    if facts.hipaa != "covered_entity":
        return no("Notice to HHS is the covered entity's duty.")
    if facts.phi_individuals is None:
        return undetermined("Record how many individuals are affected (500 or more: notify now).")
    return yes(f"{facts.phi_individuals} individuals affected.")


def trigger_ca_sb53(facts: Facts) -> Verdict:
    if v := _external_exempt(facts):
        return v
    if facts.frontier_developer is None:
        return undetermined("Record whether the organisation is a frontier developer (SB 53).")
    if not facts.frontier_developer:
        return no("The organisation is not a frontier developer under SB 53.")
    if facts.sb53_critical_safety_incident is None:
        return undetermined("Assess whether this is a critical safety incident (SB 53).")
    if not facts.sb53_critical_safety_incident:
        return no("Not a critical safety incident under SB 53.")
    if facts.imminent_risk_of_death_or_injury:
        return yes(
            "Critical safety incident with an imminent risk of death or serious injury: "
            "tell an appropriate authority within 24 hours.",
            recipient="An appropriate authority (law enforcement or public safety)",
        )
    return yes("Critical safety incident of a frontier developer.")


def trigger_china_cac(facts: Facts) -> Verdict:
    if v := _external_exempt(facts):
        return v
    in_china = "CN" in {j.upper() for j in facts.jurisdictions}
    if not (facts.china_cii_operator or in_china):
        return no(
            "Neither a critical information infrastructure operator in China nor an "
            "incident in China."
        )
    return undetermined(
        "Assess whether this is a relatively major cybersecurity incident under "
        "the CAC measures; if so, report within the deadline."
    )


def trigger_internal(severity: int, audience: str):
    def trigger(facts: Facts) -> Verdict:
        if facts.severity is None:
            return undetermined("The severity is not set yet.")
        if facts.severity != severity:
            return no(
                f"Only P{severity} incidents go to the {audience} (this one is P{facts.severity})."
            )
        return yes(
            f"P{severity} incident: the {audience} are told within 24 hours of the "
            "severity being confirmed."
        )

    return trigger


TRIGGERS = {
    "eu_ai_act_art73": trigger_eu_ai_act_art73,
    "eu_ai_act_art26_5": trigger_eu_ai_act_art26_5,
    "eu_ai_act_art55": trigger_eu_ai_act_art55,
    "gdpr_art33": trigger_gdpr_art33,
    "gdpr_art33_processor": trigger_gdpr_art33_processor,
    "gdpr_art34": trigger_gdpr_art34,
    "nis2_art23": trigger_nis2_art23,
    "dora_art19": trigger_dora_art19,
    "cer_art15": trigger_cer_art15,
    "hipaa_individuals": trigger_hipaa_individuals,
    "hipaa_hhs": trigger_hipaa_hhs,
    "hipaa_media": trigger_hipaa_media,
    "ca_sb53": trigger_ca_sb53,
    "china_cac": trigger_china_cac,
    "internal_board": trigger_internal(0, "board"),
    "internal_executive": trigger_internal(1, "executives"),
}
CODES = tuple(TRIGGERS)


# --- evaluation ---------------------------------------------------------------------------


def _applies_from(regime: Regime, facts: Facts) -> date | None:
    return regime.applies_from_by_class.get(facts.eu_class, regime.applies_from)


def _start_of(
    regime: Regime, facts: Facts, previous: datetime | None
) -> tuple[datetime | None, str]:
    """When the row's clock starts, and a note where the start is not yet known."""
    kind = regime.clock_start
    if kind in (AWARE, DISCOVERY, CLASSIFICATION, YEAR_END):
        if facts.aware_at is None:
            return None, "Record when the organisation became aware."
        return facts.aware_at, ""
    if kind == SEVERITY_CONFIRMED:
        if facts.severity_confirmed_at is None:
            return None, "Starts when the severity is confirmed."
        return facts.severity_confirmed_at, ""
    if kind == PREVIOUS_STAGE:
        if previous is None:
            return None, "Starts when the previous stage is due or submitted."
        return previous, ""
    raise ValueError(f"Unknown clock start {kind!r}")


def _deadline(regime: Regime, facts: Facts, start: datetime, verdict: Verdict) -> datetime | None:
    rule = parse_deadline_rule(regime.deadline_rule)
    if regime.clock_start == YEAR_END:
        if facts.phi_individuals is not None and facts.phi_individuals >= HIPAA_HHS_THRESHOLD:
            return strictest_deadline(start, rule, facts)  # with the individuals' notice
        return hipaa_annual_log_due(start)
    if regime.clock_start == CLASSIFICATION:
        # DORA: 4 h after classification, and no later than 24 h after awareness — unless the
        # classification itself comes after those 24 h: then 4 h after classification.
        cap = start + DORA_INITIAL_CAP
        classified = facts.dora_classified_at
        if classified is None:
            return cap
        after_classification = strictest_deadline(classified, rule, facts)
        if classified > cap:
            return after_classification
        return min(after_classification, cap)
    if regime.code == "ca_sb53" and facts.imminent_risk_of_death_or_injury:
        return start + timedelta(hours=24)
    if regime.code == "china_cac":
        return start + (timedelta(hours=1) if facts.china_cii_operator else timedelta(hours=4))
    return strictest_deadline(start, rule, facts)


def evaluate(
    facts: Facts,
    regimes: Iterable[Regime],
    *,
    submitted: Mapping[tuple[str, str], datetime] | None = None,
) -> list[Obligation]:
    """One obligation per regime row, in the rows' order (by code, then stage position).

    ``submitted`` maps (code, stage) to when that stage was actually submitted: a later stage
    whose clock runs from the previous one then runs from that submission, not the deadline.
    """
    submitted = submitted or {}
    rows = sorted(
        regimes, key=lambda r: (CODES.index(r.code) if r.code in CODES else 99, r.code, r.position)
    )
    out: list[Obligation] = []
    previous_end: dict[str, datetime | None] = {}
    for regime in rows:
        trigger = TRIGGERS.get(regime.code)
        verdict = trigger(facts) if trigger else undetermined("No rule is defined for this code.")
        start_from = _applies_from(regime, facts)
        if (
            verdict.applies != NO
            and start_from is not None
            and facts.aware_at is not None
            and facts.aware_at.astimezone(UTC).date() < start_from
        ):
            verdict = no(
                f"Not yet applicable: {regime.code} applies from {start_from.isoformat()}."
            )
        previous = previous_end.get(regime.code)  # the previous stage's submission or deadline
        start, start_note = _start_of(regime, facts, previous)
        deadline = None
        note = regime.deadline_note
        if verdict.applies != NO and start is not None:
            deadline = _deadline(regime, facts, start, verdict)
        elif verdict.applies != NO and start_note:
            note = f"{note} {start_note}".strip()
        previous_end[regime.code] = submitted.get((regime.code, regime.stage)) or deadline
        out.append(
            Obligation(
                code=regime.code,
                stage=regime.stage,
                applies=verdict.applies,
                reason=verdict.reason,
                clock_start=start if verdict.applies != NO else None,
                deadline=deadline,
                deadline_note=note,
                recipient=verdict.recipient or regime.recipient,
                required_content=regime.required_content,
                source=regime.source,
                needs_legal_review=regime.needs_legal_review,
            )
        )
    return out


def with_changes(facts: Facts, **changes) -> Facts:
    return replace(facts, **changes)


_RANK = {YES: 2, UNDETERMINED: 1, NO: 0}


def evaluate_for_systems(
    incident_facts: Facts,
    systems: Mapping[str, Mapping] | None,
    regimes: Iterable[Regime],
    *,
    submitted: Mapping[tuple[str, str], datetime] | None = None,
) -> list[Obligation]:
    """The incident's obligations over every affected system: ``systems`` maps a system's
    reference to its facts (the ``Facts`` system fields). A row applies when it applies for any
    system (yes over undetermined over no), with the earliest deadline among those; the reason
    names the system. No system yet: evaluated with no system facts."""
    regimes = list(regimes)
    if not systems:
        return evaluate(incident_facts, regimes, submitted=submitted)
    merged: dict[tuple[str, str], Obligation] = {}
    order: list[tuple[str, str]] = []
    for reference, system_facts in sorted(systems.items()):
        facts = replace(incident_facts, **system_facts)
        for obligation in evaluate(facts, regimes, submitted=submitted):
            key = (obligation.code, obligation.stage)
            named = replace(obligation, reason=f"{reference}: {obligation.reason}")
            best = merged.get(key)
            if best is None:
                order.append(key)
                merged[key] = named
                continue
            if _RANK[named.applies] > _RANK[best.applies] or (
                _RANK[named.applies] == _RANK[best.applies]
                and named.deadline
                and (best.deadline is None or named.deadline < best.deadline)
            ):
                merged[key] = named
    return [merged[key] for key in order]


def facts_as_json(facts: Facts) -> dict:
    """The facts as a JSON-able dict (stored with the assessment, compared to notice change)."""
    out = {}
    for name in Facts.__dataclass_fields__:
        value = getattr(facts, name)
        if isinstance(value, datetime):
            value = _iso(value)
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        out[name] = value
    return out


def changed_facts(before: Mapping, after: Mapping) -> list[str]:
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
