"""Reads of the disclosure module: the regimes table, and the facts of real records."""

from django.db.models import Max, QuerySet

from incidents.choices import HarmFlag, TimelineKind

from . import rules
from .models import DisclosureAssessment, IncidentFacts, Obligation, RegimeRule, SystemFacts


def regime_rules() -> QuerySet[RegimeRule]:
    return RegimeRule.objects.order_by("code", "position", "stage")


def regimes() -> list[rules.Regime]:
    """The rows as the pure rules read them (one query)."""
    return [row.as_regime() for row in regime_rules()]


EU_CLASS_OF = {"prohibited": "prohibited", "limited": "limited", "minimal": "minimal"}


def system_facts(system, extra: SystemFacts | None) -> dict:
    """The ``Facts`` system fields of one AI system: the inventory's record plus the few facts
    only disclosure keeps (``SystemFacts``)."""
    if system.eu_ai_act_class == "high_risk":
        eu_class = (
            "high_risk_annex_i" if system.annex_iii_area == "annex_i" else "high_risk_annex_iii"
        )
    elif extra is not None and extra.gpai_systemic_risk:
        eu_class = "gpai_systemic_risk"
    else:
        eu_class = EU_CLASS_OF.get(system.eu_ai_act_class, "")
    return {
        "role": system.organization_role,
        "eu_class": eu_class,
        "eu_market": system.eu_market,
        "gdpr_role": system.gdpr_role,
        "hipaa": system.hipaa_role,
        "nis2": system.nis2_entity,
        "dora_financial_entity": system.dora_financial_entity,
        "medical_device": bool(extra and extra.medical_device),
        "cer_critical_entity": bool(extra and extra.cer_critical_entity),
        "frontier_developer": bool(extra and extra.frontier_developer),
        "china_cii_operator": bool(extra and extra.china_cii_operator),
    }


def system_facts_of(system) -> SystemFacts:
    """The system's disclosure facts row, or an unsaved one with the defaults (nothing
    recorded yet: every flag off)."""
    return SystemFacts.objects.filter(system=system).first() or SystemFacts(system=system)


def severity_confirmed_at(incident):
    """When the current severity was confirmed: at triage, or at a later severity change."""
    if incident.triaged_at is None:
        return None
    last_change = incident.timeline.filter(kind=TimelineKind.SEVERITY).aggregate(at=Max("at"))["at"]
    return max(incident.triaged_at, last_change) if last_change else incident.triaged_at


def incident_facts(incident, extra: IncidentFacts | None) -> rules.Facts:
    """The ``Facts`` incident fields of a real incident: its own record (kind, harm flags,
    severity, jurisdictions) plus the facts only disclosure keeps (``IncidentFacts``)."""
    flags = set(incident.harm_flags)
    extra = extra or IncidentFacts()  # defaults; not tied to the incident (no relation cache)
    return rules.Facts(
        aware_at=extra.aware_at or incident.detected_at,
        kind="exercise" if extra.exercise else incident.kind,
        death=HarmFlag.DEATH in flags,
        serious_health_harm=HarmFlag.PHYSICAL_HARM in flags,
        critical_infrastructure_disruption=HarmFlag.CRITICAL_INFRASTRUCTURE in flags,
        fundamental_rights_infringement=HarmFlag.FUNDAMENTAL_RIGHTS in flags,
        widespread_infringement=extra.widespread_infringement,
        serious_property_or_environment_harm=HarmFlag.PROPERTY_ENVIRONMENT in flags,
        personal_data_breach=HarmFlag.PERSONAL_DATA_BREACH in flags,
        breach_risk=extra.breach_risk or None,
        data_unintelligible=extra.data_unintelligible,
        phi_breach=HarmFlag.PHI in flags,
        phi_individuals=extra.phi_individuals,
        phi_residents_by_state=dict(extra.phi_residents_by_state or {}),
        nis2_significant=extra.nis2_significant,
        dora_major=extra.dora_major,
        dora_classified_at=extra.dora_classified_at,
        cer_significant_disruption=extra.cer_significant_disruption,
        sb53_critical_safety_incident=extra.sb53_critical_safety_incident,
        imminent_risk_of_death_or_injury=extra.imminent_risk_of_death_or_injury,
        severity=incident.severity,
        severity_confirmed_at=severity_confirmed_at(incident),
        jurisdictions=tuple(j.upper() for j in incident.jurisdictions),
    )


def facts_of(incident) -> tuple[rules.Facts, dict[str, dict]]:
    """The incident's facts and each affected system's facts, by system reference."""
    extra = IncidentFacts.objects.filter(incident=incident).first()
    links = list(incident.affected_systems.select_related("system"))
    system_ids = [link.system_id for link in links]
    extras = {sf.system_id: sf for sf in SystemFacts.objects.filter(system_id__in=system_ids)}
    systems = {
        link.system.reference: system_facts(link.system, extras.get(link.system_id))
        for link in links
    }
    return incident_facts(incident, extra), systems


def assessment_of(incident) -> DisclosureAssessment | None:
    return DisclosureAssessment.objects.filter(incident=incident).first()


def obligations_of(assessment) -> QuerySet[Obligation]:
    return assessment.obligations.prefetch_related("submissions").order_by("position", "id")


def open_obligations(user) -> QuerySet[Obligation]:
    """Obligations across the incidents the user may see, soonest deadline first."""
    from incidents.selectors import incidents_visible_to

    return (
        Obligation.objects.filter(assessment__incident__in=incidents_visible_to(user))
        .select_related("assessment__incident")
        .order_by("deadline", "id")
    )


def obligations_visible_to(user) -> QuerySet[Obligation]:
    """An obligation is visible with its incident (the incident's access rule)."""
    from incidents.selectors import incidents_visible_to

    return Obligation.objects.filter(assessment__incident__in=incidents_visible_to(user))


def closure_check(incident) -> str | None:
    """Closing an incident needs its disclosure assessment signed off by legal (DESIGN section 3,
    guard 4) — also when nothing had to be notified."""
    status = (
        DisclosureAssessment.objects.filter(incident=incident)
        .values_list("status", flat=True)
        .first()
    )
    if status == "signed_off":
        return None
    if status == "reopened":
        return "the reopened disclosure assessment signed off by legal again"
    return "a disclosure assessment signed off by legal"


def filter_obligations(queryset: QuerySet[Obligation], params) -> QuerySet[Obligation]:
    """The Obligations page's and API's filters: regime code, status, what counts, overdue."""
    from django.db.models import Q
    from django.utils import timezone

    if code := params.get("code"):
        queryset = queryset.filter(code=code)
    if status := params.get("status"):
        queryset = queryset.filter(status=status)
    applies = params.get("applies")
    if applies == "all":
        pass
    elif applies:
        queryset = queryset.filter(Q(applies=applies) | Q(applies="", proposed=applies))
    elif not params.get("status") and not params.get("code"):
        # By default the obligations that may be owed; "all" also lists those that do not apply.
        queryset = queryset.exclude(Q(applies="no") | Q(applies="", proposed="no"))
    if params.get("overdue") in ("1", "true", "on"):
        queryset = queryset.filter(
            status="pending", submitted_at__isnull=True, deadline__lt=timezone.now()
        ).exclude(Q(applies="no") | Q(applies="", proposed="no"))
    return queryset


def communications_of(incident) -> QuerySet:
    from .models import Communication

    return Communication.objects.filter(incident=incident).select_related(
        "drafted_by", "approved_by", "sent_by", "incident"
    )


def communications_visible_to(user) -> QuerySet:
    from incidents.selectors import incidents_visible_to

    from .models import Communication

    return Communication.objects.filter(incident__in=incidents_visible_to(user)).select_related(
        "drafted_by", "approved_by", "sent_by", "incident"
    )


def draft_context(incident):
    """What a report draft is pre-filled from: the incident, its systems as pinned at
    detection, its containment decisions and the disclosure facts."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from incidents.choices import HarmFlag
    from inventory.choices import DataCategory

    from .drafts import DraftContext, SystemLine

    extra = IncidentFacts.objects.filter(incident=incident).first()
    links = list(incident.affected_systems.select_related("system", "model_version"))
    present = {c for link in links for c in link.system.data_categories}
    categories = [str(label) for value, label in DataCategory.choices if value in present]
    dpo = get_user_model().objects.filter(is_active=True, groups__name="dpo").order_by("id").first()
    labels = dict(HarmFlag.choices)
    return DraftContext(
        reference=incident.reference,
        title=incident.title,
        description=incident.description,
        detected_at=incident.detected_at,
        aware_at=(extra.aware_at if extra and extra.aware_at else incident.detected_at),
        failure_began_at=incident.failure_began_at,
        systems=tuple(
            SystemLine(
                reference=link.system.reference,
                name=link.system.name,
                version=link.model_version.version_label if link.model_version_id else "",
                artifact_digest=link.artifact_digest,
            )
            for link in links
        ),
        individuals_estimate=incident.individuals_affected_estimate,
        individuals_confirmed=incident.individuals_affected_confirmed,
        data_categories=tuple(categories),
        containment=tuple(
            f"{d.get_option_display()}: {d.rationale}" for d in incident.containment_decisions.all()
        ),
        dpo_contact=f"{dpo.get_full_name() or dpo.username} <{dpo.email}>" if dpo else "",
        organisation=getattr(settings, "ORGANISATION_NAME", ""),
        harms=tuple(str(labels.get(f, f)) for f in incident.harm_flags),
    )


def vendor_notices_of(incident) -> QuerySet:
    from .models import VendorNotice

    return VendorNotice.objects.filter(incident=incident).select_related(
        "incident", "notified_by", "capa"
    )


def capas_for_vendor_fix(incident) -> QuerySet:
    """The incident's CAPAs a supplier's fix may be tracked by (any not cancelled)."""
    from capa.choices import ActionStatus
    from capa.models import CorrectiveAction

    return (
        CorrectiveAction.objects.filter(links__incident=incident)
        .exclude(status=ActionStatus.CANCELLED)
        .order_by("reference")
    )


def supplied_systems_of(incident) -> QuerySet:
    """The incident's systems whose model comes from a supplier the inventory names: the ones
    a notice can go to."""
    from inventory.models import AISystem

    return (
        AISystem.objects.filter(incident_links__incident=incident)
        .exclude(supplier="")
        .order_by("reference")
    )


def system_facts_visible_to(user) -> QuerySet[SystemFacts]:
    """A system's disclosure facts are visible with the system (the inventory's access rule)."""
    from inventory.selectors import systems_visible_to

    return SystemFacts.objects.filter(system__in=systems_visible_to(user))


def vendor_notices_visible_to(user) -> QuerySet:
    from incidents.selectors import incidents_visible_to

    from .models import VendorNotice

    return VendorNotice.objects.filter(incident__in=incidents_visible_to(user)).select_related(
        "incident", "notified_by", "capa"
    )


def case_file_section(incident) -> dict:
    """What the case file shows of the disclosure: the assessment with each obligation's
    reason, source and submissions, the communications and the supplier coordination."""
    assessment = assessment_of(incident)
    return {
        "assessment": assessment,
        "obligations": list(
            obligations_of(assessment)
            .select_related("confirmed_by")
            .prefetch_related("submissions__submitted_by", "submissions__document")
        )
        if assessment
        else [],
        "communications": list(communications_of(incident)),
        "vendor_notices": list(vendor_notices_of(incident)),
    }


def has_assessment(incident) -> bool:
    return DisclosureAssessment.objects.filter(incident=incident).exists()


# --- affected individuals (legal and the DPO only: callers check
# ``permissions.can_handle_individuals`` first) -------------------------------------------------


def current_individuals_upload(incident):
    from .models import IndividualsUpload

    return (
        IndividualsUpload.objects.filter(incident=incident, superseded_at__isnull=True)
        .select_related("uploaded_by")
        .first()
    )


def individuals_of(upload, *, status: str = "") -> QuerySet:
    from .models import AffectedIndividual

    rows = AffectedIndividual.objects.filter(upload=upload).order_by("row_number", "id")
    return rows.filter(status=status) if status else rows


def individuals_summary(incident) -> dict:
    """The current list, its counts per status, and what the disclosure facts say now (the
    list's counts were given to them at upload; someone may have changed them since)."""
    from django.db.models import Count

    from .choices import IndividualStatus
    from .models import IndividualsExport

    upload = current_individuals_upload(incident)
    facts = IncidentFacts.objects.filter(incident=incident).first()
    summary = {
        "upload": upload,
        "counts": dict.fromkeys(IndividualStatus.values, 0),
        "facts_individuals": facts.phi_individuals if facts else None,
        "facts_residents_by_state": dict(facts.phi_residents_by_state or {}) if facts else {},
        "exports": [],
    }
    if upload is None:
        summary["facts_match"] = None
        return summary
    for row in individuals_of(upload).order_by().values("status").annotate(n=Count("id")):
        summary["counts"][row["status"]] = row["n"]
    summary["facts_match"] = (
        summary["facts_individuals"] == upload.row_count
        and summary["facts_residents_by_state"] == upload.residents_by_state
    )
    summary["exports"] = list(
        IndividualsExport.objects.filter(upload__incident=incident)
        .select_related("exported_by")
        .order_by("-exported_at", "-id")[:10]
    )
    return summary


# --- the management-review figures (read by reporting's review pack and dashboard) -------------


def period_figures(incidents: QuerySet, *, now) -> dict:
    """The disclosure figures of a set of incidents (the review period's, as the reader may see
    them): per regime, the obligations that applied and whether they were submitted on time,
    late or are still owed, the "not required" decisions people made, the assessments signed
    off, and the communications sent. Three queries, whatever the data; no names, no free text.
    """
    from django.db.models import Count, F, Q

    from .choices import AssessmentStatus, CommunicationStatus, ObligationStatus
    from .models import Communication

    applied = Q(applies="yes") | Q(applies="", proposed="yes")
    undetermined = Q(applies="undetermined") | Q(applies="", proposed="undetermined")
    submitted = Q(submitted_at__isnull=False)
    on_time = applied & submitted & (Q(deadline__isnull=True) | Q(submitted_at__lte=F("deadline")))
    late = applied & submitted & Q(submitted_at__gt=F("deadline"))
    owed = applied & Q(submitted_at__isnull=True, status=ObligationStatus.PENDING)
    rows = (
        Obligation.objects.filter(assessment__incident__in=incidents)
        .values("code")
        .annotate(
            applied=Count("id", filter=applied),
            on_time=Count("id", filter=on_time),
            late=Count("id", filter=late),
            owed=Count("id", filter=owed),
            overdue=Count("id", filter=owed & Q(deadline__lt=now)),
            complete_outstanding=Count(
                "id", filter=applied & submitted & Q(status=ObligationStatus.PENDING)
            ),
            undetermined=Count("id", filter=undetermined),
            not_required=Count("id", filter=Q(applies="no")),
        )
        .order_by("code")
    )
    keys = (
        "applied",
        "on_time",
        "late",
        "owed",
        "overdue",
        "complete_outstanding",
        "undetermined",
        "not_required",
    )
    by_regime = [
        {"code": row["code"], **{k: row[k] for k in keys}}
        for row in rows
        if any(row[k] for k in keys)
    ]
    totals = {k: sum(r[k] for r in by_regime) for k in keys}
    assessments = DisclosureAssessment.objects.filter(incident__in=incidents).aggregate(
        assessed=Count("id"),
        signed_off=Count("id", filter=Q(status=AssessmentStatus.SIGNED_OFF)),
        reopened=Count("id", filter=Q(status=AssessmentStatus.REOPENED)),
        open=Count("id", filter=Q(status=AssessmentStatus.OPEN)),
    )
    sent_rows = (
        Communication.objects.filter(incident__in=incidents, status=CommunicationStatus.SENT)
        .values("audience")
        .annotate(n=Count("id"))
        .order_by("audience")
    )
    from .choices import Audience

    labels = dict(Audience.choices)
    sent = [
        {
            "audience": r["audience"],
            "label": str(labels.get(r["audience"], r["audience"])),
            "sent": r["n"],
        }
        for r in sent_rows
    ]
    return {
        "by_regime": by_regime,
        "totals": totals,
        "assessments": assessments,
        "communications_sent": sum(r["sent"] for r in sent),
        "communications_by_audience": sent,
    }
