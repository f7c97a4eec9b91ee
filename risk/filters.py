"""The risk register's FilterSet: one definition for the HTML register and the API."""

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from aims.clocks.selectors import overdue_exists
from aims.core.filters import ChoiceOrderingFilter, LenientMultipleChoiceFilter
from inventory.models import AISystem

from . import selectors
from .choices import OPEN_RISK_STATUSES, RiskCategory, RiskStatus, Treatment
from .models import Control, Risk, RiskControl, RiskMethodology, RiskSystem, RiskTag

STATE_CHOICES = [("open", _("Open")), ("closed", _("Closed"))]
BAND_CHOICES = [
    ("low", _("Low")),
    ("medium", _("Medium")),
    ("high", _("High")),
    ("critical", _("Critical")),
]


class RiskFilter(django_filters.FilterSet):
    """Choice filters compare the risk's own columns; the system and control filters ask
    ``EXISTS``, so no filter duplicates rows and none needs ``DISTINCT``."""

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = LenientMultipleChoiceFilter(
        choices=RiskStatus.choices, distinct=False, label=_("Status")
    )
    state = django_filters.ChoiceFilter(
        choices=STATE_CHOICES, method="filter_state", label=_("Open / closed")
    )
    category = LenientMultipleChoiceFilter(
        choices=RiskCategory.choices, distinct=False, label=_("Category")
    )
    treatment = LenientMultipleChoiceFilter(
        choices=Treatment.choices, distinct=False, label=_("Treatment")
    )
    inherent_band = LenientMultipleChoiceFilter(
        choices=BAND_CHOICES, distinct=False, label=_("Inherent band")
    )
    residual_band = LenientMultipleChoiceFilter(
        choices=BAND_CHOICES, distinct=False, label=_("Residual band")
    )
    tag = django_filters.ModelChoiceFilter(
        queryset=RiskTag.objects.order_by("scheme", "label"),
        to_field_name="code",
        field_name="tags",
        method="filter_tag",
        label=_("Tag"),
    )
    system = django_filters.ModelChoiceFilter(
        queryset=AISystem.objects.order_by("reference"),
        field_name="risk_systems__system",
        method="filter_system",
        label=_("AI system"),
    )
    control = django_filters.ModelChoiceFilter(
        queryset=Control.objects.order_by("position"),
        field_name="risk_controls__control",
        method="filter_control",
        label=_("Annex A control"),
    )
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("Owner (user id)"))
    needs_reassessment = django_filters.BooleanFilter(
        method="filter_reassessment", label=_("Scored under an older methodology")
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Review overdue"))
    ordering = ChoiceOrderingFilter(
        fields=(
            ("reference", "reference"),
            ("title", "title"),
            ("status", "status"),
            ("inherent_score", "inherent"),
            ("residual_score", "residual"),
            ("next_review_date", "review"),
            ("updated_at", "updated"),
        ),
        choice_orders={"status": RiskStatus},
        label=_("Sort"),
    )

    class Meta:
        model = Risk
        fields = [
            "q",
            "status",
            "state",
            "category",
            "treatment",
            "inherent_band",
            "residual_band",
            "tag",
            "system",
            "control",
            "owner",
            "needs_reassessment",
            "overdue",
        ]

    def filter_q(self, queryset, name, value):
        return selectors.search(queryset, value)

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=list(OPEN_RISK_STATUSES))
        if value == "closed":
            return queryset.filter(status=RiskStatus.CLOSED)
        return queryset

    def filter_tag(self, queryset, name, value: str):
        return queryset.filter(tags__contains=[value.code]) if value else queryset

    def filter_system(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Exists(RiskSystem.objects.filter(risk=OuterRef("pk"), system=value)))

    def filter_control(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Exists(RiskControl.objects.filter(risk=OuterRef("pk"), control=value))
        )

    def filter_reassessment(self, queryset, name, value):
        if value is None:
            return queryset
        in_force = RiskMethodology.objects.filter(status="in_force").values("pk")[:1]
        if value:
            return queryset.exclude(methodology_id__in=in_force)
        return queryset.filter(methodology_id__in=in_force)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = overdue_exists(Risk)
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
