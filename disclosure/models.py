"""The regimes table: each regime and stage as a row legal and GRC can edit (DESIGN section 2).

``disclosure.rules`` reads these rows as plain ``Regime`` values; nothing here computes.
"""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from . import rules
from .choices import (
    Applies,
    AssessmentStatus,
    Audience,
    BreachRisk,
    ClockStart,
    CommunicationStatus,
    IndividualStatus,
    NoticeChannel,
    ObligationStatus,
    SubmissionPhase,
    VendorNoticeBasis,
)

EU_CLASSES = (
    "prohibited",
    "high_risk_annex_iii",
    "high_risk_annex_i",
    "gpai_systemic_risk",
    "limited",
    "minimal",
)


class RegimeRule(TimeStampedModel):
    code = models.CharField(
        max_length=40, help_text=_("Stable code used by the API, exports and PDFs")
    )
    stage = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0, help_text=_("Order of the stages"))
    title = models.CharField(max_length=200)
    trigger = models.TextField()
    clock_start = models.CharField(max_length=30, choices=ClockStart.choices)
    deadline_rule = models.CharField(
        max_length=200,
        blank=True,
        help_text=_(
            'e.g. "72h", "15d", "1mo", empty for no numeric bound; variants: '
            '"15d; death: 10d; critical_infrastructure_disruption|widespread_infringement: 2d"'
        ),
    )
    deadline_note = models.TextField(blank=True)
    recipient = models.CharField(max_length=300)
    required_content = models.TextField(blank=True)
    source = models.CharField(max_length=300)
    needs_legal_review = models.BooleanField(default=False)
    applies_from = models.DateField(null=True, blank=True)
    applies_from_by_class = models.JSONField(
        default=dict,
        blank=True,
        help_text=_('A date per EU AI Act class, e.g. {"high_risk_annex_iii": "2027-12-02"}'),
    )

    history = audit_history()

    class Meta:
        ordering = ["code", "position", "stage"]
        constraints = [models.UniqueConstraint(fields=["code", "stage"], name="regime_stage_once")]

    def __str__(self):
        return f"{self.code} / {self.stage}"

    def clean(self):
        errors = {}
        if self.code not in rules.CODES:
            errors["code"] = _("Unknown code. Known codes: %s.") % ", ".join(rules.CODES)
        try:
            rules.parse_deadline_rule(self.deadline_rule)
        except ValueError as exc:
            errors["deadline_rule"] = str(exc)
        by_class = self.applies_from_by_class
        if not isinstance(by_class, dict):
            errors["applies_from_by_class"] = _("Give an object of EU class -> date.")
        else:
            for key, value in by_class.items():
                if key not in EU_CLASSES:
                    errors["applies_from_by_class"] = _("Unknown EU class %(c)s; known: %(k)s.") % {
                        "c": key,
                        "k": ", ".join(EU_CLASSES),
                    }
                    break
                try:
                    date.fromisoformat(str(value))
                except ValueError:
                    errors["applies_from_by_class"] = _("%s is not a date (YYYY-MM-DD).") % value
                    break
        if errors:
            raise ValidationError(errors)

    def as_regime(self) -> rules.Regime:
        return rules.Regime(
            code=self.code,
            stage=self.stage,
            title=self.title,
            trigger=self.trigger,
            clock_start=self.clock_start,
            deadline_rule=self.deadline_rule,
            deadline_note=self.deadline_note,
            recipient=self.recipient,
            required_content=self.required_content,
            source=self.source,
            needs_legal_review=self.needs_legal_review,
            applies_from=self.applies_from,
            applies_from_by_class={
                k: date.fromisoformat(str(v)) for k, v in self.applies_from_by_class.items()
            },
            position=self.position,
        )


class IncidentFacts(TimeStampedModel):
    """The disclosure facts of one incident that the incident record does not hold already.

    Harm flags, kind, severity and jurisdictions stay on the incident (one copy of each fact);
    these are the rest the rules read. ``None`` = not known yet (the rules say "undetermined").
    """

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="disclosure_facts"
    )
    aware_at = models.DateTimeField(
        _("aware at"), null=True, blank=True, help_text=_("When the organisation became aware")
    )
    exercise = models.BooleanField(_("exercise (tabletop or drill)"), default=False)
    widespread_infringement = models.BooleanField(null=True, blank=True)
    breach_risk = models.CharField(max_length=10, choices=BreachRisk.choices, blank=True)
    data_unintelligible = models.BooleanField(null=True, blank=True)
    phi_individuals = models.PositiveIntegerField(null=True, blank=True)
    phi_residents_by_state = models.JSONField(default=dict, blank=True)
    nis2_significant = models.BooleanField(null=True, blank=True)
    dora_major = models.BooleanField(null=True, blank=True)
    dora_classified_at = models.DateTimeField(null=True, blank=True)
    cer_significant_disruption = models.BooleanField(null=True, blank=True)
    sb53_critical_safety_incident = models.BooleanField(null=True, blank=True)
    imminent_risk_of_death_or_injury = models.BooleanField(null=True, blank=True)

    history = audit_history()

    def __str__(self):
        return f"Disclosure facts of {self.incident_id}"


class SystemFacts(TimeStampedModel):
    """The disclosure facts of one AI system that the inventory does not hold already."""

    system = models.OneToOneField(
        "inventory.AISystem", on_delete=models.CASCADE, related_name="disclosure_facts"
    )
    gpai_systemic_risk = models.BooleanField(
        _("general-purpose AI model with systemic risk"), default=False
    )
    medical_device = models.BooleanField(_("medical-device AI"), default=False)
    cer_critical_entity = models.BooleanField(_("critical entity (CER Directive)"), default=False)
    frontier_developer = models.BooleanField(
        _("frontier developer (California SB 53)"), default=False
    )
    china_cii_operator = models.BooleanField(
        _("critical information infrastructure operator in China"), default=False
    )

    history = audit_history()

    def __str__(self):
        return f"Disclosure facts of system {self.system_id}"

    def get_absolute_url(self) -> str:
        return f"{self.system.get_absolute_url()}#disclosure-facts"


class DisclosureAssessment(TimeStampedModel):
    """One per incident, kept even when nothing must be notified: the rules propose, a person
    confirms each obligation, legal signs off. Facts that change after sign-off reopen it."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="disclosure_assessment"
    )
    status = models.CharField(
        max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.OPEN
    )
    facts = models.JSONField(default=dict, help_text=_("The facts the proposal was made from"))
    evaluated_at = models.DateTimeField()
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    sign_off_comment = models.TextField(blank=True)
    reopened_reason = models.TextField(blank=True)

    history = audit_history()

    def __str__(self):
        return f"Disclosure assessment of {self.incident_id}"

    @property
    def is_signed_off(self) -> bool:
        return self.status == AssessmentStatus.SIGNED_OFF


class Obligation(TimeStampedModel):
    """One regime stage for one incident: proposed by the rules, confirmed by a person, then
    tracked to submission."""

    assessment = models.ForeignKey(
        DisclosureAssessment, on_delete=models.CASCADE, related_name="obligations"
    )
    code = models.CharField(max_length=40)
    stage = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)
    proposed = models.CharField(max_length=20, choices=Applies.choices)
    proposed_reason = models.TextField()
    applies = models.CharField(
        max_length=20, choices=Applies.choices, blank=True, help_text=_("As confirmed by a person")
    )
    confirmed_reason = models.TextField(blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    clock_start = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    deadline_note = models.TextField(blank=True)
    recipient = models.CharField(max_length=300)
    required_content = models.TextField(blank=True)
    source = models.CharField(max_length=300)
    needs_legal_review = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=ObligationStatus.choices, default=ObligationStatus.PENDING
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    history = audit_history()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "code", "stage"], name="obligation_once_per_assessment"
            )
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="obligation_due_idx")]

    def __str__(self):
        return f"{self.code} / {self.stage}"

    @property
    def effective(self) -> str:
        """What counts: the person's confirmation, else the rules' proposal."""
        return self.applies or self.proposed

    @property
    def effective_label(self) -> str:
        return str(Applies(self.effective).label)

    @property
    def is_owed(self) -> bool:
        return self.effective != Applies.NO and self.status == ObligationStatus.PENDING


class Submission(TimeStampedModel):
    """A report sent to the recipient: when, by whom, the authority's reference and the
    document sent (kept as the incident's write-once evidence, hashed, with its custody log).
    Initial incomplete reports may precede the complete one."""

    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="submissions")
    phase = models.CharField(max_length=20, choices=SubmissionPhase.choices)
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(_("authority's reference"), max_length=200, blank=True)
    note = models.TextField(blank=True)
    document = models.ForeignKey(
        "incidents.Evidence",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The document sent, preserved as write-once evidence with its SHA-256"),
    )

    history = audit_history()

    class Meta:
        ordering = ["submitted_at", "id"]

    def __str__(self):
        return f"{self.obligation} {self.phase} {self.submitted_at:%Y-%m-%d %H:%M}"


class CommunicationPlanEntry(TimeStampedModel):
    """The communication plan as documented information: for an audience (and from a
    severity), who approves a message, which template it starts from, and when it goes out."""

    audience = models.CharField(max_length=30, choices=Audience.choices)
    min_severity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("Applies to P0 … this severity; empty = any severity")
    )
    approver_role = models.CharField(max_length=30, help_text=_("Role that approves, e.g. legal"))
    template = models.TextField(blank=True)
    timing = models.CharField(max_length=300, blank=True, help_text=_("When it goes out"))

    history = audit_history()

    class Meta:
        ordering = ["audience", "min_severity"]
        verbose_name_plural = _("communication plan")
        constraints = [
            models.UniqueConstraint(
                fields=["audience", "min_severity"], name="plan_entry_once", nulls_distinct=False
            )
        ]

    def __str__(self):
        return f"{self.get_audience_display()}: approved by {self.approver_role}"


class Communication(TimeStampedModel):
    """A message about the incident to regulators, customers, affected people, partners, staff,
    the board or the public: drafted, approved by the role the plan names, then sent — on the
    timeline and in the case file."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="communications"
    )
    obligation = models.ForeignKey(
        Obligation, on_delete=models.PROTECT, null=True, blank=True, related_name="communications"
    )
    audience = models.CharField(max_length=30, choices=Audience.choices)
    channel = models.CharField(max_length=120)
    subject = models.CharField(max_length=300)
    content = models.TextField()
    status = models.CharField(
        max_length=20, choices=CommunicationStatus.choices, default=CommunicationStatus.DRAFT
    )
    approver_role = models.CharField(max_length=30, blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    history = audit_history()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_audience_display()}: {self.subject}"


class VendorNotice(TimeStampedModel):
    """Coordination with the supplier of a system's model: the notice (Art. 26(5) for
    deployers, the contract otherwise), their acknowledgement, and their fix and version."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="vendor_notices"
    )
    system = models.ForeignKey("inventory.AISystem", on_delete=models.PROTECT, related_name="+")
    supplier = models.CharField(max_length=200)
    basis = models.CharField(max_length=20, choices=VendorNoticeBasis.choices)
    obligation = models.ForeignKey(
        Obligation, on_delete=models.PROTECT, null=True, blank=True, related_name="vendor_notices"
    )
    notified_at = models.DateTimeField()
    notified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=120)
    content = models.TextField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    vendor_reference = models.CharField(max_length=200, blank=True)
    fix_description = models.TextField(blank=True)
    fixed_version = models.CharField(max_length=120, blank=True)
    fixed_at = models.DateTimeField(null=True, blank=True)
    # The CAPA that tracks the supplier's fix on our side (version pinning, re-validation):
    # one of the incident's CAPAs, linked when the fix is recorded.
    capa = models.ForeignKey(
        "capa.CorrectiveAction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vendor_notices",
        verbose_name=_("CAPA tracking the fix"),
    )

    history = audit_history()

    class Meta:
        ordering = ["notified_at", "id"]

    def __str__(self):
        return f"Notice to {self.supplier} about {self.incident_id}"


# --- affected individuals ----------------------------------------------------------------------


def individuals_storage():
    """The uploaded lists live under MEDIA_ROOT/affected-individuals, apart from the incident's
    evidence (which everyone on the incident may read) and outside the web root."""
    from django.core.files.storage import FileSystemStorage

    return FileSystemStorage(location=settings.MEDIA_ROOT / "affected-individuals", base_url=None)


def individuals_path(instance, filename):
    return f"{instance.incident.reference}/{instance.sha256[:16]}-{filename}"


class IndividualsUpload(TimeStampedModel):
    """An uploaded list of the people an incident affects: a write-once file with its SHA-256,
    readable by legal and the DPO only (``permissions.can_handle_individuals``).

    It is deliberately not an incident ``Evidence`` row: evidence is visible to everyone who
    sees the incident and travels in the case file and the audit sample, and this file holds
    the personal data of the people concerned. It is stored by the evidence machinery (hash,
    content type, no partial file) and is never edited; a corrected list is a new upload that
    supersedes this one (the people in both keep their notification status).
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="individuals_uploads"
    )
    file = models.FileField(
        storage=individuals_storage, upload_to=individuals_path, max_length=400, editable=False
    )
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), editable=False)
    media_type = models.CharField(_("media type"), max_length=120, editable=False)
    row_count = models.PositiveIntegerField(_("people"))
    residents_by_state = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)

    history = audit_history()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=models.Q(superseded_at__isnull=True),
                name="one_current_individuals_list",
            )
        ]

    def __str__(self):
        return f"{self.original_name} ({self.row_count} people, {self.sha256[:12]}…)"


class AffectedIndividual(TimeStampedModel):
    """One person on the current list, with where their notice stands."""

    upload = models.ForeignKey(IndividualsUpload, on_delete=models.PROTECT, related_name="people")
    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="+")
    row_number = models.PositiveIntegerField(help_text=_("Line in the uploaded file"))
    identifier = models.CharField(max_length=200)
    contact = models.CharField(max_length=300)
    name = models.CharField(max_length=200, blank=True)
    state = models.CharField(_("state of residence"), max_length=40, blank=True)
    country = models.CharField(_("country of residence"), max_length=2, blank=True)
    channel = models.CharField(max_length=20, choices=NoticeChannel.choices, blank=True)
    status = models.CharField(
        max_length=20, choices=IndividualStatus.choices, default=IndividualStatus.PENDING
    )
    status_at = models.DateTimeField(null=True, blank=True)
    status_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notified_channel = models.CharField(max_length=20, choices=NoticeChannel.choices, blank=True)
    status_reason = models.TextField(blank=True)

    history = audit_history()

    class Meta:
        ordering = ["row_number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["upload", "identifier"], name="individual_once_per_list"
            )
        ]
        indexes = [models.Index(fields=["upload", "status"], name="individual_status_idx")]

    def __str__(self):
        return f"{self.identifier} ({self.get_status_display()})"


class IndividualsExport(TimeStampedModel):
    """Each time the list left the system: a mail-merge export (who took it, when, which
    people) or a download of the uploaded file itself (its SHA-256 re-checked first)."""

    MAIL_MERGE = "mail_merge"
    ORIGINAL_FILE = "original_file"
    WHAT = ((MAIL_MERGE, _("Mail-merge export (CSV)")), (ORIGINAL_FILE, _("Uploaded file")))

    upload = models.ForeignKey(IndividualsUpload, on_delete=models.PROTECT, related_name="exports")
    what = models.CharField(max_length=20, choices=WHAT, default=MAIL_MERGE)
    hash_verified = models.BooleanField(default=False)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    exported_at = models.DateTimeField()
    status_filter = models.CharField(max_length=20, blank=True)
    row_count = models.PositiveIntegerField()

    history = audit_history()

    class Meta:
        ordering = ["-exported_at", "-id"]

    def __str__(self):
        return f"Export of {self.upload_id} by {self.exported_by_id} at {self.exported_at}"
