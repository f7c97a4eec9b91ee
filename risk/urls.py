"""HTML pages of the risk module."""

from django.urls import path

from . import atlas, views

app_name = "risk"

urlpatterns = [
    path("", views.register, name="register"),
    path("new/", views.risk_create, name="risk-create"),
    path("<int:pk>/", views.risk_detail, name="risk-detail"),
    path("<int:pk>/edit/", views.risk_edit, name="risk-edit"),
    path("<int:pk>/transition/", views.risk_transition, name="risk-transition"),
    path("<int:pk>/review/", views.risk_review, name="risk-review"),
    path("<int:pk>/atlas/", atlas.risk_atlas_edit, name="risk-atlas"),
    path("methodology/", views.methodology_list, name="methodology"),
    path("methodology/new/", views.methodology_draft, name="methodology-draft"),
    path("methodology/<int:pk>/", views.methodology_detail, name="methodology-detail"),
    path("methodology/<int:pk>/approve/", views.methodology_approve, name="methodology-approve"),
    path("controls/", views.soa, name="soa"),
    path("controls/<int:pk>/", views.control_detail, name="control-detail"),
    path("controls/<int:pk>/statement/", views.control_update, name="control-update"),
    path("controls/<int:pk>/evidence/", views.evidence_add, name="evidence-add"),
    path(
        "controls/<int:pk>/evidence/<int:link_pk>/remove/",
        views.evidence_remove,
        name="evidence-remove",
    ),
    path("evidence-map/", views.evidence_map, name="evidence-map"),
    path("incidents/<int:pk>/link/", views.incident_risk_link, name="incident-link"),
    path("incidents/<int:pk>/rerate/", views.incident_risk_rerate, name="incident-rerate"),
    path("incidents/<int:pk>/raise/", views.incident_risk_raise, name="incident-raise"),
    path("impact/", views.impact_list, name="impact-list"),
    path("impact/new/", views.impact_create, name="impact-create"),
    path("impact/<int:pk>/", views.impact_detail, name="impact-detail"),
    path("impact/<int:pk>/edit/", views.impact_edit, name="impact-edit"),
    path("impact/<int:pk>/transition/", views.impact_transition, name="impact-transition"),
    path(
        "incidents/<int:pk>/risk-review/", views.incident_risk_review, name="incident-risk-review"
    ),
    path("systems/<int:pk>/trail/", views.system_trail, name="system-trail"),
    path("consistency/", views.consistency, name="consistency"),
    # documented information and retention
    path("documents/", views.document_list, name="documents"),
    path("documents/new/", views.document_create, name="document-create"),
    path("documents/<int:pk>/", views.document_detail, name="document-detail"),
    path("documents/<int:pk>/edit/", views.document_edit, name="document-edit"),
    path("documents/<int:pk>/versions/", views.version_create, name="version-create"),
    path(
        "documents/<int:pk>/versions/<int:version_pk>/approve/",
        views.version_approve,
        name="version-approve",
    ),
    path(
        "documents/<int:pk>/versions/<int:version_pk>/outdated/",
        views.version_outdated,
        name="version-outdated",
    ),
    path(
        "documents/<int:pk>/versions/<int:version_pk>/file/",
        views.version_file,
        name="version-file",
    ),
    path("retention/", views.retention, name="retention"),
    path("retention/<int:pk>/", views.retention_rule_update, name="retention-rule-update"),
    path("incidents/<int:pk>/legal-hold/", views.legal_hold_place, name="legal-hold-place"),
    path(
        "incidents/<int:pk>/legal-hold/<int:hold_pk>/release/",
        views.legal_hold_release,
        name="legal-hold-release",
    ),
]
