"""Inventory API: CRUD, the change log's version-at answer, concurrency, and who may do what."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory import services
from inventory.models import AISystem, Deployment

pytestmark = pytest.mark.django_db

READ_ONLY_ROLES = ["dpo", "legal", "ciso", "executive", "auditor", "ethics"]


def system_payload(owner, **extra):
    return {
        "name": "Résumé screener",
        "intended_purpose": "Rank applications",
        "business_owner": owner.pk,
        **extra,
    }


def with_version(system, actor, label="v1"):
    return services.model_version_create(actor=actor, system=system, data={"version_label": label})


# --- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["grc", "risk_officer", "engineer", *READ_ONLY_ROLES])
def test_every_role_reads_the_inventory(role, users, make_system, api_client_for):
    system = make_system()
    response = api_client_for(users[role]).get("/api/v1/systems/")
    assert response.status_code == 200
    assert [s["reference"] for s in response.json()["results"]] == [system.reference]


def test_anonymous_gets_401_with_a_json_message(api_client_for):
    response = api_client_for(None).get("/api/v1/systems/")
    assert response.status_code == 401
    assert response.json()["message"] == "Authentication credentials were not provided."


def test_user_without_a_role_is_refused(make_user, api_client_for):
    from aims.accounts.models import User

    nobody = User.objects.create_user("nobody", password="x-Secret-99")
    response = api_client_for(nobody).get("/api/v1/systems/")
    assert response.status_code == 403
    assert "no role" in response.json()["message"]


def test_list_filters_search_and_paginates(users, make_system, api_client_for):
    make_system(name="Credit scoring", lifecycle_status="production")
    make_system(name="Chatbot", lifecycle_status="design", eu_market=True)
    client = api_client_for(users["auditor"])
    names = lambda r: [s["name"] for s in r.json()["results"]]  # noqa: E731
    assert names(client.get("/api/v1/systems/?lifecycle_status=production")) == ["Credit scoring"]
    assert names(client.get("/api/v1/systems/?q=chatbot")) == ["Chatbot"]
    assert names(client.get("/api/v1/systems/?q=AIS-0001")) == ["Credit scoring"]
    assert names(client.get("/api/v1/systems/?flag=eu_market")) == ["Chatbot"]
    page = client.get("/api/v1/systems/?page_size=1&ordering=-reference").json()
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"]


def test_list_query_count_does_not_grow_with_systems(
    users, make_system, api_client_for, django_assert_max_num_queries
):
    client = api_client_for(users["auditor"])
    for _ in range(3):
        make_system()
    with django_assert_max_num_queries(8) as small:
        client.get("/api/v1/systems/")
    for _ in range(20):
        make_system()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/api/v1/systems/")
    assert response.json()["count"] == 23


# --- writing systems -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["grc", "risk_officer"])
def test_managers_create_systems_with_sequential_references(role, users, api_client_for):
    client = api_client_for(users[role])
    first = client.post("/api/v1/systems/", system_payload(users["engineer"]), format="json")
    second = client.post(
        "/api/v1/systems/", system_payload(users["engineer"], name="Other"), format="json"
    )
    assert first.status_code == 201, first.json()
    assert (first.json()["reference"], second.json()["reference"]) == ("AIS-0001", "AIS-0002")
    assert first.json()["business_owner_detail"]["username"] == "engineer"


@pytest.mark.parametrize("role", ["engineer", *READ_ONLY_ROLES])
def test_other_roles_cannot_create_systems(role, users, api_client_for):
    response = api_client_for(users[role]).post(
        "/api/v1/systems/", system_payload(users["engineer"]), format="json"
    )
    assert response.status_code == 403
    assert AISystem.objects.count() == 0


def test_invalid_system_answers_400_naming_each_problem(users, api_client_for):
    client = api_client_for(users["grc"])
    response = client.post("/api/v1/systems/", {"name": ""}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert set(body["fields"]) >= {"name", "intended_purpose", "business_owner"}

    response = client.post(
        "/api/v1/systems/",
        system_payload(users["engineer"], eu_ai_act_class="high_risk"),
        format="json",
    )
    assert response.status_code == 400
    assert "Annex III area" in response.json()["message"]
    assert "annex_iii_area" in response.json()["fields"]

    response = client.post(
        "/api/v1/systems/",
        system_payload(users["engineer"], data_categories=["secrets"]),
        format="json",
    )
    assert response.status_code == 400 and "data_categories" in response.json()["fields"]
    assert AISystem.objects.count() == 0


def test_excluding_a_system_from_scope_needs_a_justification(users, api_client_for):
    client = api_client_for(users["grc"])
    response = client.post(
        "/api/v1/systems/", system_payload(users["engineer"], in_aims_scope=False), format="json"
    )
    assert response.status_code == 400
    assert "justification" in response.json()["message"]
    response = client.post(
        "/api/v1/systems/",
        system_payload(
            users["engineer"],
            in_aims_scope=False,
            scope_exclusion_justification="Internal prototype",
        ),
        format="json",
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("grc", True),
        ("risk_officer", True),
        ("owner", True),
        ("technical_owner", True),
        ("engineer", False),
        *[(role, False) for role in READ_ONLY_ROLES],
    ],
)
def test_who_may_edit_a_system(who, allowed, users, make_user, make_system, api_client_for):
    owner, tech = make_user("engineer"), make_user("engineer")
    system = make_system(business_owner=owner, technical_owner=tech)
    actor = {"owner": owner, "technical_owner": tech}.get(who) or users[who]
    response = api_client_for(actor).patch(
        f"/api/v1/systems/{system.pk}/", {"name": "Renamed"}, format="json"
    )
    system.refresh_from_db()
    if allowed:
        assert response.status_code == 200, response.json()
        assert system.name == "Renamed"
        assert system.history.first().history_user == actor
    else:
        assert response.status_code == 403
        assert system.name != "Renamed"


def test_stale_if_match_is_refused_with_412_and_nothing_is_overwritten(
    users, make_system, api_client_for
):
    system = make_system(name="Original")
    grc, risk = api_client_for(users["grc"]), api_client_for(users["risk_officer"])
    etag = grc.get(f"/api/v1/systems/{system.pk}/")["ETag"]
    first = risk.patch(
        f"/api/v1/systems/{system.pk}/", {"name": "Risk's edit"}, format="json", HTTP_IF_MATCH=etag
    )
    assert first.status_code == 200
    stale = grc.patch(
        f"/api/v1/systems/{system.pk}/", {"name": "GRC's edit"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"
    system.refresh_from_db()
    assert system.name == "Risk's edit"
    fresh = grc.patch(
        f"/api/v1/systems/{system.pk}/",
        {"name": "GRC's edit"},
        format="json",
        HTTP_IF_MATCH=first["ETag"],
    )
    assert fresh.status_code == 200


def test_delete_is_for_managers_and_refused_while_referenced(users, make_system, api_client_for):
    system = make_system()
    assert (
        api_client_for(users["engineer"]).delete(f"/api/v1/systems/{system.pk}/").status_code == 403
    )
    with_version(system, users["grc"])
    response = api_client_for(users["grc"]).delete(f"/api/v1/systems/{system.pk}/")
    assert response.status_code == 409
    assert "still referenced" in response.json()["message"]
    other = make_system()
    assert api_client_for(users["grc"]).delete(f"/api/v1/systems/{other.pk}/").status_code == 204
    assert other.history.first().history_type == "-"


# --- versions, the change log, version-at ------------------------------------------------------------


def test_owner_records_versions_and_deployments_but_not_for_other_systems(
    users, make_user, make_system, api_client_for
):
    owner = make_user("engineer")
    mine, theirs = make_system(business_owner=owner), make_system()
    client = api_client_for(owner)
    response = client.post(
        "/api/v1/model-versions/",
        {"system": mine.pk, "version_label": "2.0", "artifact_digest": "sha256:abc"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    version_id = response.json()["id"]
    response = client.post(
        "/api/v1/deployments/",
        {
            "system": mine.pk,
            "model_version": version_id,
            "change_type": "deploy",
            "change_reference": "PR-12",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["deployed_by"]["id"] == owner.pk

    refused = client.post(
        "/api/v1/model-versions/", {"system": theirs.pk, "version_label": "x"}, format="json"
    )
    assert refused.status_code == 403
    other_version = with_version(theirs, users["grc"])
    refused = client.post(
        "/api/v1/deployments/",
        {"system": theirs.pk, "model_version": other_version.pk},
        format="json",
    )
    assert refused.status_code == 403


@pytest.mark.parametrize("role", READ_ONLY_ROLES)
def test_read_only_roles_record_nothing(role, users, make_system, api_client_for):
    system = make_system()
    version = with_version(system, users["grc"])
    client = api_client_for(users[role])
    assert (
        client.post(
            "/api/v1/model-versions/", {"system": system.pk, "version_label": "x"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/deployments/", {"system": system.pk, "model_version": version.pk}
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/monitoring-rules/",
            {"system": system.pk, "metric": "m", "threshold": "1", "channel": "c"},
        ).status_code
        == 403
    )
    assert Deployment.objects.count() == 0


def test_deployment_of_another_systems_version_is_refused(users, make_system, api_client_for):
    a, b = make_system(), make_system()
    version_b = with_version(b, users["grc"])
    response = api_client_for(users["grc"]).post(
        "/api/v1/deployments/", {"system": a.pk, "model_version": version_b.pk}, format="json"
    )
    assert response.status_code == 400
    assert "belongs to another AI system" in response.json()["message"]


def test_duplicate_version_label_is_a_clear_400(users, make_system, api_client_for):
    system = make_system()
    with_version(system, users["grc"], "1.0")
    response = api_client_for(users["grc"]).post(
        "/api/v1/model-versions/", {"system": system.pk, "version_label": "1.0"}, format="json"
    )
    assert response.status_code == 400
    assert "already has a version with that label" in response.json()["message"]


def test_version_approval_is_for_managers_only(users, make_user, make_system, api_client_for):
    owner = make_user("engineer")
    version = with_version(make_system(business_owner=owner), owner)
    assert (
        api_client_for(owner).post(f"/api/v1/model-versions/{version.pk}/approve/").status_code
        == 403
    )
    response = api_client_for(users["risk_officer"]).post(
        f"/api/v1/model-versions/{version.pk}/approve/"
    )
    assert response.status_code == 200
    assert response.json()["approved_by"]["username"] == "risk_officer"


def test_version_at_answers_from_the_change_log_including_rollbacks(
    users, make_system, api_client_for
):
    system = make_system()
    v1, v2 = with_version(system, users["grc"], "1.0"), with_version(system, users["grc"], "2.0")
    t0 = timezone.now() - timedelta(days=10)
    for version, days, change in [(v1, 0, "deploy"), (v2, 5, "deploy"), (v1, 7, "rollback")]:
        services.deployment_record(
            actor=users["grc"],
            system=system,
            data={
                "model_version": version,
                "deployed_at": t0 + timedelta(days=days),
                "change_type": change,
            },
        )
    services.deployment_record(
        actor=users["grc"],
        system=system,
        data={"model_version": v2, "environment": "staging", "deployed_at": t0 + timedelta(days=8)},
    )
    client = api_client_for(users["auditor"])

    def at(moment):
        return client.get(f"/api/v1/systems/{system.pk}/version-at/", {"at": moment.isoformat()})

    assert at(t0 + timedelta(days=1)).json()["model_version"]["version_label"] == "1.0"
    during = at(t0 + timedelta(days=6)).json()
    assert during["model_version"]["version_label"] == "2.0"
    assert during["deployment"]["change_type"] == "deploy"
    after = at(t0 + timedelta(days=9)).json()
    assert (after["model_version"]["version_label"], after["deployment"]["change_type"]) == (
        "1.0",
        "rollback",
    )

    before = at(t0 - timedelta(days=1))
    assert before.status_code == 404
    assert "had no model version in production" in before.json()["message"]
    bad = client.get(f"/api/v1/systems/{system.pk}/version-at/", {"at": "yesterday"})
    assert bad.status_code == 400 and "ISO 8601" in bad.json()["message"]
    naive = client.get(f"/api/v1/systems/{system.pk}/version-at/", {"at": "2026-01-01T10:00:00"})
    assert naive.status_code == 400


def test_change_log_corrections_need_a_manager_and_a_reason(
    users, make_user, make_system, api_client_for
):
    owner = make_user("engineer")
    system = make_system(business_owner=owner)
    deployment = services.deployment_record(
        actor=owner, system=system, data={"model_version": with_version(system, owner)}
    )
    url = f"/api/v1/deployments/{deployment.pk}/"
    assert (
        api_client_for(owner)
        .patch(url, {"change_reference": "CHG-9", "reason": "typo"})
        .status_code
        == 403
    )
    client = api_client_for(users["grc"])
    no_reason = client.patch(url, {"change_reference": "CHG-9"}, format="json")
    assert no_reason.status_code == 400 and "why" in no_reason.json()["message"]
    fixed = client.patch(
        url, {"change_reference": "CHG-9", "reason": "Ticket number typo"}, format="json"
    )
    assert fixed.status_code == 200
    assert deployment.history.first().history_change_reason == "Ticket number typo"
    assert client.delete(url).status_code == 405


def test_threshold_change_needs_a_reason(users, make_user, make_system, api_client_for):
    owner = make_user("engineer")
    system = make_system(business_owner=owner)
    client = api_client_for(owner)
    rule = client.post(
        "/api/v1/monitoring-rules/",
        {
            "system": system.pk,
            "metric": "psi_drift",
            "comparison": "gt",
            "threshold": "0.2",
            "channel": "alertmanager",
        },
        format="json",
    )
    assert rule.status_code == 201, rule.json()
    url = f"/api/v1/monitoring-rules/{rule.json()['id']}/"
    assert client.patch(url, {"threshold": "0.1"}, format="json").status_code == 400
    changed = client.patch(
        url, {"threshold": "0.1", "change_reason": "Tightened after INC-2026-0007"}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["threshold"] == "0.100000"
    assert (
        api_client_for(users["auditor"]).patch(url, {"active": False}, format="json").status_code
        == 403
    )


def test_sorting_by_tier_and_status_follows_the_scale_not_the_alphabet(
    users, make_system, api_client_for
):
    for tier in ["medium", "critical", "low", "high"]:
        make_system(name=tier, internal_risk_tier=tier)
    client = api_client_for(users["auditor"])
    names = [s["name"] for s in client.get("/api/v1/systems/?ordering=-tier").json()["results"]]
    assert names == ["critical", "high", "medium", "low"]
    names = [s["name"] for s in client.get("/api/v1/systems/?ordering=tier").json()["results"]]
    assert names == ["low", "medium", "high", "critical"]


def test_an_empty_multiple_choice_value_means_any(users, make_system, api_client_for):
    make_system(name="a")
    response = api_client_for(users["auditor"]).get(
        "/api/v1/systems/?lifecycle_status=&internal_risk_tier="
    )
    assert response.status_code == 200
    assert response.json()["count"] == 1
