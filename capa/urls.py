"""HTML pages of the learning loop."""

from django.urls import path

from . import views

app_name = "capa"

urlpatterns = [
    # CAPA records
    path("", views.register, name="register"),
    path("new/", views.capa_create, name="capa-create"),
    path("<int:pk>/", views.capa_detail, name="capa-detail"),
    path("<int:pk>/edit/", views.capa_edit, name="capa-edit"),
    path("<int:pk>/transition/", views.capa_transition, name="capa-transition"),
    path("<int:pk>/check/", views.check_plan, name="check-plan"),
    path("<int:pk>/check/result/", views.check_result, name="check-result"),
    path("<int:pk>/evidence/", views.evidence_add, name="evidence-add"),
    path("evidence/<int:pk>/download/", views.evidence_download, name="evidence-download"),
    path("incidents/<int:pk>/no-capa/", views.no_capa_decide, name="no-capa"),
    # audit findings
    path("findings/", views.findings, name="findings"),
    path("findings/new/", views.finding_create, name="finding-create"),
    path("findings/<int:pk>/", views.finding_detail, name="finding-detail"),
    path("findings/<int:pk>/transition/", views.finding_transition, name="finding-transition"),
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
    # management reviews (clause 9.3)
    path("management-reviews/", views.reviews, name="reviews"),
    path("management-reviews/new/", views.review_create, name="review-create"),
    path("management-reviews/<int:pk>/", views.review_detail, name="review-detail"),
    path("management-reviews/<int:pk>/edit/", views.review_edit, name="review-edit"),
    path(
        "management-reviews/<int:pk>/transition/", views.review_transition, name="review-transition"
    ),
    path("management-reviews/<int:pk>/actions/", views.review_action_add, name="review-action-add"),
]

# post-incident reviews
from .views import post_incident as pir_views  # noqa: E402

urlpatterns += [
    path("post-incident-reviews/", pir_views.review_list, name="pir-list"),
    path("post-incident-reviews/<int:pk>/", pir_views.review_detail, name="pir-detail"),
    path(
        "post-incident-reviews/<int:pk>/transition/",
        pir_views.review_transition,
        name="pir-transition",
    ),
    path("post-incident-reviews/<int:pk>/capas/", pir_views.review_capa, name="pir-capa"),
]
