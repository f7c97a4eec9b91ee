"""What every incident page shares: constants, refusal pages, the visible incident."""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from aims.core.listing import sort_columns

from .. import rules, selectors
from ..forms import (
    end_of_day,
)

PAGE_SIZE = 25

EXPORT_PATH = "/reports/exports/new/"
EVIDENCE_DOWNLOAD_PATH = "/api/v1/evidence/{pk}/download/"

NO_ROLE = gettext_lazy("Your account has no role in AIMS Register; ask GRC staff to assign one.")

# (ordering key of IncidentFilter, column label); the register is newest first by default.
SORTABLE = {
    "reference": gettext_lazy("Reference"),
    "title": gettext_lazy("Title"),
    "severity": gettext_lazy("Severity"),
    "status": gettext_lazy("Status"),
    "detected": gettext_lazy("Detected"),
}
DEFAULT_ORDERING = "-detected"
# Filters offered as one select each in the filter bar, in this order.
FILTER_SELECTS = [
    "state",
    "status",
    "severity",
    "kind",
    "type",
    "system",
    "detection_source",
    "atlas_technique",
]
DATE_FILTERS = ["detected_after", "detected_before"]

form_methods = require_http_methods(["GET", "POST"])


# --- helpers ------------------------------------------------------------------------------


def refused(request, message):
    """403 with the reason, in the layout, so the person knows what to ask for."""
    return render(request, "incidents/refused.html", {"message": message}, status=403)


def form_errors_text(form) -> str:
    """A form's errors as one sentence for a message: "Reason: This field is required." """
    parts = []
    for name, errors in form.errors.items():
        text = " ".join(str(e) for e in errors)
        if name == "__all__" or name not in form.fields:
            parts.append(text)
        else:
            parts.append(f"{form.fields[name].label}: {text}")
    return " ".join(parts)


def _visible_incident(request, pk):
    """The incident if the user may see it; 404 otherwise (its existence is not revealed)."""
    incident = selectors.incidents_visible_to(request.user).filter(pk=pk).first()
    if incident is None:
        raise Http404(_("No such incident, or you may not see it."))
    return incident


def _facts_suggestion(incident) -> rules.SeveritySuggestion:
    """The severity the playbook suggests from the incident's recorded facts."""
    return rules.suggest_severity(rules.facts_of(incident))


def _sort_columns(current: str) -> dict:
    return sort_columns(SORTABLE, current, DEFAULT_ORDERING)


def _filter_controls(filterset, params) -> list[dict]:
    """One labelled select per filter, with the current choice marked."""
    controls = []
    for name in FILTER_SELECTS:
        field = filterset.form.fields[name]
        chosen = set(params.getlist(name))
        controls.append(
            {
                "name": name,
                "label": field.label,
                "options": [
                    (str(value), label, str(value) in chosen)
                    for value, label in field.choices
                    if str(value) != ""
                ],
            }
        )
    return controls


def _filter_data(params):
    """The register's GET parameters as the FilterSet reads them: an "until" date is inclusive."""
    data = params.copy()
    until = data.get("detected_before", "")
    if until and (bound := end_of_day(until)):
        data["detected_before"] = bound
    return data


def _int_or_none(value):
    try:
        return int(str(value).replace(",", "").strip())
    except (TypeError, ValueError):
        return None
