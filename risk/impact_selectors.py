"""Reads of impact assessments and of the incident's risk-register review: who sees which, the
list with its filters, a system's current assessment and flag, the closure check."""

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.accounts.choices import READ_ALL, Role

from .choices import ImpactStatus
from .models import ImpactAssessment, ImpactReviewFlag, IncidentRiskReview

LIVE = (ImpactStatus.DRAFT, ImpactStatus.SUBMITTED, ImpactStatus.APPROVED)


def _base() -> QuerySet[ImpactAssessment]:
    return ImpactAssessment.objects.select_related(
        "system", "author", "approved_by", "deployment", "incident"
    )


def assessments_visible_to(user) -> QuerySet[ImpactAssessment]:
    """Every assessment for the oversight roles; for an engineer, those of the AI systems they
    own (business or technical owner); nothing for anybody else."""
    if not getattr(user, "is_authenticated", False):
        return ImpactAssessment.objects.none()
    if user.has_role(*READ_ALL):
        return _base()
    if user.has_role(Role.ENGINEER):
        return _base().filter(Q(system__business_owner=user) | Q(system__technical_owner=user))
    return ImpactAssessment.objects.none()


def with_review_due(queryset: QuerySet[ImpactAssessment]) -> QuerySet[ImpactAssessment]:
    """Annotate ``review_due``: the system has an open flag (the assessment is due for review)."""
    flagged = ImpactReviewFlag.objects.filter(
        system_id=OuterRef("system_id"), cleared_at__isnull=True
    )
    return queryset.annotate(review_due=Exists(flagged))


def assessment_list(user, *, system=None, status=None, due=None) -> QuerySet[ImpactAssessment]:
    """The list page and API: ``due`` = "review" (flagged), "overdue" (past its next due date)
    or "soon" (due within 30 days); superseded versions only when asked for by status."""
    rows = with_review_due(assessments_visible_to(user))
    if system:
        rows = rows.filter(system_id=system)
    rows = rows.filter(status=status) if status else rows.exclude(status=ImpactStatus.SUPERSEDED)
    today = timezone.localdate()
    if due == "review":
        rows = rows.filter(review_due=True)
    elif due == "overdue":
        rows = rows.filter(next_due_date__lt=today, status=ImpactStatus.APPROVED)
    elif due == "soon":
        rows = rows.filter(
            next_due_date__gte=today,
            next_due_date__lte=today + timedelta(days=30),
            status=ImpactStatus.APPROVED,
        )
    return rows.order_by("system__reference", "-version", "id")


def assessment_detail(user, pk) -> ImpactAssessment | None:
    return with_review_due(assessments_visible_to(user)).filter(pk=pk).first()


def versions_of(assessment) -> list[ImpactAssessment]:
    """The system's assessments, newest first: the assessment page's history."""
    return list(
        ImpactAssessment.objects.filter(system_id=assessment.system_id)
        .select_related("author", "approved_by")
        .order_by("-version")
    )


def current_of_system(system) -> ImpactAssessment | None:
    """The approved assessment of the system, else its newest draft or submitted one."""
    rows = list(
        ImpactAssessment.objects.filter(system=system, status__in=LIVE)
        .select_related("approved_by")
        .order_by("-version")[:3]
    )
    approved = next((a for a in rows if a.status == ImpactStatus.APPROVED), None)
    return approved or (rows[0] if rows else None)


def open_flag(system) -> ImpactReviewFlag | None:
    return (
        ImpactReviewFlag.objects.filter(system=system, cleared_at__isnull=True)
        .select_related("deployment", "incident")
        .first()
    )


def risk_review_of(incident) -> IncidentRiskReview | None:
    return IncidentRiskReview.objects.filter(incident=incident).select_related("decided_by").first()


def closure_check(incident) -> str | None:
    """Guard 4: the risk register was reviewed for the incident (a recorded decision)."""
    if IncidentRiskReview.objects.filter(incident=incident).exists():
        return None
    return _(
        "a recorded review of the risk register (risks changed and linked, or no change with "
        "the reason)"
    )
