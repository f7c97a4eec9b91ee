"""CAPA records and audit findings in the admin: read only (``aims.core.admin.ReadOnlyAdmin``).
Every write goes through ``capa.services``: permissions, the lifecycle's guards, clocks and the
incidents' timelines. The CAPA clock policies are edited with the other clock policies."""

from django.contrib import admin

from aims.core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import (
    ActionEvidence,
    CapaIncidentLink,
    CorrectiveAction,
    EffectivenessCheck,
    Finding,
    NoCapaDecision,
)


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
