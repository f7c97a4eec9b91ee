"""The admin writes nothing that has a service: every registered model is either reference data
(editable, named here with the reason) or read-only, and a superuser's write is refused."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

pytestmark = pytest.mark.django_db

# Reference data with no service rules of its own; the admin is where GRC edits it.
EDITABLE_REFERENCE = {
    "accounts.user": "accounts and roles (support)",
    "auth.group": "roles are groups",
    "authtoken.tokenproxy": "API tokens (support)",
    "clocks.clockpolicy": "deadlines as data (DESIGN section 4)",
    "clocks.businesscalendar": "business days as data",
    "notify.webhookendpoint": "delivery channels",
    "notify.pagingservice": "paging channels (keys from the environment, or write-only)",
    "disclosure.communicationplanentry": "the communication plan (documented information)",
    "capa.recurrencepolicy": "the recurrence window (policy data GRC edits)",
    "accounts.singlesignonrolemapping": "which provider claims give which role (single sign-on)",
    "inventory.modelregistrylink": "which MLflow model a system is (credentials in the environment)",
}
# Third-party support tools with no records of ours: sign-in lock-outs (unlocking is a delete).
SUPPORT_APPS = {"axes"}
# Editable in the admin, but every save goes through the record's service.
THROUGH_SERVICES = {"disclosure.regimerule": "the regulatory rules (legal and GRC)"}


@pytest.fixture
def superuser_request(make_user):
    user = make_user("grc", admin=True)
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _writes(model_admin, request) -> dict:
    return {
        "add": model_admin.has_add_permission(request),
        "change": model_admin.has_change_permission(request),
        "delete": model_admin.has_delete_permission(request),
    }


def test_every_registered_model_is_reference_data_or_read_only(superuser_request):
    registered = {
        model._meta.label_lower: ma
        for model, ma in admin.site._registry.items()
        if model._meta.app_label not in SUPPORT_APPS
    }
    assert set(EDITABLE_REFERENCE) <= set(registered), "a named reference model is not registered"
    read_only = set(registered) - set(EDITABLE_REFERENCE) - set(THROUGH_SERVICES)
    assert {"inventory.aisystem", "inventory.deployment", "notify.delivery", "clocks.clock"} <= (
        read_only
    )
    for label, model_admin in registered.items():
        writes = _writes(model_admin, superuser_request)
        if label in EDITABLE_REFERENCE:
            assert writes["change"], f"{label} is named editable but is not"
            continue
        if label in THROUGH_SERVICES:
            assert type(model_admin).save_model is not admin.ModelAdmin.save_model, label
            assert writes == {"add": False, "change": True, "delete": False}, label
            continue
        assert writes == {"add": False, "change": False, "delete": False}, label
        for inline in model_admin.get_inline_instances(superuser_request):
            assert not inline.has_add_permission(superuser_request, None), label
            assert not inline.has_change_permission(superuser_request), label
            assert not inline.has_delete_permission(superuser_request), label
