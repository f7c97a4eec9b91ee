"""Reads of the risk module: the one access rule for risks, the methodology in force, the SoA
and the evidence map. Pages, the API and exports all start from these."""

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.accounts.choices import READ_ALL, Role
from aims.clocks.selectors import overdue_exists

from . import readiness
from .choices import Applicability, MethodologyStatus
from .models import (
    ApplicabilityStatement,
    Control,
    EvidenceLink,
    Risk,
    RiskAcceptance,
    RiskControl,
    RiskEntry,
    RiskMethodology,
    RiskSystem,
    RiskTag,
)

EVIDENCE_WINDOW = timedelta(days=365)


def methodology_in_force() -> RiskMethodology:
    """The version in force (a migration seeds one; approving another replaces it). One indexed
    query each time: callers that need it several times pass it along."""
    return RiskMethodology.objects.get(status=MethodologyStatus.IN_FORCE)


def methodologies() -> QuerySet[RiskMethodology]:
    return RiskMethodology.objects.select_related("approved_by", "drafted_by").order_by("-version")


def tags() -> QuerySet[RiskTag]:
    return RiskTag.objects.order_by("scheme", "label")


def tag_labels() -> dict[str, str]:
    return dict(RiskTag.objects.values_list("code", "label"))


def _base() -> QuerySet[Risk]:
    return Risk.objects.select_related("owner", "methodology")


def risks_visible_to(user) -> QuerySet[Risk]:
    """Every risk for the oversight roles; for an engineer, the risks of the AI systems they
    own (business or technical owner) and the risks they own; nothing for anybody else."""
    if not getattr(user, "is_authenticated", False):
        return Risk.objects.none()
    if user.has_role(*READ_ALL):
        return _base()
    if user.has_role(Role.ENGINEER):
        own_system = RiskSystem.objects.filter(risk=OuterRef("pk")).filter(
            Q(system__business_owner=user) | Q(system__technical_owner=user)
        )
        return _base().filter(Q(Exists(own_system)) | Q(owner=user))
    return Risk.objects.none()


def with_lists(queryset: QuerySet[Risk]) -> QuerySet[Risk]:
    """What a register row shows: systems and controls, in two queries for the whole page."""
    return queryset.prefetch_related(
        Prefetch(
            "risk_systems",
            queryset=RiskSystem.objects.select_related(
                "system", "system__business_owner", "system__technical_owner"
            ).order_by("system__reference"),
        ),
        Prefetch(
            "risk_controls",
            queryset=RiskControl.objects.select_related("control").order_by("control__position"),
        ),
    )


def register(user) -> QuerySet[Risk]:
    return risks_visible_to(user).annotate(is_overdue=overdue_exists(Risk))


def risk_detail(user, pk) -> Risk | None:
    return with_lists(risks_visible_to(user)).filter(pk=pk).first()


def risk_for_update(pk) -> Risk:
    return Risk.objects.select_for_update(of=("self",)).select_related("methodology").get(pk=pk)


def entries_of(risk) -> QuerySet[RiskEntry]:
    return RiskEntry.objects.filter(risk=risk).select_related("actor").order_by("at", "id")


def acceptances_of(risk) -> QuerySet[RiskAcceptance]:
    return (
        RiskAcceptance.objects.filter(risk=risk)
        .select_related("accepted_by", "methodology")
        .order_by("-accepted_at", "-id")
    )


def heat_counts(queryset: QuerySet[Risk], which: str) -> dict[tuple[int, int], int]:
    """How many of these risks sit in each cell, one grouped query."""
    likelihood, impact = f"{which}_likelihood", f"{which}_impact"
    rows = (
        queryset.order_by()
        .filter(**{f"{likelihood}__isnull": False, f"{impact}__isnull": False})
        .values(likelihood, impact)
        .annotate(n=Count("id"))
    )
    return {(r[likelihood], r[impact]): r["n"] for r in rows}


def search(queryset, text: str):
    text = (text or "").strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(reference__iexact=text)
        | Q(title__icontains=text)
        | Q(description__icontains=text)
        | Q(cause__icontains=text)
        | Q(consequence__icontains=text)
    )


# --- Annex A and the SoA -----------------------------------------------------------------------


def controls() -> QuerySet[Control]:
    return Control.objects.select_related("statement", "statement__owner").order_by("position")


def control_detail(pk) -> Control | None:
    return controls().filter(pk=pk).first()


def statement_for_update(control) -> ApplicabilityStatement:
    return ApplicabilityStatement.objects.select_for_update(of=("self",)).get(control=control)


def evidence_of(control) -> QuerySet[EvidenceLink]:
    return (
        EvidenceLink.objects.filter(control=control)
        .select_related("target_type", "linked_by")
        .order_by("-record_date", "-id")
    )


def risks_applying(control) -> QuerySet[Risk]:
    return Risk.objects.filter(risk_controls__control=control).order_by("reference")


def evidence_map(*, today=None) -> list[dict]:
    """Per control: its SoA entry, the records that back it (linked evidence and the risks that
    apply it, and the closed exercises for the incident-management controls: ``readiness``)
    with their dates, and whether an applicable control has no record dated within the last 12
    months. Four queries whatever the number of records."""
    today = today or timezone.localdate()
    since = today - EVIDENCE_WINDOW
    links: dict[int, list] = {}
    for link in EvidenceLink.objects.select_related("target_type").order_by("-record_date", "-id"):
        links.setdefault(link.control_id, []).append(
            {
                "label": link.target_label,
                "kind": link.target_type.model,
                "date": link.record_date,
                "target_type": link.target_type.model,
                "target_id": link.target_id,
                "note": link.note,
            }
        )
    for rc in RiskControl.objects.select_related("risk").order_by("-risk__updated_at"):
        risk = rc.risk
        links.setdefault(rc.control_id, []).append(
            {
                "label": f"{risk.reference} {risk.title}",
                "kind": "risk",
                "date": timezone.localdate(
                    risk.last_reviewed_at or risk.assessed_at or risk.updated_at
                ),
                "target_type": "risk",
                "target_id": risk.pk,
                "note": risk.get_status_display(),
                "applied": True,
            }
        )
    exercises = readiness.exercise_records()  # closed exercises back A.8.3 and A.8.4
    rows = []
    for control in controls():
        records = links.get(control.pk, []) + exercises.get(control.code, [])
        records = sorted(records, key=lambda r: r["date"], reverse=True)
        statement = getattr(control, "statement", None)
        applicable = statement is not None and statement.applicability == Applicability.APPLICABLE
        recent = [r for r in records if r["date"] >= since]
        rows.append(
            {
                "control": control,
                "statement": statement,
                "records": records,
                "latest": records[0]["date"] if records else None,
                "gap": applicable and not recent,
            }
        )
    return rows


def incident_links_of(incident, user) -> QuerySet:
    """The risks an incident changed, as far as ``user`` may see the risks."""
    from .models import RiskIncidentLink

    visible = risks_visible_to(user).values("pk")
    return (
        RiskIncidentLink.objects.filter(incident=incident, risk__in=visible)
        .select_related("risk", "linked_by")
        .order_by("linked_at", "id")
    )


def risk_incident_links(risk, user) -> QuerySet:
    """The incidents that changed a risk, as far as ``user`` may see the incidents."""
    from incidents.selectors import incidents_visible_to

    from .models import RiskIncidentLink

    return (
        RiskIncidentLink.objects.filter(
            risk=risk, incident__in=incidents_visible_to(user).values("pk")
        )
        .select_related("incident", "linked_by")
        .order_by("linked_at", "id")
    )


def risk_review_of(incident):
    from .impact_selectors import risk_review_of as review_of

    return review_of(incident)


def case_file_section(incident) -> dict:
    """What the case file shows of the register: every risk the incident changed, how and why.
    A case file is read by auditors (who see every risk), so no per-user filter applies."""
    from .models import RiskIncidentLink

    return {
        "links": list(
            RiskIncidentLink.objects.filter(incident=incident)
            .select_related("risk", "linked_by")
            .order_by("linked_at", "id")
        ),
        "risk_review": risk_review_of(incident),
    }


# --- documented information and retention -----------------------------------------------------


def documents_with_state():
    """Every document with its approved version's number, fingerprint and outdated mark (one
    query: subqueries, no row per version)."""
    from django.db.models import CharField, DateTimeField, IntegerField, Subquery

    from .choices import DocumentVersionStatus
    from .models import Document, DocumentVersion

    approved = DocumentVersion.objects.filter(
        document=OuterRef("pk"), status=DocumentVersionStatus.APPROVED
    )
    drafts = DocumentVersion.objects.filter(
        document=OuterRef("pk"), status=DocumentVersionStatus.DRAFT
    )
    return Document.objects.select_related("owner").annotate(
        approved_number=Subquery(approved.values("number")[:1], output_field=IntegerField()),
        approved_fingerprint=Subquery(
            approved.values("config_fingerprint")[:1], output_field=CharField()
        ),
        approved_outdated_at=Subquery(
            approved.values("outdated_at")[:1], output_field=DateTimeField()
        ),
        approved_outdated_reason=Subquery(
            approved.values("outdated_reason")[:1], output_field=CharField()
        ),
        has_draft=Exists(drafts),
    )


def outdated_reason(document, *, approved=None, live=None) -> str:
    """Why the approved version no longer matches (empty when it does, or none is approved).

    The procedure is outdated as soon as the live configuration's fingerprint differs from the
    one it was approved with (computed here, on read); any document may be marked outdated."""
    from . import procedure

    number = getattr(document, "approved_number", None) if approved is None else approved.number
    if number is None:
        return ""
    fingerprint = (
        approved.config_fingerprint if approved is not None else document.approved_fingerprint
    )
    marked = approved.outdated_at if approved is not None else document.approved_outdated_at
    if marked is not None:
        return (
            approved.outdated_reason
            if approved is not None
            else document.approved_outdated_reason or _("Marked outdated.")
        )
    if document.generated:
        live = live if live is not None else procedure.live_fingerprint(document)
        if fingerprint != live:
            return _(
                "The live configuration (clock policies, roles, channels or links) changed "
                "since this version was approved."
            )
    return ""


def document_list(*, kind="", status="", outdated="", review_due="", today=None) -> list:
    """The register of documents, filtered; each carries ``state`` and ``outdated``."""
    from .choices import DocumentVersionStatus

    queryset = documents_with_state().order_by("reference")
    if kind:
        queryset = queryset.filter(kind=kind)
    if status == DocumentVersionStatus.APPROVED:
        queryset = queryset.filter(approved_number__isnull=False)
    elif status == DocumentVersionStatus.DRAFT:
        queryset = queryset.filter(has_draft=True)
    elif status == "none":
        queryset = queryset.filter(approved_number__isnull=True)
    today = today or timezone.localdate()
    if review_due == "yes":
        queryset = queryset.filter(next_review_date__lte=today + timedelta(days=30))
    rows = list(queryset)
    live = {}
    for document in rows:
        if document.generated and document.approved_number is not None:
            key = tuple((link.get("label"), link.get("url")) for link in document.process_links)
            if key not in live:
                from . import procedure

                live[key] = procedure.live_fingerprint(document)
            document.outdated = outdated_reason(document, live=live[key])
        else:
            document.outdated = outdated_reason(document)
        document.review_due = bool(document.next_review_date and document.next_review_date <= today)
    if outdated == "yes":
        rows = [d for d in rows if d.outdated]
    elif outdated == "no":
        rows = [d for d in rows if not d.outdated]
    return rows


def document_detail(pk):
    return documents_with_state().filter(pk=pk).first()


def versions_of(document):
    return document.versions.select_related("drafted_by", "approved_by").order_by("-number")


def retention_rules():
    from .models import RetentionRule

    return RetentionRule.objects.order_by("record_type")


def holds_of(incident):
    from .models import LegalHold

    return LegalHold.objects.filter(incident=incident).select_related("placed_by", "released_by")


def tombstones_of(incident):
    from .models import PurgeTombstone

    return PurgeTombstone.objects.filter(incident=incident).select_related("rule")


def case_file_retention(incident) -> dict:
    """The case file's retention section: the legal holds and what a purge deleted."""
    return {"holds": list(holds_of(incident)), "tombstones": list(tombstones_of(incident))}


# --- the management-review pack -------------------------------------------------------------

PERIOD_LINK_LIST_LIMIT = 40


def _score(rating) -> int | None:
    score = (rating or {}).get("score")
    return score if isinstance(score, int) else None


def period_figures(incidents, *, limit: int = PERIOD_LINK_LIST_LIMIT) -> dict:
    """How the period's incidents changed the risk register (ISO/IEC 42001 clause 9.3.2 c:
    changes in risks): risks materialised, re-rated (up or down) and raised; the closure
    decisions on the register; the impact assessments the incidents called into question; the
    detection thresholds changed after them; and, per incident, its risk links — by reference
    only, as the pack is anonymised. Five queries, whatever the data (the list is bounded)."""
    from django.db.models import Count

    from incidents.models import DetectionThresholdChange

    from .choices import IncidentLinkKind, RiskReviewOutcome
    from .models import ImpactReviewFlag, IncidentRiskReview, RiskIncidentLink

    links = RiskIncidentLink.objects.filter(incident__in=incidents)
    kinds = {k.value: Count("id", filter=Q(kind=k.value)) for k in IncidentLinkKind}
    counts = links.aggregate(
        **kinds,
        risks=Count("risk", distinct=True),
        incidents=Count("incident", distinct=True),
    )
    rows = list(
        links.values(
            "incident__reference", "risk__reference", "kind", "old_rating", "new_rating"
        ).order_by("incident__detected_at", "incident_id", "linked_at", "id")
    )
    up = down = 0
    for row in rows:
        old, new = _score(row["old_rating"]), _score(row["new_rating"])
        if row["kind"] == IncidentLinkKind.RERATED and old is not None and new is not None:
            up += new > old
            down += new < old
    labels = dict(IncidentLinkKind.choices)
    per_incident: dict[str, list[str]] = {}
    for row in rows[:limit]:
        text = f"{row['risk__reference']} {labels[row['kind']].lower()}"
        old, new = _score(row["old_rating"]), _score(row["new_rating"])
        if row["kind"] == IncidentLinkKind.RERATED and new is not None:
            text += f" ({old if old is not None else '—'} → {new})"
        per_incident.setdefault(row["incident__reference"], []).append(text)
    reviews = IncidentRiskReview.objects.filter(incident__in=incidents).aggregate(
        changed=Count("id", filter=Q(outcome=RiskReviewOutcome.CHANGED)),
        no_change=Count("id", filter=Q(outcome=RiskReviewOutcome.NO_CHANGE)),
    )
    return {
        "links": counts,
        "rerated_up": up,
        "rerated_down": down,
        "reviews": reviews,
        "impact_flags": ImpactReviewFlag.objects.filter(incident__in=incidents).count(),
        "threshold_changes": DetectionThresholdChange.objects.filter(
            incident__in=incidents
        ).count(),
        "by_incident": [{"incident": ref, "links": texts} for ref, texts in per_incident.items()],
        "listed_all": len(rows) <= limit,
    }
