from django.urls import path

from aims.core.api.routers import ApiRouter

from . import views

router = ApiRouter()
router.register("disclosure/regimes", views.RegimeRuleViewSet, basename="disclosure-regime")
router.register("obligations", views.ObligationViewSet, basename="obligation")
router.register("communications", views.CommunicationViewSet, basename="communication")
router.register("vendor-notices", views.VendorNoticeViewSet, basename="vendor-notice")

urlpatterns = [
    path("disclosure/evaluate/", views.EvaluateView.as_view(), name="disclosure-evaluate"),
    path(
        "incidents/<int:pk>/obligations/",
        views.IncidentObligationsView.as_view(),
        name="incident-obligations",
    ),
    path(
        "incidents/<int:pk>/disclosure/",
        views.IncidentDisclosureView.as_view(),
        name="incident-disclosure",
    ),
    path(
        "incidents/<int:pk>/disclosure/refresh/",
        views.IncidentDisclosureRefreshView.as_view(),
        name="incident-disclosure-refresh",
    ),
    path(
        "incidents/<int:pk>/disclosure/facts/",
        views.IncidentDisclosureFactsView.as_view(),
        name="incident-disclosure-facts",
    ),
    path(
        "incidents/<int:pk>/disclosure/sign-off/",
        views.IncidentDisclosureSignOffView.as_view(),
        name="incident-disclosure-sign-off",
    ),
    path(
        "incidents/<int:pk>/disclosure/reopen/",
        views.IncidentDisclosureReopenView.as_view(),
        name="incident-disclosure-reopen",
    ),
    path(
        "incidents/<int:pk>/communications/",
        views.IncidentCommunicationsView.as_view(),
        name="incident-communications",
    ),
    path(
        "incidents/<int:pk>/vendor-notices/",
        views.IncidentVendorNoticesView.as_view(),
        name="incident-vendor-notices",
    ),
    path(
        "systems/<int:pk>/disclosure-facts/",
        views.SystemDisclosureFactsView.as_view(),
        name="system-disclosure-facts",
    ),
    # --- affected individuals (legal and the DPO) ---
    path(
        "incidents/<int:pk>/affected-individuals/",
        views.IncidentIndividualsView.as_view(),
        name="incident-individuals",
    ),
    path(
        "incidents/<int:pk>/affected-individuals/people/",
        views.IncidentIndividualsPeopleView.as_view(),
        name="incident-individuals-people",
    ),
    path(
        "incidents/<int:pk>/affected-individuals/statuses/",
        views.IncidentIndividualsStatusView.as_view(),
        name="incident-individuals-statuses",
    ),
    path(
        "incidents/<int:pk>/affected-individuals/export/",
        views.IncidentIndividualsExportView.as_view(),
        name="incident-individuals-export",
    ),
    path(
        "incidents/<int:pk>/affected-individuals/file/",
        views.IncidentIndividualsFileView.as_view(),
        name="incident-individuals-file",
    ),
    path(
        "affected-individuals/<int:pk>/status/",
        views.AffectedIndividualStatusView.as_view(),
        name="affected-individual-status",
    ),
    *router.urls,
]
