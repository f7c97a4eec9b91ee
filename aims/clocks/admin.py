"""Policy as data: GRC edits deadlines, escalation chains and the business calendar here."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import BusinessCalendar, CalendarException, Clock, ClockPolicy, EscalationStep


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0


@admin.register(ClockPolicy)
class ClockPolicyAdmin(SimpleHistoryAdmin):
    list_display = ("kind", "severity", "amount", "unit", "remind_before_minutes", "active")
    list_filter = ("kind", "active")
    inlines = [EscalationStepInline]


class CalendarExceptionInline(admin.TabularInline):
    model = CalendarException
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(SimpleHistoryAdmin):
    list_display = ("name", "country", "subdivision", "time_zone", "active")
    inlines = [CalendarExceptionInline]


@admin.register(Clock)
class ClockAdmin(SimpleHistoryAdmin):
    list_display = ("label", "kind", "state", "due_at", "owner", "owner_role")
    list_filter = ("kind", "state")
    readonly_fields = [f.name for f in Clock._meta.fields]

    def has_add_permission(self, request):
        return False
