"""MITRE ATLAS techniques on risks: which adversarial-AI techniques a risk is about.

The catalogue is the incident register's (``incidents.atlas``: tactics and techniques of one
ATLAS release, by their IDs). A risk's techniques are set as a whole list, like an incident's:
the service below, ``PUT /api/v1/risks/{id}/atlas-techniques/`` (by ID, with If-Match) and the
risk's "MITRE ATLAS" page. Kept in this module so the rest of the risk app does not change.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from aims.core.concurrency import check_version, etag_of, version_of
from aims.core.exceptions import ApplicationError, Conflict, PermissionRefused, ValidationFailed
from aims.core.permissions import require
from aims.core.services import audited_write, bulk_save_audited, model_save
from incidents.forms import AtlasTechniquesField
from incidents.models import AtlasTechnique

from . import events, permissions, selectors
from .choices import RiskStatus
from .models import RiskTechnique

# --- the service ------------------------------------------------------------------------------


@audited_write
def risk_set_atlas_techniques(*, actor, risk, techniques, expected_version=None):
    """Make the risk's ATLAS techniques exactly ``techniques``; one audited row per link, the
    change on the risk's history. A technique a newer release dropped may stay, not be added."""
    require(permissions.can_edit_register(actor, risk))
    risk = selectors.risk_for_update(risk.pk)
    check_version(risk, expected_version)
    if risk.status == RiskStatus.CLOSED:
        raise Conflict(_("%(ref)s is closed; reopen it to change it.") % {"ref": risk.reference})
    wanted = {t.pk: t for t in techniques}
    links = {link.technique_id: link for link in risk.technique_links.all()}
    for pk, technique in wanted.items():
        if pk not in links and not technique.current:
            raise ValidationFailed(
                _("%s is not in the current ATLAS release.") % technique.atlas_id,
                fields={"atlas_techniques": ["not current"]},
            )
    removed = [link for pk, link in links.items() if pk not in wanted]
    added = sorted((t for pk, t in wanted.items() if pk not in links), key=lambda t: t.atlas_id)
    if not (removed or added):
        return risk
    for link in removed:
        link._history_user = actor
        link.delete()
    bulk_save_audited(
        RiskTechnique, [RiskTechnique(risk=risk, technique=t) for t in added], actor=actor
    )
    model_save(risk, actor=actor, lookups=False)  # a new version: the ETag moves
    events.risk_updated_event(risk=risk, actor=actor, fields={"atlas_techniques"})
    return risk


def techniques_of(risk) -> list[AtlasTechnique]:
    return [
        link.technique
        for link in RiskTechnique.objects.filter(risk=risk).select_related("technique")
    ]


# --- the API ----------------------------------------------------------------------------------


class RiskTechniquesSerializer(serializers.Serializer):
    atlas_techniques = serializers.SlugRelatedField(
        slug_field="atlas_id",
        queryset=AtlasTechnique.objects.all(),
        many=True,
        help_text='MITRE ATLAS technique IDs, e.g. ["AML.T0051"]; the list replaces the '
        "risk's techniques (the catalogue: GET /api/v1/atlas/).",
        error_messages={
            "does_not_exist": _(
                "No MITRE ATLAS technique has the ID {value}: IDs look like AML.T0051 or "
                "AML.T0051.000 (see GET /api/v1/atlas/)."
            ),
            "invalid": _("A MITRE ATLAS technique ID is a string such as AML.T0051."),
        },
    )


class RiskTechniqueRefSerializer(serializers.Serializer):
    id = serializers.CharField(source="atlas_id")
    name = serializers.CharField()


class RiskTechniquesReadSerializer(serializers.Serializer):
    atlas_techniques = RiskTechniqueRefSerializer(many=True)


class RiskAtlasTechniquesView(APIView):
    """``GET``/``PUT /api/v1/risks/{id}/atlas-techniques/``: the risk's ATLAS techniques."""

    def _risk(self, request, pk, *, gate=permissions.can_read_register):
        decision = gate(request.user)  # refused before any record is looked up
        if not decision:
            raise PermissionRefused(decision.message)
        risk = selectors.risks_visible_to(request.user).filter(pk=pk).first()
        if risk is None:
            raise NotFound(_("No such risk, or you may not see it."))
        return risk

    def _answer(self, risk):
        body = RiskTechniquesReadSerializer({"atlas_techniques": techniques_of(risk)}).data
        return Response(body, headers={"ETag": etag_of(risk)})

    @extend_schema(
        summary="The MITRE ATLAS techniques the risk is about.",
        responses=RiskTechniquesReadSerializer,
    )
    def get(self, request, pk: int):
        return self._answer(self._risk(request, pk))

    @extend_schema(
        summary="Replace the risk's MITRE ATLAS techniques (by ID; If-Match: the risk's ETag).",
        request=RiskTechniquesSerializer,
        responses=RiskTechniquesReadSerializer,
    )
    def put(self, request, pk: int):
        risk = self._risk(request, pk, gate=permissions.can_edit_register)
        decision = permissions.can_edit_register(request.user, risk)
        if not decision:
            raise PermissionRefused(decision.message)
        body = RiskTechniquesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        risk = risk_set_atlas_techniques(
            actor=request.user,
            risk=risk,
            techniques=body.validated_data["atlas_techniques"],
            expected_version=request.headers.get("If-Match"),
        )
        return self._answer(risk)


# --- the page ---------------------------------------------------------------------------------


def _form(data=None, *, initial=()):
    from django import forms

    class RiskTechniquesForm(forms.Form):
        atlas_techniques = AtlasTechniquesField()
        version = forms.CharField(widget=forms.HiddenInput)

    form = RiskTechniquesForm(data, initial={"atlas_techniques": list(initial)})
    form.fields["atlas_techniques"].load()
    return form


@login_required
def risk_atlas_edit(request, pk):
    """The risk's MITRE ATLAS techniques: a select by ID and name, grouped by tactic."""
    from incidents.views.common import form_errors_text, refused

    gate = permissions.can_edit_register(request.user)
    if not gate:
        return refused(request, gate.message)
    risk = selectors.risks_visible_to(request.user).filter(pk=pk).first()
    if risk is None:
        raise Http404(_("No such risk, or you may not see it."))
    decision = permissions.can_edit_register(request.user, risk)
    if not decision:
        return refused(request, decision.message)
    current = techniques_of(risk)
    if request.method == "POST":
        form = _form(request.POST)
        if form.is_valid():
            try:
                risk_set_atlas_techniques(
                    actor=request.user,
                    risk=risk,
                    techniques=form.cleaned_data["atlas_techniques"],
                    expected_version=form.cleaned_data["version"],
                )
            except ApplicationError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request, _("%(ref)s: ATLAS techniques saved.") % {"ref": risk.reference}
                )
                return redirect(risk.get_absolute_url())
        else:
            messages.error(request, form_errors_text(form))
    else:
        form = _form(initial=[t.atlas_id for t in current])
        form.initial["version"] = version_of(risk)
    return render(
        request, "risk/atlas_edit.html", {"risk": risk, "form": form, "techniques": current}
    )
