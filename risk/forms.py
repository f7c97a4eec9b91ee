"""Forms of the risk module's pages. They shape input only: views hand ``cleaned_data`` to
``risk.services``, which check permission, validate again and write. Status is never a field."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from inventory.models import AISystem

from .choices import Applicability, ImplementationStatus, RiskCategory, Treatment
from .models import Control, RiskTag

LEVEL_CHOICES = [("", "—"), *[(str(n), str(n)) for n in range(1, 6)]]


def _textarea(rows=3):
    return forms.Textarea(attrs={"rows": rows})


class LevelField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=LEVEL_CHOICES, coerce=int, empty_value=None, required=False, **kwargs
        )


class RiskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=250)
    description = forms.CharField(label=_("Description"), widget=_textarea(4))
    cause = forms.CharField(label=_("Cause"), required=False, widget=_textarea())
    consequence = forms.CharField(label=_("Consequence"), required=False, widget=_textarea())
    category = forms.ChoiceField(label=_("Category"), choices=RiskCategory.choices)
    tags = forms.MultipleChoiceField(
        label=_("Tags (NIST AI 600-1, AI RMF)"), required=False, widget=forms.CheckboxSelectMultiple
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None)
    systems = forms.ModelMultipleChoiceField(label=_("AI systems"), queryset=None, required=False)
    inherent_likelihood = LevelField(label=_("Inherent likelihood"))
    inherent_impact = LevelField(label=_("Inherent impact"))
    treatment = forms.ChoiceField(
        label=_("Treatment"), choices=[("", "—"), *Treatment.choices], required=False
    )
    treatment_plan = forms.CharField(label=_("Treatment plan"), required=False, widget=_textarea())
    controls = forms.ModelMultipleChoiceField(
        label=_("Annex A controls applied"), queryset=None, required=False
    )
    residual_likelihood = LevelField(label=_("Residual likelihood"))
    residual_impact = LevelField(label=_("Residual impact"))
    next_review_date = forms.DateField(
        label=_("Next review"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, groups__isnull=False)
            .distinct()
            .order_by("username")
        )
        self.fields["systems"].queryset = AISystem.objects.order_by("reference")
        self.fields["controls"].queryset = Control.objects.order_by("position")
        self.fields["tags"].choices = list(
            RiskTag.objects.order_by("scheme", "label").values_list("code", "label")
        )

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["systems"] = list(data["systems"])
        data["controls"] = list(data["controls"])
        return data

    @classmethod
    def initial_for(cls, risk) -> dict:
        return {
            **{
                name: getattr(risk, name)
                for name in (
                    "title",
                    "description",
                    "cause",
                    "consequence",
                    "category",
                    "tags",
                    "owner",
                    "inherent_likelihood",
                    "inherent_impact",
                    "treatment",
                    "treatment_plan",
                    "residual_likelihood",
                    "residual_impact",
                    "next_review_date",
                )
            },
            "systems": [rs.system_id for rs in risk.risk_systems.all()],
            "controls": [rc.control_id for rc in risk.risk_controls.all()],
        }


class TransitionForm(forms.Form):
    to = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), required=False, widget=_textarea(2))


class ReviewForm(forms.Form):
    next_review_date = forms.DateField(
        label=_("Next review"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("What the review found"), required=False, widget=_textarea(2))


class StatementForm(forms.Form):
    applicability = forms.ChoiceField(label=_("Applicability"), choices=Applicability.choices)
    justification = forms.CharField(
        label=_("Justification"),
        required=False,
        widget=_textarea(3),
        help_text=_("Required when the control is excluded."),
    )
    implementation_status = forms.ChoiceField(
        label=_("Implementation status"), choices=ImplementationStatus.choices
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=_textarea(2))
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, groups__isnull=False)
            .distinct()
            .order_by("username")
        )


class EvidenceLinkForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of record"), choices=())
    reference = forms.CharField(
        label=_("Reference"), max_length=40, help_text=_("e.g. INC-2026-0042 or RISK-0003")
    )
    note = forms.CharField(label=_("What it shows"), required=False, widget=_textarea(2))

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, k) for k in kinds]


class MethodologyDraftForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    acceptance_threshold = forms.IntegerField(
        label=_("Acceptance threshold"), min_value=1, max_value=25
    )
    likelihood_scale = forms.JSONField(label=_("Likelihood scale"), widget=_textarea(8))
    impact_scale = forms.JSONField(label=_("Impact scale"), widget=_textarea(8))
    bands = forms.JSONField(label=_("Bands"), widget=_textarea(8))
    notes = forms.CharField(label=_("Notes"), required=False, widget=_textarea(3))


class IncidentRiskLinkForm(forms.Form):
    risk = forms.CharField(label=_("Risk reference"), max_length=20, help_text=_("e.g. RISK-0003"))
    reason = forms.CharField(
        label=_("How the incident is this risk"), required=False, widget=_textarea(2)
    )


class IncidentRiskRerateForm(forms.Form):
    risk = forms.CharField(label=_("Risk reference"), max_length=20)
    which = forms.ChoiceField(
        label=_("Rating"), choices=[("residual", _("Residual")), ("inherent", _("Inherent"))]
    )
    likelihood = forms.TypedChoiceField(
        label=_("Likelihood"), choices=LEVEL_CHOICES[1:], coerce=int
    )
    impact = forms.TypedChoiceField(label=_("Impact"), choices=LEVEL_CHOICES[1:], coerce=int)
    reason = forms.CharField(label=_("Reason"), widget=_textarea(2))


class IncidentRiskRaiseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=250)
    description = forms.CharField(label=_("Description"), widget=_textarea(2))
    category = forms.ChoiceField(label=_("Category"), choices=RiskCategory.choices)
    inherent_likelihood = LevelField(label=_("Inherent likelihood"))
    inherent_impact = LevelField(label=_("Inherent impact"))
