"""The regimes table in the admin: legal and GRC edit rows; the save goes through the service
(permission, validation, history with the acting user). Rows are never added or deleted here:
their codes are the ones the rules know."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from aims.core.exceptions import ApplicationError

from . import permissions, services
from .models import CommunicationPlanEntry, RegimeRule


@admin.register(RegimeRule)
class RegimeRuleAdmin(SimpleHistoryAdmin):
    list_display = ("code", "stage", "deadline_rule", "clock_start", "needs_legal_review")
    list_filter = ("needs_legal_review", "clock_start")
    search_fields = ("code", "stage", "title", "source")
    readonly_fields = ("code", "stage", "position")
    fields = ("code", "stage", "position", *services.REGIME_FIELDS)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return bool(permissions.can_edit_regimes(request.user))

    def revert_url(self):
        return None

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        raise PermissionDenied

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.REGIME_FIELDS
        }
        try:
            services.regime_update(actor=request.user, regime=obj, data=data)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            raise PermissionDenied(exc.message) from exc


@admin.register(CommunicationPlanEntry)
class CommunicationPlanEntryAdmin(SimpleHistoryAdmin):
    """The communication plan: documented information GRC keeps current (reference data)."""

    list_display = ("audience", "min_severity", "approver_role", "timing")
    list_filter = ("audience",)
    fields = ("audience", "min_severity", "approver_role", "template", "timing")
