"""The CAPA register's FilterSet: one definition for the HTML register and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aims.clocks.selectors import overdue_exists
from aims.core.filters import ChoiceOrderingFilter, LenientMultipleChoiceFilter

from .choices import (
    ActionSource,
    ActionStatus,
    ActionType,
    FindingClassification,
    FindingStatus,
    Horizon,
)
from .models import CorrectiveAction, Finding
from .selectors import possibly_ineffective_condition


class CapaFilter(django_filters.FilterSet):
    """Choice filters compare the CAPA's own columns, so no filter needs ``DISTINCT``."""

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = LenientMultipleChoiceFilter(
        choices=ActionStatus.choices, distinct=False, label=_("Status")
    )
    action_type = LenientMultipleChoiceFilter(
        choices=ActionType.choices, distinct=False, label=_("Type")
    )
    source = LenientMultipleChoiceFilter(
        choices=ActionSource.choices, distinct=False, label=_("Source")
    )
    horizon = LenientMultipleChoiceFilter(
        choices=Horizon.choices, distinct=False, label=_("Horizon")
    )
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("Owner (user id)"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    recurred = django_filters.BooleanFilter(
        method="filter_recurred",
        label=_("Possibly ineffective (an incident it answers recurred)"),
    )
    ordering = ChoiceOrderingFilter(
        fields=(
            ("reference", "reference"),
            ("title", "title"),
            ("status", "status"),
            ("horizon", "horizon"),
            ("due_at", "due"),
            ("updated_at", "updated"),
        ),
        choice_orders={"status": ActionStatus, "horizon": Horizon},
        label=_("Sort"),
    )

    class Meta:
        model = CorrectiveAction
        fields = ["q", "status", "action_type", "source", "horizon", "owner", "overdue", "recurred"]

    def filter_q(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__iexact=value) | Q(title__icontains=value))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = overdue_exists(CorrectiveAction)
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_recurred(self, queryset, name, value):
        if value is None:
            return queryset
        doubted = possibly_ineffective_condition()
        return queryset.filter(doubted) if value else queryset.exclude(doubted)


class FindingFilter(django_filters.FilterSet):
    status = LenientMultipleChoiceFilter(
        choices=FindingStatus.choices, distinct=False, label=_("Status")
    )
    classification = LenientMultipleChoiceFilter(
        choices=FindingClassification.choices, distinct=False, label=_("Classification")
    )

    class Meta:
        model = Finding
        fields = ["status", "classification"]
