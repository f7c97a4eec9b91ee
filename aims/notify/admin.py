from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from aims.core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Delivery, DeliveryAttempt, PageEvent, PagingService, WebhookEndpoint


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


def masked(key: str) -> str:
    """What the admin shows of a stored key: its length and last four characters at most."""
    if not key:
        return ""
    tail = key[-4:] if len(key) >= 12 else ""
    return f"•••• {tail}".strip() + f" ({len(key)} characters)"


class PagingServiceForm(forms.ModelForm):
    """The key is write-only: the field starts empty and an empty submission keeps the stored
    key (tick "clear the stored key" to remove it)."""

    key = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        label=_("Key"),
        help_text=_(
            "The routing key (PagerDuty) or API key (Opsgenie), when no environment variable is "
            "named. Leave empty to keep the stored one."
        ),
    )
    clear_key = forms.BooleanField(required=False, label=_("Clear the stored key"))

    class Meta:
        model = PagingService
        fields = (
            "name",
            "vendor",
            "api_url",
            "key_env",
            "key",
            "user",
            "role",
            "page_incidents",
            "page_exercises",
            "active",
        )

    def clean(self):
        data = super().clean()
        if not data.get("key"):
            data["key"] = "" if data.get("clear_key") else (self.instance.key or "")
        self.instance.key = data["key"]
        return data


@admin.register(PagingService)
class PagingServiceAdmin(SimpleHistoryAdmin):
    form = PagingServiceForm
    list_display = ("name", "vendor", "user", "role", "page_incidents", "page_exercises", "active")
    list_filter = ("vendor", "active", "page_incidents")
    readonly_fields = ("stored_key",)

    @admin.display(description=_("Stored key"))
    def stored_key(self, obj):
        return masked(obj.key) or _("none")


@admin.register(PageEvent)
class PageEventAdmin(ReadOnlyAdmin):
    """Each page and its result, as sent (the body carries no key): never edited here."""

    list_display = ("dedup_key", "action", "service", "status", "tries", "created_at", "sent_at")
    list_filter = ("action", "status", "service")
    search_fields = ("dedup_key",)
    readonly_fields = (
        "service",
        "action",
        "dedup_key",
        "cause",
        "payload",
        "status",
        "tries",
        "next_try_at",
        "claimed_at",
        "sent_at",
        "last_error",
        "response",
        "created_at",
    )
    exclude = ("target_type", "target_id")
