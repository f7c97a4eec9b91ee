"""Forms of the learning loop's pages. They shape input; the services decide."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from incidents.forms import LocalDateTimeField

from .choices import (
    ActionSource,
    ActionType,
    CheckResult,
    DiagnosticMethod,
    DiagnosticOutcome,
    Horizon,
    RemediationKind,
    ReviewUpdateKind,
    RootCauseCategory,
)
from .models import CorrectiveAction, Finding
from .models.post_incident import PostIncidentReview

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RootCauseForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=RootCauseCategory.choices)
    statement = forms.CharField(label=_("Statement"), widget=forms.Textarea(attrs={"rows": 2}))
    contributing_factors = forms.CharField(
        label=_("Contributing factors"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class WhyForm(forms.Form):
    question = forms.CharField(label=_("Why?"), widget=forms.Textarea(attrs={"rows": 1}))
    answer = forms.CharField(label=_("Because"), widget=forms.Textarea(attrs={"rows": 2}))


class DiagnosticForm(forms.Form):
    method = forms.ChoiceField(label=_("Diagnostic"), choices=DiagnosticMethod.choices)
    description = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2})
    )
    result = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=DiagnosticOutcome.choices)


class EvidenceLinkForm(forms.Form):
    evidence = forms.ModelChoiceField(label=_("Evidence item"), queryset=None)
    note = forms.CharField(label=_("What it shows"), required=False)

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the incident's own evidence is offered (the service refuses any other).
        from incidents.models import Evidence

        self.fields["evidence"].queryset = Evidence.objects.filter(incident=incident)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is ruled out"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ScopeForm(forms.Form):
    period_start = forms.DateTimeField(label=_("Affected period — from (UTC)"), widget=DATETIME)
    period_end = forms.DateTimeField(label=_("Affected period — to (UTC)"), widget=DATETIME)
    population = forms.IntegerField(label=_("Decisions processed in the period"), min_value=0)
    classification_rule = forms.CharField(
        label=_("Classification rule"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("How a decision is counted as affected."),
    )
    sample_size = forms.IntegerField(label=_("Hand-verified sample size"), min_value=0)
    sample_failures = forms.IntegerField(label=_("Confirmed failures in the sample"), min_value=0)
    confirmed_count = forms.IntegerField(label=_("Affected decisions"), min_value=0)
    lower_bound = forms.IntegerField(label=_("Lower bound"), min_value=0)
    upper_bound = forms.IntegerField(label=_("Upper bound"), min_value=0)
    uncertainty_note = forms.CharField(
        label=_("Uncertainty (for an estimate)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.TypedChoiceField(
        label=_("Record as"),
        choices=[("false", _("Best estimate")), ("true", _("Confirmed"))],
        coerce=lambda v: v == "true",
    )

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "confirm"}


class RemediationItemForm(forms.Form):
    horizon = forms.ChoiceField(label=_("Horizon"), choices=Horizon.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=RemediationKind.choices)
    description = forms.CharField(label=_("What"), widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None)
    due_on = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        self.fields["owner"].queryset = (
            get_user_model().objects.filter(is_active=True).order_by("username")
        )


class DoneForm(forms.Form):
    note = forms.CharField(label=_("How it was done"), required=False)


class ReprocessingForm(forms.Form):
    affected_cases = forms.IntegerField(label=_("Affected"), min_value=0)
    reprocessed_cases = forms.IntegerField(label=_("Re-processed"), min_value=0)
    outcome_changed_cases = forms.IntegerField(label=_("Outcome changed"), min_value=0)


class VerificationForm(forms.Form):
    verification = forms.CharField(
        label=_("How the fix was verified on the failing input types"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RestoreForm(forms.Form):
    note = forms.CharField(
        label=_("Decision: normal operation restored"), widget=forms.Textarea(attrs={"rows": 2})
    )


# === CAPA records, effectiveness checks, audit findings and the no-CAPA decision ============
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


# --- management review ------------------------------------------------------------------------

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ManagementReviewForm(forms.Form):
    """Prepare or complete a management review (once recorded, only minutes and decisions)."""

    meeting_date = forms.DateField(label=_("Meeting date"), widget=DATE)
    period_start = forms.DateField(label=_("Period start"), widget=DATE)
    period_end = forms.DateField(
        label=_("Period end"), widget=DATE, help_text=_("The last day of the period.")
    )
    attendees = forms.ModelMultipleChoiceField(
        label=_("Attendees"), queryset=get_user_model().objects.none(), required=False
    )
    other_attendees = forms.CharField(
        label=_("Other attendees"),
        required=False,
        widget=_textarea(2),
        help_text=_("Names of attendees without an account."),
    )
    minutes = forms.CharField(label=_("Minutes"), required=False, widget=_textarea(6))
    decisions = forms.CharField(label=_("Decisions"), required=False, widget=_textarea(4))

    def __init__(self, *args, frozen=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = _people()
        if frozen:  # a recorded review: only what the meeting said may be completed
            for name in (
                "meeting_date",
                "period_start",
                "period_end",
                "attendees",
                "other_attendees",
            ):
                del self.fields[name]


class ReviewActionForm(forms.ModelForm):
    """An action the review decided, raised as a CAPA (source: management review)."""

    due_at = LocalDateTimeField(
        label=_("Due"), required=False, help_text=_("Empty: the horizon's default from policy")
    )

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
        ]
        widgets = {"description": _textarea(3)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()
        self.fields["implementer"].queryset = _people()
        self.fields["action_type"].choices = ActionType.choices
        self.fields["horizon"].choices = Horizon.choices


# --- post-incident review --------------------------------------------------------------------


class ReviewForm(forms.ModelForm):
    """The review's lessons; carries the version it was opened from."""

    version = forms.CharField(widget=forms.HiddenInput)

    class Meta:
        model = PostIncidentReview
        fields = [
            "root_cause_review",
            "controls_failed",
            "controls_worked",
            "process_followed",
            "process_notes",
            "caught_sooner",
            "limitation_revealed",
        ]
        widgets = {
            "root_cause_review": _textarea(3),
            "controls_failed": _textarea(3),
            "controls_worked": _textarea(3),
            "process_notes": _textarea(2),
            "caught_sooner": _textarea(3),
        }


class ReviewCapaForm(forms.Form):
    """A process or policy update of the review, raised as a CAPA with owner and deadline."""

    update_kind = forms.ChoiceField(label=_("Update"), choices=ReviewUpdateKind.choices)
    action_type = forms.ChoiceField(
        label=_("Type"),
        choices=[
            (ActionType.CORRECTIVE, ActionType.CORRECTIVE.label),
            (ActionType.PREVENTIVE, ActionType.PREVENTIVE.label),
        ],
    )
    title = forms.CharField(label=_("Title"), max_length=250)
    description = forms.CharField(label=_("Description"), widget=_textarea(2))
    horizon = forms.ChoiceField(label=_("Horizon"), choices=Horizon.choices)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=get_user_model().objects.none())
    due_at = LocalDateTimeField(label=_("Deadline"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()
