"""HTML pages of the disclosure module."""

from django.urls import path

from . import system_views, views

app_name = "disclosure"

urlpatterns = [
    path("obligations/", views.obligations, name="obligations"),
    path("incidents/<int:pk>/refresh/", views.assessment_refresh, name="refresh"),
    path("incidents/<int:pk>/facts/", views.facts_update, name="facts"),
    path("incidents/<int:pk>/sign-off/", views.assessment_sign_off, name="sign-off"),
    path("incidents/<int:pk>/reopen/", views.assessment_reopen, name="reopen"),
    path("obligations/<int:pk>/confirm/", views.obligation_confirm, name="confirm"),
    path("obligations/<int:pk>/submit/", views.obligation_submit, name="submit"),
    path("obligations/<int:pk>/draft/", views.obligation_draft, name="draft"),
    path(
        "incidents/<int:pk>/communications/", views.communication_draft, name="communication-draft"
    ),
    path(
        "communications/<int:pk>/approve/",
        views.communication_approve,
        name="communication-approve",
    ),
    path("communications/<int:pk>/send/", views.communication_send, name="communication-send"),
    path(
        "incidents/<int:pk>/vendor-notices/",
        views.vendor_notice_record,
        name="vendor-notice-record",
    ),
    path(
        "vendor-notices/<int:pk>/acknowledge/",
        views.vendor_notice_acknowledge,
        name="vendor-notice-acknowledge",
    ),
    path("vendor-notices/<int:pk>/fix/", views.vendor_notice_fix, name="vendor-notice-fix"),
    path("systems/<int:pk>/facts/", system_views.system_facts_edit, name="system-facts"),
]

# --- affected individuals (legal and the DPO) ---
from . import individual_views  # noqa: E402

urlpatterns += [
    path(
        "incidents/<int:pk>/individuals/",
        individual_views.individuals_page,
        name="individuals",
    ),
    path(
        "incidents/<int:pk>/individuals/upload/",
        individual_views.individuals_upload,
        name="individuals-upload",
    ),
    path(
        "incidents/<int:pk>/individuals/status/",
        individual_views.individuals_status,
        name="individuals-status",
    ),
    path(
        "incidents/<int:pk>/individuals/export.csv",
        individual_views.individuals_export,
        name="individuals-export",
    ),
    path(
        "incidents/<int:pk>/individuals/file/",
        individual_views.individuals_file,
        name="individuals-file",
    ),
]

# --- editing a draft's text ---
from . import draft_views  # noqa: E402

urlpatterns += [
    path(
        "communications/<int:pk>/edit/",
        draft_views.communication_edit,
        name="communication-edit",
    ),
]
