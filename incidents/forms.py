"""Forms of the incident register's HTML side.

They shape input only: views hand ``cleaned_data`` to ``incidents.services``, which check
permission, validate again and write. Nothing here saves. Status is never a form field: it moves
only through a transition.
"""

import re
from datetime import datetime, time

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aims.core.forms import RecordedInstantFormField
from inventory.choices import Comparison
from inventory.models import ModelVersion, MonitoringRule
from inventory.selectors import systems_visible_to

from .choices import (
    ContainmentOption,
    EvidenceKind,
    HarmFlag,
    IncidentType,
    ParticipantPart,
    Severity,
    Status,
)
from .models import Incident
from .permissions import LEAD_ROLES
from .services.incidents import CREATE_FIELDS, INCIDENT_FIELDS, MAX_NOTE

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
DATETIME_INPUTS = [DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
# Roles that may lead an incident (mirrors ``services.incident_assign_lead``).
JURISDICTION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")


def _textarea(rows=3):
    return forms.Textarea(attrs={"rows": rows})


class LocalDateTimeField(RecordedInstantFormField):
    """A ``datetime-local`` input, to the minute, in the current time zone, of when something
    happened (from 1970 and before 2100, as in the API).

    Unchanged when equal to the minute, so that re-saving a form never "changes" a stored time
    only because the input has no seconds.
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", DATETIME_INPUTS)
        super().__init__(**kwargs)

    def has_changed(self, initial, data):
        try:
            value = self.to_python(data)
        except ValidationError:
            return True
        if initial is None or value is None:
            return (initial is None) != (value is None)
        return initial.replace(second=0, microsecond=0) != value.replace(second=0, microsecond=0)


class CodeListField(forms.Field):
    """Jurisdictions typed as ``EU, DE, US-CA``; stored as a list of upper-case codes."""

    widget = forms.TextInput

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return list(value)
        codes = [c.strip().upper() for c in re.split(r"[,;\s]+", value or "") if c.strip()]
        return list(dict.fromkeys(codes))

    def validate(self, value):
        super().validate(value)
        wrong = [code for code in value if not JURISDICTION.match(code)]
        if wrong:
            raise ValidationError(
                _("Not a jurisdiction code: %(codes)s. Use codes like EU, DE or US-CA."),
                params={"codes": ", ".join(wrong)},
            )


class LinksField(forms.Field):
    """Links to alerts, tickets and dashboards: one per line, ``label URL`` or just the URL."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            lines = []
            for link in value:
                if isinstance(link, dict):
                    label, url = str(link.get("label", "")).strip(), link.get("url", "")
                    lines.append(f"{label} {url}".strip() if label and label != url else url)
            return "\n".join(lines)
        return value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return list(value)
        links = []
        for line in (value or "").splitlines():
            line = line.strip()
            if not line:
                continue
            label, _sep, url = line.rpartition(" ")
            links.append({"label": label.strip() or url, "url": url})
        return links

    def validate(self, value):
        super().validate(value)
        check = URLValidator(schemes=["http", "https"])
        for link in value:
            try:
                check(link["url"])
            except ValidationError as exc:
                raise ValidationError(
                    _("Not a web address: %(url)s. Each line is a label and an https:// link."),
                    params={"url": link["url"]},
                ) from exc


def severity_choices(empty_label=None):
    choices = list(Severity.choices)
    return [("", empty_label), *choices] if empty_label else choices


class AtlasTechniquesField(forms.MultipleChoiceField):
    """MITRE ATLAS techniques, offered by ID and name and grouped by tactic; cleans to the
    ``AtlasTechnique`` rows. Used by incident and risk forms."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("MITRE ATLAS techniques"))
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            _("Adversarial-AI tactics and techniques involved (hold Ctrl or ⌘ to choose several)."),
        )
        super().__init__(choices=(), **kwargs)
        self.widget.attrs["size"] = 8
        self._techniques = None

    def load(self, techniques=None):
        """Fill the choices from the current catalogue (one query with its tactics)."""
        from . import atlas

        techniques = list(techniques if techniques is not None else atlas.techniques_for_choice())
        self._techniques = {t.atlas_id: t for t in techniques}
        self.choices = atlas.grouped_choices(techniques)
        return self

    def clean(self, value):
        ids = super().clean(value)
        return [self._techniques[i] for i in dict.fromkeys(ids)]


class FieldsetsMixin:
    """Forms declare ``fieldsets = [(legend, [field names])]``; templates loop over them."""

    fieldsets: list = []

    def grouped_fields(self):
        return [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in self.fieldsets
        ]


class IncidentForm(FieldsetsMixin, forms.ModelForm):
    """The facts of an incident, as filed and as refined later."""

    types = forms.MultipleChoiceField(
        label=_("Types"),
        choices=IncidentType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Tick every type that applies."),
    )
    harm_flags = forms.MultipleChoiceField(
        label=_("Harm flags"),
        choices=HarmFlag.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Tick any harm that happened or is likely; each one raises the severity."),
    )
    detected_at = LocalDateTimeField(label=_("Detected at"))
    failure_began_at = LocalDateTimeField(
        label=_("Failure began at (best estimate)"),
        required=False,
        help_text=_("Refine it later as the investigation learns more."),
    )
    jurisdictions = CodeListField(
        label=_("Jurisdictions"),
        required=False,
        help_text=_("Comma-separated codes, e.g. EU, DE, US-CA."),
    )
    links = LinksField(
        label=_("Links"),
        required=False,
        help_text=_("Alerts, tickets, dashboards: one per line, a label then the https:// link."),
    )
    atlas_techniques = AtlasTechniquesField()

    class Meta:
        model = Incident
        fields = [
            "title",
            "description",
            "kind",
            "types",
            "detection_source",
            "detected_at",
            "failure_began_at",
            "failure_nature",
            "scope",
            "affected_inputs",
            "outputs_affected_estimate",
            "individuals_affected_estimate",
            "harm_flags",
            "financial_impact_estimate",
            "financial_impact_currency",
            "reputational_risk",
            "jurisdictions",
            "links",
            "restricted",
            "scenario_note",
        ]
        widgets = {
            "description": _textarea(5),
            "affected_inputs": _textarea(2),
            "scenario_note": _textarea(3),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tz = timezone.get_current_timezone_name()
        self.fields["detected_at"].help_text = _("Time zone: %(tz)s.") % {"tz": tz}
        self.fields["detection_source"].help_text = _("Triage needs it.")
        for name in ("detection_source", "failure_nature", "scope"):
            field = self.fields[name]
            field.choices = [("", _("Not known yet")), *field.choices[1:]]
        self.fields["financial_impact_currency"].widget.attrs["size"] = 4
        self.fields["types"].initial = list(self.instance.types or [])
        self.fields["harm_flags"].initial = list(self.instance.harm_flags or [])
        self.fields["atlas_techniques"].load()
        if self.instance.pk:
            self.fields["atlas_techniques"].initial = [
                link.technique.atlas_id
                for link in self.instance.technique_links.select_related("technique")
            ]
        self.fields["kind"].help_text = _(
            "Exercise: a tabletop exercise or simulation, marked everywhere and left out of "
            "every metric."
        )

    def service_data(self, allowed=INCIDENT_FIELDS) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in allowed}


class IncidentCreateForm(IncidentForm):
    """Filing: the facts, the affected systems and, optionally, a first severity."""

    systems = forms.ModelMultipleChoiceField(
        label=_("Affected AI systems"),
        queryset=None,
        required=False,
        help_text=_(
            "Hold Ctrl (⌘ on a Mac) to choose several. The model version running at detection "
            "is pinned from the change log."
        ),
    )
    severity = forms.TypedChoiceField(
        label=_("Severity"),
        choices=severity_choices(_("Not set yet")),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Optional now; triage needs it. See the suggestion next to the form."),
    )
    severity_reason = forms.CharField(
        label=_("Why this severity"),
        required=False,
        widget=_textarea(2),
        help_text=_("Recorded on the timeline with the severity."),
    )

    fieldsets = [
        (
            _("What happened"),
            ["title", "description", "kind", "scenario_note", "types", "atlas_techniques"],
        ),
        (
            _("Detection and systems"),
            ["detection_source", "detected_at", "failure_began_at", "systems"],
        ),
        (
            _("Failure and scope"),
            [
                "failure_nature",
                "scope",
                "affected_inputs",
                "outputs_affected_estimate",
                "individuals_affected_estimate",
            ],
        ),
        (
            _("Impact"),
            [
                "harm_flags",
                "financial_impact_estimate",
                "financial_impact_currency",
                "reputational_risk",
                "jurisdictions",
            ],
        ),
        (_("Severity"), ["severity", "severity_reason"]),
        (_("Links and access"), ["links", "restricted"]),
    ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["systems"].queryset = systems_visible_to(user).order_by("reference")
        self.fields["systems"].widget.attrs["size"] = 6
        if not self.is_bound and not self.initial.get("detected_at"):
            self.initial["detected_at"] = timezone.localtime().replace(second=0, microsecond=0)

    def service_data(self, allowed=CREATE_FIELDS) -> dict:
        return super().service_data(allowed)


class IncidentEditForm(IncidentForm):
    """Editing carries the version it was opened from; a stale form overwrites nothing."""

    version = forms.CharField(widget=forms.HiddenInput)

    fieldsets = [
        (
            _("What happened"),
            ["title", "description", "kind", "scenario_note", "types", "atlas_techniques"],
        ),
        (_("Detection"), ["detection_source", "detected_at", "failure_began_at"]),
        (
            _("Failure and scope"),
            [
                "failure_nature",
                "scope",
                "affected_inputs",
                "outputs_affected_estimate",
                "individuals_affected_estimate",
            ],
        ),
        (
            _("Scope confirmation"),
            [
                "individuals_affected_confirmed",
                "individuals_affected_lower",
                "individuals_affected_upper",
                "decisions_affected_pct",
            ],
        ),
        (
            _("Impact"),
            [
                "harm_flags",
                "financial_impact_estimate",
                "financial_impact_currency",
                "reputational_risk",
                "jurisdictions",
            ],
        ),
        (_("Resolution"), ["verification_note", "closing_summary"]),
        (_("Links and access"), ["links", "restricted"]),
    ]

    class Meta(IncidentForm.Meta):
        fields = [
            *IncidentForm.Meta.fields,
            "individuals_affected_confirmed",
            "individuals_affected_lower",
            "individuals_affected_upper",
            "decisions_affected_pct",
            "verification_note",
            "closing_summary",
        ]
        widgets = {
            **IncidentForm.Meta.widgets,
            "verification_note": _textarea(4),
            "closing_summary": _textarea(4),
        }

    def __init__(self, *args, may_restrict=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_restrict:
            del self.fields["restricted"]
        self.fields["individuals_affected_confirmed"].help_text = _(
            "Closing a P0/P1 incident needs the confirmed count."
        )

    def changed_service_data(self) -> dict:
        """Only what the person changed: untouched fields are not rewritten."""
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in INCIDENT_FIELDS and name in self.cleaned_data
        }


# --- the incident page's actions -------------------------------------------------------------
# Each form gets its own ``auto_id`` prefix in the view, so that several forms on one page never
# share an element id while their field names stay the services' own words.


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), required=False, widget=_textarea(2))


class SeverityForm(forms.Form):
    severity = forms.TypedChoiceField(
        label=_("Severity"), choices=severity_choices(_("Choose…")), coerce=int
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=_textarea(2),
        help_text=_("Every change is on the timeline with its reason."),
    )


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=MAX_NOTE, widget=_textarea(3))


class LeadForm(forms.Form):
    lead = forms.ModelChoiceField(label=_("Incident lead"), queryset=None, empty_label=_("Choose…"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, groups__name__in=LEAD_ROLES)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )


class ParticipantForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Person"), queryset=None, empty_label=_("Choose…"))
    part = forms.ChoiceField(label=_("Part"), choices=ParticipantPart.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, groups__isnull=False)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )


class AffectedSystemForm(forms.Form):
    system = forms.ModelChoiceField(label=_("AI system"), queryset=None, empty_label=_("Choose…"))

    def __init__(self, *args, user, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = (
            systems_visible_to(user)
            .exclude(incident_links__incident=incident)
            .order_by("reference")
        )


class ContainmentForm(forms.Form):
    option = forms.ChoiceField(
        label=_("Option"), choices=ContainmentOption.choices, widget=forms.RadioSelect
    )
    rationale = forms.CharField(label=_("Rationale"), widget=_textarea(3))
    fallback_version = forms.ModelChoiceField(
        label=_("Known-good version (option A)"),
        queryset=None,
        required=False,
        empty_label=_("None"),
        help_text=_("For option A: the version traffic is rerouted to."),
    )
    move_registry_alias = forms.BooleanField(
        label=_("Move the production alias in MLflow to this version"),
        required=False,
        help_text=_(
            "For a version imported from the system's MLflow registry: the alias is moved after "
            "the decision is recorded, read back, and then recorded as a rollback in the change "
            "log."
        ),
    )

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        versions = (
            ModelVersion.objects.filter(system__incident_links__incident=incident)
            .select_related("system")
            .order_by("system__reference", "-created_at")
        )
        self.fields["fallback_version"].queryset = versions
        # Offered only when one of the versions can be put back through an active registry link.
        if (
            not versions.exclude(registry_version="")
            .filter(system__registry_link__active=True)
            .exists()
        ):
            del self.fields["move_registry_alias"]


class ThresholdChangeForm(forms.Form):
    """Change a detection threshold of an affected system because of the incident."""

    monitoring_rule = forms.ModelChoiceField(
        label=_("Monitoring rule"), queryset=MonitoringRule.objects.none(), empty_label=None
    )
    comparison = forms.ChoiceField(
        label=_("Comparison"),
        choices=[("", _("Keep as it is")), *Comparison.choices],
        required=False,
    )
    threshold = forms.DecimalField(
        label=_("New threshold"), max_digits=18, decimal_places=6, localize=False
    )
    reason = forms.CharField(
        label=_("Why it changes"),
        widget=_textarea(2),
        help_text=_(
            "What the incident showed about the old threshold. On the rule and the timeline."
        ),
    )

    def __init__(self, *args, rules, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["monitoring_rule"].queryset = rules


class WaiverForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the waiver"),
        widget=_textarea(3),
        help_text=_("Why containment cannot wait for evidence to be preserved."),
    )


class NotificationForm(forms.Form):
    recipients = forms.CharField(
        label=_("Who was notified"),
        max_length=300,
        help_text=_("e.g. the AI system owner, the AI risk officer"),
    )
    channel = forms.CharField(
        label=_("How"), max_length=120, help_text=_("e.g. phone, e-mail, pager, chat")
    )
    summary = forms.CharField(label=_("What was said"), required=False, widget=_textarea(2))
    leadership = forms.BooleanField(
        label=_("This was the leadership notice (board for P0, executives for P1)"),
        required=False,
        help_text=_("Meets the leadership-notice clock of a P0/P1 incident."),
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"))
    kind = forms.ChoiceField(label=_("Kind"), choices=EvidenceKind.choices)
    description = forms.CharField(label=_("Description"), required=False, widget=_textarea(2))
    period_start = LocalDateTimeField(label=_("Period covered — from"), required=False)
    period_end = LocalDateTimeField(label=_("Period covered — to"), required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and start > end:
            self.add_error("period_end", _("The period cannot end before it starts."))
        return data


def end_of_day(value: str) -> str | None:
    """``2026-03-01`` -> the last moment of that day, for an inclusive "until" date filter."""
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except (TypeError, ValueError):
        return None
    return timezone.make_aware(datetime.combine(day, time.max)).isoformat()
