"""HTML routes of audit samples, mounted at ``/reports/samples/``.

The form and the view live next to their route so the report modules built in parallel do not
share a ``views.py``. Thin as everywhere: the form only renders and converts the browser's
fields; ``samples.audit_sample_request`` validates (with the same serializer as the API),
re-checks the role and draws; the run is queued and the person lands on its progress page.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from aims.core.exceptions import ApplicationError, PermissionRefused
from incidents.choices import Kind, Severity, Status
from inventory.models import AISystem

from . import permissions
from .choices import ReportKind
from .samples import MAX_SEED, MAX_SIZE, audit_sample_request
from .services import report_queue

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
        max_value=MAX_SIZE,
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


def _refused(request, message):
    return render(request, "reporting/sample_refused.html", {"message": message}, status=403)


@login_required
@require_http_methods(["GET", "POST"])
def sample_new(request):
    """Draw an audit sample: the draw is recorded at once, the bundle is built by a worker."""
    user = request.user
    if not permissions.can_request(user, ReportKind.AUDIT_SAMPLE):
        return _refused(request, _("Your role cannot draw audit samples."))
    form = AuditSampleForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            run = audit_sample_request(actor=user, data=form.service_data())
        except PermissionRefused as exc:
            return _refused(request, exc.message)
        except ApplicationError as exc:
            for name, errors in exc.fields.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
            if not exc.fields:
                form.add_error(None, exc.message)
            status = exc.status_code
        else:
            report_queue(run)
            messages.success(
                request,
                _(
                    "Drew %(drawn)s of %(population)s incidents with seed %(seed)s. "
                    "The bundle is being built."
                )
                % {
                    "drawn": len(run.params["drawn"]),
                    "population": run.params["population_size"],
                    "seed": run.params["seed"],
                },
            )
            return redirect("reporting:run-detail", pk=run.pk)
    template = "reporting/sample_form.html#form" if request.htmx else "reporting/sample_form.html"
    return render(request, template, {"form": form}, status=status)


urlpatterns = [
    path("new/", sample_new, name="sample-new"),
]
