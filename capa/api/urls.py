"""REST API of the learning loop."""

from django.urls import path

from aims.core.api.routers import ApiRouter

from . import actions, investigation, management_review

router = ApiRouter()
router.register("capas", actions.CapaViewSet, basename="capa")
router.register("findings", actions.FindingViewSet, basename="finding")
router.register(
    "management-reviews", management_review.ManagementReviewViewSet, basename="management-review"
)

urlpatterns = [
    path(
        "capa-evidence/<int:pk>/download/",
        actions.CapaEvidenceDownloadView.as_view(),
        name="capa-evidence-download",
    ),
    path("capa-suggestions/", actions.SuggestionsView.as_view(), name="capa-suggestions"),
    path("incidents/<int:pk>/capas/", actions.IncidentCapasView.as_view(), name="incident-capas"),
    path(
        "incidents/<int:pk>/no-capa-decision/",
        actions.NoCapaDecisionView.as_view(),
        name="incident-no-capa",
    ),
    # root cause, scope, remediation and recurrence of an incident
    path(
        "incidents/<int:pk>/root-causes/",
        investigation.IncidentRootCausesView.as_view(),
        name="incident-root-causes",
    ),
    path("root-causes/<int:pk>/", investigation.RootCauseView.as_view(), name="root-cause-detail"),
    path("root-causes/<int:pk>/whys/", investigation.WhysView.as_view(), name="root-cause-whys"),
    path(
        "root-causes/<int:pk>/diagnostics/",
        investigation.DiagnosticsView.as_view(),
        name="root-cause-diagnostics",
    ),
    path(
        "root-causes/<int:pk>/evidence/",
        investigation.EvidenceLinksView.as_view(),
        name="root-cause-evidence",
    ),
    path(
        "root-causes/<int:pk>/confirm/",
        investigation.RootCauseConfirmView.as_view(),
        name="root-cause-confirm",
    ),
    path(
        "root-causes/<int:pk>/rule-out/",
        investigation.RootCauseRuleOutView.as_view(),
        name="root-cause-rule-out",
    ),
    path("incidents/<int:pk>/scope/", investigation.ScopeView.as_view(), name="incident-scope"),
    path(
        "incidents/<int:pk>/remediation/",
        investigation.RemediationPlanView.as_view(),
        name="incident-remediation",
    ),
    path(
        "incidents/<int:pk>/remediation/items/",
        investigation.RemediationItemsView.as_view(),
        name="incident-remediation-items",
    ),
    path(
        "incidents/<int:pk>/remediation/reprocessing/",
        investigation.ReprocessingView.as_view(),
        name="incident-reprocessing",
    ),
    path(
        "incidents/<int:pk>/remediation/verify/",
        investigation.FixVerifyView.as_view(),
        name="incident-fix-verify",
    ),
    path(
        "incidents/<int:pk>/remediation/restore/",
        investigation.RestoreView.as_view(),
        name="incident-restore",
    ),
    path(
        "remediation-items/<int:pk>/done/",
        investigation.RemediationItemDoneView.as_view(),
        name="remediation-item-done",
    ),
    path(
        "incidents/<int:pk>/recurrences/",
        investigation.RecurrencesView.as_view(),
        name="incident-recurrences",
    ),
    *router.urls,
]

# post-incident reviews
from .post_incident import ReviewViewSet  # noqa: E402

review_router = ApiRouter()
review_router.register("post-incident-reviews", ReviewViewSet, basename="post-incident-review")
urlpatterns += review_router.urls
