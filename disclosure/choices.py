"""Choice sets of the disclosure module."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClockStart(models.TextChoices):
    """The event an obligation's clock runs from (``disclosure.rules``)."""

    AWARE = "aware", _("The organisation became aware")
    DISCOVERY = "discovery", _("The breach was discovered")
    CLASSIFICATION = "classification", _("Classification (capped at 24 h after awareness)")
    PREVIOUS_STAGE = "previous_stage", _("The previous stage's submission or deadline")
    SEVERITY_CONFIRMED = "severity_confirmed", _("The severity was confirmed")
    YEAR_END = "year_end", _("The end of the calendar year (annual log)")


class Applies(models.TextChoices):
    YES = "yes", _("Applies")
    NO = "no", _("Does not apply")
    UNDETERMINED = "undetermined", _("Undetermined")


class BreachRisk(models.TextChoices):
    NONE = "none", _("Unlikely to result in a risk")
    RISK = "risk", _("Likely to result in a risk")
    HIGH = "high", _("Likely to result in a high risk")


class IncidentKindFact(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    NEAR_MISS = "near_miss", _("Near miss")
    EXERCISE = "exercise", _("Exercise")


class AssessmentStatus(models.TextChoices):
    OPEN = "open", _("Open: obligations to confirm")
    SIGNED_OFF = "signed_off", _("Signed off by legal")
    REOPENED = "reopened", _("Reopened: facts changed after sign-off")


class ObligationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUBMITTED = "submitted", _("Submitted")
    NOT_REQUIRED = "not_required", _("Not required")


class SubmissionPhase(models.TextChoices):
    """Initial incomplete reports followed by complete ones (AI Act 73(5), GDPR 33(4))."""

    INITIAL = "initial", _("Initial (incomplete)")
    COMPLETE = "complete", _("Complete")


class DisclosureClockKind(models.TextChoices):
    OBLIGATION = "obligation", _("Regulatory obligation")


class Audience(models.TextChoices):
    REGULATOR = "regulator", _("Regulator")
    CUSTOMERS = "customers", _("Customers")
    AFFECTED_INDIVIDUALS = "affected_individuals", _("Affected individuals")
    PARTNERS = "partners", _("Partners and suppliers")
    INTERNAL = "internal", _("Internal staff")
    BOARD = "board", _("Board")
    PUBLIC = "public", _("Public")


class CommunicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    SENT = "sent", _("Sent")


class VendorNoticeBasis(models.TextChoices):
    ART26_5 = "art26_5", _("EU AI Act Art. 26(5): the deployer informs the provider")
    CONTRACT = "contract", _("Contractual duty")
    COURTESY = "courtesy", _("No duty: keeping the supplier informed")


class IndividualStatus(models.TextChoices):
    """Where the notice to one affected person stands (HIPAA 164.404, GDPR Art. 34)."""

    PENDING = "pending", _("Pending")
    NOTIFIED = "notified", _("Notified")
    FAILED = "failed", _("Bounced or failed")
    NOT_NOTIFIED = "not_notified", _("Not to be notified")


class NoticeChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    POST = "post", _("Post")
    PHONE = "phone", _("Telephone")
    SMS = "sms", _("Text message")
    OTHER = "other", _("Other")
