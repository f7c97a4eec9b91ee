"""The Statement of Applicability, each Annex A control with its evidence, and the evidence map."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aims.core.concurrency import version_of
from incidents.views.common import form_errors_text, refused

from .. import evidence, permissions, selectors, services
from ..forms import (
    EvidenceLinkForm,
    StatementForm,
)
from ..models import Control, EvidenceLink
from .common import gate, run_action

# --- the Statement of Applicability and the evidence map --------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def soa(request):
    decision = permissions.can_read_soa(request.user)
    if not decision:
        return refused(request, decision.message)
    return render(
        request,
        "risk/soa.html",
        {"controls": selectors.controls(), "can_download": True},
    )


def _control(pk) -> Control:
    control = selectors.control_detail(pk)
    if control is None:
        raise Http404(_("No such control."))
    return control


def _evidence_rows(user, control):
    rows = []
    for link in selectors.evidence_of(control):
        registered = evidence.kind_for_model(link.target_type.model_class())
        rows.append(
            {"link": link, "kind": registered.key if registered else link.target_type.model}
        )
    return rows


@login_required
@require_http_methods(["GET", "HEAD"])
def control_detail(request, pk):
    decision = permissions.can_read_soa(request.user)
    if not decision:
        return refused(request, decision.message)
    control = _control(pk)
    statement = control.statement
    may_edit = bool(permissions.can_edit_soa(request.user, statement))
    context = {
        "control": control,
        "statement": statement,
        "evidence": _evidence_rows(request.user, control),
        "risks": selectors.risks_applying(control),
        "form": StatementForm(
            initial={
                "applicability": statement.applicability,
                "justification": statement.justification,
                "implementation_status": statement.implementation_status,
                "owner": statement.owner_id,
                "notes": statement.notes,
                "version": version_of(statement),
            }
        )
        if may_edit
        else None,
        "link_form": EvidenceLinkForm(kinds=evidence.keys(), auto_id="link-%s")
        if permissions.can_link_evidence(request.user, control)
        else None,
    }
    return render(request, "risk/control_detail.html", context)


@login_required
@require_POST
@gate(permissions.can_edit_soa)
def control_update(request, pk):
    control = _control(pk)
    form = StatementForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(control.get_absolute_url())
    data = dict(form.cleaned_data)
    version = data.pop("version", "") or None
    return run_action(
        request,
        lambda: services.statement_update(
            actor=request.user, control=control, data=data, expected_version=version
        ),
        _("The Statement of Applicability entry of %s is saved.") % control.code,
        control.get_absolute_url(),
    )


@login_required
@require_POST
@gate(permissions.can_link_evidence)
def evidence_add(request, pk):
    control = _control(pk)
    form = EvidenceLinkForm(request.POST, kinds=evidence.keys())
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(control.get_absolute_url())
    kind = form.cleaned_data["kind"]
    registered = evidence.kind(kind)
    record = registered.model._default_manager.filter(
        reference__iexact=form.cleaned_data["reference"].strip()
    ).first()
    return run_action(
        request,
        lambda: services.evidence_link(
            actor=request.user,
            control=control,
            kind=kind,
            target_id=record.pk if record else 0,
            note=form.cleaned_data["note"],
        ),
        _("Evidence linked to %s.") % control.code,
        control.get_absolute_url(),
    )


@login_required
@require_POST
@gate(permissions.can_link_evidence)
def evidence_remove(request, pk, link_pk):
    control = _control(pk)
    link = EvidenceLink.objects.filter(pk=link_pk, control=control).first()
    if link is None:
        raise Http404(_("No such evidence link."))
    return run_action(
        request,
        lambda: services.evidence_unlink(actor=request.user, link=link),
        _("Evidence link removed."),
        control.get_absolute_url(),
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def evidence_map(request):
    decision = permissions.can_read_soa(request.user)
    if not decision:
        return refused(request, decision.message)
    rows = selectors.evidence_map()
    return render(
        request,
        "risk/evidence_map.html",
        {
            "rows": rows,
            "gaps": [r for r in rows if r["gap"]],
            "since": timezone.localdate() - selectors.EVIDENCE_WINDOW,
        },
    )
