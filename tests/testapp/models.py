"""A minimal audited record with a reference, an owner and clocks: what every domain app has."""

from django.conf import settings
from django.db import models

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel


class WidgetClockKind(models.TextChoices):
    REVIEW = "widget_review", "Widget review"


class Widget(TimeStampedModel):
    reference = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    restricted = models.BooleanField(default=False)

    history = audit_history()

    def __str__(self):
        return self.reference


def widgets_visible_to(user):
    """Owners see their widgets; everyone sees unrestricted ones."""
    if not (user and user.is_authenticated):
        return Widget.objects.none()
    return Widget.objects.filter(models.Q(restricted=False) | models.Q(owner=user))
