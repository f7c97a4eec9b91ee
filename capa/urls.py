"""HTML pages of the learning loop."""

from django.urls import path

from . import views

app_name = "capa"

urlpatterns = [
    # root cause, scope and remediation of an incident (forms on the incident page)
    path("incidents/<int:pk>/root-causes/", views.root_cause_propose, name="root-cause-propose"),
    path("root-causes/<int:pk>/whys/", views.why_add, name="why-add"),
    path("root-causes/<int:pk>/diagnostics/", views.diagnostic_add, name="diagnostic-add"),
    path("root-causes/<int:pk>/evidence/", views.evidence_link, name="evidence-link"),
    path("root-causes/<int:pk>/confirm/", views.root_cause_confirm, name="root-cause-confirm"),
    path("root-causes/<int:pk>/rule-out/", views.root_cause_rule_out, name="root-cause-rule-out"),
    path("incidents/<int:pk>/scope/", views.scope_record, name="scope-record"),
    path(
        "incidents/<int:pk>/remediation/items/",
        views.remediation_item_add,
        name="remediation-item-add",
    ),
    path(
        "remediation-items/<int:pk>/done/",
        views.remediation_item_done,
        name="remediation-item-done",
    ),
    path(
        "incidents/<int:pk>/remediation/reprocessing/",
        views.reprocessing_update,
        name="reprocessing",
    ),
    path("incidents/<int:pk>/remediation/verify/", views.fix_verify, name="fix-verify"),
    path(
        "incidents/<int:pk>/remediation/restore/",
        views.normal_operation_restore,
        name="restore",
    ),
]
