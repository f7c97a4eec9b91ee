"""Disclosure API: the regimes table (read by all, changed by legal and GRC) and the what-if
evaluation, which answers the obligations for given facts without storing anything."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from aims.core.api.pagination import StandardPagination
from aims.core.concurrency import etag_of
from incidents.api.incidents import IF_MATCH
from incidents.api.serializers import ErrorSerializer

from .. import permissions, rules, selectors, services
from ..choices import IndividualStatus
from ..models import AffectedIndividual, Communication, Obligation, RegimeRule, VendorNotice
from . import serializers as s


class DecisionPermission(drf_permissions.BasePermission):
    """Asks the view's rule for the action (``rules_by_action``), before the body is read."""

    def has_permission(self, request, view):
        action = getattr(view, "action", None) or request.method.lower()
        rule = view.rules_by_action.get(action, view.default_rule)
        decision = rule(request.user)
        self.message = decision.message
        return bool(decision)


class RegimeRuleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Each regime and stage: its trigger, clock start, deadline rule, recipient, required
    content, legal source and whether it needs legal review. ``PATCH`` honours ``If-Match``."""

    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    serializer_class = s.RegimeRuleSerializer
    queryset = RegimeRule.objects.none()
    pagination_class = None
    default_rule = staticmethod(permissions.can_read_regimes)
    rules_by_action = {
        "update": permissions.can_edit_regimes,
        "partial_update": permissions.can_edit_regimes,
    }

    def get_queryset(self):
        return selectors.regime_rules()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return s.RegimeRuleUpdateSerializer
        return s.RegimeRuleSerializer

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = etag_of(self.get_object())
        return response

    @extend_schema(request=s.RegimeRuleUpdateSerializer, responses=s.RegimeRuleSerializer)
    def update(self, request, *args, **kwargs):
        regime = self.get_object()
        serializer = s.RegimeRuleUpdateSerializer(
            regime, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "applies_from_by_class" in data:
            data["applies_from_by_class"] = {
                k: v.isoformat() for k, v in data["applies_from_by_class"].items()
            }
        saved = services.regime_update(
            actor=request.user,
            regime=regime,
            data=data,
            expected_version=request.headers.get("If-Match"),
        )
        response = Response(s.RegimeRuleSerializer(saved).data)
        response["ETag"] = etag_of(saved)
        return response

    @extend_schema(request=s.RegimeRuleUpdateSerializer, responses=s.RegimeRuleSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)


def facts_from(data: dict) -> rules.Facts:
    """The what-if body as the rules' ``Facts`` (the names are the same)."""
    incident = dict(data.get("incident") or {})
    system = dict(data.get("system") or {})
    incident["jurisdictions"] = tuple(j.upper() for j in incident.get("jurisdictions", ()))
    incident["phi_residents_by_state"] = {
        k.upper(): v for k, v in (incident.get("phi_residents_by_state") or {}).items()
    }
    return rules.Facts(aware_at=data["aware_at"], **incident, **system)


class EvaluateView(APIView):
    """What-if: the obligations these facts trigger, with deadlines — nothing is stored."""

    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_evaluate)
    rules_by_action = {}

    @extend_schema(
        request=s.EvaluateSerializer,
        responses=s.ObligationSerializer(many=True),
        summary="Evaluate the disclosure rules for given facts (tabletop exercises, rule tests).",
    )
    def post(self, request):
        serializer = s.EvaluateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obligations = rules.evaluate(facts_from(serializer.validated_data), selectors.regimes())
        return Response([o.as_dict() for o in obligations])


# --- a real incident's assessment -------------------------------------------------------------


def _visible_incident(request, pk):
    from incidents.selectors import incidents_visible_to

    incident = incidents_visible_to(request.user).filter(pk=pk).first()
    if incident is None:
        raise NotFound(_("No such incident, or you may not see it."))
    return incident


def _assessment_response(assessment, status_code=200):
    data = s.AssessmentSerializer(
        assessment, context={"obligations": list(selectors.obligations_of(assessment))}
    ).data
    return Response(data, status=status_code)


class IncidentObligationsView(APIView):
    """The incident's obligations in the what-if shape: the stored assessment's (with what
    people confirmed and submitted), or — before anyone assessed it — the rules' proposal for
    its current facts, stored nowhere."""

    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_read_regimes)
    rules_by_action = {}

    @extend_schema(
        responses=s.ObligationSerializer(many=True),
        description="The what-if shape; once assessed, each row also carries id, proposed, "
        "confirmed, confirmed_by, confirmed_at, status, submitted_at, incident and submissions.",
    )
    def get(self, request, pk):
        incident = _visible_incident(request, pk)
        assessment = selectors.assessment_of(incident)
        if assessment is not None:
            rows = selectors.obligations_of(assessment)
            return Response(s.StoredObligationSerializer(rows, many=True).data)
        facts, systems = selectors.facts_of(incident)
        proposal = rules.evaluate_for_systems(facts, systems, selectors.regimes())
        return Response([o.as_dict() for o in proposal])


class IncidentDisclosureView(APIView):
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_read_regimes)
    rules_by_action = {"post": permissions.can_assess}

    @extend_schema(
        responses=s.AssessmentSerializer, summary="The incident's disclosure assessment."
    )
    def get(self, request, pk):
        assessment = selectors.assessment_of(_visible_incident(request, pk))
        if assessment is None:
            raise NotFound(
                _("Not assessed yet: POST to …/disclosure/refresh/ to propose the obligations.")
            )
        return _assessment_response(assessment)


class IncidentDisclosureRefreshView(APIView):
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_assess)
    rules_by_action = {}

    @extend_schema(
        request=None,
        responses=s.AssessmentSerializer,
        summary="Propose (or re-propose) the obligations from the incident's facts.",
    )
    def post(self, request, pk):
        incident = _visible_incident(request, pk)
        assessment = services.assessment_propose(actor=request.user, incident=incident)
        return _assessment_response(assessment)


class IncidentDisclosureFactsView(APIView):
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_assess)
    rules_by_action = {}

    @extend_schema(
        request=s.RecordedIncidentFactsSerializer,
        responses=s.AssessmentSerializer,
        summary="Record disclosure facts; the assessment follows (and reopens if signed off).",
    )
    def patch(self, request, pk):
        incident = _visible_incident(request, pk)
        serializer = s.RecordedIncidentFactsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "breach_risk" in data and data["breach_risk"] is None:
            data["breach_risk"] = ""
        services.incident_facts_update(actor=request.user, incident=incident, data=data)
        return _assessment_response(selectors.assessment_of(incident))


class IncidentDisclosureSignOffView(APIView):
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_sign_off)
    rules_by_action = {}

    @extend_schema(request=s.SignOffSerializer, responses=s.AssessmentSerializer)
    def post(self, request, pk):
        incident = _visible_incident(request, pk)
        serializer = s.SignOffSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment = selectors.assessment_of(incident)
        if assessment is None:
            raise NotFound(_("Not assessed yet: there is nothing to sign off."))
        signed = services.assessment_sign_off(
            actor=request.user, assessment=assessment, comment=serializer.validated_data["comment"]
        )
        return _assessment_response(signed)


class IncidentDisclosureReopenView(APIView):
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_sign_off)
    rules_by_action = {}

    @extend_schema(request=s.ReopenSerializer, responses=s.AssessmentSerializer)
    def post(self, request, pk):
        incident = _visible_incident(request, pk)
        serializer = s.ReopenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment = selectors.assessment_of(incident)
        if assessment is None:
            raise NotFound(_("Not assessed yet: there is nothing to reopen."))
        reopened = services.assessment_reopen(
            actor=request.user, assessment=assessment, reason=serializer.validated_data["reason"]
        )
        return _assessment_response(reopened)


# --- obligations across incidents -------------------------------------------------------------


class ObligationViewSet(viewsets.ReadOnlyModelViewSet):
    """Obligations across the incidents you may see, soonest deadline first. Filters:
    ``code``, ``status`` (pending, submitted, not_required), ``applies`` (yes, no,
    undetermined — what counts; ``all`` for every row; without ``applies``, ``status`` or
    ``code``: only those that apply or are undetermined), ``overdue=true``."""

    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    serializer_class = s.StoredObligationSerializer
    queryset = Obligation.objects.none()
    default_rule = staticmethod(permissions.can_read_regimes)
    rules_by_action = {
        "confirm": permissions.can_assess,
        "submissions": permissions.can_submit,
        "draft": permissions.can_communicate,
    }

    def get_queryset(self):
        return (
            selectors.open_obligations(self.request.user)
            .select_related("confirmed_by")
            .prefetch_related("submissions__submitted_by", "submissions__document")
        )

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return selectors.filter_obligations(queryset, self.request.query_params)

    @extend_schema(request=s.ConfirmSerializer, responses=s.StoredObligationSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        obligation = self.get_object()
        serializer = s.ConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        confirmed = services.obligation_confirm(
            actor=request.user, obligation=obligation, **serializer.validated_data
        )
        return Response(s.StoredObligationSerializer(self.get_queryset().get(pk=confirmed.pk)).data)

    @extend_schema(
        request=None,
        responses={201: s.CommunicationSerializer},
        summary="A report draft pre-filled from the record, as a communication to approve.",
    )
    @action(detail=True, methods=["post"])
    def draft(self, request, pk=None):
        communication = services.obligation_draft(actor=request.user, obligation=self.get_object())
        return Response(s.CommunicationSerializer(communication).data, status=201)

    @extend_schema(request=s.SubmitSerializer, responses={201: s.StoredObligationSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def submissions(self, request, pk=None):
        obligation = self.get_object()
        serializer = s.SubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.obligation_submit(
            actor=request.user, obligation=obligation, **serializer.validated_data
        )
        return Response(
            s.StoredObligationSerializer(self.get_queryset().get(pk=obligation.pk)).data, status=201
        )


# --- communications ---------------------------------------------------------------------------


class IncidentCommunicationsView(APIView):
    """Messages about the incident: GET lists them, POST drafts one (the communication plan
    names who approves it)."""

    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_read_regimes)
    rules_by_action = {"post": permissions.can_communicate}

    @extend_schema(responses=s.CommunicationSerializer(many=True))
    def get(self, request, pk):
        incident = _visible_incident(request, pk)
        rows = selectors.communications_of(incident)
        return Response(s.CommunicationSerializer(rows, many=True).data)

    @extend_schema(request=s.CommunicationSerializer, responses={201: s.CommunicationSerializer})
    def post(self, request, pk):
        incident = _visible_incident(request, pk)
        serializer = s.CommunicationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        obligation_id = data.pop("obligation_id", None)
        if obligation_id is not None:
            data["obligation"] = Obligation.objects.filter(pk=obligation_id).first()
            if data["obligation"] is None:
                raise ValidationError({"obligation": [_("No such obligation.")]})
        communication = services.communication_draft(
            actor=request.user, incident=incident, data=data
        )
        return Response(s.CommunicationSerializer(communication).data, status=201)


class CommunicationViewSet(viewsets.GenericViewSet):
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    serializer_class = s.CommunicationSerializer
    queryset = Communication.objects.none()
    default_rule = staticmethod(permissions.can_read_regimes)
    rules_by_action = {
        "send": permissions.can_communicate,
        "partial_update": permissions.can_communicate,
    }

    def get_queryset(self):
        return selectors.communications_visible_to(self.request.user)

    @extend_schema(responses=s.CommunicationSerializer)
    def retrieve(self, request, pk=None):
        """One communication, with its ``ETag`` for editing a draft."""
        communication = self.get_object()
        response = Response(s.CommunicationSerializer(communication).data)
        response["ETag"] = etag_of(communication)
        return response

    @extend_schema(request=s.CommunicationEditSerializer, responses=s.CommunicationSerializer)
    def partial_update(self, request, pk=None):
        """Edit a draft's subject, text or channel (a report draft's gaps are filled in here
        before legal approves it); honours ``If-Match``."""
        serializer = s.CommunicationEditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        communication = services.communication_edit(
            actor=request.user,
            communication=self.get_object(),
            data=dict(serializer.validated_data),
            expected_version=request.headers.get("If-Match"),
        )
        response = Response(s.CommunicationSerializer(communication).data)
        response["ETag"] = etag_of(communication)
        return response

    @extend_schema(request=None, responses=s.CommunicationSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        communication = services.communication_approve(
            actor=request.user, communication=self.get_object()
        )
        return Response(s.CommunicationSerializer(communication).data)

    @extend_schema(request=s.SendSerializer, responses=s.CommunicationSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        serializer = s.SendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        communication = services.communication_send(
            actor=request.user, communication=self.get_object(), **serializer.validated_data
        )
        return Response(s.CommunicationSerializer(communication).data)


# --- vendor coordination ----------------------------------------------------------------------


class IncidentVendorNoticesView(APIView):
    """Notices to the suppliers of the incident's systems, their acknowledgement and fix."""

    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_read_regimes)
    rules_by_action = {"post": permissions.can_communicate}

    @extend_schema(responses=s.VendorNoticeSerializer(many=True))
    def get(self, request, pk):
        incident = _visible_incident(request, pk)
        return Response(
            s.VendorNoticeSerializer(selectors.vendor_notices_of(incident), many=True).data
        )

    @extend_schema(request=s.VendorNoticeSerializer, responses={201: s.VendorNoticeSerializer})
    def post(self, request, pk):
        from inventory.selectors import systems_visible_to

        incident = _visible_incident(request, pk)
        serializer = s.VendorNoticeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        system = systems_visible_to(request.user).filter(pk=data.pop("system_id")).first()
        if system is None:
            raise ValidationError({"system": [_("No such AI system, or you may not see it.")]})
        if data.get("notified_at") is None:
            data.pop("notified_at", None)
        notice = services.vendor_notice_record(
            actor=request.user, incident=incident, system=system, data=data
        )
        return Response(s.VendorNoticeSerializer(notice).data, status=201)


class VendorNoticeViewSet(viewsets.GenericViewSet):
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    serializer_class = s.VendorNoticeSerializer
    queryset = VendorNotice.objects.none()
    default_rule = staticmethod(permissions.can_communicate)
    rules_by_action = {}

    def get_queryset(self):
        return selectors.vendor_notices_visible_to(self.request.user)

    @extend_schema(request=s.AcknowledgeSerializer, responses=s.VendorNoticeSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        serializer = s.AcknowledgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notice = services.vendor_notice_acknowledge(
            actor=request.user, notice=self.get_object(), **serializer.validated_data
        )
        return Response(s.VendorNoticeSerializer(notice).data)

    @extend_schema(request=s.FixSerializer, responses=s.VendorNoticeSerializer)
    @action(detail=True, methods=["post"])
    def fix(self, request, pk=None):
        serializer = s.FixSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notice = services.vendor_notice_fix(
            actor=request.user, notice=self.get_object(), **serializer.validated_data
        )
        return Response(s.VendorNoticeSerializer(notice).data)


# --- an AI system's disclosure facts ------------------------------------------------------------


class SystemDisclosureFactsView(APIView):
    """The disclosure facts of an AI system the inventory does not hold. ``GET`` answers them
    with an ``ETag``; ``PATCH`` (the system's owners and managers) honours ``If-Match`` and
    re-assesses the open incidents on the system — a signed-off assessment reopens."""

    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_read_regimes)
    rules_by_action = {}

    def _system(self, request, pk):
        from inventory.selectors import systems_visible_to

        system = systems_visible_to(request.user).filter(pk=pk).first()
        if system is None:
            raise NotFound(_("No such AI system, or you may not see it."))
        return system

    def _answer(self, system):
        facts = selectors.system_facts_of(system)
        response = Response(s.RecordedSystemFactsSerializer(facts).data)
        response["ETag"] = etag_of(facts)
        return response

    @extend_schema(
        responses=s.RecordedSystemFactsSerializer, summary="An AI system's disclosure facts."
    )
    def get(self, request, pk):
        return self._answer(self._system(request, pk))

    @extend_schema(
        request=s.RecordedSystemFactsSerializer,
        responses=s.RecordedSystemFactsSerializer,
        parameters=[IF_MATCH],
        summary="Record an AI system's disclosure facts; its open incidents are re-assessed.",
    )
    def patch(self, request, pk):
        system = self._system(request, pk)
        if not (decision := permissions.can_edit_system_facts(request.user, system)):
            raise PermissionDenied(decision.message)
        serializer = s.RecordedSystemFactsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.system_facts_update(
            actor=request.user,
            system=system,
            data=dict(serializer.validated_data),
            expected_version=request.headers.get("If-Match"),
        )
        return self._answer(system)


# --- affected individuals (legal and the DPO only) ----------------------------------------------


class CSVRenderer(BaseRenderer):
    """Lets clients ask for ``text/csv``; errors still come back as JSON."""

    media_type = "text/csv"
    format = "csv"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


class _IndividualsBase(APIView):
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_handle_individuals)
    rules_by_action = {}


class IncidentIndividualsView(_IndividualsBase):
    """The incident's list of affected individuals: GET its summary (the file with its SHA-256,
    the counts per status, and the counts the disclosure facts now hold); POST a CSV file
    (multipart, field ``file``) to upload a new list, which replaces the current one and gives
    its counts to the disclosure facts. Legal and the DPO only."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=s.IndividualsSummarySerializer)
    def get(self, request, pk):
        incident = _visible_incident(request, pk)
        return Response(
            s.IndividualsSummarySerializer(selectors.individuals_summary(incident)).data
        )

    @extend_schema(
        request={"multipart/form-data": s.IndividualsFileSerializer},
        responses={201: s.IndividualsSummarySerializer},
    )
    def post(self, request, pk):
        incident = _visible_incident(request, pk)
        serializer = s.IndividualsFileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.individuals_upload(
            actor=request.user, incident=incident, uploaded_file=serializer.validated_data["file"]
        )
        summary = selectors.individuals_summary(incident)
        return Response(s.IndividualsSummarySerializer(summary).data, status=201)


class IncidentIndividualsPeopleView(generics.ListAPIView):
    """The people on the current list, in the file's order (``?status=`` filters), paginated."""

    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_handle_individuals)
    rules_by_action = {}
    serializer_class = s.AffectedIndividualSerializer
    pagination_class = StandardPagination
    queryset = AffectedIndividual.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=list(IndividualStatus.values), required=False),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        incident = _visible_incident(self.request, self.kwargs["pk"])
        status = self.request.query_params.get("status", "")
        if status and status not in IndividualStatus.values:
            raise ValidationError(
                {"status": [_("Choose one of: %s.") % ", ".join(IndividualStatus.values)]}
            )
        upload = selectors.current_individuals_upload(incident)
        if upload is None:
            return AffectedIndividual.objects.none()
        return selectors.individuals_of(upload, status=status).select_related("status_by")


class IncidentIndividualsStatusView(_IndividualsBase):
    """Record where the notice stands for many people at once (by identifier or id)."""

    parser_classes = [JSONParser]

    @extend_schema(
        request=s.IndividualsBulkStatusSerializer,
        responses={200: s.IndividualsBulkResultSerializer},
    )
    def post(self, request, pk):
        incident = _visible_incident(request, pk)
        serializer = s.IndividualsBulkStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        rows = services.individuals_status_update(
            actor=request.user,
            incident=incident,
            status=data["status"],
            ids=data.get("ids"),
            identifiers=data.get("identifiers"),
            channel=data.get("channel", ""),
            reason=data.get("reason", ""),
            at=data.get("at"),
        )
        return Response({"updated": len(rows), "status": data["status"]})


class IncidentIndividualsExportView(_IndividualsBase):
    """The current list as CSV for a mail merge, streamed (``?status=pending`` for those still
    to notify). Each export is recorded (who, when, how many people) and on the timeline."""

    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=list(IndividualStatus.values), required=False)
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The list as CSV."),
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def get(self, request, pk):
        from ..individual_views import individuals_csv_response

        incident = _visible_incident(request, pk)
        return individuals_csv_response(
            actor=request.user, incident=incident, status=request.query_params.get("status", "")
        )


class IncidentIndividualsFileView(_IndividualsBase):
    """The uploaded CSV file of the current list, its SHA-256 re-checked (409 when it no longer
    matches); each download is recorded."""

    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file as uploaded."
            ),
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def get(self, request, pk):
        from ..individual_views import individuals_file_response

        incident = _visible_incident(request, pk)
        return individuals_file_response(actor=request.user, incident=incident)


class AffectedIndividualStatusView(_IndividualsBase):
    """Record where one person's notice stands."""

    parser_classes = [JSONParser]

    @extend_schema(request=s.IndividualStatusSerializer, responses=s.AffectedIndividualSerializer)
    def post(self, request, pk):
        from incidents.selectors import incidents_visible_to

        individual = (
            AffectedIndividual.objects.filter(
                pk=pk, incident__in=incidents_visible_to(request.user)
            )
            .select_related("incident")
            .first()
        )
        if individual is None:
            raise NotFound(_("No such person on a list you may see."))
        serializer = s.IndividualStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = services.individual_status_update(
            actor=request.user, individual=individual, **serializer.validated_data
        )
        return Response(s.AffectedIndividualSerializer(row).data)
