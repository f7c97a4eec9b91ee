"""Forms of the disclosure pages. They shape input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Applies, Audience, BreachRisk, SubmissionPhase, VendorNoticeBasis
from .models import IncidentFacts, SystemFacts

TRI_STATE = [("", _("Not known yet")), ("true", _("Yes")), ("false", _("No"))]


class TriStateField(forms.TypedChoiceField):
    """Yes / no / not known yet — "not known" is a fact of its own (the rules say undetermined)."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=TRI_STATE,
            coerce=lambda v: {"true": True, "false": False}.get(v),
            empty_value=None,
            required=False,
            **kwargs,
        )

    def prepare_value(self, value):
        return {True: "true", False: "false"}.get(value, "")


class FactsForm(forms.ModelForm):
    aware_at = forms.DateTimeField(
        label=_("Aware at (UTC)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("When the organisation became aware; empty = the detection time."),
    )
    dora_classified_at = forms.DateTimeField(
        label=_("DORA classified at (UTC)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    breach_risk = forms.ChoiceField(
        label=_("Risk to people from the breach"),
        choices=[("", _("Not assessed yet")), *BreachRisk.choices],
        required=False,
    )
    widespread_infringement = TriStateField(label=_("Widespread infringement (AI Act)"))
    data_unintelligible = TriStateField(label=_("Data unintelligible to others (e.g. encrypted)"))
    nis2_significant = TriStateField(label=_("Significant incident (NIS2)"))
    dora_major = TriStateField(label=_("Major ICT-related incident (DORA)"))
    cer_significant_disruption = TriStateField(
        label=_("Essential services significantly disrupted (CER)")
    )
    sb53_critical_safety_incident = TriStateField(label=_("Critical safety incident (SB 53)"))
    imminent_risk_of_death_or_injury = TriStateField(
        label=_("Imminent risk of death or serious injury")
    )
    phi_residents_by_state = forms.CharField(
        label=_("Residents affected per state"),
        required=False,
        help_text=_("e.g. CA=620, NV=40"),
    )

    class Meta:
        model = IncidentFacts
        fields = [
            "aware_at",
            "exercise",
            "widespread_infringement",
            "breach_risk",
            "data_unintelligible",
            "phi_individuals",
            "phi_residents_by_state",
            "nis2_significant",
            "dora_major",
            "dora_classified_at",
            "cer_significant_disruption",
            "sb53_critical_safety_incident",
            "imminent_risk_of_death_or_injury",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        states = (self.instance.phi_residents_by_state or {}) if self.instance else {}
        self.initial["phi_residents_by_state"] = ", ".join(
            f"{k}={v}" for k, v in sorted(states.items())
        )

    def clean_phi_residents_by_state(self):
        text = (self.cleaned_data.get("phi_residents_by_state") or "").strip()
        result = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            state, _sep, count = part.partition("=")
            state = state.strip().upper()
            if not (len(state) == 2 and state.isalpha()) or not count.strip().isdigit():
                raise forms.ValidationError(_("Write each state as XX=number, e.g. CA=620, NV=40."))
            result[state] = int(count.strip())
        return result

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class ConfirmForm(forms.Form):
    applies = forms.ChoiceField(label=_("Applies?"), choices=Applies.choices)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you disagree with the rules."),
    )


class SignOffForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why reopen?"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SubmissionForm(forms.Form):
    phase = forms.ChoiceField(label=_("Report"), choices=SubmissionPhase.choices)
    submitted_at = forms.DateTimeField(
        label=_("Sent at (UTC)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty = now."),
    )
    reference = forms.CharField(label=_("Authority's reference"), required=False, max_length=200)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    document = forms.FileField(label=_("Document sent"), required=False)


class CommunicationForm(forms.Form):
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices)
    channel = forms.CharField(
        label=_("Channel"),
        max_length=120,
        help_text=_("e.g. e-mail, portal, letter, press release"),
    )
    subject = forms.CharField(label=_("Subject"), max_length=300)
    content = forms.CharField(
        label=_("Message"), max_length=50000, widget=forms.Textarea(attrs={"rows": 4})
    )


# --- an AI system's disclosure facts ------------------------------------------------------------


class SystemFactsForm(forms.ModelForm):
    """The facts only disclosure keeps about a system; the form carries the version of the row
    it was opened from, so a concurrent edit is refused instead of overwritten."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = SystemFacts
        fields = [
            "gpai_systemic_risk",
            "medical_device",
            "cer_critical_entity",
            "frontier_developer",
            "china_cii_operator",
        ]
        help_texts = {
            "gpai_systemic_risk": _("EU AI Act Art. 55(1)(c): serious incidents to the AI Office."),
            "medical_device": _("EU AI Act Art. 73(10): only fundamental-rights incidents."),
            "cer_critical_entity": _("CER Directive Art. 15: disruptions of essential services."),
            "frontier_developer": _("California SB 53: critical safety incidents to Cal OES."),
            "china_cii_operator": _("China's CAC incident measures: 1 hour instead of 4."),
        }

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "version"}


# --- supplier notices ---------------------------------------------------------------------------


DATETIME_WIDGET = {"type": "datetime-local"}


def _moment(label, help_text=""):
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=forms.DateTimeInput(attrs=DATETIME_WIDGET, format="%Y-%m-%dT%H:%M"),
        help_text=help_text or _("Empty = now."),
    )


class VendorNoticeForm(forms.Form):
    """The notice to the supplier of one of the incident's systems (the supplier is the one
    the inventory names)."""

    system = forms.ModelChoiceField(label=_("AI system"), queryset=None, empty_label=None)
    basis = forms.ChoiceField(label=_("Basis"), choices=VendorNoticeBasis.choices)
    channel = forms.CharField(
        label=_("Channel"), max_length=120, help_text=_("e.g. e-mail, supplier portal, phone")
    )
    content = forms.CharField(
        label=_("What was said"), max_length=50000, widget=forms.Textarea(attrs={"rows": 3})
    )
    notified_at = _moment(_("Notified at (UTC)"))

    def __init__(self, *args, systems, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = systems
        self.fields["system"].label_from_instance = lambda s: (
            f"{s.reference} {s.name} ({s.supplier})"
        )

    def service_data(self) -> dict:
        data = {k: self.cleaned_data[k] for k in ("basis", "channel", "content")}
        if self.cleaned_data.get("notified_at"):
            data["notified_at"] = self.cleaned_data["notified_at"]
        return data


class VendorAcknowledgeForm(forms.Form):
    acknowledged_at = _moment(_("Acknowledged at (UTC)"))
    vendor_reference = forms.CharField(
        label=_("Supplier's reference"), required=False, max_length=200
    )


class VendorFixForm(forms.Form):
    fix_description = forms.CharField(
        label=_("The supplier's fix"), max_length=20000, widget=forms.Textarea(attrs={"rows": 2})
    )
    fixed_version = forms.CharField(label=_("Fixed in version"), required=False, max_length=120)
    fixed_at = _moment(_("Fixed at (UTC)"))
    capa = forms.TypedChoiceField(
        label=_("CAPA tracking the fix"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("One of the incident's CAPAs (e.g. pinning the fixed version)."),
    )

    def __init__(self, *args, capas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["capa"].choices = [("", _("— none —"))] + [
            (capa.pk, f"{capa.reference} — {capa.title}") for capa in capas
        ]


# --- affected individuals ----------------------------------------------------------------------


class IndividualsUploadForm(forms.Form):
    file = forms.FileField(
        label=_("List of affected individuals (CSV)"),
        help_text=_(
            "UTF-8, comma-separated, with a header: identifier and contact (required); name, "
            "state, country, channel (optional). A new list replaces the current one."
        ),
    )


class IndividualsStatusForm(forms.Form):
    """Where the notice stands for the people ticked in the table or pasted by identifier."""

    status = forms.ChoiceField(label=_("Mark as"), choices=())
    channel = forms.ChoiceField(label=_("Channel (for notified)"), choices=(), required=False)
    reason = forms.CharField(
        label=_("Reason (bounced, failed or not to be notified)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    at = forms.DateTimeField(
        label=_("When (UTC)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty = now."),
    )
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())
    identifiers = forms.CharField(
        label=_("Identifiers (one a line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("e.g. the bounce report of the mailing tool."),
    )

    def __init__(self, *args, **kwargs):
        from .choices import IndividualStatus, NoticeChannel

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = IndividualStatus.choices
        self.fields["channel"].choices = [
            ("", _("The person's own channel")),
            *NoticeChannel.choices,
        ]
        self.fields["ids"].valid_value = lambda value: True  # the service checks the list

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "status": data["status"],
            "channel": data.get("channel") or "",
            "reason": data.get("reason") or "",
            "at": data.get("at"),
            "ids": data.get("ids") or [],
            "identifiers": (data.get("identifiers") or "").splitlines(),
        }


class CommunicationEditForm(forms.Form):
    """A draft's text; ``version`` guards against overwriting someone else's edit."""

    subject = forms.CharField(label=_("Subject"), max_length=300)
    channel = forms.CharField(label=_("Channel"), max_length=120)
    content = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 14}))
    version = forms.CharField(widget=forms.HiddenInput, required=False)
