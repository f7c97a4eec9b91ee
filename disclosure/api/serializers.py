"""Disclosure API shapes: the regimes table, and the what-if facts by their exact names."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..choices import (
    Applies,
    Audience,
    BreachRisk,
    ClockStart,
    IncidentKindFact,
    IndividualStatus,
    NoticeChannel,
    SubmissionPhase,
    VendorNoticeBasis,
)
from ..models import RegimeRule
from ..services import REGIME_FIELDS

MIN_DATETIME_YEAR, MAX_DATETIME_YEAR = 1970, 2200


class RegimeRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = RegimeRule
        fields = [
            "id",
            "code",
            "stage",
            "position",
            "title",
            "trigger",
            "clock_start",
            "deadline_rule",
            "deadline_note",
            "recipient",
            "required_content",
            "source",
            "needs_legal_review",
            "applies_from",
            "applies_from_by_class",
            "updated_at",
        ]
        read_only_fields = ["id", "code", "stage", "position", "updated_at"]


class RegimeRuleUpdateSerializer(serializers.ModelSerializer):
    """What legal may change on a row; the model's clean() checks the deadline rule."""

    clock_start = serializers.ChoiceField(choices=ClockStart.choices, required=False)
    applies_from_by_class = serializers.DictField(child=serializers.DateField(), required=False)

    class Meta:
        model = RegimeRule
        fields = list(REGIME_FIELDS)


class BoundedDateTimeField(serializers.DateTimeField):
    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not MIN_DATETIME_YEAR <= parsed.year <= MAX_DATETIME_YEAR:
            raise serializers.ValidationError(
                _("Give a moment between %(a)s and %(b)s.")
                % {"a": MIN_DATETIME_YEAR, "b": MAX_DATETIME_YEAR}
            )
        return parsed


def _flag():
    return serializers.BooleanField(required=False, allow_null=True, default=None)


class SystemFactsSerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=[
            "provider",
            "deployer",
            "importer",
            "distributor",
            "integrator",
            "data_provider",
            "partner",
            "",
        ],
        required=False,
        default="",
    )
    eu_class = serializers.ChoiceField(
        choices=[
            "prohibited",
            "high_risk_annex_iii",
            "high_risk_annex_i",
            "gpai_systemic_risk",
            "limited",
            "minimal",
            "",
        ],
        required=False,
        default="",
    )
    eu_market = _flag()
    medical_device = _flag()
    gdpr_role = serializers.ChoiceField(
        choices=["controller", "processor", "both", "none"], required=False, default="none"
    )
    hipaa = serializers.ChoiceField(
        choices=["covered_entity", "business_associate", "none"], required=False, default="none"
    )
    nis2 = serializers.ChoiceField(
        choices=["essential", "important", "none"], required=False, default="none"
    )
    dora_financial_entity = _flag()
    cer_critical_entity = _flag()
    frontier_developer = _flag()
    china_cii_operator = _flag()


class IncidentFactsSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=IncidentKindFact.choices, required=False, default="incident"
    )
    death = _flag()
    serious_health_harm = _flag()
    critical_infrastructure_disruption = _flag()
    fundamental_rights_infringement = _flag()
    widespread_infringement = _flag()
    serious_property_or_environment_harm = _flag()
    personal_data_breach = _flag()
    breach_risk = serializers.ChoiceField(
        choices=BreachRisk.choices, required=False, allow_null=True, default=None
    )
    data_unintelligible = _flag()
    phi_breach = _flag()
    phi_individuals = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=10**10
    )
    phi_residents_by_state = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=10**10), required=False, default=dict
    )
    nis2_significant = _flag()
    dora_major = _flag()
    dora_classified_at = BoundedDateTimeField(required=False, allow_null=True, default=None)
    cer_significant_disruption = _flag()
    sb53_critical_safety_incident = _flag()
    imminent_risk_of_death_or_injury = _flag()
    severity = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=3
    )
    severity_confirmed_at = BoundedDateTimeField(required=False, allow_null=True, default=None)
    jurisdictions = serializers.ListField(
        child=serializers.RegexField(r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$", max_length=6),
        required=False,
        default=list,
        max_length=300,
    )


class EvaluateSerializer(serializers.Serializer):
    aware_at = BoundedDateTimeField(
        help_text=_("When the organisation became aware (UTC offset allowed).")
    )
    system = SystemFactsSerializer(required=False, default=dict)
    incident = IncidentFactsSerializer(required=False, default=dict)

    def validate(self, data):
        for name in ("system", "incident"):
            raw = self.initial_data.get(name) if isinstance(self.initial_data, dict) else None
            if isinstance(raw, dict):
                known = set(self.fields[name].fields)
                unknown = sorted(set(raw) - known)
                if unknown:
                    raise serializers.ValidationError(
                        {
                            name: [
                                _("Unknown facts: %(u)s. Known: %(k)s.")
                                % {"u": ", ".join(unknown), "k": ", ".join(sorted(known))}
                            ]
                        }
                    )
        return data


class ObligationSerializer(serializers.Serializer):
    code = serializers.CharField()
    stage = serializers.CharField()
    applies = serializers.ChoiceField(choices=Applies.choices)
    reason = serializers.CharField()
    clock_start = serializers.DateTimeField(allow_null=True)
    deadline = serializers.DateTimeField(allow_null=True)
    deadline_note = serializers.CharField(allow_blank=True)
    recipient = serializers.CharField()
    required_content = serializers.CharField(allow_blank=True)
    source = serializers.CharField()
    needs_legal_review = serializers.BooleanField()


def _username(user) -> str | None:
    return user.username if user else None


class SubmissionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    phase = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    submitted_by = serializers.CharField(source="submitted_by.username")
    reference = serializers.CharField()
    note = serializers.CharField()
    document_sha256 = serializers.CharField(source="document.sha256", allow_null=True, default=None)
    document_id = serializers.IntegerField(allow_null=True)


class StoredObligationSerializer(ObligationSerializer):
    """The what-if shape, plus what people did with it: the rules' proposal, the confirmation,
    the status and the submissions. ``applies`` is what counts (confirmed, else proposed)."""

    id = serializers.IntegerField()
    applies = serializers.ChoiceField(choices=Applies.choices, source="effective")
    reason = serializers.SerializerMethodField()
    proposed = serializers.ChoiceField(choices=Applies.choices)
    confirmed = serializers.ChoiceField(choices=Applies.choices, source="applies", allow_blank=True)
    confirmed_by = serializers.SerializerMethodField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    incident = serializers.CharField(source="assessment.incident.reference")
    submissions = SubmissionSerializer(many=True)

    def get_reason(self, obligation) -> str:
        return obligation.confirmed_reason or obligation.proposed_reason

    def get_confirmed_by(self, obligation) -> str | None:
        return _username(obligation.confirmed_by)


class AssessmentSerializer(serializers.Serializer):
    incident = serializers.CharField(source="incident.reference")
    status = serializers.CharField()
    evaluated_at = serializers.DateTimeField()
    signed_off_by = serializers.SerializerMethodField()
    signed_off_at = serializers.DateTimeField(allow_null=True)
    sign_off_comment = serializers.CharField()
    reopened_reason = serializers.CharField()
    obligations = serializers.SerializerMethodField()

    def get_signed_off_by(self, assessment) -> str | None:
        return _username(assessment.signed_off_by)

    def get_obligations(self, assessment) -> list[dict]:
        rows = self.context.get("obligations") or []
        return StoredObligationSerializer(rows, many=True).data


class RecordedIncidentFactsSerializer(serializers.Serializer):
    """The disclosure facts recorded on a real incident (the rest lives on the incident)."""

    aware_at = BoundedDateTimeField(required=False, allow_null=True)
    exercise = serializers.BooleanField(required=False)
    widespread_infringement = serializers.BooleanField(required=False, allow_null=True)
    breach_risk = serializers.ChoiceField(choices=[*BreachRisk.choices, ("", "")], required=False)
    data_unintelligible = serializers.BooleanField(required=False, allow_null=True)
    phi_individuals = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=10**10
    )
    phi_residents_by_state = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=10**10), required=False
    )
    nis2_significant = serializers.BooleanField(required=False, allow_null=True)
    dora_major = serializers.BooleanField(required=False, allow_null=True)
    dora_classified_at = BoundedDateTimeField(required=False, allow_null=True)
    cer_significant_disruption = serializers.BooleanField(required=False, allow_null=True)
    sb53_critical_safety_incident = serializers.BooleanField(required=False, allow_null=True)
    imminent_risk_of_death_or_injury = serializers.BooleanField(required=False, allow_null=True)


class ConfirmSerializer(serializers.Serializer):
    applies = serializers.ChoiceField(choices=Applies.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class SignOffSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class SubmitSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=SubmissionPhase.choices)
    submitted_at = BoundedDateTimeField(required=False, allow_null=True, default=None)
    reference = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    document = serializers.FileField(required=False, allow_null=True, default=None)


class CommunicationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    incident = serializers.CharField(source="incident.reference", read_only=True)
    audience = serializers.ChoiceField(choices=Audience.choices)
    channel = serializers.CharField(max_length=120)
    subject = serializers.CharField(max_length=300)
    content = serializers.CharField(max_length=50000)
    obligation = serializers.IntegerField(source="obligation_id", required=False, allow_null=True)
    status = serializers.CharField(read_only=True)
    approver_role = serializers.CharField(read_only=True)
    drafted_by = serializers.CharField(source="drafted_by.username", read_only=True)
    approved_by = serializers.SerializerMethodField()
    approved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    sent_by = serializers.SerializerMethodField()
    sent_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_approved_by(self, communication) -> str | None:
        return _username(communication.approved_by)

    def get_sent_by(self, communication) -> str | None:
        return _username(communication.sent_by)


class CommunicationEditSerializer(serializers.Serializer):
    """The text of a draft (``If-Match`` with the ETag of ``GET /communications/{id}/``)."""

    subject = serializers.CharField(max_length=300, required=False)
    content = serializers.CharField(max_length=50000, required=False)
    channel = serializers.CharField(max_length=120, required=False)


class SendSerializer(serializers.Serializer):
    sent_at = BoundedDateTimeField(required=False, allow_null=True, default=None)


class VendorNoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    incident = serializers.CharField(source="incident.reference", read_only=True)
    system = serializers.IntegerField(source="system_id")
    supplier = serializers.CharField(read_only=True)
    basis = serializers.ChoiceField(choices=VendorNoticeBasis.choices)
    obligation = serializers.IntegerField(source="obligation_id", read_only=True, allow_null=True)
    notified_at = BoundedDateTimeField(required=False, allow_null=True)
    notified_by = serializers.CharField(source="notified_by.username", read_only=True)
    channel = serializers.CharField(max_length=120)
    content = serializers.CharField(max_length=50000)
    acknowledged_at = serializers.DateTimeField(read_only=True, allow_null=True)
    vendor_reference = serializers.CharField(read_only=True)
    fix_description = serializers.CharField(read_only=True)
    fixed_version = serializers.CharField(read_only=True)
    fixed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    capa = serializers.CharField(
        source="capa.reference",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The incident's CAPA that tracks the supplier's fix.",
    )


class AcknowledgeSerializer(serializers.Serializer):
    acknowledged_at = BoundedDateTimeField(required=False, allow_null=True, default=None)
    vendor_reference = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )


class FixSerializer(serializers.Serializer):
    fix_description = serializers.CharField(max_length=20000)
    fixed_version = serializers.CharField(
        required=False, allow_blank=True, max_length=120, default=""
    )
    fixed_at = BoundedDateTimeField(required=False, allow_null=True, default=None)
    capa = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="Id of one of the incident's CAPAs that tracks the fix.",
    )


# --- an AI system's disclosure facts ------------------------------------------------------------


class RecordedSystemFactsSerializer(serializers.Serializer):
    """The disclosure facts kept on an AI system beyond what the inventory holds (its role, EU
    AI Act class and Annex III / Annex I area, GDPR, HIPAA, NIS2 and DORA flags live there)."""

    system = serializers.CharField(source="system.reference", read_only=True)
    gpai_systemic_risk = serializers.BooleanField(
        required=False, help_text=_("A general-purpose AI model with systemic risk (Art. 55).")
    )
    medical_device = serializers.BooleanField(
        required=False, help_text=_("Medical-device AI: Art. 73(10) narrows what is reported.")
    )
    cer_critical_entity = serializers.BooleanField(
        required=False, help_text=_("A critical entity under the CER Directive (Art. 15).")
    )
    frontier_developer = serializers.BooleanField(
        required=False, help_text=_("A frontier developer under California SB 53.")
    )
    china_cii_operator = serializers.BooleanField(
        required=False, help_text=_("A critical information infrastructure operator in China.")
    )
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def validate(self, data):
        raw = self.initial_data if isinstance(self.initial_data, dict) else {}
        unknown = sorted(set(raw) - {name for name, f in self.fields.items() if not f.read_only})
        if unknown:
            raise serializers.ValidationError(
                {
                    name: [_("Not a disclosure fact of a system; the inventory form edits it.")]
                    for name in unknown
                }
            )
        return data


# --- affected individuals ----------------------------------------------------------------------


class IndividualsUploadSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    original_name = serializers.CharField(read_only=True)
    sha256 = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    media_type = serializers.CharField(read_only=True)
    row_count = serializers.IntegerField(read_only=True)
    residents_by_state = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    uploaded_at = serializers.DateTimeField(read_only=True)


class IndividualsSummarySerializer(serializers.Serializer):
    """The current list and how its counts stand in the disclosure facts."""

    upload = IndividualsUploadSerializer(allow_null=True, read_only=True)
    counts = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    facts_individuals = serializers.IntegerField(allow_null=True, read_only=True)
    facts_residents_by_state = serializers.DictField(
        child=serializers.IntegerField(), read_only=True
    )
    facts_match = serializers.BooleanField(allow_null=True, read_only=True)


class IndividualsFileSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV, UTF-8, header with identifier and contact; optional name, state, "
        "country, channel."
    )


class AffectedIndividualSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    row_number = serializers.IntegerField(read_only=True)
    identifier = serializers.CharField(read_only=True)
    contact = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)
    country = serializers.CharField(read_only=True)
    channel = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    status_at = serializers.DateTimeField(read_only=True, allow_null=True)
    status_by = serializers.CharField(source="status_by.username", read_only=True, allow_null=True)
    notified_channel = serializers.CharField(read_only=True)
    status_reason = serializers.CharField(read_only=True)


class IndividualStatusSerializer(serializers.Serializer):
    """Where one person's notice stands (``channel`` for notified: the person's own when
    empty; ``reason`` for failed and not_notified; ``at`` defaults to now)."""

    status = serializers.ChoiceField(choices=IndividualStatus.choices)
    channel = serializers.ChoiceField(
        choices=NoticeChannel.choices, required=False, allow_blank=True
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    at = serializers.DateTimeField(required=False, allow_null=True)


class IndividualsBulkStatusSerializer(IndividualStatusSerializer):
    """The same for many people at once, named by identifier (as on the list) or by id."""

    identifiers = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=10_000
    )
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        max_length=10_000,
    )


class IndividualsBulkResultSerializer(serializers.Serializer):
    updated = serializers.IntegerField()
    status = serializers.CharField()
