"""Forms of the impact-assessment pages and of the incident's risk-register review. They shape
input only; ``risk.services`` check permission, validate again and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import AISystem, Deployment

from .choices import ImpactResult, ImpactStatus, ImpactTrigger, RiskReviewOutcome


def _textarea(rows=3):
    return forms.Textarea(attrs={"rows": rows})


class JurisdictionsField(forms.CharField):
    """ISO codes separated by commas or spaces: ``EU, DE, US-CA``."""

    def to_python(self, value):
        text = super().to_python(value) or ""
        codes = [c.strip().upper() for c in text.replace(",", " ").split() if c.strip()]
        for code in codes:
            if len(code) > 10:
                raise forms.ValidationError(
                    _("%(code)s is not a jurisdiction code."), params={"code": code}
                )
        return codes


class ImpactForm(forms.Form):
    system = forms.ModelChoiceField(label=_("AI system"), queryset=AISystem.objects.none())
    trigger = forms.ChoiceField(label=_("Trigger"), choices=ImpactTrigger.choices)
    deployment = forms.ModelChoiceField(
        label=_("Triggering deployment"), queryset=Deployment.objects.none(), required=False
    )
    incident_reference = forms.CharField(
        label=_("Triggering incident (reference)"), max_length=30, required=False
    )
    intended_use = forms.CharField(label=_("Intended use"), required=False, widget=_textarea(4))
    foreseeable_misuse = forms.CharField(
        label=_("Reasonably foreseeable misuse"), required=False, widget=_textarea()
    )
    affected_groups = forms.CharField(
        label=_("Affected individuals and groups"), required=False, widget=_textarea()
    )
    societal_impact = forms.CharField(
        label=_("Societal impact"), required=False, widget=_textarea()
    )
    jurisdictions = JurisdictionsField(
        label=_("Jurisdictions"), required=False, help_text=_("ISO codes, e.g. EU, DE, US-CA")
    )
    result = forms.ChoiceField(
        label=_("Result"), choices=[("", "—"), *ImpactResult.choices], required=False
    )
    conditions = forms.CharField(label=_("Conditions"), required=False, widget=_textarea())
    next_due_date = forms.DateField(
        label=_("Next assessment due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, systems=None, system=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = systems if systems is not None else AISystem.objects.none()
        if system is not None:
            self.fields["system"].disabled = True
            self.fields["deployment"].queryset = Deployment.objects.filter(system=system).order_by(
                "-deployed_at"
            )
        else:  # a new assessment names its deployment once its system is known (edit)
            del self.fields["deployment"]

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        for name in ("version", "system", "incident_reference"):
            data.pop(name, None)
        return data

    @classmethod
    def initial_for(cls, assessment) -> dict:
        return {
            "system": assessment.system_id,
            "trigger": assessment.trigger,
            "deployment": assessment.deployment_id,
            "incident_reference": assessment.incident.reference if assessment.incident_id else "",
            "intended_use": assessment.intended_use,
            "foreseeable_misuse": assessment.foreseeable_misuse,
            "affected_groups": assessment.affected_groups,
            "societal_impact": assessment.societal_impact,
            "jurisdictions": ", ".join(assessment.jurisdictions),
            "result": assessment.result,
            "conditions": assessment.conditions,
            "next_due_date": assessment.next_due_date,
        }


class ImpactListFilter(forms.Form):
    system = forms.ModelChoiceField(
        label=_("AI system"), queryset=AISystem.objects.none(), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Current")), *ImpactStatus.choices], required=False
    )
    due = forms.ChoiceField(
        label=_("Due"),
        choices=[
            ("", _("Any")),
            ("review", _("Due for review")),
            ("overdue", _("Overdue")),
            ("soon", _("Due within 30 days")),
        ],
        required=False,
    )

    def __init__(self, *args, systems=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = systems if systems is not None else AISystem.objects.none()


class ImpactMoveForm(forms.Form):
    to = forms.ChoiceField(choices=ImpactStatus.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Comment"), required=False, widget=_textarea(2), max_length=5000
    )


class IncidentRiskReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=RiskReviewOutcome.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=_textarea(2), max_length=5000
    )
