"""The register's FilterSet: one definition for the HTML register, the API and the exports."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from aims.clocks.selectors import overdue_exists
from aims.core.filters import ChoiceOrderingFilter, InstantFilter, LenientMultipleChoiceFilter
from inventory.models import AISystem

from . import selectors
from .choices import OPEN_STATUSES, DetectionSource, IncidentType, Kind, Severity, Status
from .models import AffectedSystem, AtlasTechnique, Incident, IncidentTechnique

STATE_CHOICES = [("open", _("Open")), ("done", _("Closed or rejected"))]
# Exercises are shown in the register, marked; ``kind=real`` leaves them out.
REAL = "real"
KIND_CHOICES = [*Kind.choices, (REAL, _("Incidents and near misses (no exercises)"))]

# Conditions other modules answer about an incident, without the register importing them: the
# learning loop registers ``recurrence`` (the incident recurs, or was recurred by, another one
# with a root cause of the same category) and ``review_uncovered`` (a P0/P1 incident no
# management review has covered yet). Each is ``() -> expression`` over ``OuterRef("pk")``;
# a condition nobody registered filters nothing.
_CONDITIONS: dict = {}


def register_condition(name: str, condition) -> None:
    _CONDITIONS[name] = condition


def _registered(queryset, name, value):
    condition = _CONDITIONS.get(name)
    if value is None or condition is None:
        return queryset
    expression = condition()
    return queryset.filter(expression) if value else queryset.exclude(expression)


@extend_schema_field(OpenApiTypes.STR)
class AtlasTechniqueFilter(django_filters.ModelChoiceFilter):
    """A MITRE ATLAS technique by its ID (``AML.T0051``); documented as a string."""


class IncidentFilter(django_filters.FilterSet):
    """No filter joins a to-many relation into the query, so none needs ``DISTINCT``: choice
    filters compare the incident's own columns (``distinct=False``; django-filter's default
    would sort every matching row to remove duplicates that cannot occur), and the AI-system
    filter asks ``EXISTS`` of the affected systems."""

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = LenientMultipleChoiceFilter(choices=Status.choices, distinct=False, label=_("Status"))
    state = django_filters.ChoiceFilter(
        choices=STATE_CHOICES, method="filter_state", label=_("Open / done")
    )
    severity = LenientMultipleChoiceFilter(
        choices=Severity.choices, distinct=False, label=_("Severity")
    )
    kind = django_filters.ChoiceFilter(choices=KIND_CHOICES, method="filter_kind", label=_("Kind"))
    type = django_filters.ChoiceFilter(
        choices=IncidentType.choices, method="filter_type", label=_("Type")
    )
    system = django_filters.ModelChoiceFilter(
        queryset=AISystem.objects.order_by("reference"),
        field_name="affected_systems__system",
        method="filter_system",
        label=_("AI system"),
    )
    detection_source = LenientMultipleChoiceFilter(
        choices=DetectionSource.choices, distinct=False, label=_("Detection source")
    )
    detected_after = InstantFilter(
        field_name="detected_at", lookup_expr="gte", label=_("Detected from")
    )
    detected_before = InstantFilter(
        field_name="detected_at", lookup_expr="lte", label=_("Detected until")
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    lead = django_filters.NumberFilter(field_name="lead_id", label=_("Lead (user id)"))
    atlas_technique = AtlasTechniqueFilter(
        queryset=AtlasTechnique.objects.order_by("atlas_id"),
        to_field_name="atlas_id",
        method="filter_atlas_technique",
        label=_("ATLAS technique"),
        help_text=_("A MITRE ATLAS technique ID, e.g. AML.T0051; includes its sub-techniques."),
    )
    recurrence = django_filters.BooleanFilter(
        method="filter_registered",
        label=_("Recurrence (same system, same root-cause category within the window)"),
    )
    review_uncovered = django_filters.BooleanFilter(
        method="filter_registered",
        label=_("P0/P1 not yet covered by a management review"),
    )
    ordering = ChoiceOrderingFilter(
        fields=(
            ("reference", "reference"),
            ("detected_at", "detected"),
            ("severity", "severity"),
            ("status", "status"),
            ("title", "title"),
            ("updated_at", "updated"),
        ),
        choice_orders={"status": Status},
        label=_("Sort"),
    )

    class Meta:
        model = Incident
        fields = [
            "q",
            "status",
            "state",
            "severity",
            "kind",
            "type",
            "system",
            "detection_source",
            "detected_after",
            "detected_before",
            "lead",
            "overdue",
            "recurrence",
            "review_uncovered",
            "atlas_technique",
        ]

    def filter_kind(self, queryset, name, value):
        if value == REAL:
            return queryset.exclude(kind=Kind.EXERCISE)
        return queryset.filter(kind=value) if value else queryset

    def filter_atlas_technique(self, queryset, name, value):
        if not value:
            return queryset
        links = IncidentTechnique.objects.filter(incident=OuterRef("pk")).filter(
            Q(technique=value) | Q(technique__parent=value)
        )
        return queryset.filter(Exists(links))

    def filter_registered(self, queryset, name, value):
        return _registered(queryset, name, value)

    def filter_q(self, queryset, name, value):
        return selectors.search(queryset, value)

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=list(OPEN_STATUSES))
        if value == "done":
            return queryset.exclude(status__in=list(OPEN_STATUSES))
        return queryset

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = overdue_exists(Incident)
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_type(self, queryset, name, value):
        return queryset.filter(types__contains=[value]) if value else queryset

    def filter_system(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Exists(AffectedSystem.objects.filter(incident=OuterRef("pk"), system=value))
        )
