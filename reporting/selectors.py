"""Reads of report runs."""

from django.db.models import QuerySet

from aims.accounts.choices import Role

from .models import ReportRun


def runs_visible_to(user) -> QuerySet[ReportRun]:
    if not (user and user.is_authenticated and (user.is_superuser or user.role_names)):
        return ReportRun.objects.none()
    qs = ReportRun.objects.select_related("requested_by", "incident")
    if user.has_role(Role.GRC):
        return qs
    return qs.filter(requested_by=user)
