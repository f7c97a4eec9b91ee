"""One FilterSet per list, serving both the HTML pages and the API."""

import django_filters
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aims.core.filters import ChoiceOrderingFilter, InstantFilter, LenientMultipleChoiceFilter

from .choices import (
    ChangeType,
    DataCategory,
    Environment,
    EUAIActClass,
    InternalRiskTier,
    LifecycleStatus,
    OrganizationRole,
    ValidationStatus,
)
from .models import AISystem, Deployment, ModelVersion, MonitoringRule

FLAG_FILTERS = {
    "eu_market": Q(eu_market=True),
    "gdpr": ~Q(gdpr_role="none"),
    "hipaa": ~Q(hipaa_role="none"),
    "nis2": ~Q(nis2_entity="none"),
    "dora": Q(dora_financial_entity=True),
    "us_bank_mrm": Q(us_bank_model_risk=True),
    "colorado": Q(colorado_consequential=True),
}
FLAG_CHOICES = [
    ("eu_market", _("EU market")),
    ("gdpr", _("GDPR")),
    ("hipaa", _("HIPAA")),
    ("nis2", _("NIS2")),
    ("dora", _("DORA")),
    ("us_bank_mrm", _("US bank model risk")),
    ("colorado", _("Colorado")),
]


class AISystemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    lifecycle_status = LenientMultipleChoiceFilter(
        choices=LifecycleStatus.choices, label=_("Status")
    )
    internal_risk_tier = LenientMultipleChoiceFilter(
        choices=InternalRiskTier.choices, label=_("Risk tier")
    )
    eu_ai_act_class = LenientMultipleChoiceFilter(
        choices=EUAIActClass.choices, label=_("EU AI Act class")
    )
    validation_status = LenientMultipleChoiceFilter(
        choices=ValidationStatus.choices, label=_("Validation")
    )
    organization_role = django_filters.ChoiceFilter(
        choices=OrganizationRole.choices, label=_("Our role")
    )
    data_category = django_filters.ChoiceFilter(
        choices=DataCategory.choices, method="filter_data_category", label=_("Data category")
    )
    flag = django_filters.ChoiceFilter(
        choices=FLAG_CHOICES, method="filter_flag", label=_("Regulatory flag")
    )
    owner = django_filters.NumberFilter(method="filter_owner", label=_("Owner (user id)"))
    in_aims_scope = django_filters.BooleanFilter(label=_("In AIMS scope"))
    ordering = ChoiceOrderingFilter(
        fields=(
            ("reference", "reference"),
            ("name", "name"),
            ("lifecycle_status", "status"),
            ("internal_risk_tier", "tier"),
            ("updated_at", "updated"),
        ),
        choice_orders={"lifecycle_status": LifecycleStatus, "internal_risk_tier": InternalRiskTier},
        label=_("Sort"),
    )

    class Meta:
        model = AISystem
        fields = [
            "q",
            "lifecycle_status",
            "internal_risk_tier",
            "eu_ai_act_class",
            "validation_status",
            "organization_role",
            "data_category",
            "flag",
            "owner",
            "in_aims_scope",
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        vector = SearchVector("name", "intended_purpose", "description", config="english")
        return queryset.annotate(search=vector).filter(
            Q(reference__iexact=value)
            | Q(name__icontains=value)
            | Q(search=SearchQuery(value, config="english"))
        )

    def filter_data_category(self, queryset, name, value):
        return queryset.filter(data_categories__contains=[value]) if value else queryset

    def filter_flag(self, queryset, name, value):
        return queryset.filter(FLAG_FILTERS[value]) if value in FLAG_FILTERS else queryset

    def filter_owner(self, queryset, name, value):
        return queryset.filter(Q(business_owner_id=value) | Q(technical_owner_id=value))


class ModelVersionFilter(django_filters.FilterSet):
    system = django_filters.NumberFilter(field_name="system_id")
    approved = django_filters.BooleanFilter(
        field_name="approved_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = ModelVersion
        fields = ["system", "approved"]


class DeploymentFilter(django_filters.FilterSet):
    system = django_filters.NumberFilter(field_name="system_id")
    environment = django_filters.ChoiceFilter(choices=Environment.choices)
    change_type = django_filters.ChoiceFilter(choices=ChangeType.choices)
    deployed_after = InstantFilter(field_name="deployed_at", lookup_expr="gte")
    deployed_before = InstantFilter(field_name="deployed_at", lookup_expr="lte")

    class Meta:
        model = Deployment
        fields = ["system", "environment", "change_type", "deployed_after", "deployed_before"]


class MonitoringRuleFilter(django_filters.FilterSet):
    system = django_filters.NumberFilter(field_name="system_id")

    class Meta:
        model = MonitoringRule
        fields = ["system", "active"]
