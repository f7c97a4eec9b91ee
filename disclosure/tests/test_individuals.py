"""The list of affected individuals: reading the CSV, the write-once file, where each notice
stands, the mail-merge export, the counts given to the disclosure facts, and who may do it."""

import csv
import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from aims.audit.chain import verify_chain
from aims.core.exceptions import PermissionRefused, ValidationFailed
from disclosure import affected, services
from disclosure.models import AffectedIndividual, IndividualsExport, IndividualsUpload
from incidents.services.evidence import EvidenceTooLarge
from incidents.tests.factories import file_incident

HEADER = "identifier,name,contact,state,country,channel\n"


def csv_file(rows, header=HEADER, name="people.csv"):
    body = header + "".join(rows)
    return SimpleUploadedFile(name, body.encode("utf-8"), content_type="text/csv")


def people(n, state="CA", start=0):
    return [
        f"P{i:05d},Person {i},p{i}@example.org,{state},US,email\n" for i in range(start, start + n)
    ]


# --- reading the file (pure) ---------------------------------------------------------------------


def parse(text):
    return affected.parse(text.encode("utf-8"))


def test_a_valid_list_is_read_with_aliases_and_normalised_values():
    rows = parse("ID,E-mail,Name,State\nA1,a@example.org,Ann,ny\nA2,b@example.org,,\n\n")
    assert [(p.row_number, p.identifier, p.contact, p.state) for p in rows] == [
        (2, "A1", "a@example.org", "NY"),
        (3, "A2", "b@example.org", ""),
    ]
    assert affected.residents_by_state(rows) == {"NY": 1}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name,email\nAnn,a@x\n", "header has no identifier column"),
        ("identifier,email,age\nA,a@x,3\n", 'unknown column "age"'),
        ("identifier,contact\nA,\n", "line 2, column contact: empty"),
        ("identifier,contact\nA,a@x\nA,b@x\n", "line 3, column identifier: A is already on line 2"),
        ("identifier,contact,channel\nA,a@x,pigeon\n", 'line 2, column channel: "pigeon"'),
        ("identifier,contact,country\nA,a@x,USA\n", "line 2, column country"),
        ("identifier,contact\nA,a@x,extra\n", "line 2, column (extra)"),
        ("identifier,contact\n", "no people"),
        ("", "line 1: the file is empty"),
    ],
)
def test_problems_are_named_by_line_and_column(text, expected):
    with pytest.raises(affected.ListInvalid) as caught:
        parse(text)
    assert expected in " ".join(caught.value.errors)


def test_a_file_that_is_not_utf8_says_how_to_save_it():
    with pytest.raises(affected.ListInvalid, match="not UTF-8"):
        affected.parse("identifier,contact\nA,\xe9@x\n".encode("latin-1"))


def test_residents_are_counted_per_us_state_only():
    rows = parse("id,contact,state,country\nA,a,CA,\nB,b,CA,US\nC,c,BY,DE\nD,d,,\n")
    assert affected.residents_by_state(rows) == {"CA": 2}


# --- the service -------------------------------------------------------------------------------


@pytest.fixture
def phi_incident(users, make_system):
    system = make_system(name="Patient intake", hipaa_role="covered_entity")
    return file_incident(users["grc"], systems=[system], harm_flags=["phi"])


def obligation(incident, code):
    return incident.disclosure_assessment.obligations.get(code=code)


@pytest.mark.django_db
def test_dpo_uploads_a_list_kept_write_once_with_its_hash_and_counts_flow_into_the_facts(
    users, phi_incident
):
    upload_file = csv_file(people(3, "CA") + people(2, "NY", start=3))
    content = upload_file.read()
    upload_file.seek(0)
    upload = services.individuals_upload(
        actor=users["dpo"], incident=phi_incident, uploaded_file=upload_file
    )
    assert upload.sha256 == hashlib.sha256(content).hexdigest()
    assert upload.row_count == 5 and upload.residents_by_state == {"CA": 3, "NY": 2}
    with upload.file.open("rb") as handle:
        assert handle.read() == content
    assert AffectedIndividual.objects.filter(upload=upload, status="pending").count() == 5
    facts = phi_incident.disclosure_facts
    assert facts.phi_individuals == 5 and facts.phi_residents_by_state == {"CA": 3, "NY": 2}
    # The rules now know the count: HHS is owed with the number; no state is over 500.
    hhs = obligation(phi_incident, "hipaa_hhs")
    assert hhs.proposed == "yes" and "5 individuals" in hhs.proposed_reason
    assert obligation(phi_incident, "hipaa_media").proposed == "no"
    # The timeline, read by everyone on the incident, carries counts and never a person.
    summaries = list(phi_incident.timeline.values_list("summary", flat=True))
    assert any("5 people" in s for s in summaries)
    assert not any("p0@example.org" in s or "P00000" in s for s in summaries)
    assert verify_chain().intact


@pytest.mark.django_db
def test_more_than_500_residents_of_one_state_make_the_media_notice_apply(users, phi_incident):
    services.individuals_upload(
        actor=users["legal"],
        incident=phi_incident,
        uploaded_file=csv_file(people(501, "TX") + people(10, "CA", start=501)),
    )
    media = obligation(phi_incident, "hipaa_media")
    assert media.proposed == "yes" and "TX (501)" in media.proposed_reason
    assert phi_incident.disclosure_facts.phi_residents_by_state == {"CA": 10, "TX": 501}


@pytest.mark.django_db
def test_a_new_list_after_sign_off_reopens_the_assessment_and_keeps_known_statuses(
    users, phi_incident
):
    first = services.individuals_upload(
        actor=users["dpo"], incident=phi_incident, uploaded_file=csv_file(people(3))
    )
    services.individuals_status_update(
        actor=users["dpo"], incident=phi_incident, status="notified", identifiers=["P00001"]
    )
    assessment = phi_incident.disclosure_assessment
    for o in assessment.obligations.all():
        if o.proposed != "no":
            services.obligation_confirm(
                actor=users["legal"],
                obligation=o,
                applies="yes" if o.proposed == "yes" else "no",
                reason="Reviewed.",
            )
    services.assessment_sign_off(actor=users["legal"], assessment=assessment)
    second = services.individuals_upload(
        actor=users["dpo"], incident=phi_incident, uploaded_file=csv_file(people(4))
    )
    first.refresh_from_db()
    assessment.refresh_from_db()
    assert first.superseded_at is not None and second.superseded_at is None
    assert assessment.status == "reopened" and "phi_individuals" in assessment.reopened_reason
    kept = AffectedIndividual.objects.get(upload=second, identifier="P00001")
    assert kept.status == "notified" and kept.status_by == users["dpo"]
    assert AffectedIndividual.objects.filter(upload=second, status="pending").count() == 3


@pytest.mark.django_db
def test_an_invalid_file_keeps_nothing_and_says_where(users, phi_incident):
    bad = csv_file(["A1,Ann,a@example.org,CA,US,email\n", "A2,Bob,,CA,US,email\n"])
    with pytest.raises(ValidationFailed) as caught:
        services.individuals_upload(actor=users["dpo"], incident=phi_incident, uploaded_file=bad)
    assert "line 3, column contact" in caught.value.message
    assert not IndividualsUpload.objects.exists() and not AffectedIndividual.objects.exists()


@pytest.mark.django_db
@override_settings(AFFECTED_INDIVIDUALS_MAX_BYTES=100)
def test_the_upload_limit_is_enforced_before_reading(users, phi_incident):
    with pytest.raises(EvidenceTooLarge, match="limited to 100 bytes"):
        services.individuals_upload(
            actor=users["dpo"], incident=phi_incident, uploaded_file=csv_file(people(5))
        )
    assert not IndividualsUpload.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["grc", "risk_officer", "auditor", "engineer", "ciso"])
def test_only_legal_and_the_dpo_handle_the_list(users, phi_incident, role):
    with pytest.raises(PermissionRefused, match="Only legal and the DPO"):
        services.individuals_upload(
            actor=users[role], incident=phi_incident, uploaded_file=csv_file(people(1))
        )
    services.individuals_upload(
        actor=users["legal"], incident=phi_incident, uploaded_file=csv_file(people(1))
    )
    with pytest.raises(PermissionRefused):
        services.individuals_status_update(
            actor=users[role], incident=phi_incident, status="notified", identifiers=["P00000"]
        )
    with pytest.raises(PermissionRefused):
        services.individuals_export(actor=users[role], incident=phi_incident)
    assert not IndividualsExport.objects.exists()


@pytest.mark.django_db
def test_statuses_single_and_bulk_with_their_rules(users, phi_incident):
    services.individuals_upload(
        actor=users["dpo"],
        incident=phi_incident,
        uploaded_file=csv_file(people(3) + ["Q1,No channel,q@example.org,CA,US,\n"]),
    )
    rows = services.individuals_status_update(
        actor=users["dpo"],
        incident=phi_incident,
        status="notified",
        identifiers=["P00000", "P00001"],
    )
    assert {(r.status, r.notified_channel, r.status_by_id) for r in rows} == {
        ("notified", "email", users["dpo"].pk)
    }
    with pytest.raises(ValidationFailed, match="Say why"):
        services.individuals_status_update(
            actor=users["dpo"], incident=phi_incident, status="failed", identifiers=["P00002"]
        )
    with pytest.raises(ValidationFailed, match="Q1 have none"):
        services.individuals_status_update(
            actor=users["dpo"], incident=phi_incident, status="notified", identifiers=["Q1"]
        )
    with pytest.raises(ValidationFailed, match="Not on the current list: NOPE"):
        services.individuals_status_update(
            actor=users["dpo"],
            incident=phi_incident,
            status="notified",
            identifiers=["P00002", "NOPE"],
        )
    assert AffectedIndividual.objects.get(identifier="P00002").status == "pending"
    one = AffectedIndividual.objects.get(identifier="P00002")
    row = services.individual_status_update(
        actor=users["legal"], individual=one, status="failed", reason="Mailbox does not exist"
    )
    assert row.status == "failed" and row.status_reason == "Mailbox does not exist"
    row.refresh_from_db()
    assert (
        row.history.first().history_type == "~"
        and row.history.first().history_user == users["legal"]
    )
    back = services.individual_status_update(actor=users["legal"], individual=row, status="pending")
    assert back.status_at is None and back.status_reason == ""
    assert verify_chain().intact


@pytest.mark.django_db
def test_the_export_streams_every_person_neutralised_and_is_recorded(users, phi_incident, client):
    services.individuals_upload(
        actor=users["dpo"],
        incident=phi_incident,
        uploaded_file=csv_file(people(2) + ["=HYPERLINK(1),Evil,e@example.org,CA,US,post\n"]),
    )
    services.individuals_status_update(
        actor=users["dpo"], incident=phi_incident, status="notified", identifiers=["P00000"]
    )
    client.force_login(users["legal"])
    response = client.get(f"/disclosure/incidents/{phi_incident.pk}/individuals/export.csv")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["identifier", "name", "contact"]
    assert [r[0] for r in rows[1:]] == ["P00000", "P00001", "'=HYPERLINK(1)"]
    assert rows[1][6] == "notified"
    pending = client.get(
        f"/disclosure/incidents/{phi_incident.pk}/individuals/export.csv?status=pending"
    )
    assert len(b"".join(pending.streaming_content).decode().strip().splitlines()) == 3
    exports = list(IndividualsExport.objects.order_by("exported_at", "id"))
    assert [(e.exported_by, e.row_count, e.status_filter) for e in exports] == [
        (users["legal"], 3, ""),
        (users["legal"], 2, "pending"),
    ]


# --- pages and API, both ways ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_shows_the_list_and_the_counts_in_the_facts(users, phi_incident, client):
    services.individuals_upload(
        actor=users["dpo"], incident=phi_incident, uploaded_file=csv_file(people(3))
    )
    client.force_login(users["dpo"])
    incident_page = client.get(phi_incident.get_absolute_url()).content.decode()
    assert f"/disclosure/incidents/{phi_incident.pk}/individuals/" in incident_page
    html = client.get(f"/disclosure/incidents/{phi_incident.pk}/individuals/").content.decode()
    assert "P00002" in html and "p2@example.org" in html
    assert 'id="people-count">3<' in html and "The facts match this list." in html
    # Someone changes the count by hand: the page says they now differ.
    services.incident_facts_update(
        actor=users["grc"], incident=phi_incident, data={"phi_individuals": 7}
    )
    html = client.get(f"/disclosure/incidents/{phi_incident.pk}/individuals/").content.decode()
    assert "they now say 7 individuals" in html


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["grc", "auditor", "risk_officer", "executive"])
def test_the_page_and_its_forms_refuse_other_roles(users, phi_incident, client, role):
    services.individuals_upload(
        actor=users["dpo"], incident=phi_incident, uploaded_file=csv_file(people(2))
    )
    client.force_login(users[role])
    assert (
        f"/disclosure/incidents/{phi_incident.pk}/individuals/"
        not in client.get(phi_incident.get_absolute_url()).content.decode()
    )
    base = f"/disclosure/incidents/{phi_incident.pk}/individuals/"
    for response in (
        client.get(base),
        client.get(base + "export.csv"),
        client.get(base + "file/"),
        client.post(base + "upload/", {"file": csv_file(people(1))}),
        client.post(base + "status/", {"status": "notified", "identifiers": "P00000"}),
    ):
        assert response.status_code == 403
        assert "Only legal and the DPO" in response.content.decode()
    assert AffectedIndividual.objects.filter(status="pending").count() == 2
    assert not IndividualsExport.objects.exists()


@pytest.mark.django_db
def test_the_forms_upload_and_update_in_bulk(users, phi_incident, client):
    client.force_login(users["legal"])
    base = f"/disclosure/incidents/{phi_incident.pk}/individuals/"
    response = client.post(base + "upload/", {"file": csv_file(people(3))})
    assert response.status_code == 302
    ids = list(AffectedIndividual.objects.order_by("row_number").values_list("pk", flat=True))
    response = client.post(
        base + "status/",
        {"status": "not_notified", "reason": "Deceased", "ids": ids[:2], "identifiers": ""},
    )
    assert response.status_code == 302
    assert AffectedIndividual.objects.filter(status="not_notified").count() == 2
    bad = client.post(base + "upload/", {"file": csv_file(["X,,,,,\n"])}, follow=True)
    assert "line 2, column contact" in bad.content.decode()


@pytest.mark.django_db
def test_api_upload_read_update_and_export_for_the_dpo(users, phi_incident, api_client_for):
    api = api_client_for(users["dpo"])
    base = f"/api/v1/incidents/{phi_incident.pk}/affected-individuals/"
    response = api.post(base, {"file": csv_file(people(3))}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["upload"]["row_count"] == 3 and body["facts_individuals"] == 3
    assert body["facts_match"] is True and body["counts"]["pending"] == 3
    listed = api.get(base + "people/?status=pending").json()
    assert listed["count"] == 3 and listed["results"][0]["identifier"] == "P00000"
    bulk = api.post(
        base + "statuses/",
        {"status": "failed", "reason": "Bounced", "identifiers": ["P00000", "P00001"]},
        format="json",
    )
    assert bulk.json() == {"updated": 2, "status": "failed"}
    person = listed["results"][2]["id"]
    single = api.post(
        f"/api/v1/affected-individuals/{person}/status/",
        {"status": "notified", "channel": "post"},
        format="json",
    )
    assert single.status_code == 200 and single.json()["notified_channel"] == "post"
    export = api.get(base + "export/?status=failed")
    assert export.status_code == 200
    lines = b"".join(export.streaming_content).decode().strip().splitlines()
    assert len(lines) == 3
    bad = api.post(base, {"file": csv_file(["A,,,,,\n"])}, format="multipart")
    assert bad.status_code == 400 and "line 2, column contact" in bad.json()["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["grc", "auditor", "engineer"])
def test_api_refuses_other_roles_in_the_rules_words(users, phi_incident, api_client_for, role):
    services.individuals_upload(
        actor=users["dpo"], incident=phi_incident, uploaded_file=csv_file(people(2))
    )
    person = AffectedIndividual.objects.first()
    api = api_client_for(users[role])
    base = f"/api/v1/incidents/{phi_incident.pk}/affected-individuals/"
    for response in (
        api.get(base),
        api.get(base + "people/"),
        api.get(base + "export/"),
        api.get(base + "file/"),
        api.post(base, {"file": csv_file(people(1))}, format="multipart"),
        api.post(base + "statuses/", {"status": "pending", "ids": [person.pk]}, format="json"),
        api.post(
            f"/api/v1/affected-individuals/{person.pk}/status/",
            {"status": "pending"},
            format="json",
        ),
    ):
        assert response.status_code == 403, response.content
        assert "Only legal and the DPO" in response.json()["message"]
    assert not IndividualsExport.objects.exists()
    assert IndividualsUpload.objects.count() == 1


@pytest.mark.django_db
def test_the_uploaded_file_is_served_only_while_its_hash_matches(users, phi_incident, client):
    upload_file = csv_file(people(2))
    content = upload_file.read()
    upload_file.seek(0)
    upload = services.individuals_upload(
        actor=users["dpo"], incident=phi_incident, uploaded_file=upload_file
    )
    client.force_login(users["dpo"])
    url = f"/disclosure/incidents/{phi_incident.pk}/individuals/file/"
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == content
    assert response["X-Evidence-SHA256"] == upload.sha256
    # Altered on disk: not served, and the failed check is recorded.
    with open(upload.file.path, "ab") as handle:
        handle.write(b"X9,Intruder,x@example.org,CA,US,email\n")
    tampered = client.get(url, follow=True)
    assert "no longer matches the SHA-256" in tampered.content.decode()
    records = list(
        IndividualsExport.objects.order_by("exported_at", "id").values_list("what", "hash_verified")
    )
    assert records == [("original_file", True), ("original_file", False)]
    client.force_login(users["grc"])
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_api_serves_the_uploaded_file_to_legal_only(users, phi_incident, api_client_for):
    services.individuals_upload(
        actor=users["dpo"], incident=phi_incident, uploaded_file=csv_file(people(2))
    )
    url = f"/api/v1/incidents/{phi_incident.pk}/affected-individuals/file/"
    response = api_client_for(users["legal"]).get(url)
    assert response.status_code == 200 and b"P00001" in b"".join(response.streaming_content)
    assert api_client_for(users["auditor"]).get(url).status_code == 403


@pytest.mark.django_db
def test_the_store_check_re_hashes_the_uploaded_lists(users, phi_incident, capsys):
    from django.core.management import call_command

    upload = services.individuals_upload(
        actor=users["dpo"], incident=phi_incident, uploaded_file=csv_file(people(2))
    )
    call_command("verify_stored_files")
    assert "1 lists of affected individuals intact." in capsys.readouterr().out
    with open(upload.file.path, "ab") as handle:
        handle.write(b"tampered\n")
    with pytest.raises(SystemExit):
        call_command("verify_stored_files")
    assert f"list of affected individuals #{upload.pk}" in capsys.readouterr().err


@pytest.mark.django_db
def test_a_large_list_is_written_in_batches_and_stays_on_the_audit_chain(users, phi_incident):
    """More rows than one statement takes (``BULK_BATCH``): the upload and a bulk update go
    through in batches, every row with its chained history record; more than 10,000 people at
    once are refused before anything is read."""
    services.individuals_upload(
        actor=users["dpo"],
        incident=phi_incident,
        uploaded_file=csv_file(people(2_500, "TX")),
    )
    assert AffectedIndividual.objects.filter(upload__incident=phi_incident).count() == 2_500
    rows = services.individuals_status_update(
        actor=users["dpo"],
        incident=phi_incident,
        status="notified",
        identifiers=[f"P{i:05d}" for i in range(2_100)],
    )
    assert len(rows) == 2_100
    with pytest.raises(ValidationFailed, match="At most 10,000 people"):
        services.individuals_status_update(
            actor=users["dpo"],
            incident=phi_incident,
            status="pending",
            identifiers=[f"P{i:05d}" for i in range(10_001)],
        )
    assert AffectedIndividual.history.filter(incident_id=phi_incident.pk).count() == 4_600
    assert obligation(phi_incident, "hipaa_media").proposed == "yes"
    assert verify_chain().intact
