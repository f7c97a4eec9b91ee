"""Forms of the CAPA pages. They shape input only: views hand ``cleaned_data`` to
``capa.services``, which check permission, validate again and write. Status is never a field."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from incidents.forms import LocalDateTimeField

from .choices import ActionSource, ActionType, CheckResult, Horizon, RootCauseCategory
from .models import CorrectiveAction, Finding


def _textarea(rows=3):
    return forms.Textarea(attrs={"rows": rows})


def _people():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__isnull=False)
        .distinct()
        .order_by("username")
    )


class CapaForm(forms.ModelForm):
    """Raise a CAPA. The due date may stay empty: the horizon's policy gives it."""

    due_at = LocalDateTimeField(
        label=_("Due"), required=False, help_text=_("Empty: the horizon's default from policy")
    )
    suggestion = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = CorrectiveAction
        fields = [
            "title",
            "description",
            "action_type",
            "source",
            "source_detail",
            "root_cause_category",
            "horizon",
            "due_at",
            "owner",
            "implementer",
            "finding",
            "follows",
        ]
        widgets = {"description": _textarea(4), "follows": forms.HiddenInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()
        self.fields["implementer"].queryset = _people()
        self.fields["finding"].queryset = Finding.objects.exclude(status="closed").order_by("-id")
        self.fields["action_type"].choices = ActionType.choices
        self.fields["source"].choices = ActionSource.choices
        self.fields["horizon"].choices = Horizon.choices


class CapaEditForm(forms.ModelForm):
    """Editing carries the version it was opened from; a stale form overwrites nothing."""

    version = forms.CharField(widget=forms.HiddenInput)
    due_at = LocalDateTimeField(label=_("Due"))

    class Meta:
        model = CorrectiveAction
        fields = [
            "title",
            "description",
            "action_type",
            "horizon",
            "due_at",
            "owner",
            "implementer",
            "implementation_note",
        ]
        widgets = {"description": _textarea(4), "implementation_note": _textarea(4)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()
        self.fields["implementer"].queryset = _people()


class TransitionForm(forms.Form):
    to = forms.CharField()
    reason = forms.CharField(widget=_textarea(2), required=False, label=_("Reason"))


class CheckPlanForm(forms.Form):
    criterion = forms.CharField(widget=_textarea(2), label=_("Criterion"))
    method = forms.CharField(widget=_textarea(2), label=_("Method"))
    due_at = LocalDateTimeField(
        label=_("Check due"),
        required=False,
        help_text=_("Empty: 30 days after the CAPA's due date"),
    )


class CheckResultForm(forms.Form):
    result = forms.ChoiceField(
        choices=[
            (CheckResult.PASSED, CheckResult.PASSED.label),
            (CheckResult.FAILED, CheckResult.FAILED.label),
        ],
        label=_("Result"),
    )
    note = forms.CharField(widget=_textarea(2), required=False, label=_("What was found"))


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"))
    description = forms.CharField(required=False, label=_("Description"))


class NoCapaForm(forms.Form):
    reason = forms.CharField(widget=_textarea(2), label=_("Why no CAPA is needed"))


class FindingForm(forms.ModelForm):
    class Meta:
        model = Finding
        fields = [
            "title",
            "audit_kind",
            "audit_reference",
            "classification",
            "clause",
            "description",
            "objective_evidence",
            "auditee_response",
            "correction_deadline",
        ]
        widgets = {
            "description": _textarea(3),
            "objective_evidence": _textarea(3),
            "auditee_response": _textarea(2),
            "correction_deadline": forms.DateInput(attrs={"type": "date"}),
        }


class CategoryForm(forms.Form):
    """Which root-cause category the CAPA answers: its playbook suggestions are offered."""

    category = forms.ChoiceField(
        choices=[("", "—"), *RootCauseCategory.choices],
        required=False,
        label=_("Root-cause category"),
    )
