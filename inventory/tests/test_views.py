"""The inventory's HTML pages: list, detail, forms, refusals, concurrency and query counts."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aims.accounts.models import User
from inventory import services
from inventory.models import AISystem, Deployment, ModelVersion, MonitoringRule

pytestmark = pytest.mark.django_db

LIST_URL = reverse("inventory:system-list")


def system_post_data(owner, **overrides):
    """A complete, valid POST body for the system form."""
    data = {
        "name": "Credit scoring",
        "intended_purpose": "Score retail loan applications",
        "description": "",
        "lifecycle_status": "design",
        "deployment_environment": "",
        "business_owner": owner.pk,
        "technical_owner": "",
        "organization_role": "deployer",
        "internal_risk_tier": "medium",
        "eu_ai_act_class": "not_assessed",
        "annex_iii_area": "",
        "affected_populations": "",
        "human_oversight": "in_the_loop",
        "gdpr_role": "none",
        "hipaa_role": "none",
        "nis2_entity": "none",
        "supplier": "",
        "supplier_contract": "",
        "validation_status": "not_validated",
        "model_card_url": "",
        "in_aims_scope": "on",
        "scope_exclusion_justification": "",
    }
    data.update(overrides)
    return data


def form_post_data(form, **overrides):
    """What a browser would send back for ``form`` as rendered, with some values changed."""
    data = {}
    for bound in form:
        value = bound.value()
        if bound.widget_type == "checkbox":
            if value:
                data[bound.name] = "on"
            continue
        if value is None:
            value = ""
        data[bound.name] = value
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def add_version(system, actor, label="1.0", **data):
    return services.model_version_create(
        actor=actor, system=system, data={"version_label": label, **data}
    )


def deploy(system, actor, version, *, hours_ago=1, environment="production", **data):
    return services.deployment_record(
        actor=actor,
        system=system,
        data={
            "model_version": version,
            "environment": environment,
            "deployed_at": timezone.now() - timedelta(hours=hours_ago),
            **data,
        },
    )


def row_order(content: str, *names: str) -> list[int]:
    return [content.index(name) for name in names]


# --- access --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_user_without_role_is_refused(client, make_system):
    system = make_system()
    nobody = User.objects.create_user("nobody", password="pw-Secret-123")
    client.force_login(nobody)
    for url in [
        LIST_URL,
        reverse("inventory:system-create"),
        system.get_absolute_url(),
        reverse("inventory:system-edit", args=[system.pk]),
        reverse("inventory:deployment-create", args=[system.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "no role" in response.content.decode()


def test_sign_in_page_renders(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "<title>Sign in · AIMS Register</title>" in response.content.decode()


# --- list ----------------------------------------------------------------------------------


def test_list_shows_systems_and_new_button_for_grc(client, users, make_system):
    system = make_system(name="Support chatbot", eu_market=True)
    add_version(system, users["grc"])
    client.force_login(users["grc"])
    response = client.get(LIST_URL)
    content = response.content.decode()
    assert response.status_code == 200
    assert "<title>AI systems · AIMS Register</title>" in content
    assert system.reference in content
    assert "Support chatbot" in content
    assert 'class="chip chip-flag">EU market<' in content
    assert "New AI system" in content


def test_list_hides_new_button_from_auditor(client, users, make_system):
    make_system()
    client.force_login(users["grc"])
    assert "New AI system" in client.get(LIST_URL).content.decode()  # the button exists
    client.force_login(users["auditor"])
    content = client.get(LIST_URL).content.decode()
    assert "New AI system" not in content


def test_list_empty_state(client, users):
    client.force_login(users["grc"])
    assert "no AI systems yet" in client.get(LIST_URL).content.decode()
    content = client.get(LIST_URL, {"q": "nothing like this"}).content.decode()
    assert "No AI systems match these filters." in content


def test_list_search_by_name_and_by_reference(client, users, make_system):
    chatbot = make_system(name="Support chatbot")
    scoring = make_system(name="Credit scoring")
    client.force_login(users["auditor"])

    content = client.get(LIST_URL, {"q": "chatbot"}).content.decode()
    assert "Support chatbot" in content
    assert "Credit scoring" not in content

    content = client.get(LIST_URL, {"q": scoring.reference}).content.decode()
    assert "Credit scoring" in content
    assert chatbot.reference not in content


def test_list_filters_by_status_flag_and_owner(client, users, make_user, make_system):
    other_owner = make_user("engineer", username="olga")
    make_system(name="Live one", lifecycle_status="production", eu_market=True)
    make_system(name="Draft one", business_owner=other_owner, dora_financial_entity=True)
    client.force_login(users["grc"])

    content = client.get(LIST_URL, {"lifecycle_status": "production"}).content.decode()
    assert "Live one" in content and "Draft one" not in content

    content = client.get(LIST_URL, {"flag": "dora"}).content.decode()
    assert "Draft one" in content and "Live one" not in content

    content = client.get(LIST_URL, {"owner": other_owner.pk}).content.decode()
    assert "Draft one" in content and "Live one" not in content
    assert f'<option value="{other_owner.pk}" selected>' in content

    # An empty select (as a GET form sends it) means "any".
    content = client.get(LIST_URL, {"lifecycle_status": "", "flag": ""}).content.decode()
    assert "Draft one" in content and "Live one" in content
    assert "Some filters were ignored" not in content

    # A wrong value (a hand-edited URL) is ignored and said so.
    content = client.get(LIST_URL, {"lifecycle_status": "bogus"}).content.decode()
    assert "Draft one" in content and "Live one" in content
    assert "Some filters were ignored: Status:" in content


def test_htmx_request_gets_only_the_results(client, users, make_system):
    make_system(name="Support chatbot")
    make_system(name="Credit scoring")
    client.force_login(users["grc"])
    response = client.get(LIST_URL, {"q": "chatbot"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert 'id="filter-form"' not in content
    assert "Support chatbot" in content
    assert "Credit scoring" not in content


def test_htmx_history_restore_gets_the_whole_page(client, users, make_system):
    make_system()
    client.force_login(users["grc"])
    response = client.get(LIST_URL, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_list_sorts_by_column(client, users, make_system):
    make_system(name="Bravo")
    make_system(name="Alpha")
    make_system(name="Charlie")
    client.force_login(users["grc"])

    content = client.get(LIST_URL).content.decode()  # by reference unless told otherwise
    b, a, c = row_order(content, ">Bravo<", ">Alpha<", ">Charlie<")
    assert b < a < c

    content = client.get(LIST_URL, {"ordering": "name"}).content.decode()
    a, b, c = row_order(content, ">Alpha<", ">Bravo<", ">Charlie<")
    assert a < b < c
    assert 'aria-sort="ascending"' in content

    content = client.get(LIST_URL, {"ordering": "-name"}).content.decode()
    a, b, c = row_order(content, ">Alpha<", ">Bravo<", ">Charlie<")
    assert c < b < a
    assert 'aria-sort="descending"' in content
    # The sort stays with the filter form, so the next filter keeps it.
    assert 'name="ordering" value="-name" form="filter-form"' in content


def test_list_paginates(client, users, make_system):
    for n in range(27):
        make_system(name=f"Paged {n:02d}")
    client.force_login(users["grc"])
    first = client.get(LIST_URL).content.decode()
    assert "Page 1 of 2" in first
    assert "27 AI systems" in first
    second = client.get(LIST_URL, {"page": 2}).content.decode()
    assert "Page 2 of 2" in second
    assert second.count('<tr>\n      <td class="nowrap">') == 2


def test_list_query_count_does_not_grow_with_systems(client, users, make_system):
    def populate(count):
        for _n in range(count):
            system = make_system(eu_market=True, gdpr_role="controller")
            add_version(system, users["grc"])

    client.force_login(users["grc"])
    client.get(LIST_URL)  # warm the session

    populate(3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST_URL).status_code == 200
    populate(27)
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST_URL).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(few) <= 10


# --- detail --------------------------------------------------------------------------------


def test_detail_shows_versions_change_log_rules_and_production_version(client, users, make_system):
    engineer = users["engineer"]
    system = make_system(name="Support chatbot")
    old = add_version(system, engineer, "1.0", artifact_digest="sha256:aaaa")
    new = add_version(system, engineer, "2.0", training_data_version="td-2025-10")
    deploy(system, engineer, old, hours_ago=48, change_reference="CHG-1")
    deploy(system, engineer, new, hours_ago=2, change_reference="CHG-2")
    deploy(system, engineer, old, hours_ago=1, change_type="rollback", change_reference="CHG-3")
    deploy(system, engineer, new, hours_ago=0.5, environment="staging")
    services.monitoring_rule_create(
        actor=engineer,
        system=system,
        data={"metric": "answer_drift_psi", "threshold": "0.250000", "channel": "ml-oncall"},
    )
    client.force_login(users["auditor"])

    with CaptureQueriesContext(connection) as queries:
        response = client.get(system.get_absolute_url())
    content = response.content.decode()
    assert response.status_code == 200
    assert len(queries) <= 14  # the exact count: tests/query_baselines.json (page_system)
    assert f"<title>{system.reference} Support chatbot · AI systems · AIMS Register" in content
    assert "sha256:aaaa" in content and "td-2025-10" in content
    # Change log newest first; the rollback put 1.0 back in production.
    assert content.index("CHG-3") < content.index("CHG-2") < content.index("CHG-1")
    assert "Rollback" in content
    production = content[content.index("Currently in production") :]
    assert '<p class="big">1.0</p>' in production
    assert "answer_drift_psi" in content and "&gt; 0.25" in content
    # The auditor changes nothing: no edit, no record buttons, no approval.
    assert "History" in content
    assert reverse("inventory:system-edit", args=[system.pk]) not in content
    assert "Record deployment" not in content
    assert "/approve/" not in content


def test_detail_shows_actions_to_owner_and_approve_to_manager(client, users, make_system):
    system = make_system()
    version = add_version(system, users["engineer"], "1.0")
    client.force_login(users["engineer"])
    content = client.get(system.get_absolute_url()).content.decode()
    approve_url = reverse("inventory:model-version-approve", args=[version.pk])
    assert "Record deployment" in content and "Add model version" in content
    assert approve_url not in content

    client.force_login(users["risk_officer"])
    content = client.get(system.get_absolute_url()).content.decode()
    assert approve_url in content


def test_detail_of_unknown_system_is_404(client, users):
    client.force_login(users["grc"])
    assert client.get(reverse("inventory:system-detail", args=[999999])).status_code == 404


# --- create and edit -----------------------------------------------------------------------


def test_create_as_grc_redirects_to_the_new_system(client, users):
    client.force_login(users["grc"])
    assert client.get(reverse("inventory:system-create")).status_code == 200
    response = client.post(
        reverse("inventory:system-create"),
        system_post_data(users["engineer"], data_categories=["personal", "financial"]),
    )
    system = AISystem.objects.get(name="Credit scoring")
    assert response.status_code == 302
    assert response.url == system.get_absolute_url()
    assert re.fullmatch(r"AIS-\d{4}", system.reference)
    assert system.data_categories == ["personal", "financial"]
    assert system.business_owner == users["engineer"]

    page = client.get(response.url).content.decode()
    assert f"{system.reference} Credit scoring was added to the inventory." in page
    assert system.reference in client.get(LIST_URL).content.decode()


@pytest.mark.parametrize("role", ["auditor", "executive", "engineer"])
def test_create_refused_for_roles_that_do_not_manage(client, users, role):
    client.force_login(users[role])
    assert client.get(reverse("inventory:system-create")).status_code == 403
    response = client.post(reverse("inventory:system-create"), system_post_data(users[role]))
    assert response.status_code == 403
    assert not AISystem.objects.exists()


def test_high_risk_without_annex_area_is_shown_and_nothing_saved(client, users):
    client.force_login(users["grc"])
    response = client.post(
        reverse("inventory:system-create"),
        system_post_data(users["engineer"], eu_ai_act_class="high_risk"),
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "A high-risk system needs its Annex III area" in content
    assert not AISystem.objects.exists()


def test_service_validation_error_lands_on_the_field(client, users, monkeypatch):
    """Errors the form cannot see (raised by the service) still show next to their field."""
    from aims.core.exceptions import ValidationFailed

    def refuse(**kwargs):
        raise ValidationFailed(
            "supplier: Unknown supplier.", fields={"supplier": ["Unknown supplier."]}
        )

    monkeypatch.setattr(services, "system_create", refuse)
    client.force_login(users["grc"])
    response = client.post(
        reverse("inventory:system-create"), system_post_data(users["engineer"], supplier="ACME")
    )
    form = response.context["form"]
    assert form.errors["supplier"] == ["Unknown supplier."]
    assert "Unknown supplier." in response.content.decode()


def test_edit_by_business_owner(client, users, make_system):
    system = make_system(name="Old name")
    client.force_login(users["engineer"])
    url = reverse("inventory:system-edit", args=[system.pk])
    form = client.get(url).context["form"]
    response = client.post(url, form_post_data(form, name="New name"))
    assert response.status_code == 302
    system.refresh_from_db()
    assert system.name == "New name"


def test_edit_refused_for_engineer_who_does_not_own(client, users, make_user, make_system):
    system = make_system(name="Not yours")
    stranger = make_user("engineer", username="stranger")
    client.force_login(stranger)
    url = reverse("inventory:system-edit", args=[system.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, system_post_data(users["engineer"], name="Hijacked"))
    assert response.status_code == 403
    system.refresh_from_db()
    assert system.name == "Not yours"


def test_stale_edit_is_refused_and_does_not_overwrite(client, users, make_system):
    system = make_system(name="Original")
    client.force_login(users["engineer"])
    url = reverse("inventory:system-edit", args=[system.pk])
    form = client.get(url).context["form"]

    # Someone else saves in between.
    services.system_update(actor=users["grc"], system=system, data={"name": "Changed by GRC"})

    response = client.post(url, form_post_data(form, name="My change"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "changed by someone else" in content
    system.refresh_from_db()
    assert system.name == "Changed by GRC"


def test_edit_then_history_shows_label_old_new_and_who(client, users, make_user, make_system):
    system = make_system(name="Before")
    rita = make_user("risk_officer", username="rita", first_name="Rita", last_name="Risk")
    client.force_login(rita)
    url = reverse("inventory:system-edit", args=[system.pk])
    form = client.get(url).context["form"]
    assert client.post(url, form_post_data(form, name="After")).status_code == 302

    client.force_login(users["auditor"])
    history = client.get(f"/history/inventory/aisystem/{system.pk}/")
    content = history.content.decode()
    assert history.status_code == 200
    assert "<td>Name</td>" in content
    assert '<td class="old">Before</td>' in content
    assert '<td class="new">After</td>' in content
    assert "Rita Risk" in content


# --- versions, deployments, monitoring rules ----------------------------------------------


def test_model_version_create_by_owner(client, users, make_system):
    system = make_system()
    client.force_login(users["engineer"])
    url = reverse("inventory:model-version-create", args=[system.pk])
    page = client.get(url).content.decode()
    assert system.reference in page  # breadcrumb back to the system
    response = client.post(url, {"version_label": "3.1", "artifact_digest": "sha256:beef"})
    assert response.status_code == 302
    assert ModelVersion.objects.get(system=system).version_label == "3.1"

    duplicate = client.post(url, {"version_label": "3.1"})
    assert duplicate.status_code == 200
    assert "already has a version with that label" in duplicate.content.decode()


def test_record_pages_refused_for_engineer_who_does_not_own(client, make_user, make_system):
    system = make_system()
    client.force_login(make_user("engineer", username="stranger"))
    for name in ["model-version-create", "deployment-create", "monitoring-rule-create"]:
        assert client.get(reverse(f"inventory:{name}", args=[system.pk])).status_code == 403


def test_deployment_create_by_owner_appears_in_change_log(client, users, make_system):
    system = make_system()
    version = add_version(system, users["engineer"], "4.2")
    client.force_login(users["engineer"])
    url = reverse("inventory:deployment-create", args=[system.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "model_version": version.pk,
            "environment": "production",
            "deployed_at": (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "change_type": "deploy",
            "change_reference": "CHG-4242",
            "notes": "",
        },
    )
    assert response.status_code == 302
    deployment = Deployment.objects.get(system=system)
    assert deployment.deployed_by == users["engineer"]

    content = client.get(system.get_absolute_url()).content.decode()
    assert "CHG-4242" in content
    assert '<p class="big">4.2</p>' in content


def test_deployment_before_1970_is_refused_in_the_words_of_the_api(client, users, make_system):
    system = make_system()
    version = add_version(system, users["engineer"])
    client.force_login(users["engineer"])
    url = reverse("inventory:deployment-create", args=[system.pk])

    def post(deployed_at):
        return client.post(
            url,
            {
                "model_version": version.pk,
                "environment": "production",
                "deployed_at": deployed_at,
                "change_type": "deploy",
                "change_reference": "CHG-1",
                "notes": "",
            },
        )

    response = post("1960-03-01T10:00")
    assert response.status_code == 200
    assert response.context["form"].errors["deployed_at"] == [
        "1960-03-01T10:00:00+00:00 is before 1970: check the year."
    ]
    assert not Deployment.objects.filter(system=system).exists()
    assert post("1971-03-01T10:00").status_code == 302  # the control


def test_deployment_in_the_future_is_refused(client, users, make_system):
    system = make_system()
    version = add_version(system, users["engineer"])
    client.force_login(users["engineer"])
    response = client.post(
        reverse("inventory:deployment-create", args=[system.pk]),
        {
            "model_version": version.pk,
            "environment": "production",
            "deployed_at": (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "change_type": "deploy",
        },
    )
    assert response.status_code == 200
    assert "cannot be recorded in the future" in response.content.decode()
    assert not Deployment.objects.exists()


def test_deployment_offers_only_this_systems_versions(client, users, make_system):
    mine = make_system()
    other = make_system()
    add_version(mine, users["grc"], "mine-1")
    foreign = add_version(other, users["grc"], "other-1")
    client.force_login(users["grc"])
    url = reverse("inventory:deployment-create", args=[mine.pk])
    content = client.get(url).content.decode()
    assert "mine-1" in content and "other-1" not in content
    response = client.post(
        url,
        {
            "model_version": foreign.pk,
            "environment": "production",
            "deployed_at": "2025-01-01T10:00",
            "change_type": "deploy",
        },
    )
    assert response.status_code == 200
    assert not Deployment.objects.exists()


def test_model_version_approve_by_risk_officer(client, users, make_system):
    system = make_system()
    version = add_version(system, users["engineer"])
    client.force_login(users["risk_officer"])
    response = client.post(reverse("inventory:model-version-approve", args=[version.pk]))
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.approved_by == users["risk_officer"]
    assert version.approved_at is not None

    again = client.post(reverse("inventory:model-version-approve", args=[version.pk]), follow=True)
    assert "was already approved" in again.content.decode()


def test_model_version_approve_refused_for_owner(client, users, make_system):
    system = make_system()
    version = add_version(system, users["engineer"])
    client.force_login(users["engineer"])
    response = client.post(reverse("inventory:model-version-approve", args=[version.pk]))
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.approved_at is None
    assert (
        client.get(reverse("inventory:model-version-approve", args=[version.pk])).status_code == 405
    )


def test_monitoring_rule_create_and_threshold_change_needs_reason(client, users, make_system):
    system = make_system()
    client.force_login(users["engineer"])
    response = client.post(
        reverse("inventory:monitoring-rule-create", args=[system.pk]),
        {
            "metric": "approval_rate_drift_psi",
            "comparison": "gt",
            "threshold": "0.2",
            "window": "1d",
            "channel": "alertmanager: ml-oncall",
            "active": "on",
        },
    )
    assert response.status_code == 302
    rule = MonitoringRule.objects.get(system=system)

    url = reverse("inventory:monitoring-rule-edit", args=[rule.pk])
    form = client.get(url).context["form"]
    response = client.post(url, form_post_data(form, threshold="0.3", change_reason=""))
    assert response.status_code == 200
    assert "required when the threshold changes" in response.content.decode()
    rule.refresh_from_db()
    assert str(rule.threshold) == "0.200000"

    response = client.post(
        url, form_post_data(form, threshold="0.3", change_reason="INC-2026-0001 false alarms")
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert str(rule.threshold) == "0.300000"
