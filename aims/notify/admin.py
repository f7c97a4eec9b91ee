from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from aims.core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Delivery, DeliveryAttempt, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(SimpleHistoryAdmin):
    list_display = ("name", "format", "user", "role", "active")
    list_filter = ("format", "active")


class AttemptInline(ReadOnlyInline, admin.TabularInline):
    model = DeliveryAttempt
    readonly_fields = (
        "channel",
        "endpoint",
        "status",
        "tries",
        "next_try_at",
        "sent_at",
        "last_error",
    )


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """A delivery is the proof that someone was told once: never added, edited or deleted here."""

    list_display = ("title", "recipient", "step_key", "created_at")
    inlines = [AttemptInline]
