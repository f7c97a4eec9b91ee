"""The learning loop in the admin. Root causes, scope, remediation and recurrences are audited
records written only by ``capa.services`` (read-only here); the recurrence window is policy data
GRC edits here (one row; never added or deleted)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from aims.core.admin import ReadOnlyAdmin, ReadOnlyInline

from . import permissions
from .models import (
    ActionEvidence,
    CapaIncidentLink,
    CorrectiveAction,
    Diagnostic,
    EffectivenessCheck,
    Finding,
    ManagementReview,
    NoCapaDecision,
    Recurrence,
    RecurrencePolicy,
    RemediationItem,
    RemediationPlan,
    RootCause,
    RootCauseEvidence,
    ScopeConfirmation,
    Why,
)

# =============================================================================================
# Root causes, scope, remediation and recurrence
# =============================================================================================


@admin.register(RecurrencePolicy)
class RecurrencePolicyAdmin(SimpleHistoryAdmin):
    list_display = ("window_days", "updated_at")
    fields = ("window_days",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return bool(permissions.can_edit_recurrence_policy(request.user))


@admin.register(RootCause)
class RootCauseAdmin(ReadOnlyAdmin):
    list_display = ("incident", "category", "status", "confirmed_at")
    list_filter = ("category", "status")
    search_fields = ("incident__reference", "statement")


@admin.register(Why)
class WhyAdmin(ReadOnlyAdmin):
    list_display = ("root_cause", "position", "question")


@admin.register(Diagnostic)
class DiagnosticAdmin(ReadOnlyAdmin):
    list_display = ("root_cause", "method", "outcome", "performed_at")
    list_filter = ("method", "outcome")


@admin.register(RootCauseEvidence)
class RootCauseEvidenceAdmin(ReadOnlyAdmin):
    list_display = ("root_cause", "evidence", "created_at")


@admin.register(ScopeConfirmation)
class ScopeConfirmationAdmin(ReadOnlyAdmin):
    list_display = ("incident", "status", "confirmed_count", "population", "confirmed_at")
    list_filter = ("status",)


@admin.register(RemediationPlan)
class RemediationPlanAdmin(ReadOnlyAdmin):
    list_display = ("incident", "affected_cases", "reprocessed_cases", "restored_at")


@admin.register(RemediationItem)
class RemediationItemAdmin(ReadOnlyAdmin):
    list_display = ("plan", "horizon", "kind", "owner", "due_on", "done_at")
    list_filter = ("horizon", "kind")


@admin.register(Recurrence)
class RecurrenceAdmin(ReadOnlyAdmin):
    list_display = ("earlier_incident", "later_incident", "system", "category", "days_apart")


# === CAPA records, effectiveness checks, audit findings and the no-CAPA decision ============
class LinkInline(ReadOnlyInline, admin.TabularInline):
    model = CapaIncidentLink
    fields = ("incident", "linked_by", "created_at")
    readonly_fields = fields


class CheckInline(ReadOnlyInline, admin.StackedInline):
    model = EffectivenessCheck
    readonly_fields = (
        "criterion",
        "method",
        "due_at",
        "result",
        "result_note",
        "verified_by",
        "verified_at",
    )
    fields = readonly_fields


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "action_type", "source", "status", "owner", "due_at")
    list_filter = ("status", "action_type", "source", "horizon")
    search_fields = ("reference", "title")
    inlines = [LinkInline, CheckInline]


@admin.register(ActionEvidence)
class ActionEvidenceAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "capa", "sha256", "size", "media_type", "captured_at")
    search_fields = ("original_name", "sha256", "capa__reference")


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "classification", "audit_kind", "clause", "status")
    list_filter = ("classification", "audit_kind", "status")
    search_fields = ("reference", "title", "audit_reference", "clause")


@admin.register(NoCapaDecision)
class NoCapaDecisionAdmin(ReadOnlyAdmin):
    list_display = ("incident", "decided_by", "decided_at")


# =============================================================================================
# Management reviews (written only by capa.services; read-only here)
# =============================================================================================


@admin.register(ManagementReview)
class ManagementReviewAdmin(ReadOnlyAdmin):
    list_display = ("reference", "meeting_date", "period_start", "period_end", "status")
    list_filter = ("status",)
    search_fields = ("reference",)


# =============================================================================================
# Post-incident reviews (written only by ``capa.services``: read-only here)
# =============================================================================================


def _register_post_incident_reviews():
    from .models import PostIncidentReview, ReviewAction

    @admin.register(PostIncidentReview)
    class PostIncidentReviewAdmin(ReadOnlyAdmin):
        list_display = ("reference", "incident", "status", "due_at", "approved_at")
        list_filter = ("status",)
        search_fields = ("reference", "incident__reference")

    @admin.register(ReviewAction)
    class ReviewActionAdmin(ReadOnlyAdmin):
        list_display = ("review", "capa", "update_kind", "created_at")
        list_filter = ("update_kind",)


_register_post_incident_reviews()
