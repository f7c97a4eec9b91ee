"""The register of documented information and retention pages: the documents (filtered by
kind, status, outdated, review due), one document with its versions, drafting, uploading and
approving a version, the retention schedule, and the legal-hold section of the incident page.
The procedure's "Generate from configuration" posts to reporting, which queues a worker."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from aims.core.exceptions import ApplicationError, PermissionRefused
from incidents.selectors import incidents_visible_to
from incidents.views.common import form_errors_text, refused

from .. import permissions, selectors, services
from ..choices import DocumentKind, DocumentVersionStatus
from ..models import DocumentVersion, LegalHold, RetentionRule
from .common import form_methods, gate, run_action

YES_NO = [("", "—"), ("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]


def _owners():
    return get_user_model().objects.filter(is_active=True).order_by("username")


class DocumentFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False, choices=[("", "—"), *DocumentKind.choices]
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[
            ("", "—"),
            (DocumentVersionStatus.APPROVED, gettext_lazy("Has an approved version")),
            (DocumentVersionStatus.DRAFT, gettext_lazy("Has a draft")),
            ("none", gettext_lazy("Never approved")),
        ],
    )
    outdated = forms.ChoiceField(label=gettext_lazy("Outdated"), required=False, choices=YES_NO)
    review_due = forms.ChoiceField(
        label=gettext_lazy("Review due within 30 days"), required=False, choices=YES_NO[:2]
    )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=DocumentKind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = forms.ModelChoiceField(label=gettext_lazy("Owner"), queryset=None)
    review_interval_days = forms.IntegerField(
        label=gettext_lazy("Review interval (days)"), min_value=1, max_value=3650, initial=365
    )
    process_links = forms.CharField(
        label=gettext_lazy("Links to related processes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "One per line: label | address (security incident process, privacy breach process, "
            "business continuity plan)."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _owners()

    def clean_process_links(self):
        links = []
        for line in (self.cleaned_data.get("process_links") or "").splitlines():
            if not line.strip():
                continue
            label, _sep, url = line.partition("|")
            if not label.strip():
                raise forms.ValidationError(_("Each line starts with a label."))
            links.append({"label": label.strip(), "url": url.strip()})
        return links


class VersionForm(forms.Form):
    summary = forms.CharField(label=gettext_lazy("What changed"), max_length=300, required=False)
    body = forms.CharField(
        label=gettext_lazy("Text"), required=False, widget=forms.Textarea(attrs={"rows": 10})
    )
    file = forms.FileField(label=gettext_lazy("Or upload its file"), required=False)
    exclusions = forms.CharField(
        label=gettext_lazy("Exclusions from the scope (AIMS scope only)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line: what is excluded | why."),
    )

    def clean_exclusions(self):
        rows = []
        for line in (self.cleaned_data.get("exclusions") or "").splitlines():
            if not line.strip():
                continue
            item, _sep, why = line.partition("|")
            rows.append({"item": item.strip(), "justification": why.strip()})
        return rows

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("file"):
            raise forms.ValidationError(_("Write the text of the version or upload its file."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RetentionRuleForm(forms.Form):
    period_days = forms.IntegerField(
        label=gettext_lazy("Retention period (days)"), min_value=1, max_value=36500
    )
    legal_basis = forms.CharField(
        label=gettext_lazy("Legal basis"), widget=forms.Textarea(attrs={"rows": 2})
    )
    purge_enabled = forms.BooleanField(
        label=gettext_lazy("Purged automatically past its period"), required=False
    )


def _document(request, pk):
    document = selectors.document_detail(pk)
    if document is None:
        raise Http404(_("No such document."))
    return document


@login_required
@require_http_methods(["GET", "HEAD"])
@gate(permissions.can_read_documents)
def document_list(request):
    form = DocumentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    return render(
        request,
        "risk/document_list.html",
        {
            "documents": selectors.document_list(**{k: v for k, v in filters.items() if v}),
            "filter_form": form,
            "can_edit": permissions.can_edit_documents(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD"])
@gate(permissions.can_read_documents)
def document_detail(request, pk):
    document = _document(request, pk)
    versions = list(selectors.versions_of(document))
    approved = next((v for v in versions if v.status == DocumentVersionStatus.APPROVED), None)
    can_edit = bool(permissions.can_edit_documents(request.user, document))
    return render(
        request,
        "risk/document_detail.html",
        {
            "document": document,
            "versions": versions,
            "approved": approved,
            "outdated": selectors.outdated_reason(document, approved=approved) if approved else "",
            "can_edit": can_edit,
            "can_approve": bool(permissions.can_approve_document(request.user)),
            "version_form": VersionForm() if can_edit and not document.generated else None,
            "outdated_form": ReasonForm() if can_edit and approved else None,
            "rules": selectors.retention_rules()
            if document.kind == DocumentKind.RETENTION_SCHEDULE
            else None,
        },
    )


@login_required
@form_methods
@gate(permissions.can_edit_documents)
def document_create(request):
    form = DocumentForm(request.POST or None, initial={"owner": request.user.pk})
    if request.method == "POST":
        if form.is_valid():
            try:
                document = services.document_create(actor=request.user, data=form.cleaned_data)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("%s registered.") % document.reference)
                return redirect(document.get_absolute_url())
        else:
            messages.error(request, form_errors_text(form))
    return render(request, "risk/document_form.html", {"form": form})


@login_required
@form_methods
@gate(permissions.can_edit_documents)
def document_edit(request, pk):
    document = _document(request, pk)
    initial = {
        "kind": document.kind,
        "title": document.title,
        "description": document.description,
        "owner": document.owner_id,
        "review_interval_days": document.review_interval_days,
        "process_links": "\n".join(
            f"{link['label']} | {link['url']}" for link in document.process_links
        ),
    }
    form = DocumentForm(request.POST or None, initial=initial)
    form.fields["kind"].disabled = True
    if request.method == "POST":
        if form.is_valid():
            try:
                services.document_update(
                    actor=request.user, document=document, data=form.cleaned_data
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("%s saved.") % document.reference)
                return redirect(document.get_absolute_url())
        else:
            messages.error(request, form_errors_text(form))
    return render(request, "risk/document_form.html", {"form": form, "document": document})


@login_required
@require_POST
@gate(permissions.can_edit_documents)
def version_create(request, pk):
    document = _document(request, pk)
    form = VersionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(document.get_absolute_url())
    data = form.cleaned_data
    return run_action(
        request,
        lambda: services.version_draft(
            actor=request.user,
            document=document,
            body=data["body"],
            summary=data["summary"],
            exclusions=data["exclusions"],
            uploaded_file=data.get("file"),
        ),
        _("Draft saved."),
        document.get_absolute_url(),
    )


def _version(pk, version_pk) -> DocumentVersion:
    version = DocumentVersion.objects.filter(pk=version_pk, document_id=pk).first()
    if version is None:
        raise Http404(_("No such version."))
    return version


@login_required
@require_POST
@gate(permissions.can_approve_document)
def version_approve(request, pk, version_pk):
    version = _version(pk, version_pk)
    return run_action(
        request,
        lambda: services.version_approve(actor=request.user, version=version),
        _("Version %s approved; the review clock runs from today.") % version.number,
        version.document.get_absolute_url(),
    )


@login_required
@require_POST
@gate(permissions.can_edit_documents)
def version_outdated(request, pk, version_pk):
    version = _version(pk, version_pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(version.document.get_absolute_url())
    return run_action(
        request,
        lambda: services.version_mark_outdated(
            actor=request.user, version=version, reason=form.cleaned_data["reason"]
        ),
        _("Version %s marked outdated.") % version.number,
        version.document.get_absolute_url(),
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def version_file(request, pk, version_pk):
    """A version's file, re-checked against its SHA-256 before it is served."""
    from django.http import FileResponse

    from aims.core.files import EvidenceIntegrityFailed, file_intact

    decision = permissions.can_read_documents(request.user)
    if not decision:
        return refused(request, decision.message)
    version = _version(pk, version_pk)
    if not version.file:
        raise Http404(_("This version has no file."))
    if not file_intact(version.file, version.sha256):
        return refused(request, EvidenceIntegrityFailed.default_message)
    return FileResponse(
        version.file.open("rb"),
        as_attachment=True,
        filename=version.original_name,
        content_type=version.media_type or "application/octet-stream",
    )


# --- retention ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
@gate(permissions.can_read_retention)
def retention(request):
    can_edit = bool(permissions.can_edit_retention(request.user))
    rules = list(selectors.retention_rules())
    forms_by_rule = (
        {
            rule.pk: RetentionRuleForm(
                initial={
                    "period_days": rule.period_days,
                    "legal_basis": rule.legal_basis,
                    "purge_enabled": rule.purge_enabled,
                },
                prefix=f"r{rule.pk}",
            )
            for rule in rules
        }
        if can_edit
        else {}
    )
    return render(
        request,
        "risk/document_retention.html",
        {
            "rows": [(rule, forms_by_rule.get(rule.pk)) for rule in rules],
            "holds": LegalHold.objects.filter(released_at__isnull=True)
            .select_related("incident", "placed_by")
            .order_by("-placed_at"),
        },
    )


@login_required
@require_POST
@gate(permissions.can_edit_retention)
def retention_rule_update(request, pk):
    rule = RetentionRule.objects.filter(pk=pk).first()
    if rule is None:
        raise Http404(_("No such retention rule."))
    form = RetentionRuleForm(request.POST, prefix=f"r{rule.pk}")
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("risk:retention")
    return run_action(
        request,
        lambda: services.retention_rule_update(
            actor=request.user, rule=rule, data=form.cleaned_data
        ),
        _("Retention rule saved."),
        "risk:retention",
    )


# --- legal holds on the incident page -------------------------------------------------------


def incident_hold_section(request, incident) -> dict | None:
    """The incident page's legal-hold card: for the roles that read the retention records."""
    if not permissions.can_read_retention(request.user):
        return None
    holds = list(selectors.holds_of(incident))
    return {
        "holds": holds,
        "active_hold": next((h for h in holds if h.active), None),
        "can_hold": bool(permissions.can_hold(request.user, incident)),
        "hold_form": ReasonForm(prefix="hold"),
    }


def _visible_incident(request, pk):
    incident = incidents_visible_to(request.user).filter(pk=pk).first()
    if incident is None:
        raise Http404(_("No such incident, or you may not see it."))
    return incident


@login_required
@require_POST
@gate(permissions.can_hold)
def legal_hold_place(request, pk):
    incident = _visible_incident(request, pk)
    form = ReasonForm(request.POST, prefix="hold")
    back = f"{incident.get_absolute_url()}#legal-hold"
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(back)
    return run_action(
        request,
        lambda: services.legal_hold_place(
            actor=request.user, incident=incident, reason=form.cleaned_data["reason"]
        ),
        _("Legal hold placed: no record of %s is purged while it stands.") % incident.reference,
        back,
    )


@login_required
@require_POST
@gate(permissions.can_hold)
def legal_hold_release(request, pk, hold_pk):
    incident = _visible_incident(request, pk)
    hold = LegalHold.objects.filter(pk=hold_pk, incident=incident).first()
    if hold is None:
        raise Http404(_("No such legal hold."))
    form = ReasonForm(request.POST, prefix="hold")
    back = f"{incident.get_absolute_url()}#legal-hold"
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(back)
    try:
        services.legal_hold_release(
            actor=request.user, hold=hold, reason=form.cleaned_data["reason"]
        )
    except PermissionRefused as exc:
        return refused(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("Legal hold released."))
    return redirect(back)
