from django.apps import AppConfig


class CapaConfig(AppConfig):
    """Root causes, corrective and preventive actions, audit findings, post-incident reviews.

    Everything the shared apps and the incident register need from this module (clock kinds,
    visibility, closure checks, incident-page and case-file sections, navigation) is registered
    here, so neither ``aims`` nor ``incidents`` names ``capa``.
    """

    name = "capa"
    verbose_name = "Learning loop: root causes, CAPA, findings and reviews"

    def ready(self):
        self._register_investigation()

    def _register_investigation(self):
        """Root cause, scope, remediation plan and recurrence of an incident."""
        from django.utils.translation import gettext_lazy as _

        from aims.core.registry import ReportSection, register_report_section
        from incidents.filters import register_condition
        from incidents.sections import IncidentSection, register_section
        from incidents.workflow import register_closure_check

        from . import selectors, views
        from .models import (
            Diagnostic,
            Recurrence,
            RemediationItem,
            RemediationPlan,
            RootCause,
            RootCauseEvidence,
            ScopeConfirmation,
            Why,
        )

        register_closure_check(selectors.closure_check_root_cause)
        register_closure_check(selectors.closure_check_scope)
        register_condition("recurrence", selectors.recurrence_condition)
        register_section(
            IncidentSection(
                name="root_cause",
                template="capa/_incident_section.html",
                order=5,
                context=views.incident_section,
            )
        )
        register_report_section(
            ReportSection(
                name="root_cause",
                title=_("Root cause, scope and remediation"),
                order=5,
                template="capa/_case_file.html",
                context=selectors.case_file_section,
                history=(
                    (RootCause, "incident_id", _("root cause")),
                    (Why, "root_cause__incident_id", _("why")),
                    (Diagnostic, "root_cause__incident_id", _("diagnostic")),
                    (RootCauseEvidence, "root_cause__incident_id", _("root-cause evidence")),
                    (ScopeConfirmation, "incident_id", _("scope confirmation")),
                    (RemediationPlan, "incident_id", _("remediation plan")),
                    (RemediationItem, "plan__incident_id", _("remediation item")),
                    (Recurrence, "later_incident_id", _("recurrence")),
                ),
            )
        )
