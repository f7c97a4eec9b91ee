"""Policy as data: GRC edits deadlines, escalation chains and the business calendar here."""

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from aims.core.admin import ReadOnlyAdmin

from .models import BusinessCalendar, CalendarException, Clock, ClockPolicy, EscalationStep
from .registry import kind_choices


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0


class ClockPolicyForm(forms.ModelForm):
    kind = forms.ChoiceField(choices=kind_choices)

    class Meta:
        model = ClockPolicy
        fields = [
            "kind",
            "severity",
            "amount",
            "unit",
            "remind_before_minutes",
            "active",
            "description",
        ]


@admin.register(ClockPolicy)
class ClockPolicyAdmin(SimpleHistoryAdmin):
    form = ClockPolicyForm
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
class ClockAdmin(ReadOnlyAdmin):
    """Clocks are started, met and reassigned by ``aims.clocks.services`` only."""

    list_display = ("label", "kind", "state", "due_at", "owner", "owner_role")
    list_filter = ("kind", "state")
