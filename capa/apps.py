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
        self._register_capa_actions()
        self._register_management_review()
        self._register_post_incident_reviews()

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
                context=views.investigation_section,
            )
        )
        register_report_section(
            ReportSection(
                name="root_cause",
                title=_("Root cause, scope and remediation"),
                order=5,
                template="capa/_case_file.html",
                context=selectors.investigation_case_file_section,
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

    def _register_capa_actions(self):
        """CAPA records, effectiveness checks, findings and the "CAPA or a reason" closure check."""
        from django.utils.translation import gettext_lazy as _

        from aims.clocks.registry import ClockTarget, register_kinds, register_target
        from aims.core import visibility
        from aims.core.registry import (
            HomePanel,
            NavEntry,
            ReportSection,
            register_home_panel,
            register_navigation,
            register_report_section,
        )
        from incidents.sections import IncidentSection, register_section
        from incidents.workflow import register_closure_check

        from . import clocks, permissions, selectors, views
        from .choices import CapaClockKind
        from .models import (
            ActionEvidence,
            CapaIncidentLink,
            CorrectiveAction,
            EffectivenessCheck,
            Finding,
            NoCapaDecision,
        )

        register_kinds(CapaClockKind)
        register_target(
            CorrectiveAction,
            ClockTarget(
                resolve_role=clocks.resolve_role,
                describe=clocks.describe,
                card=clocks.card,
                pseudo_roles=("capa_owner", "capa_implementer"),
            ),
        )
        visibility.register(CorrectiveAction, selectors.capas_visible_to)
        visibility.register(Finding, selectors.findings_visible_to)
        register_closure_check(selectors.closure_check)
        register_section(
            IncidentSection(
                name="capa",
                template="capa/_capa_incident_section.html",
                order=20,
                context=views.capa_section,
            )
        )
        register_report_section(
            ReportSection(
                name="capa",
                title=_("Corrective and preventive actions"),
                order=30,
                template="capa/_capa_case_file.html",
                context=selectors.capa_case_file_section,
                # A CAPA's own history rows carry no incident column (a CAPA may answer
                # several): they are found through its links; its check, evidence and links
                # carry the incident themselves.
                history=(
                    (CorrectiveAction, selectors.capa_history_of_incident, _("CAPA")),
                    (CapaIncidentLink, "incident_id", _("CAPA link")),
                    (EffectivenessCheck, "capa__links__incident_id", _("effectiveness check")),
                    (ActionEvidence, "capa__links__incident_id", _("CAPA evidence")),
                    (NoCapaDecision, "incident_id", _("no-CAPA decision")),
                ),
            )
        )
        register_navigation(
            NavEntry(
                label=_("CAPA"),
                url_name="capa:register",
                order=40,
                visible=permissions.can_read,
            ),
            NavEntry(
                label=_("Audit findings"),
                url_name="capa:findings",
                order=45,
                visible=permissions.can_read,
            ),
        )
        register_home_panel(
            HomePanel(
                name="my_capas",
                template="capa/_home_my_capas.html",
                order=35,
                context=lambda user: {"my_capas": list(selectors.my_open_capas(user))},
                visible=permissions.can_read,
            )
        )

    def _register_management_review(self):
        """The management review (clause 9.3): the incident page's coverage note, the
        register's "P0/P1 not covered" filter, the navigation entry."""
        from django.utils.translation import gettext_lazy as _

        from aims.core import visibility
        from aims.core.registry import (
            NavEntry,
            ReportSection,
            register_navigation,
            register_report_section,
        )
        from incidents.filters import register_condition
        from incidents.sections import IncidentSection, register_section

        from . import permissions, selectors, views
        from .models import ManagementReview, ManagementReviewIncident

        visibility.register(ManagementReview, selectors.management_reviews_visible_to)
        register_condition("review_uncovered", selectors.review_uncovered_condition)
        register_section(
            IncidentSection(
                name="management_review",
                template="capa/_mr_incident_section.html",
                order=22,
                context=views.review_coverage_section,
                column="aside",
            )
        )
        register_report_section(
            ReportSection(
                name="management_review",
                title=_("Management review"),
                order=35,
                template="capa/_mr_case_file.html",
                context=selectors.management_review_case_file_section,
                history=(
                    (ManagementReviewIncident, "incident_id", _("management-review coverage")),
                ),
            )
        )
        register_navigation(
            NavEntry(
                label=_("Management reviews"),
                url_name="capa:reviews",
                order=47,
                visible=permissions.can_read_reviews,
            )
        )

    def _register_post_incident_reviews(self):
        """The post-incident review: opened when an incident closes (its deadline is the
        incident's own post-incident-review clock), its sections and navigation."""
        from django.utils.translation import gettext_lazy as _

        from aims.core import visibility
        from aims.core.registry import (
            NavEntry,
            ReportSection,
            register_navigation,
            register_report_section,
        )
        from incidents.hooks import register_transition_listener
        from incidents.sections import IncidentSection, register_section

        from . import permissions, selectors
        from .models import PostIncidentReview, ReviewAction
        from .services.post_incident import review_open_on_close
        from .views import post_incident as views

        visibility.register(PostIncidentReview, selectors.reviews_visible_to)
        register_transition_listener(review_open_on_close)
        register_section(
            IncidentSection(
                name="post_incident_review",
                template="capa/_pir_incident_section.html",
                order=25,
                context=views.review_section,
            )
        )
        register_report_section(
            ReportSection(
                name="post_incident_review",
                title=_("Post-incident review"),
                order=35,
                template="capa/_pir_case_file.html",
                context=selectors.review_case_file_section,
                history=(
                    (PostIncidentReview, "incident_id", _("post-incident review")),
                    (ReviewAction, "review__incident_id", _("review action")),
                ),
            )
        )
        register_navigation(
            NavEntry(
                label=_("Post-incident reviews"),
                url_name="capa:pir-list",
                order=42,
                visible=permissions.can_read,
            )
        )
