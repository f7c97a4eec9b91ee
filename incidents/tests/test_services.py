"""Services of the incident register: filing, pinning versions, severity, evidence, waivers,
containment, the rollback guard and the timeline. Each rule is tested allowed and refused."""

import hashlib
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from aims.core.exceptions import (
    GuardFailed,
    IdempotencyConflict,
    PermissionRefused,
    ValidationFailed,
)
from incidents import services
from incidents.choices import (
    ApprovalSubject,
    ContainmentOption,
    CustodyAction,
    Severity,
    Status,
    TimelineKind,
)
from incidents.models import Evidence, EvidenceAccess, IdempotencyRecord, Incident
from incidents.services.evidence import EvidenceIntegrityFailed, EvidenceTooLarge

from .factories import (
    PNG_HEADER,
    add_evidence,
    deploy,
    file_incident,
    incident_data,
    model_version,
    upload,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def system(make_system):
    return make_system()


# --- filing and references ---------------------------------------------------------------------------


def test_references_are_inc_year_and_four_digits(users):
    with time_machine.travel(T0, tick=False):
        first = file_incident(users["engineer"])
        second = file_incident(users["grc"])
    assert (first.reference, second.reference) == ("INC-2026-0001", "INC-2026-0002")
    with time_machine.travel(datetime(2027, 1, 1, 0, 1, tzinfo=UTC), tick=False):
        assert file_incident(users["grc"]).reference == "INC-2027-0001"


def test_filing_records_reporter_and_timeline(users, system):
    incident = file_incident(users["engineer"], systems=[system])
    assert incident.status == Status.REPORTED
    assert incident.reported_by == users["engineer"]
    created = incident.timeline.get(kind=TimelineKind.CREATED)
    assert created.actor == users["engineer"]
    assert created.summary == f"Reported: {incident.title}"


@pytest.mark.parametrize("role", ["grc", "risk_officer", "engineer", "dpo", "legal", "ciso"])
def test_filing_roles_file_for_any_system(role, users, make_system):
    other_owner_system = make_system(business_owner=users["grc"])
    incident = file_incident(users[role], systems=[other_owner_system])
    assert list(incident.systems.all()) == [other_owner_system]


@pytest.mark.parametrize("role", ["auditor", "executive", "ethics"])
def test_read_only_roles_do_not_file(role, users):
    with pytest.raises(PermissionRefused):
        file_incident(users[role])
    assert Incident.objects.count() == 0


def test_detection_in_the_future_is_refused(users):
    with pytest.raises(ValidationFailed) as refused:
        file_incident(users["grc"], detected_at=timezone.now() + timedelta(hours=1))
    assert refused.value.fields == {"detected_at": ["future"]}


def test_failure_cannot_begin_after_detection(users):
    now = timezone.now()
    with pytest.raises(ValidationFailed) as refused:
        file_incident(users["grc"], detected_at=now, failure_began_at=now + timedelta(minutes=1))
    assert "failure_began_at" in refused.value.fields


def test_status_cannot_be_set_by_filing_or_editing(users):
    with pytest.raises(ValidationFailed):
        services.incident_create(
            actor=users["grc"], data=incident_data(status=Status.CLOSED), systems=[]
        )
    incident = file_incident(users["grc"])
    with pytest.raises(ValidationFailed):
        services.incident_update(actor=users["grc"], incident=incident, data={"status": "closed"})


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_filing_gets_gapless_unique_references(users):
    workers, per_worker = 6, 3
    errors, barrier = [], threading.Barrier(workers)
    year = timezone.now().year

    def file_some(n):
        try:
            barrier.wait()
            for i in range(per_worker):
                file_incident(users["engineer"], title=f"Parallel {n}-{i}")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=file_some, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    references = sorted(Incident.objects.values_list("reference", flat=True))
    assert references == [f"INC-{year}-{i:04d}" for i in range(1, workers * per_worker + 1)]


def test_idempotent_filing_returns_the_same_incident(users):
    engineer = users["engineer"]
    kwargs = {"data": incident_data(), "systems": [], "severity": None, "severity_reason": ""}
    first, replayed = services.incident_create_idempotent(
        actor=engineer, key="alert-42", request_hash="h1", **kwargs
    )
    assert replayed is False
    again, replayed = services.incident_create_idempotent(
        actor=engineer, key="alert-42", request_hash="h1", **kwargs
    )
    assert (again.pk, replayed) == (first.pk, True)
    with pytest.raises(IdempotencyConflict):
        services.incident_create_idempotent(
            actor=engineer, key="alert-42", request_hash="h2", **kwargs
        )
    assert Incident.objects.count() == 1
    # Keys belong to their user: another user's same key is another request.
    other, replayed = services.incident_create_idempotent(
        actor=users["grc"], key="alert-42", request_hash="h1", **kwargs
    )
    assert other.pk != first.pk and replayed is False
    assert IdempotencyRecord.objects.count() == 2


# --- affected systems pin the version in production at detection -----------------------------------


def test_affected_system_is_pinned_to_the_version_in_production_at_detection(users, system):
    grc = users["grc"]
    v1, v2 = model_version(system, grc, "v1"), model_version(system, grc, "v2")
    now = timezone.now()
    first = deploy(system, grc, v1, at=now - timedelta(days=10))
    deploy(system, grc, v2, at=now - timedelta(days=2))

    incident = file_incident(grc, systems=[system], detected_at=now - timedelta(days=5))
    affected = incident.affected_systems.get()
    assert affected.model_version == v1
    assert affected.deployment == first
    assert affected.artifact_digest == "sha256:v1-digest"
    assert affected.training_data_version == "data-v1"
    assert affected.prompt_config_version == "prompt-v1"
    entry = incident.timeline.get(kind=TimelineKind.SYSTEM)
    assert entry.data["model_version"] == "v1"
    assert entry.data["artifact_digest"] == "sha256:v1-digest"

    services.incident_update(
        actor=grc, incident=incident, data={"detected_at": now - timedelta(days=1)}
    )
    affected.refresh_from_db()
    assert (affected.model_version, affected.artifact_digest) == (v2, "sha256:v2-digest")
    assert affected.training_data_version == "data-v2"


def test_a_system_with_nothing_in_production_at_detection_is_not_pinned(users, system):
    grc = users["grc"]
    version = model_version(system, grc, "v1")
    deploy(system, grc, version, at=timezone.now() - timedelta(days=1))
    incident = file_incident(grc, systems=[system], detected_at=timezone.now() - timedelta(days=3))
    affected = incident.affected_systems.get()
    assert affected.model_version is None and affected.artifact_digest == ""


def test_an_affected_system_is_added_once(users, system):
    incident = file_incident(users["grc"], systems=[system])
    with pytest.raises(ValidationFailed) as refused:
        services.incident_add_system(actor=users["grc"], incident=incident, system=system)
    assert "already an affected system" in refused.value.message


def test_the_reporter_adds_systems_and_others_do_not(users, make_user, make_system):
    reporter, stranger = make_user("engineer"), make_user("engineer")
    incident = file_incident(reporter)
    services.incident_add_system(actor=reporter, incident=incident, system=make_system())
    with pytest.raises(PermissionRefused):
        services.incident_add_system(actor=stranger, incident=incident, system=make_system())


# --- severity -------------------------------------------------------------------------------------------


def test_severity_needs_a_reason(users, system):
    incident = file_incident(users["grc"], systems=[system])
    for reason in ("", "   "):
        with pytest.raises(ValidationFailed) as refused:
            services.incident_set_severity(
                actor=users["grc"], incident=incident, severity=Severity.P1, reason=reason
            )
        assert refused.value.fields == {"reason": ["required"]}
    incident.refresh_from_db()
    assert incident.severity is None


def test_severity_changes_are_on_the_timeline_with_reason_and_suggestion(users, system):
    incident = file_incident(
        users["grc"],
        systems=[system],
        types=["bias"],
        severity=Severity.P2,
        severity_reason="First",
    )
    services.incident_set_severity(
        actor=users["risk_officer"],
        incident=incident,
        severity=Severity.P1,
        reason="Bias confirmed",
    )
    entries = list(incident.timeline.filter(kind=TimelineKind.SEVERITY).order_by("at", "id"))
    assert [(e.data["from"], e.data["to"]) for e in entries] == [(None, 2), (2, 1)]
    assert entries[1].actor == users["risk_officer"]
    assert entries[1].data["reason"] == "Bias confirmed"
    assert entries[1].data["suggested"] == Severity.P1
    assert (
        entries[1].summary == f"Severity {Severity.P2.label} → {Severity.P1.label}: Bias confirmed"
    )


def test_setting_the_same_severity_again_is_refused(users, system):
    incident = file_incident(users["grc"], systems=[system], severity=2, severity_reason="x")
    with pytest.raises(ValidationFailed):
        services.incident_set_severity(
            actor=users["grc"], incident=incident, severity=2, reason="y"
        )


def test_an_engineer_who_sees_the_incident_may_escalate(users, system):
    # The engineer owns the system, so sees the incident filed by GRC.
    incident = file_incident(
        users["grc"], systems=[system], severity=Severity.P3, severity_reason="x"
    )
    incident = services.incident_set_severity(
        actor=users["engineer"], incident=incident, severity=Severity.P1, reason="Customers hit"
    )
    assert incident.severity == Severity.P1


def test_de_escalation_needs_grc_or_the_risk_officer_even_for_the_lead(users, make_user, system):
    lead = make_user("engineer")
    incident = file_incident(
        users["grc"], systems=[system], severity=Severity.P1, severity_reason="x"
    )
    services.incident_assign_lead(actor=users["grc"], incident=incident, lead=lead)
    with pytest.raises(PermissionRefused) as refused:
        services.incident_set_severity(
            actor=lead, incident=incident, severity=Severity.P2, reason="Smaller than thought"
        )
    assert "Lowering the severity needs GRC staff or the AI risk officer" in refused.value.message
    incident = services.incident_set_severity(
        actor=users["risk_officer"], incident=incident, severity=Severity.P2, reason="Smaller"
    )
    incident = services.incident_set_severity(
        actor=users["grc"], incident=incident, severity=Severity.P3, reason="Smaller still"
    )
    assert incident.severity == Severity.P3


@pytest.mark.parametrize("role", ["auditor", "executive"])
def test_read_only_roles_do_not_change_severity(role, users, system):
    incident = file_incident(
        users["grc"], systems=[system], severity=Severity.P3, severity_reason="x"
    )
    with pytest.raises(PermissionRefused):
        services.incident_set_severity(
            actor=users[role], incident=incident, severity=Severity.P0, reason="Looks bad"
        )


# --- evidence ----------------------------------------------------------------------------------------


def test_evidence_is_hashed_sized_and_typed_from_its_content(users, system):
    incident = file_incident(users["grc"], systems=[system])
    content = b"timestamp,input,output\n2026-03-01,postcode 1011,rejected\n"
    evidence = services.evidence_add(
        actor=users["engineer"],
        incident=incident,
        uploaded_file=upload(content, "sample.csv"),
        kind="sample_io",
        description="Failing decisions",
    )
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.size == len(content)
    assert evidence.media_type == "text/plain"
    assert evidence.captured_by == users["engineer"]
    assert evidence.original_name == "sample.csv"
    with evidence.file.open("rb") as stored:
        assert stored.read() == content
    custody = EvidenceAccess.objects.get(evidence=evidence)
    assert (custody.action, custody.user, custody.hash_verified) == (
        CustodyAction.UPLOADED,
        users["engineer"],
        True,
    )
    incident.refresh_from_db()
    assert incident.evidence_preserved_at == evidence.captured_at
    entry = incident.timeline.get(kind=TimelineKind.EVIDENCE)
    assert entry.data["sha256"] == evidence.sha256 and entry.actor == users["engineer"]


def test_media_type_comes_from_the_content_not_the_name(users, system):
    incident = file_incident(users["grc"], systems=[system])
    evidence = services.evidence_add(
        actor=users["grc"],
        incident=incident,
        uploaded_file=upload(PNG_HEADER + b"\x00" * 64, "notes.txt"),
        kind="screenshot",
    )
    assert evidence.media_type == "image/png"


def test_an_unsafe_file_name_is_stored_safely(users, system):
    incident = file_incident(users["grc"], systems=[system])
    evidence = services.evidence_add(
        actor=users["grc"],
        incident=incident,
        uploaded_file=upload(b"x", "../../etc/pass wd"),
        kind="other",
    )
    assert evidence.original_name == "pass_wd"
    assert ".." not in evidence.file.name


def test_evidence_over_the_limit_is_refused(users, system, settings):
    settings.EVIDENCE_MAX_BYTES = 10
    incident = file_incident(users["grc"], systems=[system])
    with pytest.raises(EvidenceTooLarge) as refused:
        services.evidence_add(
            actor=users["grc"], incident=incident, uploaded_file=upload(b"x" * 11), kind="other"
        )
    assert refused.value.status_code == 413
    assert "limited to 10 bytes" in refused.value.message
    services.evidence_add(
        actor=users["grc"], incident=incident, uploaded_file=upload(b"x" * 10), kind="other"
    )


def test_empty_evidence_and_unknown_kinds_are_refused(users, system):
    incident = file_incident(users["grc"], systems=[system])
    with pytest.raises(ValidationFailed):
        services.evidence_add(
            actor=users["grc"], incident=incident, uploaded_file=upload(b""), kind="other"
        )
    with pytest.raises(ValidationFailed):
        services.evidence_add(
            actor=users["grc"], incident=incident, uploaded_file=upload(b"x"), kind="selfie"
        )
    assert Evidence.objects.count() == 0


def test_evidence_is_write_once():
    """There is no service that edits or deletes evidence, and the model keeps its facts fixed."""
    names = set(dir(services))
    assert not {n for n in names if n.startswith("evidence_") and n.endswith(("update", "delete"))}
    for field in ("file", "sha256", "size", "media_type"):
        assert Evidence._meta.get_field(field).editable is False


@pytest.mark.parametrize("role", ["auditor", "executive"])
def test_read_only_roles_add_no_evidence(role, users, system):
    incident = file_incident(users["grc"], systems=[system])
    with pytest.raises(PermissionRefused):
        add_evidence(incident, users[role])


def test_evidence_open_re_verifies_the_hash_and_logs_custody(users, system):
    incident = file_incident(users["grc"], systems=[system])
    evidence = add_evidence(incident, users["grc"], content=b"original bytes")
    with services.evidence_open(actor=users["auditor"], evidence=evidence) as handle:
        assert handle.read() == b"original bytes"
    with open(evidence.file.path, "wb") as tampered:
        tampered.write(b"changed bytes")
    with pytest.raises(EvidenceIntegrityFailed) as refused:
        services.evidence_open(actor=users["auditor"], evidence=evidence)
    assert refused.value.status_code == 409
    actions = list(evidence.custody.order_by("at", "id").values_list("action", "hash_verified"))
    assert actions == [
        (CustodyAction.UPLOADED, True),
        (CustodyAction.DOWNLOADED, True),
        (CustodyAction.INTEGRITY_FAILED, False),
    ]


# --- waiver and containment ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["grc", "engineer", "dpo", "auditor"])
def test_only_the_risk_officer_waives_preserve_first(role, users, system):
    incident = file_incident(users["grc"], systems=[system])
    with pytest.raises(PermissionRefused):
        services.evidence_waiver_approve(actor=users[role], incident=incident, reason="Urgent")
    assert not incident.approvals.exists()


def test_a_waiver_needs_a_reason_and_is_given_once(users, system):
    incident = file_incident(users["grc"], systems=[system])
    officer = users["risk_officer"]
    with pytest.raises(ValidationFailed):
        services.evidence_waiver_approve(actor=officer, incident=incident, reason=" ")
    approval = services.evidence_waiver_approve(
        actor=officer, incident=incident, reason="Harm ongoing; logs retained upstream."
    )
    assert (approval.subject, approval.approved_by) == (ApprovalSubject.EVIDENCE_WAIVER, officer)
    assert incident.timeline.get(kind=TimelineKind.APPROVAL).actor == officer
    with pytest.raises(ValidationFailed):
        services.evidence_waiver_approve(actor=officer, incident=incident, reason="Again")


def test_containment_is_refused_before_evidence(users, system):
    incident = file_incident(users["grc"], systems=[system])
    with pytest.raises(GuardFailed) as refused:
        services.containment_decide(
            actor=users["grc"], incident=incident, option=ContainmentOption.PAUSE, rationale="Stop"
        )
    assert refused.value.message.startswith("Preserve evidence first")
    assert not incident.containment_decisions.exists()


def test_containment_after_evidence_or_with_a_waiver(users, system, make_system):
    incident = file_incident(users["grc"], systems=[system])
    add_evidence(incident, users["engineer"])
    decision = services.containment_decide(
        actor=users["grc"], incident=incident, option=ContainmentOption.PAUSE, rationale="Stop"
    )
    assert decision.waiver is None and decision.decided_by == users["grc"]
    assert incident.timeline.filter(kind=TimelineKind.DECISION).count() == 1

    waived = file_incident(users["grc"], systems=[make_system()])
    approval = services.evidence_waiver_approve(
        actor=users["risk_officer"], incident=waived, reason="Live harm"
    )
    decision = services.containment_decide(
        actor=users["grc"], incident=waived, option=ContainmentOption.NONE_NEEDED, rationale="Off"
    )
    assert decision.waiver == approval


def test_containment_reroute_to_a_known_good_version_of_an_affected_system(
    users, system, make_system
):
    grc = users["grc"]
    good = model_version(system, grc, "v1")
    elsewhere = model_version(make_system(), grc, "v9")
    incident = file_incident(grc, systems=[system])
    add_evidence(incident, grc)
    with pytest.raises(ValidationFailed):
        services.containment_decide(
            actor=grc,
            incident=incident,
            option="reroute",
            rationale="x",
            fallback_version=elsewhere,
        )
    with pytest.raises(ValidationFailed):
        services.containment_decide(
            actor=grc, incident=incident, option="pause", rationale="x", fallback_version=good
        )
    decision = services.containment_decide(
        actor=grc,
        incident=incident,
        option="reroute",
        rationale="Back to v1",
        fallback_version=good,
    )
    assert decision.fallback_version == good


@pytest.mark.parametrize("role", ["engineer", "auditor"])
def test_containment_is_decided_by_managers_or_the_lead_only(role, users, system):
    incident = file_incident(users["grc"], systems=[system])
    add_evidence(incident, users["grc"])
    with pytest.raises(PermissionRefused):
        services.containment_decide(
            actor=users[role], incident=incident, option=ContainmentOption.PAUSE, rationale="Stop"
        )


# --- the rollback guard on the change log -----------------------------------------------------------


def test_rollback_of_an_affected_system_waits_for_evidence(users, system, make_system):
    grc = users["grc"]
    v1, v2 = model_version(system, grc, "v1"), model_version(system, grc, "v2")
    deploy(system, grc, v1, at=timezone.now() - timedelta(days=9))
    deploy(system, grc, v2, at=timezone.now() - timedelta(days=2))
    incident = file_incident(users["engineer"], systems=[system])

    with pytest.raises(GuardFailed) as refused:
        deploy(system, users["engineer"], v1, at=timezone.now(), change_type="rollback")
    assert f"{incident.reference} is open for {system.reference}" in refused.value.message
    assert "Preserve evidence first" in refused.value.message
    assert system.deployments.count() == 2

    # Other change types and other systems are not held up.
    deploy(system, grc, v2, at=timezone.now() - timedelta(hours=1), change_type="config_change")
    other = make_system()
    deploy(other, grc, model_version(other, grc, "v1"), change_type="rollback")

    add_evidence(incident, users["engineer"])
    rollback = deploy(system, users["engineer"], v1, at=timezone.now(), change_type="rollback")
    assert rollback.change_type == "rollback"


def test_rollback_with_a_waiver_or_after_the_incident_is_over(users, system):
    grc = users["grc"]
    v1 = model_version(system, grc, "v1")
    incident = file_incident(grc, systems=[system])
    services.evidence_waiver_approve(actor=users["risk_officer"], incident=incident, reason="Now")
    deploy(system, grc, v1, at=timezone.now(), change_type="rollback")

    rejected = file_incident(grc, systems=[system])
    services.incident_transition(actor=grc, incident=rejected, to="rejected", reason="Not AI")
    deploy(system, grc, v1, at=timezone.now(), change_type="rollback")


# --- people and notes ---------------------------------------------------------------------------------


def test_lead_assignment_and_participants(users, make_user, system):
    grc, lead = users["grc"], make_user("engineer")
    incident = file_incident(grc, systems=[system])
    with pytest.raises(PermissionRefused):
        services.incident_assign_lead(actor=users["engineer"], incident=incident, lead=lead)
    with pytest.raises(ValidationFailed):
        services.incident_assign_lead(actor=grc, incident=incident, lead=users["auditor"])
    incident = services.incident_assign_lead(actor=grc, incident=incident, lead=lead)
    assert incident.lead == lead
    assert incident.participants.get().part == "lead"
    scribe = services.participant_add(
        actor=lead, incident=incident, user=users["dpo"], part="scribe"
    )
    assert scribe.user == users["dpo"]
    with pytest.raises(ValidationFailed):
        services.participant_add(actor=lead, incident=incident, user=users["dpo"], part="scribe")
    with pytest.raises(PermissionRefused):
        services.participant_add(
            actor=users["engineer"], incident=incident, user=users["ciso"], part="subject_expert"
        )


def test_notes_are_checked_and_written_by_contributors(users, system):
    incident = file_incident(users["grc"], systems=[system])
    with pytest.raises(ValidationFailed):
        services.note_add(actor=users["engineer"], incident=incident, body="  ")
    with pytest.raises(PermissionRefused):
        services.note_add(actor=users["auditor"], incident=incident, body="Looks fine")
    entry = services.note_add(actor=users["engineer"], incident=incident, body=" Saw it again ")
    assert (entry.kind, entry.summary, entry.actor) == (
        TimelineKind.NOTE,
        "Saw it again",
        users["engineer"],
    )


# --- the timeline -------------------------------------------------------------------------------------


def test_the_timeline_is_written_in_order_with_actors(users, system):
    grc, engineer = users["grc"], users["engineer"]
    with time_machine.travel(T0, tick=False) as clock:
        incident = file_incident(
            engineer, systems=[system], severity=Severity.P2, severity_reason="x"
        )
        clock.shift(timedelta(minutes=5))
        add_evidence(incident, engineer)
        clock.shift(timedelta(minutes=5))
        services.note_add(actor=engineer, incident=incident, body="Seen on 3% of traffic")
        clock.shift(timedelta(minutes=5))
        services.incident_transition(actor=grc, incident=incident, to=Status.TRIAGED)
        clock.shift(timedelta(minutes=5))
        services.incident_set_severity(actor=grc, incident=incident, severity=1, reason="Bias")

    interesting = {
        TimelineKind.CREATED,
        TimelineKind.SYSTEM,
        TimelineKind.SEVERITY,
        TimelineKind.EVIDENCE,
        TimelineKind.NOTE,
        TimelineKind.STATUS,
    }
    entries = [e for e in incident.timeline.order_by("at", "id") if e.kind in interesting]
    assert [(e.kind, e.actor) for e in entries] == [
        (TimelineKind.CREATED, engineer),
        (TimelineKind.SYSTEM, engineer),
        (TimelineKind.SEVERITY, engineer),
        (TimelineKind.EVIDENCE, engineer),
        (TimelineKind.NOTE, engineer),
        (TimelineKind.STATUS, grc),
        (TimelineKind.SEVERITY, grc),
    ]
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    assert entries[0].at == T0 and entries[-1].at == T0 + timedelta(minutes=20)
