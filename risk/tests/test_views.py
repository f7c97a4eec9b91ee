"""The risk pages, both ways: the register with its heat maps and filters, the risk page with
its flags and the moves this person may make, the methodology, the SoA and the evidence map."""

import pytest

from risk import charts, rules, selectors, services
from risk.models import Control, Risk
from risk.tests.factories import raise_risk, treated_risk

pytestmark = pytest.mark.django_db


@pytest.fixture
def control():
    return Control.objects.get(code="A.6.2.6")


def login(client, user):
    client.force_login(user)
    return client


def test_register_page_with_heat_maps_and_filters(client, users, make_system, control):
    own = make_system(name="Own", business_owner=users["engineer"])
    treated_risk(users["grc"], controls=[control], systems=[own], title="Refund confabulation")
    raise_risk(users["grc"], title="Unrated drift", inherent_likelihood=1, inherent_impact=2)
    page = login(client, users["auditor"]).get("/risks/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Refund confabulation" in text and "Unrated drift" in text
    assert text.count('class="heat-map"') == 2
    filtered = client.get("/risks/", {"residual_band": "high"}).content.decode()
    assert "Refund confabulation" in filtered and "Unrated drift" not in filtered
    assert "New risk" not in text  # auditors change nothing


def test_engineers_see_their_risks_and_ethics_is_refused(client, users, make_system):
    own = make_system(name="Own", business_owner=users["engineer"])
    raise_risk(users["grc"], systems=[own], title="Mine to see")
    hidden = raise_risk(users["grc"], title="Not for engineers")
    page = login(client, users["engineer"]).get("/risks/").content.decode()
    assert "Mine to see" in page and "Not for engineers" not in page
    assert client.get(f"/risks/{hidden.pk}/").status_code == 404
    refused = login(client, users["ethics"]).get("/risks/")
    assert refused.status_code == 403 and "risk register is open to" in refused.content.decode()


def test_raise_a_risk_from_the_page(client, users):
    login(client, users["grc"])
    answer = client.post(
        "/risks/new/",
        {
            "title": "Screening model disadvantages older applicants",
            "description": "Age proxies in CV features.",
            "category": "fairness",
            "owner": users["grc"].pk,
            "inherent_likelihood": "3",
            "inherent_impact": "4",
            "tags": ["gai_harmful_bias", "rmf_measure"],
        },
    )
    risk = Risk.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/risks/{risk.pk}/"
    assert (risk.inherent_score, risk.tags) == (12, ["gai_harmful_bias", "rmf_measure"])
    page = client.get(f"/risks/{risk.pk}/").content.decode()
    assert "Harmful bias and homogenization" in page and "L3 × I4 = 12" in page
    refused = login(client, users["auditor"]).post("/risks/new/", {"title": "x"})
    assert refused.status_code == 403


def test_the_accept_move_is_offered_to_the_band_role_only(client, users, control):
    risk = treated_risk(users["grc"], controls=[control])  # 12, high
    grc_page = login(client, users["grc"]).get(f"/risks/{risk.pk}/").content.decode()
    assert 'data-move="accepted"' not in grc_page and 'data-move="closed"' in grc_page
    assert 'id="awaiting-acceptance"' in grc_page
    officer_page = login(client, users["risk_officer"]).get(f"/risks/{risk.pk}/").content.decode()
    assert 'data-move="accepted"' in officer_page
    answer = client.post(
        f"/risks/{risk.pk}/transition/", {"to": "accepted", "reason": "Manual checks in place"}
    )
    assert answer.status_code == 302
    risk.refresh_from_db()
    assert risk.status == "accepted"
    refused = login(client, users["grc"]).post(
        f"/risks/{risk.pk}/transition/", {"to": "closed", "reason": ""}
    )
    assert refused.status_code == 302  # guard: the reason is missing, said as a message
    risk.refresh_from_db()
    assert risk.status == "accepted"


def test_the_risk_page_flags_an_older_methodology(client, users, control):
    risk = treated_risk(users["grc"], controls=[control])
    officer = users["risk_officer"]
    draft = services.methodology_draft(actor=officer, data={"title": "Second"})
    page = login(client, officer).get(f"/risks/methodology/{draft.pk}/").content.decode()
    assert "Approve and put in force" in page
    assert (
        login(client, users["grc"]).post(f"/risks/methodology/{draft.pk}/approve/").status_code
        == 403
    )
    login(client, officer).post(f"/risks/methodology/{draft.pk}/approve/")
    page = client.get(f"/risks/{risk.pk}/").content.decode()
    assert 'id="needs-reassessment"' in page and "Scored under methodology version 1" in page
    listing = client.get("/risks/", {"needs_reassessment": "true"}).content.decode()
    assert risk.reference in listing


def test_methodology_pages(client, users):
    page = login(client, users["auditor"]).get("/risks/methodology/")
    assert page.status_code == 200 and "v1" in page.content.decode()
    current = selectors.methodology_in_force()
    detail = client.get(f"/risks/methodology/{current.pk}/").content.decode()
    assert "Almost certain" in detail and "Severe" in detail and 'class="heat-map"' in detail
    assert client.get("/risks/methodology/new/").status_code == 403
    assert login(client, users["risk_officer"]).get("/risks/methodology/new/").status_code == 200


def test_soa_control_and_evidence_map_pages(client, users, control):
    page = login(client, users["auditor"]).get("/risks/controls/").content.decode()
    assert "A.10.4" in page and "Customers" in page
    assert (
        'id="statement-form"' not in client.get(f"/risks/controls/{control.pk}/").content.decode()
    )
    assert (
        client.post(
            f"/risks/controls/{control.pk}/statement/",
            {"applicability": "applicable", "implementation_status": "planned"},
        ).status_code
        == 403
    )
    assert login(client, users["engineer"]).get("/risks/controls/").status_code == 403
    login(client, users["grc"])
    assert 'id="statement-form"' in client.get(f"/risks/controls/{control.pk}/").content.decode()
    client.post(
        f"/risks/controls/{control.pk}/statement/",
        {"applicability": "applicable", "implementation_status": "planned"},
    )
    gaps = client.get("/risks/evidence-map/").content.decode()
    assert 'data-gap="A.6.2.6"' in gaps
    risk = treated_risk(users["grc"], controls=[control])
    client.post(
        f"/risks/controls/{control.pk}/evidence/",
        {"kind": "risk", "reference": risk.reference, "note": "Monitoring in the treatment"},
    )
    assert control.evidence_links.count() == 1
    assert 'data-gap="A.6.2.6"' not in client.get("/risks/evidence-map/").content.decode()


def test_the_heat_map_escapes_every_text():
    current_method = rules.Method(
        likelihood=tuple(rules.Level(n, "<b>x</b>", "d") for n in rules.LEVELS),
        impact=tuple(rules.Level(n, "&y", "d") for n in rules.LEVELS),
        bands=(rules.Band("all", "All", 1, 25, ("grc",)),),
        acceptance_threshold=25,
    )
    svg = charts.heat_map_svg(current_method, {(2, 3): 4}, title='<script>alert("x")</script>')
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<b>" not in svg and "&amp;y" in svg
    assert 'class="heat-count">4<' in svg
