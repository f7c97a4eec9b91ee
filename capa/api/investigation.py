"""REST API of the incident's root cause, scope, remediation plan and recurrences.

Access follows the incident: a record on an incident the caller cannot see answers 404. Each
write asks its rule in ``capa.permissions`` before the body is read (403 with the rule's words),
then hands the body to the service. Updatable records carry an ``ETag`` and honour ``If-Match``.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions as drf_permissions
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from aims.core.concurrency import etag_of
from aims.core.exceptions import ValidationFailed
from aims.core.permissions import require
from incidents.models import Evidence
from incidents.selectors import incidents_visible_to

from .. import permissions, selectors, services
from ..models import RootCause
from .serializers import investigation as s


class Readers(drf_permissions.BasePermission):
    """Everyone with a role reads; what each may see is the incident's visibility."""

    def has_permission(self, request, view):
        decision = permissions.can_read(request.user)
        self.message = decision.message
        return bool(decision)


PERMISSIONS = [drf_permissions.IsAuthenticated, Readers]


def _incident(request, pk):
    incident = incidents_visible_to(request.user).filter(pk=pk).first()
    if incident is None:
        raise NotFound(_("No such incident, or you may not see it."))
    return incident


def _root_cause(request, pk) -> RootCause:
    cause = (
        selectors.root_causes_visible_to(request.user)
        .select_related("incident")
        .filter(pk=pk)
        .first()
    )
    if cause is None:
        raise NotFound(_("No such root cause, or you may not see it."))
    return cause


def _root_cause_response(cause, status=200):
    cause = selectors.root_causes_of(cause.incident_id).get(pk=cause.pk)
    response = Response(s.RootCauseSerializer(cause).data, status=status)
    response["ETag"] = etag_of(cause)
    return response


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class IncidentRootCausesView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(responses=s.RootCauseSerializer(many=True), summary="Causes considered.")
    def get(self, request, pk):
        incident = _incident(request, pk)
        causes = selectors.root_causes_of(incident)
        return Response(s.RootCauseSerializer(causes, many=True).data)

    @extend_schema(
        request=s.RootCauseWriteSerializer,
        responses={201: s.RootCauseSerializer},
        summary="Consider a root cause (a candidate, confirmed or ruled out later).",
    )
    def post(self, request, pk):
        incident = _incident(request, pk)
        require(permissions.can_analyse(request.user, incident))
        data = _valid(s.RootCauseWriteSerializer, request)
        cause = services.root_cause_propose(actor=request.user, incident=incident, **data)
        return _root_cause_response(cause, status=201)


class RootCauseView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(responses=s.RootCauseSerializer)
    def get(self, request, pk):
        return _root_cause_response(_root_cause(request, pk))

    @extend_schema(
        request=s.RootCauseUpdateSerializer,
        responses=s.RootCauseSerializer,
        summary="Edit a candidate still considered (honours If-Match).",
    )
    def patch(self, request, pk):
        cause = _root_cause(request, pk)
        require(permissions.can_analyse(request.user, cause.incident))
        data = _valid(s.RootCauseUpdateSerializer, request)
        cause = services.root_cause_update(
            actor=request.user,
            root_cause=cause,
            data=data,
            expected_version=request.headers.get("If-Match"),
        )
        return _root_cause_response(cause)


class WhysView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        request=s.WhyWriteSerializer,
        responses={201: s.RootCauseSerializer},
        summary="Append the next why of the chain.",
    )
    def post(self, request, pk):
        cause = _root_cause(request, pk)
        require(permissions.can_analyse(request.user, cause.incident))
        data = _valid(s.WhyWriteSerializer, request)
        services.why_add(actor=request.user, root_cause=cause, **data)
        return _root_cause_response(cause, status=201)


class DiagnosticsView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        request=s.DiagnosticWriteSerializer,
        responses={201: s.RootCauseSerializer},
        summary="Record a diagnostic and its result (engineers: for systems they own).",
    )
    def post(self, request, pk):
        cause = _root_cause(request, pk)
        require(permissions.can_add_diagnostic(request.user, cause.incident))
        data = _valid(s.DiagnosticWriteSerializer, request)
        services.diagnostic_add(actor=request.user, root_cause=cause, **data)
        return _root_cause_response(cause, status=201)


class EvidenceLinksView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        request=s.RootCauseEvidenceWriteSerializer,
        responses={201: s.RootCauseSerializer},
        summary="Link one of the incident's evidence items as confirming evidence.",
    )
    def post(self, request, pk):
        cause = _root_cause(request, pk)
        require(permissions.can_add_diagnostic(request.user, cause.incident))
        data = _valid(s.RootCauseEvidenceWriteSerializer, request)
        evidence = Evidence.objects.filter(pk=data["evidence"]).first()
        if evidence is None:
            raise ValidationFailed(
                _("No such evidence item: give the id of one of this incident's evidence items."),
                fields={"evidence": ["unknown"]},
            )
        services.evidence_link(
            actor=request.user, root_cause=cause, evidence=evidence, note=data.get("note", "")
        )
        return _root_cause_response(cause, status=201)


class RootCauseConfirmView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        request=None,
        responses=s.RootCauseSerializer,
        summary="Confirm the root cause (409 names what is missing; honours If-Match).",
    )
    def post(self, request, pk):
        cause = _root_cause(request, pk)
        require(permissions.can_confirm_root_cause(request.user, cause.incident))
        cause = services.root_cause_confirm(
            actor=request.user, root_cause=cause, expected_version=request.headers.get("If-Match")
        )
        return _root_cause_response(cause)


class RootCauseRuleOutView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(request=s.ReasonSerializer, responses=s.RootCauseSerializer)
    def post(self, request, pk):
        cause = _root_cause(request, pk)
        require(permissions.can_confirm_root_cause(request.user, cause.incident))
        data = _valid(s.ReasonSerializer, request)
        cause = services.root_cause_rule_out(
            actor=request.user, root_cause=cause, reason=data["reason"]
        )
        return _root_cause_response(cause)


class ScopeView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(responses=s.ScopeSerializer, summary="The incident's scope (404 if none).")
    def get(self, request, pk):
        scope = selectors.scope_of(_incident(request, pk))
        if scope is None:
            raise NotFound(_("The scope is not recorded yet: PUT it to record it."))
        response = Response(s.ScopeSerializer(scope).data)
        response["ETag"] = etag_of(scope)
        return response

    @extend_schema(
        request=s.ScopeWriteSerializer,
        responses=s.ScopeSerializer,
        summary="Record the scope: a best estimate or the confirmed count (honours If-Match).",
    )
    def put(self, request, pk):
        incident = _incident(request, pk)
        require(permissions.can_record_scope(request.user, incident))
        data = _valid(s.ScopeWriteSerializer, request)
        confirm = data.pop("confirm")
        scope = services.scope_record(
            actor=request.user,
            incident=incident,
            data=data,
            confirm=confirm,
            expected_version=request.headers.get("If-Match"),
        )
        scope = selectors.scope_of(incident)
        response = Response(s.ScopeSerializer(scope).data)
        response["ETag"] = etag_of(scope)
        return response


def _plan_response(incident, status=200):
    plan = selectors.plan_of(incident)
    if plan is None:  # nothing planned yet: the empty plan's shape
        return Response({**s.EMPTY_PLAN, "incident": incident.pk}, status=status)
    response = Response(s.RemediationPlanSerializer(plan).data, status=status)
    response["ETag"] = etag_of(plan)
    return response


class RemediationPlanView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(responses=s.RemediationPlanSerializer, summary="The remediation plan.")
    def get(self, request, pk):
        return _plan_response(_incident(request, pk))


class RemediationItemsView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        request=s.RemediationItemWriteSerializer,
        responses={201: s.RemediationPlanSerializer},
        summary="Add a plan item in its horizon, with owner and due date.",
    )
    def post(self, request, pk):
        incident = _incident(request, pk)
        require(permissions.can_plan_remediation(request.user, incident))
        data = _valid(s.RemediationItemWriteSerializer, request)
        owner = get_user_model().objects.filter(pk=data.pop("owner"), is_active=True).first()
        if owner is None:
            raise ValidationFailed(
                _("No such active user: give the owner's user id."), fields={"owner": ["unknown"]}
            )
        services.remediation_item_add(actor=request.user, incident=incident, owner=owner, **data)
        return _plan_response(incident, status=201)


class RemediationItemDoneView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(request=s.RemediationNoteSerializer, responses=s.RemediationPlanSerializer)
    def post(self, request, pk):
        item = (
            selectors.remediation_items_visible_to(request.user)
            .select_related("plan__incident")
            .filter(pk=pk)
            .first()
        )
        if item is None:
            raise NotFound(_("No such remediation item, or you may not see it."))
        require(permissions.can_complete_item(request.user, item))
        data = _valid(s.RemediationNoteSerializer, request)
        services.remediation_item_done(actor=request.user, item=item, note=data.get("note", ""))
        return _plan_response(item.plan.incident)


class ReprocessingView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        request=s.ReprocessingSerializer,
        responses=s.RemediationPlanSerializer,
        summary="The re-processing counts (remaining = affected − re-processed; If-Match).",
    )
    def put(self, request, pk):
        incident = _incident(request, pk)
        require(permissions.can_plan_remediation(request.user, incident))
        data = _valid(s.ReprocessingSerializer, request)
        services.reprocessing_update(
            actor=request.user,
            incident=incident,
            expected_version=request.headers.get("If-Match"),
            **data,
        )
        return _plan_response(incident)


class FixVerifyView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(request=s.VerificationSerializer, responses=s.RemediationPlanSerializer)
    def post(self, request, pk):
        incident = _incident(request, pk)
        require(permissions.can_plan_remediation(request.user, incident))
        data = _valid(s.VerificationSerializer, request)
        services.fix_verify(actor=request.user, incident=incident, **data)
        return _plan_response(incident)


class RestoreView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        request=s.RestoreDecisionSerializer,
        responses=s.RemediationPlanSerializer,
        summary="Record 'normal operation restored' (409 until the fix was verified).",
    )
    def post(self, request, pk):
        incident = _incident(request, pk)
        require(permissions.can_plan_remediation(request.user, incident))
        data = _valid(s.RestoreDecisionSerializer, request)
        services.normal_operation_restore(actor=request.user, incident=incident, **data)
        return _plan_response(incident)


class RecurrencesView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(responses=s.RecurrenceLinkSerializer(many=True), summary="Recurrence links.")
    def get(self, request, pk):
        incident = _incident(request, pk)
        return Response(
            s.RecurrenceLinkSerializer(selectors.recurrences_of(incident), many=True).data
        )
