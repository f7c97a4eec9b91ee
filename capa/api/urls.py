"""REST API of the learning loop."""

from django.urls import path

from . import views

urlpatterns = [
    # root cause, scope, remediation and recurrence of an incident
    path(
        "incidents/<int:pk>/root-causes/",
        views.IncidentRootCausesView.as_view(),
        name="incident-root-causes",
    ),
    path("root-causes/<int:pk>/", views.RootCauseView.as_view(), name="root-cause-detail"),
    path("root-causes/<int:pk>/whys/", views.WhysView.as_view(), name="root-cause-whys"),
    path(
        "root-causes/<int:pk>/diagnostics/",
        views.DiagnosticsView.as_view(),
        name="root-cause-diagnostics",
    ),
    path(
        "root-causes/<int:pk>/evidence/",
        views.EvidenceLinksView.as_view(),
        name="root-cause-evidence",
    ),
    path(
        "root-causes/<int:pk>/confirm/",
        views.RootCauseConfirmView.as_view(),
        name="root-cause-confirm",
    ),
    path(
        "root-causes/<int:pk>/rule-out/",
        views.RootCauseRuleOutView.as_view(),
        name="root-cause-rule-out",
    ),
    path("incidents/<int:pk>/scope/", views.ScopeView.as_view(), name="incident-scope"),
    path(
        "incidents/<int:pk>/remediation/",
        views.RemediationPlanView.as_view(),
        name="incident-remediation",
    ),
    path(
        "incidents/<int:pk>/remediation/items/",
        views.RemediationItemsView.as_view(),
        name="incident-remediation-items",
    ),
    path(
        "incidents/<int:pk>/remediation/reprocessing/",
        views.ReprocessingView.as_view(),
        name="incident-reprocessing",
    ),
    path(
        "incidents/<int:pk>/remediation/verify/",
        views.FixVerifyView.as_view(),
        name="incident-fix-verify",
    ),
    path(
        "incidents/<int:pk>/remediation/restore/",
        views.RestoreView.as_view(),
        name="incident-restore",
    ),
    path(
        "remediation-items/<int:pk>/done/",
        views.RemediationItemDoneView.as_view(),
        name="remediation-item-done",
    ),
    path(
        "incidents/<int:pk>/recurrences/",
        views.RecurrencesView.as_view(),
        name="incident-recurrences",
    ),
]
