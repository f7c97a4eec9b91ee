"""The risk module in the admin, read-only: every change goes through ``risk.services``
(methodology versions, the register, the SoA), so the admin is for looking up records."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    ApplicabilityStatement,
    Control,
    EvidenceLink,
    Risk,
    RiskAcceptance,
    RiskMethodology,
    RiskTag,
)


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RiskMethodology)
class RiskMethodologyAdmin(ReadOnlyAdmin):
    list_display = ("version", "title", "status", "acceptance_threshold", "approved_at")


@admin.register(Risk)
class RiskAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "status", "inherent_score", "residual_score", "owner")
    list_filter = ("status", "category", "treatment")
    search_fields = ("reference", "title")


@admin.register(RiskAcceptance)
class RiskAcceptanceAdmin(ReadOnlyAdmin):
    list_display = ("risk", "residual_score", "band", "accepted_by", "accepted_at", "revoked_at")


@admin.register(RiskTag)
class RiskTagAdmin(ReadOnlyAdmin):
    list_display = ("code", "label", "scheme", "verified")


@admin.register(Control)
class ControlAdmin(ReadOnlyAdmin):
    list_display = ("code", "title", "objective_code")


@admin.register(ApplicabilityStatement)
class ApplicabilityStatementAdmin(ReadOnlyAdmin):
    list_display = ("control", "applicability", "implementation_status", "owner")


@admin.register(EvidenceLink)
class EvidenceLinkAdmin(ReadOnlyAdmin):
    list_display = ("control", "target_label", "record_date", "linked_by")
