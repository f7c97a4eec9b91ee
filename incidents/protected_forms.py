"""Forms of the protected reporting channel: the public pages and the handlers' pages.

They shape input only; ``incidents.services.protected_channel`` validates again and writes.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import AISystem

from .choices import ProtectedReportStatus
from .services.protected_channel import (
    MAX_MESSAGE,
    MAX_REPORT,
    MAX_TITLE,
    SETTABLE_STATUSES,
    ReporterRelationship,
)


def _textarea(rows):
    return forms.Textarea(attrs={"rows": rows})


class ReportForm(forms.Form):
    """What anyone may tell us. Only the description is required."""

    description = forms.CharField(
        label=_("What happened?"),
        max_length=MAX_REPORT,
        widget=_textarea(8),
        help_text=_(
            "Describe what the AI system did, or what you saw people do with it, and why it "
            "worries you. Please leave out your own name here if you want to stay anonymous."
        ),
    )
    system_description = forms.CharField(
        label=_("Which AI system or service?"),
        max_length=300,
        required=False,
        help_text=_("Its name, the website or app, or where you met it — as far as you know."),
    )
    occurred_at_text = forms.CharField(
        label=_("When did it happen?"),
        max_length=200,
        required=False,
        help_text=_("A date, or something like 'last week', 'since March'."),
    )
    reporter_relationship = forms.ChoiceField(
        label=_("You are"),
        choices=[("", _("Prefer not to say")), *ReporterRelationship.choices],
        required=False,
    )
    contact_name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("Your e-mail"), required=False)
    contact_phone = forms.CharField(label=_("Your phone"), max_length=50, required=False)


class ReceiptCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Receipt code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        help_text=_("The code you were given when you made the report, e.g. ABCD-EFGH-JKMN-PQRS."),
    )


class AddInformationForm(forms.Form):
    code = forms.CharField(max_length=40, widget=forms.HiddenInput)
    body = forms.CharField(
        label=_("Add information"),
        max_length=MAX_MESSAGE,
        widget=_textarea(5),
        help_text=_("Anything you remembered or that happened since. It is added to your report."),
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply to the reporter"),
        max_length=MAX_MESSAGE,
        required=False,
        widget=_textarea(4),
        help_text=_("The reporter sees it when they check the status with their receipt code."),
    )
    public_status_note = forms.CharField(
        label=_("Message shown with the status"),
        max_length=MAX_MESSAGE,
        required=False,
        widget=_textarea(2),
        help_text=_("Shown to the reporter next to the status; replaces the previous one."),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(s.value, s.label) for s in SETTABLE_STATUSES],
    )


class ConvertForm(forms.Form):
    """GRC turns a report into an incident; the text can be edited to remove identifying detail."""

    title = forms.CharField(label=_("Incident title"), max_length=MAX_TITLE)
    systems = forms.ModelMultipleChoiceField(
        label=_("Affected AI systems"),
        queryset=AISystem.objects.order_by("reference"),
        required=False,
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several."),
    )
    description = forms.CharField(
        label=_("Incident description"),
        max_length=MAX_REPORT + 2000,
        widget=_textarea(8),
        help_text=_(
            "Copied from the report without the reporter's contact details. Take out anything "
            "else that could identify the reporter: everyone who can see the incident reads it."
        ),
    )
    restricted = forms.BooleanField(
        label=_("Restricted incident"),
        required=False,
        help_text=_("Only its participants and GRC see it — for concerns about staff."),
    )


STATUS_FILTER_CHOICES = [("", _("Any status")), *ProtectedReportStatus.choices]
