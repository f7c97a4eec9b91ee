"""Choice sets of the AI system inventory (DESIGN section 2, inventory)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationRole(models.TextChoices):
    """The organization's role for the system (ISO/IEC 42001 A.10; EU AI Act Art. 3)."""

    PROVIDER = "provider", _("Provider")
    DEPLOYER = "deployer", _("Deployer / user")
    IMPORTER = "importer", _("Importer")
    DISTRIBUTOR = "distributor", _("Distributor")
    INTEGRATOR = "integrator", _("Integrator")
    DATA_PROVIDER = "data_provider", _("Data provider")
    PARTNER = "partner", _("Partner")


class LifecycleStatus(models.TextChoices):
    DESIGN = "design", _("Design")
    DEVELOPMENT = "development", _("Development")
    STAGING = "staging", _("Staging")
    PRODUCTION = "production", _("Production")
    RETIRED = "retired", _("Retired")


class InternalRiskTier(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class EUAIActClass(models.TextChoices):
    NOT_ASSESSED = "not_assessed", _("Not yet assessed")
    PROHIBITED = "prohibited", _("Prohibited practice (Art. 5)")
    HIGH_RISK = "high_risk", _("High-risk (Art. 6)")
    LIMITED = "limited", _("Limited risk (transparency, Art. 50)")
    MINIMAL = "minimal", _("Minimal risk")


class AnnexIIIArea(models.TextChoices):
    """EU AI Act Annex III high-risk areas (points 1-8)."""

    BIOMETRICS = "biometrics", _("1. Biometrics")
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure", _("2. Critical infrastructure")
    EDUCATION = "education", _("3. Education and vocational training")
    EMPLOYMENT = "employment", _("4. Employment and workers management")
    ESSENTIAL_SERVICES = "essential_services", _("5. Access to essential services (incl. credit)")
    LAW_ENFORCEMENT = "law_enforcement", _("6. Law enforcement")
    MIGRATION = "migration", _("7. Migration, asylum and border control")
    JUSTICE = "justice", _("8. Administration of justice and democratic processes")
    ANNEX_I = "annex_i", _("Safety component of an Annex I product")


class DataCategory(models.TextChoices):
    PERSONAL = "personal", _("Personal data")
    SPECIAL_CATEGORY = "special_category", _("Special-category data (GDPR Art. 9)")
    HEALTH = "health", _("Health data / PHI")
    FINANCIAL = "financial", _("Financial data")
    CHILDREN = "children", _("Children's data")


class HumanOversight(models.TextChoices):
    IN_THE_LOOP = "in_the_loop", _("Human in the loop")
    ON_THE_LOOP = "on_the_loop", _("Human on the loop")
    OUT_OF_THE_LOOP = "out_of_the_loop", _("Human out of the loop")


class GDPRRole(models.TextChoices):
    NONE = "none", _("Not applicable")
    CONTROLLER = "controller", _("Controller")
    PROCESSOR = "processor", _("Processor")
    BOTH = "both", _("Controller and processor")


class HIPAARole(models.TextChoices):
    NONE = "none", _("Not applicable")
    COVERED_ENTITY = "covered_entity", _("Covered entity")
    BUSINESS_ASSOCIATE = "business_associate", _("Business associate")


class NIS2Entity(models.TextChoices):
    NONE = "none", _("Not in scope")
    ESSENTIAL = "essential", _("Essential entity")
    IMPORTANT = "important", _("Important entity")


class ValidationStatus(models.TextChoices):
    NOT_VALIDATED = "not_validated", _("Not validated")
    IN_VALIDATION = "in_validation", _("Validation in progress")
    VALIDATED = "validated", _("Validated")
    EXPIRED = "expired", _("Validation expired")


class Environment(models.TextChoices):
    PRODUCTION = "production", _("Production")
    STAGING = "staging", _("Staging")
    DEVELOPMENT = "development", _("Development")


class ChangeType(models.TextChoices):
    DEPLOY = "deploy", _("Deploy")
    ROLLBACK = "rollback", _("Rollback")
    RETRAIN = "retrain", _("Retrain")
    CONFIG_CHANGE = "config_change", _("Configuration change")
    PROMPT_CHANGE = "prompt_change", _("Prompt change")
    VENDOR_UPDATE = "vendor_update", _("Vendor model update")


class Comparison(models.TextChoices):
    GT = "gt", ">"
    GTE = "gte", "≥"
    LT = "lt", "<"
    LTE = "lte", "≤"


class RegistrySyncTrigger(models.TextChoices):
    ON_DEMAND = "on_demand", _("On demand")
    SCHEDULED = "scheduled", _("Scheduled")


class RegistrySyncStatus(models.TextChoices):
    """queued → running → succeeded, or → retrying (the registry did not answer) → … → failed."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    RETRYING = "retrying", _("Waiting to retry")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


REGISTRY_SYNC_PENDING = (
    RegistrySyncStatus.QUEUED,
    RegistrySyncStatus.RUNNING,
    RegistrySyncStatus.RETRYING,
)
