from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Delivery, DeliveryAttempt, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(SimpleHistoryAdmin):
    list_display = ("name", "format", "user", "role", "active")
    list_filter = ("format", "active")


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
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
class DeliveryAdmin(SimpleHistoryAdmin):
    list_display = ("title", "recipient", "step_key", "created_at")
    readonly_fields = (
        "clock",
        "step_key",
        "recipient",
        "kind",
        "title",
        "body",
        "url",
        "created_at",
    )
    inlines = [AttemptInline]

    def has_add_permission(self, request):
        return False
