from django.db import models
from django.utils.translation import gettext_lazy as _


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


ACTIVE_STATES = (ClockState.RUNNING, ClockState.BREACHED)
# A clock is active while it runs or is overdue and its goal is not reached; a clock met late
# stays "breached" (for the record) but is finished: it carries ``met_at``.
ACTIVE = models.Q(state__in=ACTIVE_STATES, met_at__isnull=True)


class DurationUnit(models.TextChoices):
    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("hours")
    CALENDAR_DAYS = "calendar_days", _("calendar days")
    BUSINESS_DAYS = "business_days", _("business days")


# Pseudo-roles an escalation step may name besides the real roles (aims.accounts.choices.Role).
CLOCK_OWNER = "clock_owner"
