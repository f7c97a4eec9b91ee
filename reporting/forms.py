"""The forms of the Reports pages: they render and convert the browser's fields; the services
validate (with the same rules as the API) and decide."""

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aims.core.exceptions import ApplicationError, ValidationFailed
from incidents.choices import Kind, Severity, Status
from inventory.models import AISystem

from . import rules
from .filters import MAX_SAMPLE_SIZE, MAX_SEED

DEFAULT_SIZE = 25


class AuditSampleForm(forms.Form):
    """The Reports page's "Draw an audit sample" form."""

    detected_after = forms.DateField(
        label=gettext_lazy("Detected from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    detected_before = forms.DateField(
        label=gettext_lazy("Detected until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Inclusive: the whole day counts."),
    )
    severity = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Severity"),
        choices=Severity.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every severity."),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[("", gettext_lazy("Incidents and near misses")), *Kind.choices],
        required=False,
    )
    system = forms.ModelChoiceField(
        label=gettext_lazy("AI system"),
        queryset=AISystem.objects.order_by("reference"),
        required=False,
        empty_label=gettext_lazy("Any system"),
    )
    status = forms.MultipleChoiceField(
        label=gettext_lazy("Status"),
        choices=Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every status."),
    )
    size = forms.IntegerField(
        label=gettext_lazy("Sample size"),
        min_value=1,
        max_value=MAX_SAMPLE_SIZE,
        initial=DEFAULT_SIZE,
        help_text=gettext_lazy("How many incidents to draw (1 to 500)."),
    )
    seed = forms.IntegerField(
        label=gettext_lazy("Seed"),
        min_value=0,
        max_value=MAX_SEED,
        required=False,
        help_text=gettext_lazy(
            "Leave empty to draw a new sample; the seed used is recorded. Give a previous "
            "sample's seed and filters to repeat its draw."
        ),
    )

    def service_data(self) -> dict:
        data = self.cleaned_data
        values = {
            "severity": data["severity"],
            "status": data["status"],
            "kind": data["kind"],
            "system": data["system"].pk if data["system"] else None,
            "size": data["size"],
            "seed": data["seed"],
        }
        for name in ("detected_after", "detected_before"):
            if data[name]:
                values[name] = data[name].isoformat()
        return values


def period_from_query(query, *, today: date | None = None) -> tuple[rules.Period, str, dict]:
    """The dashboard's period: a preset (``?preset=``) or custom dates (``?from=&to=``, both
    included). Returns ``(period, preset or "custom", errors by field)``; on an error, the
    default period is shown with the message."""
    preset = query.get("preset", "")
    start_text, to_text = query.get("from", "").strip(), query.get("to", "").strip()
    if preset in rules.PRESETS or not (start_text or to_text):
        name = preset if preset in rules.PRESETS else "90d"
        return rules.preset_period(name, today=today), name, {}
    try:
        start = rules.as_date(start_text, "from") if start_text else None
        last = rules.as_date(to_text, "to") if to_text else None
        if start and last and start > last:
            raise ValidationFailed(_("The “from” date must not be after the “to” date."))
        period = rules.parse_period(start, last + timedelta(days=1) if last else None, today=today)
    except ApplicationError as exc:
        return rules.default_period(today), "90d", {"period": exc.message}
    return period, "custom", {}
