"""Forms of the inventory's HTML side. They shape input only: views hand ``cleaned_data`` to
``inventory.services``, which check permission, validate again and write. Nothing here saves.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aims.core.forms import RecordedInstantFormField

from .choices import DataCategory
from .models import AISystem, Deployment, ModelVersion, MonitoringRule

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _textareas(*names, rows=3):
    return {name: forms.Textarea(attrs={"rows": rows}) for name in names}


class FieldsetsMixin:
    """Forms declare ``fieldsets = [(legend, [field names])]``; templates loop over them."""

    fieldsets: list = []

    def grouped_fields(self):
        return [(legend, [self[name] for name in names]) for legend, names in self.fieldsets]


class AISystemForm(FieldsetsMixin, forms.ModelForm):
    """Every editable property of an AI system, grouped as the detail page shows them."""

    data_categories = forms.MultipleChoiceField(
        label=_("Data categories"),
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Tick every category of data the system processes."),
    )

    fieldsets = [
        (
            _("Identity"),
            [
                "name",
                "intended_purpose",
                "description",
                "lifecycle_status",
                "deployment_environment",
            ],
        ),
        (_("Ownership"), ["business_owner", "technical_owner", "organization_role"]),
        (
            _("Classification"),
            ["internal_risk_tier", "eu_ai_act_class", "annex_iii_area"],
        ),
        (_("Data and people"), ["data_categories", "affected_populations", "human_oversight"]),
        (
            _("Regulatory flags"),
            [
                "gdpr_role",
                "hipaa_role",
                "nis2_entity",
                "eu_market",
                "dora_financial_entity",
                "us_bank_model_risk",
                "colorado_consequential",
            ],
        ),
        (
            _("Supplier and validation"),
            ["supplier", "supplier_contract", "validation_status", "model_card_url"],
        ),
        (_("Scope"), ["in_aims_scope", "scope_exclusion_justification"]),
    ]

    class Meta:
        model = AISystem
        fields = [
            "name",
            "intended_purpose",
            "description",
            "lifecycle_status",
            "deployment_environment",
            "business_owner",
            "technical_owner",
            "organization_role",
            "internal_risk_tier",
            "eu_ai_act_class",
            "annex_iii_area",
            "data_categories",
            "affected_populations",
            "human_oversight",
            "eu_market",
            "gdpr_role",
            "hipaa_role",
            "nis2_entity",
            "dora_financial_entity",
            "us_bank_model_risk",
            "colorado_consequential",
            "supplier",
            "supplier_contract",
            "validation_status",
            "model_card_url",
            "in_aims_scope",
            "scope_exclusion_justification",
        ]
        widgets = _textareas(
            "intended_purpose",
            "description",
            "affected_populations",
            "scope_exclusion_justification",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Owners are people who can still sign in; an existing owner who has since left stays
        # selectable so that editing another field does not force a change of owner.
        keep = [
            pk for pk in (self.instance.business_owner_id, self.instance.technical_owner_id) if pk
        ]
        owners = (
            get_user_model()
            .objects.filter(Q(is_active=True) | Q(pk__in=keep))
            .order_by("first_name", "last_name", "username")
        )
        self.fields["business_owner"].queryset = owners
        self.fields["technical_owner"].queryset = owners
        self.fields["data_categories"].initial = list(self.instance.data_categories or [])


class AISystemEditForm(AISystemForm):
    """The edit form also carries the version of the record it was opened from."""

    version = forms.CharField(widget=forms.HiddenInput)

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class ModelVersionForm(forms.ModelForm):
    class Meta:
        model = ModelVersion
        fields = [
            "version_label",
            "artifact_reference",
            "artifact_digest",
            "wandb_artifact",
            "training_data_version",
            "prompt_config_version",
            "evaluation_summary",
            "description",
        ]
        widgets = _textareas("evaluation_summary", "description", rows=4)


def _version_choice_label(version) -> str:
    state = _("approved") if version.approved_at else _("not approved")
    return f"{version.version_label} ({state})"


class DeploymentForm(forms.ModelForm):
    """One entry of the model change log; the version list is the system's own versions."""

    deployed_at = RecordedInstantFormField(
        label=_("Deployed at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )

    class Meta:
        model = Deployment
        fields = [
            "model_version",
            "environment",
            "deployed_at",
            "change_type",
            "change_reference",
            "notes",
        ]
        widgets = _textareas("notes")

    def __init__(self, *args, system, **kwargs):
        super().__init__(*args, **kwargs)
        versions = self.fields["model_version"]
        versions.queryset = system.model_versions.order_by("-created_at")
        versions.empty_label = _("Choose a version…")
        versions.label_from_instance = _version_choice_label
        self.fields["deployed_at"].help_text = _("Time zone: %(tz)s.") % {
            "tz": timezone.get_current_timezone_name()
        }
        if not self.is_bound and not self.initial.get("deployed_at"):
            self.initial["deployed_at"] = timezone.localtime().replace(second=0, microsecond=0)


class MonitoringRuleForm(forms.ModelForm):
    class Meta:
        model = MonitoringRule
        fields = [
            "metric",
            "comparison",
            "threshold",
            "window",
            "channel",
            "active",
            "change_reason",
        ]
        widgets = _textareas("change_reason")
