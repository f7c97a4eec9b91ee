"""The AI system inventory: systems, their model versions, the model change log, monitoring rules.

ISO/IEC 42001 A.4.2 (resource documentation) and A.6.2.5-A.6.2.8 (deployment, operation and
monitoring, event logs): an auditor's first request is the list of AI systems and who owns them;
the change log answers "which model version was in production at time T".
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from .choices import (
    REGISTRY_SYNC_PENDING,
    AnnexIIIArea,
    ChangeType,
    Comparison,
    DataCategory,
    Environment,
    EUAIActClass,
    GDPRRole,
    HIPAARole,
    HumanOversight,
    InternalRiskTier,
    LifecycleStatus,
    NIS2Entity,
    OrganizationRole,
    RegistrySyncStatus,
    RegistrySyncTrigger,
    ValidationStatus,
)
from .rules import WANDB_REFERENCE_HELP, is_wandb_digest, parse_wandb_reference

DIGEST_HELP = _("Content digest of the model artifact, e.g. sha256:…")


class AISystem(TimeStampedModel):
    """One AI system the organization provides, deploys or otherwise answers for."""

    reference = models.CharField(_("reference"), max_length=16, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    intended_purpose = models.TextField(_("intended purpose"))
    description = models.TextField(_("description"), blank=True)
    business_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("business owner"),
        on_delete=models.PROTECT,
        related_name="business_owned_systems",
    )
    technical_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technical owner"),
        on_delete=models.PROTECT,
        related_name="technically_owned_systems",
        null=True,
        blank=True,
    )
    organization_role = models.CharField(
        _("organization's role"),
        max_length=20,
        choices=OrganizationRole.choices,
        default=OrganizationRole.DEPLOYER,
    )
    lifecycle_status = models.CharField(
        _("lifecycle status"),
        max_length=20,
        choices=LifecycleStatus.choices,
        default=LifecycleStatus.DESIGN,
        db_index=True,
    )
    deployment_environment = models.CharField(
        _("deployment environment"),
        max_length=200,
        blank=True,
        help_text=_("Where it runs, e.g. 'AWS eu-west-1, Kubernetes' or 'vendor SaaS'."),
    )
    internal_risk_tier = models.CharField(
        _("internal risk tier"),
        max_length=10,
        choices=InternalRiskTier.choices,
        default=InternalRiskTier.MEDIUM,
        db_index=True,
    )
    eu_ai_act_class = models.CharField(
        _("EU AI Act class"),
        max_length=20,
        choices=EUAIActClass.choices,
        default=EUAIActClass.NOT_ASSESSED,
        db_index=True,
    )
    annex_iii_area = models.CharField(
        _("Annex III area"),
        max_length=30,
        choices=AnnexIIIArea.choices,
        blank=True,
        help_text=_("Required when the system is classed high-risk."),
    )
    data_categories = ArrayField(
        models.CharField(max_length=20, choices=DataCategory.choices),
        verbose_name=_("data categories"),
        default=list,
        blank=True,
    )
    affected_populations = models.TextField(
        _("affected populations"),
        blank=True,
        help_text=_("Who is affected by its outputs, e.g. 'retail loan applicants in the EU'."),
    )
    human_oversight = models.CharField(
        _("human oversight"),
        max_length=20,
        choices=HumanOversight.choices,
        default=HumanOversight.IN_THE_LOOP,
    )
    # Regulatory flags: they decide which disclosure regimes can apply to an incident.
    eu_market = models.BooleanField(_("placed on or used in the EU market"), default=False)
    gdpr_role = models.CharField(
        _("GDPR role"), max_length=12, choices=GDPRRole.choices, default=GDPRRole.NONE
    )
    hipaa_role = models.CharField(
        _("HIPAA role"), max_length=20, choices=HIPAARole.choices, default=HIPAARole.NONE
    )
    nis2_entity = models.CharField(
        _("NIS2 entity"), max_length=10, choices=NIS2Entity.choices, default=NIS2Entity.NONE
    )
    dora_financial_entity = models.BooleanField(_("DORA financial entity"), default=False)
    us_bank_model_risk = models.BooleanField(_("in US bank model-risk scope"), default=False)
    colorado_consequential = models.BooleanField(
        _("makes Colorado consequential decisions"), default=False
    )
    supplier = models.CharField(_("third-party supplier"), max_length=200, blank=True)
    supplier_contract = models.CharField(
        _("supplier contract reference"), max_length=200, blank=True
    )
    validation_status = models.CharField(
        _("validation status"),
        max_length=20,
        choices=ValidationStatus.choices,
        default=ValidationStatus.NOT_VALIDATED,
        db_index=True,
    )
    model_card_url = models.URLField(_("model card link"), blank=True)
    in_aims_scope = models.BooleanField(_("in AIMS scope"), default=True)
    scope_exclusion_justification = models.TextField(
        _("scope exclusion justification"),
        blank=True,
        help_text=_("Required when the system is excluded from the AIMS scope (clause 4.3)."),
    )

    history = audit_history()

    class Meta:
        ordering = ["reference"]
        verbose_name = _("AI system")
        verbose_name_plural = _("AI systems")
        constraints = [
            models.CheckConstraint(
                condition=Q(in_aims_scope=True) | ~Q(scope_exclusion_justification=""),
                name="aisystem_exclusion_needs_justification",
                violation_error_message=_(
                    "Give a justification for excluding the system from the AIMS scope."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["business_owner"]),
            models.Index(fields=["technical_owner"]),
        ]

    def __str__(self):
        return f"{self.reference} {self.name}"

    def get_absolute_url(self):
        return reverse("inventory:system-detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.eu_ai_act_class == EUAIActClass.HIGH_RISK and not self.annex_iii_area:
            errors["annex_iii_area"] = _(
                "A high-risk system needs its Annex III area (or Annex I product)."
            )
        if self.eu_ai_act_class != EUAIActClass.HIGH_RISK and self.annex_iii_area:
            errors["annex_iii_area"] = _(
                "Only high-risk systems have an Annex III area; clear it or class the system high-risk."
            )
        if not self.in_aims_scope and not self.scope_exclusion_justification.strip():
            errors["scope_exclusion_justification"] = _(
                "Give a justification for excluding the system from the AIMS scope."
            )
        if self.data_categories and len(set(self.data_categories)) != len(self.data_categories):
            errors["data_categories"] = _("List each data category once.")
        if errors:
            raise ValidationError(errors)

    def is_owned_by(self, user) -> bool:
        return user.pk is not None and user.pk in (self.business_owner_id, self.technical_owner_id)

    @property
    def regulatory_flags(self) -> list[str]:
        """Short labels of the regimes this system is flagged for, for chips and lists."""
        flags = []
        if self.eu_market:
            flags.append("EU market")
        if self.gdpr_role != GDPRRole.NONE:
            flags.append(f"GDPR {self.get_gdpr_role_display().lower()}")
        if self.hipaa_role != HIPAARole.NONE:
            flags.append(f"HIPAA {self.get_hipaa_role_display().lower()}")
        if self.nis2_entity != NIS2Entity.NONE:
            flags.append(f"NIS2 {self.get_nis2_entity_display().lower()}")
        if self.dora_financial_entity:
            flags.append("DORA")
        if self.us_bank_model_risk:
            flags.append("US bank MRM")
        if self.colorado_consequential:
            flags.append("Colorado consequential")
        return flags


class ModelVersion(TimeStampedModel):
    """A version of the model behind a system, with what is needed to pin it exactly."""

    system = models.ForeignKey(
        AISystem,
        on_delete=models.PROTECT,
        related_name="model_versions",
        verbose_name=_("AI system"),
    )
    version_label = models.CharField(_("version"), max_length=100)
    artifact_reference = models.CharField(
        _("artifact reference"),
        max_length=500,
        blank=True,
        help_text=_("Registry URI or path of the model artifact."),
    )
    artifact_digest = models.CharField(
        _("artifact digest"), max_length=200, blank=True, help_text=DIGEST_HELP
    )
    training_data_version = models.CharField(_("training-data version"), max_length=200, blank=True)
    prompt_config_version = models.CharField(
        _("prompt / configuration version"), max_length=200, blank=True
    )
    evaluation_summary = models.TextField(_("evaluation summary"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # What a model registry knows of the version (MLflow registry sync, W&B manifest import).
    registry_version = models.CharField(
        _("registry version"),
        max_length=50,
        blank=True,
        help_text=_("The version's number in the linked model registry, e.g. MLflow's 3."),
    )
    run_id = models.CharField(_("run ID"), max_length=100, blank=True)
    aliases = ArrayField(
        models.CharField(max_length=100),
        verbose_name=_("registry aliases"),
        default=list,
        blank=True,
        help_text=_("The registry's aliases on this version at the last sync, e.g. champion."),
    )
    tags = models.JSONField(_("registry tags"), default=dict, blank=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    wandb_artifact = models.CharField(
        _("W&B artifact"),
        max_length=300,
        blank=True,
        help_text=_(
            "Weights & Biases artifact reference, %(format)s; give its digest as the artifact "
            "digest."
        )
        % {"format": WANDB_REFERENCE_HELP},
    )

    history = audit_history()

    class Meta:
        ordering = ["system", "-created_at"]
        verbose_name = _("model version")
        constraints = [
            models.UniqueConstraint(
                fields=["system", "registry_version"],
                condition=~Q(registry_version=""),
                name="modelversion_unique_registry_version_per_system",
                violation_error_message=_(
                    "This system already has a version with that registry version."
                ),
            ),
            models.UniqueConstraint(
                fields=["system", "version_label"],
                name="modelversion_unique_label_per_system",
                violation_error_message=_("This system already has a version with that label."),
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True, approved_at__isnull=True)
                | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="modelversion_approval_complete",
                violation_error_message=_("An approval needs both who approved and when."),
            ),
        ]

    def __str__(self):
        return f"{self.system.reference} {self.version_label}"

    def get_absolute_url(self):
        return self.system.get_absolute_url()

    def clean(self):
        if not self.wandb_artifact:
            return
        reference = parse_wandb_reference(self.wandb_artifact)
        if reference is None:
            raise ValidationError(
                {
                    "wandb_artifact": _(
                        "Not a W&B artifact reference. Write it as %(format)s (a "
                        "wandb-artifact:// prefix is allowed)."
                    )
                    % {"format": WANDB_REFERENCE_HELP}
                }
            )
        self.wandb_artifact = str(reference)
        if self.artifact_digest and not is_wandb_digest(self.artifact_digest):
            raise ValidationError(
                {
                    "artifact_digest": _(
                        "A W&B artifact's digest is 32 hexadecimal characters, as W&B shows it "
                        "on the artifact's overview."
                    )
                }
            )

    @property
    def wandb_url(self) -> str:
        reference = parse_wandb_reference(self.wandb_artifact)
        return reference.url() if reference else ""

    @property
    def is_from_registry(self) -> bool:
        return bool(self.registry_version)


class Deployment(TimeStampedModel):
    """One entry of the model change log: which version went where, when, by whom and why."""

    system = models.ForeignKey(
        AISystem, on_delete=models.PROTECT, related_name="deployments", verbose_name=_("AI system")
    )
    model_version = models.ForeignKey(
        ModelVersion,
        on_delete=models.PROTECT,
        related_name="deployments",
        verbose_name=_("model version"),
    )
    environment = models.CharField(
        _("environment"), max_length=20, choices=Environment.choices, default=Environment.PRODUCTION
    )
    deployed_at = models.DateTimeField(_("deployed at"))
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("deployed by"),
    )
    change_type = models.CharField(
        _("change type"), max_length=20, choices=ChangeType.choices, default=ChangeType.DEPLOY
    )
    change_reference = models.CharField(
        _("change reference"),
        max_length=300,
        blank=True,
        help_text=_("Ticket or pull request, e.g. CHG-1042 or a PR URL."),
    )
    notes = models.TextField(_("notes"), blank=True)
    correction_reason = models.TextField(
        _("correction reason"),
        blank=True,
        editable=False,
        help_text=_(
            "Why the entry was last corrected; each correction's reason is in its history."
        ),
    )

    history = audit_history()

    class Meta:
        ordering = ["-deployed_at", "-id"]
        verbose_name = _("deployment")
        indexes = [
            models.Index(
                fields=["system", "environment", "-deployed_at"], name="deployment_version_at_idx"
            )
        ]

    def __str__(self):
        return f"{self.system.reference} {self.get_change_type_display()} {self.model_version.version_label}"

    def get_absolute_url(self):
        return self.system.get_absolute_url()

    def clean(self):
        if (
            self.model_version_id
            and self.system_id
            and self.model_version.system_id != self.system_id
        ):
            raise ValidationError(
                {"model_version": _("This model version belongs to another AI system.")}
            )


class MonitoringRule(TimeStampedModel):
    """A metric watched on a system, its threshold and where alerts go."""

    system = models.ForeignKey(
        AISystem,
        on_delete=models.PROTECT,
        related_name="monitoring_rules",
        verbose_name=_("AI system"),
    )
    metric = models.CharField(
        _("metric"), max_length=200, help_text=_("e.g. 'approval_rate_drift_psi'")
    )
    comparison = models.CharField(
        _("comparison"), max_length=3, choices=Comparison.choices, default=Comparison.GT
    )
    threshold = models.DecimalField(_("threshold"), max_digits=18, decimal_places=6)
    window = models.CharField(
        _("evaluation window"), max_length=50, blank=True, help_text=_("e.g. '15m', '1d'")
    )
    channel = models.CharField(
        _("alert channel"),
        max_length=200,
        help_text=_("Where alerts go, e.g. 'alertmanager: ml-oncall'."),
    )
    active = models.BooleanField(_("active"), default=True)
    change_reason = models.TextField(
        _("reason for the last change"),
        blank=True,
        help_text=_("Why the threshold was set or changed; name the incident that prompted it."),
    )

    history = audit_history()

    class Meta:
        ordering = ["system", "metric"]
        verbose_name = _("monitoring rule")

    def __str__(self):
        return f"{self.system.reference} {self.metric} {self.get_comparison_display()} {self.threshold}"

    def get_absolute_url(self):
        return self.system.get_absolute_url()


class ModelRegistryLink(TimeStampedModel):
    """A system's registered model in an MLflow model registry, kept in step by the sync.

    Reference data, edited in the admin. The alias named ``production_alias`` is what the
    organization serves in production: its moves become the system's change log, and a
    containment rollback moves it back. Credentials are never stored here: the sync reads
    ``MLFLOW_TRACKING_TOKEN`` or ``MLFLOW_TRACKING_USERNAME``/``MLFLOW_TRACKING_PASSWORD`` from
    the environment, as MLflow's own client does.
    """

    system = models.OneToOneField(
        AISystem,
        on_delete=models.CASCADE,
        related_name="registry_link",
        verbose_name=_("AI system"),
    )
    tracking_uri = models.URLField(
        _("tracking URI"),
        help_text=_("The MLflow tracking server, e.g. https://mlflow.example.com"),
    )
    model_name = models.CharField(_("registered model name"), max_length=250)
    production_alias = models.CharField(
        _("production alias"),
        max_length=100,
        default="champion",
        help_text=_("The registry alias that means 'serving in production'."),
    )
    staging_alias = models.CharField(
        _("staging alias"),
        max_length=100,
        blank=True,
        help_text=_("Optional: the alias that means 'in staging', e.g. challenger."),
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active links are synced on schedule.")
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("linked by"),
        help_text=_("Scheduled syncs record the alias moves they find in this person's name."),
    )
    last_synced_at = models.DateTimeField(_("last synced at"), null=True, blank=True)
    last_sync_summary = models.CharField(_("last sync"), max_length=300, blank=True)

    history = audit_history()

    class Meta:
        ordering = ["system"]
        verbose_name = _("model registry link")
        constraints = [
            models.CheckConstraint(
                condition=~Q(model_name="") & ~Q(production_alias=""),
                name="registrylink_names_given",
                violation_error_message=_("Give the registered model's name and its alias."),
            ),
        ]

    def __str__(self):
        return f"{self.system.reference} → {self.model_name}@{self.production_alias}"

    def get_absolute_url(self):
        return self.system.get_absolute_url()

    def clean(self):
        errors = {}
        if self.staging_alias and self.staging_alias == self.production_alias:
            errors["staging_alias"] = _("The staging alias must differ from the production alias.")
        parts = urlsplit(self.tracking_uri or "")
        if parts.username or parts.password:
            # The URI is shown on the system page and in the sync log: no secret may be in it.
            errors["tracking_uri"] = _(
                "Leave credentials out of the URI: set MLFLOW_TRACKING_TOKEN, or "
                "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, in the environment."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def model_url(self) -> str:
        """The registered model's page in the MLflow UI."""
        return f"{self.tracking_uri.rstrip('/')}/#/models/{self.model_name}"


class RegistrySync(TimeStampedModel):
    """One run of the registry sync: when, why, what it found, and how it ended.

    A sync reads the registry first, then applies everything in one transaction: a registry
    that is down leaves nothing half-imported, and the log says so.
    """

    link = models.ForeignKey(
        ModelRegistryLink, on_delete=models.CASCADE, related_name="syncs", verbose_name=_("link")
    )
    trigger = models.CharField(_("trigger"), max_length=20, choices=RegistrySyncTrigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RegistrySyncStatus.choices,
        default=RegistrySyncStatus.QUEUED,
        db_index=True,
    )
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    versions_added = models.PositiveIntegerField(_("versions added"), default=0)
    versions_updated = models.PositiveIntegerField(_("versions updated"), default=0)
    alias_moves = models.PositiveIntegerField(_("alias moves recorded"), default=0)
    error_message = models.TextField(_("error"), blank=True)

    history = audit_history()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("registry sync")
        verbose_name_plural = _("registry syncs")

    def __str__(self):
        return (
            f"{self.link.model_name} {self.get_status_display()} {self.created_at:%Y-%m-%d %H:%M}"
        )

    @property
    def pending(self) -> bool:
        return self.status in REGISTRY_SYNC_PENDING
