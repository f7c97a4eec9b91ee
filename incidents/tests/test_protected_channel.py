"""The protected reporting channel: public pages, receipt codes, handlers' pages, conversion.

Rate limits count per IP address in the shared Redis cache. Each test uses an IP address of
its own instead of clearing the cache: ``cache.clear()`` flushes the whole Redis database,
which other test runs and the Celery broker share.
"""

import hashlib
import re
import time
import uuid
from types import SimpleNamespace

import pytest
from django.test import Client

from aims.accounts.choices import Role
from aims.core.exceptions import Conflict, PermissionRefused, ValidationFailed
from incidents import services
from incidents.choices import DetectionSource, ProtectedReportStatus, TimelineKind
from incidents.models import Incident, ProtectedReport, ProtectedReportMessage
from incidents.selectors import incidents_visible_to

REPORT_URL = "/report/"
STATUS_URL = "/report/status/"
LIST_URL = "/protected-reports/"
CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b")
ROLES = Role.values
HANDLERS = {"grc", "ethics"}

REPORT = {
    "description": "The hiring screener ranks every applicant over 50 at the bottom.",
    "system_description": "CV screening assistant",
    "occurred_at_text": "since the March release",
    "reporter_relationship": "employee",
    "contact_name": "Dana Whistle",
    "contact_email": "dana.whistle@example.org",
    "contact_phone": "+44 20 7946 0958",
}


@pytest.fixture
def ip():
    """An address of this test's own, so rate limits of other tests and runs do not mix in."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


@pytest.fixture
def still_clock(monkeypatch):
    """Hold the rate limiter's clock, so a test never straddles the end of its window."""
    from django_ratelimit import core

    now = time.time()
    monkeypatch.setattr(core, "time", SimpleNamespace(time=lambda: now))


@pytest.fixture
def public(ip):
    return Client(REMOTE_ADDR=ip)


def submit(**overrides):
    report, code = services.protected_report_submit(data={**REPORT, **overrides})
    return report, code


def staff_client(user):
    client = Client()
    client.force_login(user)
    return client


# --- the public pages --------------------------------------------------------------------


@pytest.mark.django_db
class TestReportForm:
    def test_form_needs_no_login_and_explains_who_sees_what(self, public):
        response = public.get(REPORT_URL)

        assert response.status_code == 200
        html = response.content.decode()
        assert "Who sees what" in html
        assert "only the ethics function and GRC can see them" in html
        assert 'name="csrfmiddlewaretoken"' in html

    def test_form_works_for_a_signed_in_user_too(self, users, ip):
        client = staff_client(users["engineer"])

        response = client.get(REPORT_URL, REMOTE_ADDR=ip)

        assert response.status_code == 200
        assert "Who sees what" in response.content.decode()

    def test_anonymous_report_shows_a_receipt_code_once(self, public):
        data = {"description": "The chatbot told a customer to stop taking their medication."}

        response = public.post(REPORT_URL, data)

        assert response.status_code == 200
        html = response.content.decode()
        code = CODE.search(html).group(0)
        report = ProtectedReport.objects.get()
        assert report.is_anonymous
        assert report.status == ProtectedReportStatus.RECEIVED
        assert report.receipt_hash == hashlib.sha256(code.replace("-", "").encode()).hexdigest()
        assert "shown only this once" in html
        assert "no-store" in response["Cache-Control"]

    def test_receipt_code_is_stored_only_as_its_hash(self, public):
        response = public.post(REPORT_URL, REPORT)
        code = CODE.search(response.content.decode()).group(0)

        report = ProtectedReport.objects.get()
        stored = [
            str(ProtectedReport.objects.values().get()),
            str(list(report.history.values())),
            str(list(ProtectedReportMessage.objects.values())),
        ]
        for text in stored:
            assert code not in text
            assert code.replace("-", "") not in text
            assert code.replace("-", "").lower() not in text

    def test_contact_details_stay_out_of_the_history(self, public):
        public.post(REPORT_URL, REPORT)

        history = str(list(ProtectedReport.objects.get().history.values()))
        assert "Dana Whistle" not in history
        assert "dana.whistle@example.org" not in history
        assert "7946" not in history

    def test_a_signed_in_reporter_is_not_recorded(self, users, ip):
        client = staff_client(users["engineer"])

        client.post(REPORT_URL, {"description": "Something worrying."}, REMOTE_ADDR=ip)

        record = ProtectedReport.objects.get().history.get()
        assert record.history_user is None

    def test_description_is_required(self, public):
        response = public.post(REPORT_URL, {"description": "   ", "contact_name": "X"})

        assert response.status_code == 400
        assert ProtectedReport.objects.count() == 0
        assert "This field is required" in response.content.decode()

    def test_invalid_email_is_refused(self, public):
        response = public.post(REPORT_URL, {**REPORT, "contact_email": "not-an-address"})

        assert response.status_code == 400
        assert ProtectedReport.objects.count() == 0

    def test_csrf_is_enforced(self, ip):
        client = Client(enforce_csrf_checks=True, REMOTE_ADDR=ip)

        refused = client.post(REPORT_URL, REPORT)
        client.get(REPORT_URL)
        accepted = client.post(
            REPORT_URL, {**REPORT, "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
        )

        assert refused.status_code == 403
        assert accepted.status_code == 200
        assert ProtectedReport.objects.count() == 1

    def test_sixth_report_from_one_address_in_an_hour_is_429(self, public, ip, still_clock):
        answers = [public.post(REPORT_URL, REPORT).status_code for _ in range(6)]

        assert answers == [200, 200, 200, 200, 200, 429]
        assert ProtectedReport.objects.count() == 5
        limited = public.post(REPORT_URL, REPORT)
        assert limited.status_code == 429
        assert "Please wait a little" in limited.content.decode()
        assert Client(REMOTE_ADDR=ip.rsplit(".", 1)[0] + ".254").get(REPORT_URL).status_code == 200

    def test_reading_the_form_is_not_rate_limited(self, public):
        for _ in range(6):
            public.post(REPORT_URL, REPORT)

        assert public.get(REPORT_URL).status_code == 200

    def test_another_address_is_not_limited(self, public):
        for _ in range(6):
            public.post(REPORT_URL, REPORT)
        other = Client(REMOTE_ADDR=f"192.0.2.{uuid.uuid4().int % 250 + 1}")

        assert other.post(REPORT_URL, REPORT).status_code == 200


@pytest.mark.django_db
class TestStatusPage:
    def test_code_shows_status_note_and_replies(self, public, users):
        report, code = submit()
        services.protected_report_reply(
            actor=users["ethics"],
            report=report,
            body="Thank you. We are looking into the screener.",
            public_status_note="We have started a review.",
        )

        response = public.post(STATUS_URL, {"code": code.lower().replace("-", " ")})

        assert response.status_code == 200
        html = response.content.decode()
        assert "Under review" in html
        assert "We have started a review." in html
        assert "Thank you. We are looking into the screener." in html
        assert "Dana Whistle" not in html  # the code holder sees no contact details
        assert "no-store" in response["Cache-Control"]

    def test_reporter_adds_information(self, public):
        report, code = submit()

        response = public.post(
            STATUS_URL, {"action": "add", "code": code, "body": "It also happened on 3 April."}
        )

        assert response.status_code == 200
        assert "your information was added" in response.content.decode()
        message = report.messages.get()
        assert message.from_reporter and message.author is None
        assert message.body == "It also happened on 3 April."

    def test_empty_addition_is_refused(self, public):
        report, code = submit()

        response = public.post(STATUS_URL, {"action": "add", "code": code, "body": " "})

        assert response.status_code == 400
        assert report.messages.count() == 0

    @pytest.mark.parametrize(
        "code", ["ABCD-EFGH-JKMN-PQRS", "not a code", "", "ABCD-EFGH-JKMN-PQR0"]
    )
    def test_wrong_code_gives_the_same_generic_message(self, public, code):
        submit()

        response = public.post(STATUS_URL, {"code": code})

        html = response.content.decode()
        if code:
            assert response.status_code == 404
            assert "There is no report with that code." in html
        else:
            assert response.status_code == 400
        assert "hiring screener" not in html

    def test_wrong_code_cannot_add_information(self, public):
        submit()

        response = public.post(
            STATUS_URL, {"action": "add", "code": "ABCD-EFGH-JKMN-PQRS", "body": "spam"}
        )

        assert response.status_code == 404
        assert "There is no report with that code." in response.content.decode()
        assert ProtectedReportMessage.objects.count() == 0

    def test_closed_report_takes_no_more_information(self, public, users):
        report, code = submit()
        services.protected_report_set_status(
            actor=users["ethics"], report=report, status=ProtectedReportStatus.CLOSED
        )

        page = public.post(STATUS_URL, {"code": code})
        refused = public.post(STATUS_URL, {"action": "add", "code": code, "body": "More."})

        assert "This report is closed" in page.content.decode()
        assert 'value="add"' not in page.content.decode()
        assert "This report is closed" in refused.content.decode()
        assert report.messages.count() == 0
        with pytest.raises(Conflict):
            services.protected_report_add_information(code=code, body="More.")

    def test_status_lookups_are_rate_limited(self, public, still_clock):
        answers = [
            public.post(STATUS_URL, {"code": "ABCD-EFGH-JKMN-PQRS"}).status_code for _ in range(21)
        ]

        assert answers[:20] == [404] * 20
        assert answers[20] == 429

    def test_report_text_is_escaped(self, public):
        _report, code = submit(description="<script>alert('x')</script> & <b>bold</b>")

        html = public.post(STATUS_URL, {"code": code}).content.decode()

        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


# --- services ----------------------------------------------------------------------------


@pytest.mark.django_db
class TestServices:
    def test_lookup_normalises_case_spaces_and_dashes(self):
        report, code = submit()

        assert services.protected_report_lookup(code=code) == report
        assert services.protected_report_lookup(code=f" {code.lower()} ") == report
        assert services.protected_report_lookup(code=code.replace("-", " ")) == report
        assert services.protected_report_lookup(code=code[:-1]) is None
        assert services.protected_report_lookup(code=None) is None

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"description": ""}, "description"),
            ({"description": "x" * 10001}, "description"),
            ({"reporter_relationship": "boss"}, "reporter_relationship"),
            ({"contact_email": "nope"}, "contact_email"),
            ({"status": "closed"}, None),
        ],
    )
    def test_submit_validates(self, data, field):
        with pytest.raises(ValidationFailed) as exc:
            submit(**data)

        if field:
            assert field in exc.value.fields
        assert ProtectedReport.objects.count() == 0

    def test_only_handlers_reply_or_change_status(self, users):
        report, _code = submit()
        for role in ROLES:
            if role in HANDLERS:
                continue
            with pytest.raises(PermissionRefused):
                services.protected_report_reply(actor=users[role], report=report, body="Hi")
            with pytest.raises(PermissionRefused):
                services.protected_report_set_status(
                    actor=users[role], report=report, status=ProtectedReportStatus.CLOSED
                )

    def test_converted_is_reached_only_by_converting(self, users):
        report, _code = submit()

        with pytest.raises(ValidationFailed):
            services.protected_report_set_status(
                actor=users["grc"], report=report, status=ProtectedReportStatus.CONVERTED
            )

    def test_first_reply_moves_the_report_under_review(self, users):
        report, _code = submit()

        services.protected_report_reply(actor=users["ethics"], report=report, body="Received.")

        report.refresh_from_db()
        assert report.status == ProtectedReportStatus.UNDER_REVIEW
        assert report.messages.get().author == users["ethics"]

    def test_only_grc_converts_and_only_once(self, users, make_system):
        report, _code = submit()
        system = make_system()

        with pytest.raises(PermissionRefused):
            services.protected_report_convert(actor=users["ethics"], report=report)
        incident = services.protected_report_convert(
            actor=users["grc"], report=report, system_ids=[system.pk], title="Age bias"
        )
        with pytest.raises(Conflict):
            services.protected_report_convert(actor=users["grc"], report=report)

        assert Incident.objects.count() == 1
        assert incident.reporter_label == "Protected channel"

    def test_information_added_after_conversion_is_signalled_without_content(self, users):
        report, code = submit()
        incident = services.protected_report_convert(actor=users["grc"], report=report)

        services.protected_report_add_information(code=code, body="My manager is Sam Secret.")

        entries = list(incident.timeline.filter(kind=TimelineKind.REPORT))
        assert len(entries) == 2
        assert "added information" in entries[1].summary
        assert "Sam Secret" not in str(list(incident.timeline.values()))


# --- the handlers' pages -----------------------------------------------------------------


@pytest.mark.django_db
class TestStaffPages:
    @pytest.mark.parametrize("role", ROLES)
    def test_list_and_detail_are_for_ethics_and_grc_only(self, make_user, role):
        report, _code = submit()
        client = staff_client(make_user(role))

        listing = client.get(LIST_URL)
        detail = client.get(f"{LIST_URL}{report.pk}/")

        if role in HANDLERS:
            assert listing.status_code == 200
            assert detail.status_code == 200
            assert "hiring screener" in detail.content.decode()
            assert "Dana Whistle" in detail.content.decode()
            assert "dana.whistle@example.org" in detail.content.decode()
            assert "+44 20 7946 0958" in detail.content.decode()
        else:
            assert listing.status_code == 403
            assert detail.status_code == 403
            for response in (listing, detail):
                html = response.content.decode()
                assert "Dana Whistle" not in html and "hiring screener" not in html

    @pytest.mark.parametrize("role", sorted(set(ROLES) - HANDLERS))
    def test_other_roles_cannot_reply_change_status_or_convert(self, make_user, role):
        report, _code = submit()
        client = staff_client(make_user(role))

        answers = [
            client.post(f"{LIST_URL}{report.pk}/reply/", {"body": "Hello"}).status_code,
            client.post(f"{LIST_URL}{report.pk}/status/", {"status": "closed"}).status_code,
            client.post(
                f"{LIST_URL}{report.pk}/convert/", {"title": "T", "description": "D"}
            ).status_code,
        ]

        assert answers == [403, 403, 403]
        report.refresh_from_db()
        assert report.status == ProtectedReportStatus.RECEIVED
        assert report.messages.count() == 0 and Incident.objects.count() == 0

    def test_anonymous_is_sent_to_sign_in(self, client):
        report, _code = submit()

        for url in (LIST_URL, f"{LIST_URL}{report.pk}/"):
            response = client.get(url)
            assert response.status_code == 302
            assert "/accounts/login/" in response["Location"]

    def test_list_filters_by_status(self, users):
        received, _ = submit(description="First concern, still received.")
        closed, _ = submit(description="Second concern, closed.")
        services.protected_report_set_status(
            actor=users["grc"], report=closed, status=ProtectedReportStatus.CLOSED
        )
        client = staff_client(users["ethics"])

        html = client.get(LIST_URL, {"status": "closed"}).content.decode()

        assert "Second concern" in html and "First concern" not in html
        assert "First concern" in client.get(LIST_URL).content.decode()

    def test_anonymous_report_shows_no_identity(self, users):
        report, _code = submit(contact_name="", contact_email="", contact_phone="")

        html = staff_client(users["ethics"]).get(f"{LIST_URL}{report.pk}/").content.decode()

        assert "chose to stay anonymous" in html

    def test_ethics_replies_and_the_reporter_reads_it(self, users, public):
        report, code = submit()
        client = staff_client(users["ethics"])

        response = client.post(
            f"{LIST_URL}{report.pk}/reply/",
            {"body": "Could you tell us which job posting?", "public_status_note": "In review."},
        )

        assert response.status_code == 302
        html = public.post(STATUS_URL, {"code": code}).content.decode()
        assert "Could you tell us which job posting?" in html and "In review." in html

    def test_ethics_changes_the_status(self, users):
        report, _code = submit()

        response = staff_client(users["ethics"]).post(
            f"{LIST_URL}{report.pk}/status/", {"status": "under_review"}
        )

        assert response.status_code == 302
        report.refresh_from_db()
        assert report.status == ProtectedReportStatus.UNDER_REVIEW

    def test_report_text_is_escaped_on_the_staff_page(self, users):
        report, _code = submit(description="<script>alert(document.cookie)</script>")

        html = staff_client(users["grc"]).get(f"{LIST_URL}{report.pk}/").content.decode()

        assert "<script>alert(document.cookie)</script>" not in html
        assert "&lt;script&gt;alert(document.cookie)&lt;/script&gt;" in html

    def test_convert_form_is_offered_to_grc_only(self, users):
        report, _code = submit()

        grc = staff_client(users["grc"]).get(f"{LIST_URL}{report.pk}/").content.decode()
        ethics = staff_client(users["ethics"]).get(f"{LIST_URL}{report.pk}/").content.decode()

        assert f"{LIST_URL}{report.pk}/convert/" in grc
        assert f"{LIST_URL}{report.pk}/convert/" not in ethics


@pytest.mark.django_db
class TestConversion:
    def convert(self, client, report, systems, **extra):
        detail = client.get(f"{LIST_URL}{report.pk}/")
        description = detail.context["convert_form"].initial["description"]
        return client.post(
            f"{LIST_URL}{report.pk}/convert/",
            {
                "title": "CV screener ranks older applicants last",
                "systems": [s.pk for s in systems],
                "description": description,
                **extra,
            },
        )

    def test_grc_converts_into_an_incident_linked_both_ways(self, users, make_system):
        report, _code = submit()
        system = make_system(name="CV screener", business_owner=users["engineer"])

        response = self.convert(staff_client(users["grc"]), report, [system])

        incident = Incident.objects.get()
        assert response.status_code == 302
        assert response["Location"] == incident.get_absolute_url()
        report.refresh_from_db()
        assert report.incident == incident
        assert incident.protected_report == report
        assert report.status == ProtectedReportStatus.CONVERTED
        assert incident.detection_source == DetectionSource.PROTECTED_CHANNEL
        assert incident.title == "CV screener ranks older applicants last"
        assert incident.affected_systems.get().system == system
        assert incident.detected_at == report.created_at
        assert "ranks every applicant over 50 at the bottom" in incident.description
        assert "CV screening assistant" in incident.description
        for secret in ("Dana", "Whistle", "dana.whistle@example.org", "7946"):
            assert secret not in incident.description
            assert secret not in incident.title
            assert secret not in str(list(incident.timeline.values()))
            assert secret not in str(list(incident.history.values()))
        event = incident.timeline.get(kind=TimelineKind.REPORT)
        assert f"protected report #{report.pk}" in event.summary

    def test_the_converted_page_links_to_the_incident(self, users):
        report, _code = submit()
        client = staff_client(users["grc"])
        self.convert(client, report, [])
        incident = Incident.objects.get()

        html = client.get(f"{LIST_URL}{report.pk}/").content.decode()

        assert incident.reference in html
        assert f"{LIST_URL}{report.pk}/convert/" not in html

    def test_ethics_cannot_convert(self, users):
        report, _code = submit()

        response = staff_client(users["ethics"]).post(
            f"{LIST_URL}{report.pk}/convert/",
            {"title": "Age bias", "description": "The screener ranks older applicants last."},
        )

        assert response.status_code == 403
        assert Incident.objects.count() == 0
        report.refresh_from_db()
        assert report.status == ProtectedReportStatus.RECEIVED

    def test_converting_twice_opens_one_incident(self, users):
        report, _code = submit()
        client = staff_client(users["grc"])
        self.convert(client, report, [])

        response = client.post(
            f"{LIST_URL}{report.pk}/convert/", {"title": "Again", "description": "Again"}
        )

        assert response.status_code == 302
        assert Incident.objects.count() == 1

    def test_before_conversion_others_see_nothing_after_it_the_owner_sees_the_incident(
        self, users, make_system, api_client_for, make_user
    ):
        report, _code = submit()
        system = make_system(name="CV screener", business_owner=users["engineer"])
        engineer = users["engineer"]
        assert incidents_visible_to(engineer).count() == 0

        self.convert(staff_client(users["grc"]), report, [system])

        incident = Incident.objects.get()
        assert incidents_visible_to(engineer).filter(pk=incident.pk).exists()
        response = api_client_for(engineer).get(f"/api/v1/incidents/{incident.pk}/")
        assert response.status_code == 200
        body = response.content.decode()
        assert "ranks every applicant over 50" in body
        assert "Dana" not in body and "dana.whistle@example.org" not in body
        other_engineer = make_user("engineer")
        assert not incidents_visible_to(other_engineer).filter(pk=incident.pk).exists()
        assert (
            api_client_for(other_engineer).get(f"/api/v1/incidents/{incident.pk}/").status_code
            == 404
        )
        # Still no access to the report itself, where the identity lives.
        assert staff_client(engineer).get(f"{LIST_URL}{report.pk}/").status_code == 403

    def test_restricted_conversion_hides_the_incident_from_the_owner(self, users, make_system):
        report, _code = submit()
        system = make_system(name="CV screener", business_owner=users["engineer"])

        self.convert(staff_client(users["grc"]), report, [system], restricted="on")

        incident = Incident.objects.get()
        assert incident.restricted
        assert not incidents_visible_to(users["engineer"]).filter(pk=incident.pk).exists()
