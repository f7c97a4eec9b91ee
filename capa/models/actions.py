"""CAPA records, effectiveness checks, closure evidence, audit findings and "no CAPA needed"
(ISO/IEC 42001 clauses 9.2, 10.1 and 10.2).

Workflow lives in ``workflow.py`` and ``services.py``; these models hold state and constraints.
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from ..choices import (
    ActionSource,
    ActionStatus,
    ActionType,
    AuditKind,
    CheckResult,
    FindingClassification,
    FindingStatus,
    Horizon,
    RootCauseCategory,
)

USER = settings.AUTH_USER_MODEL


class Finding(TimeStampedModel):
    """An audit finding (internal, certification, surveillance or supplier audit).

    A major or minor nonconformity closes only when every CAPA raised for it is verified
    effective; an observation or an opportunity for improvement may close with a recorded
    decision. ``clause`` is the ISO/IEC 42001 clause or Annex A control as its code (free text
    until the risk module brings the control catalogue).
    """

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    audit_kind = models.CharField(_("audit"), max_length=30, choices=AuditKind.choices)
    audit_reference = models.CharField(
        _("audit reference"), max_length=100, help_text=_("e.g. 'IA-2026-02' or the report no.")
    )
    classification = models.CharField(
        _("classification"), max_length=20, choices=FindingClassification.choices, db_index=True
    )
    clause = models.CharField(
        _("clause or Annex A control"), max_length=40, help_text=_("e.g. '10.2' or 'A.8.4'")
    )
    title = models.CharField(_("title"), max_length=250)
    description = models.TextField(_("description"))
    objective_evidence = models.TextField(_("objective evidence"))
    auditee_response = models.TextField(_("auditee response"), blank=True)
    correction_deadline = models.DateField(_("agreed correction deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=FindingStatus.choices,
        default=FindingStatus.OPEN,
        editable=False,
        db_index=True,
    )
    raised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    closure_decision = models.TextField(_("closure decision"), blank=True, editable=False)
    closed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)

    history = audit_history()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit finding")

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("capa:finding-detail", args=[self.pk])

    @property
    def is_nonconformity(self) -> bool:
        return self.classification in (FindingClassification.MAJOR, FindingClassification.MINOR)


class CorrectiveAction(TimeStampedModel):
    """A correction, corrective or preventive action (CAPA): what will change, who owns it, by
    when, and the proof that it worked.

    Its status moves only through ``capa.workflow`` (never a form or serializer): "verified
    effective" needs a passed effectiveness check recorded after implementation by someone other
    than the owner and the implementer; "ineffective" needs a follow-up CAPA.
    """

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    action_type = models.CharField(_("type"), max_length=20, choices=ActionType.choices)
    source = models.CharField(_("source"), max_length=30, choices=ActionSource.choices)
    source_detail = models.CharField(
        _("source detail"),
        max_length=250,
        blank=True,
        help_text=_("e.g. the management review's date, the risk or the feedback it answers"),
    )
    finding = models.ForeignKey(
        Finding,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("audit finding"),
    )
    incidents = models.ManyToManyField(
        "incidents.Incident",
        through="CapaIncidentLink",
        related_name="capas",
        blank=True,
        verbose_name=_("incidents"),
    )
    # The confirmed root cause the CAPA answers (one of its incidents'); the category follows
    # it, and it is what the playbook's suggestions are offered for. A CAPA raised before a cause
    # was confirmed, or from an audit or a review, records only the category (or none).
    root_cause = models.ForeignKey(
        "capa.RootCause",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="capas",
        verbose_name=_("root cause"),
    )
    root_cause_category = models.CharField(
        _("root-cause category"), max_length=30, choices=RootCauseCategory.choices, blank=True
    )
    title = models.CharField(_("title"), max_length=250)
    description = models.TextField(_("description"))
    owner = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="owned_capas", verbose_name=_("owner")
    )
    implementer = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="implemented_capas",
        verbose_name=_("implementer"),
    )
    horizon = models.CharField(_("horizon"), max_length=20, choices=Horizon.choices)
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ActionStatus.choices,
        default=ActionStatus.OPEN,
        editable=False,
        db_index=True,
    )
    follows = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("follow-up of"),
        help_text=_("The ineffective CAPA this one replaces."),
    )
    implementation_note = models.TextField(_("implementation note"), blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    implemented_at = models.DateTimeField(null=True, blank=True, editable=False)
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    ineffective_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True, editable=False)

    history = audit_history()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("CAPA")
        verbose_name_plural = _("CAPAs")
        indexes = [models.Index(fields=["owner", "status"], name="capa_owner_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(source="audit_finding") | Q(finding__isnull=True),
                name="capa_finding_only_for_audit_source",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="capa_cancelled_with_reason",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("capa:capa-detail", args=[self.pk])

    def is_owner_or_implementer(self, user) -> bool:
        pk = getattr(user, "pk", None)
        return pk is not None and pk in (self.owner_id, self.implementer_id)


class CapaIncidentLink(TimeStampedModel):
    """A CAPA answers an incident (several incidents may share one CAPA)."""

    capa = models.ForeignKey(CorrectiveAction, on_delete=models.CASCADE, related_name="links")
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="capa_links"
    )
    linked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    history = audit_history()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["capa", "incident"], name="capa_incident_once")
        ]

    def __str__(self):
        return f"{self.capa_id} -> {self.incident_id}"


class EffectivenessCheck(TimeStampedModel):
    """How the CAPA's effect will be verified, by when, and what the verifier found.

    The verifier is never the CAPA's owner or implementer (``capa.permissions.can_verify``);
    the result is recorded only once the CAPA is implemented, so a pass always postdates it.
    """

    capa = models.OneToOneField(
        CorrectiveAction, on_delete=models.CASCADE, related_name="effectiveness_check"
    )
    criterion = models.TextField(
        _("criterion"), help_text=_("What must hold for the action to count as effective")
    )
    method = models.TextField(_("method"), help_text=_("How it is verified: data, sample, test"))
    due_at = models.DateTimeField(_("check due"))
    planned_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(
        _("result"),
        max_length=10,
        choices=CheckResult.choices,
        default=CheckResult.PENDING,
        editable=False,
    )
    result_note = models.TextField(_("what was found"), blank=True, editable=False)
    verified_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = audit_history()

    class Meta:
        verbose_name = _("effectiveness check")
        constraints = [
            models.CheckConstraint(
                condition=Q(result="pending")
                | Q(verified_by__isnull=False, verified_at__isnull=False),
                name="check_result_has_verifier",
            )
        ]

    def __str__(self):
        return f"{self.capa_id}: {self.get_result_display()}"


def capa_evidence_storage():
    return FileSystemStorage(location=settings.MEDIA_ROOT / "capa-evidence", base_url=None)


def capa_evidence_path(instance, filename):
    return f"{instance.capa.reference}/{instance.sha256[:16]}-{filename}"


class ActionEvidence(TimeStampedModel):
    """A write-once file proving what the CAPA changed. Never edited; its hash is re-checked
    whenever it is downloaded."""

    capa = models.ForeignKey(CorrectiveAction, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(
        storage=capa_evidence_storage, upload_to=capa_evidence_path, max_length=400, editable=False
    )
    original_name = models.CharField(_("file name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), editable=False)
    media_type = models.CharField(_("media type"), max_length=120, editable=False)
    captured_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    captured_at = models.DateTimeField(_("captured at"))

    history = audit_history()

    class Meta:
        ordering = ["captured_at", "id"]
        verbose_name = _("CAPA evidence")
        verbose_name_plural = _("CAPA evidence")

    def __str__(self):
        return f"{self.original_name} ({self.sha256[:12]}…)"


class NoCapaDecision(TimeStampedModel):
    """The recorded reason why an incident needs no CAPA (DESIGN section 3, guard 4), decided
    by GRC, the AI risk officer or the incident lead. Without it or a linked CAPA the incident
    cannot close."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.PROTECT, related_name="no_capa_decision"
    )
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    history = audit_history()

    class Meta:
        verbose_name = _("no-CAPA decision")

    def __str__(self):
        return f"{self.incident_id}: no CAPA — {self.reason[:40]}"
