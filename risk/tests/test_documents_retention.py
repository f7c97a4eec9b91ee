"""Retention: the purge deletes only evidence past its period and not under a legal hold,
leaves a tombstone on the case file, keeps the audit chain verifiable, and a dry run deletes
nothing. Legal holds are placed and released by GRC or legal only, on the incident's timeline."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from aims.audit.chain import verify_chain
from aims.core.exceptions import Conflict, PermissionRefused, ValidationFailed
from incidents.choices import HarmFlag, Status
from incidents.models import Evidence, TimelineEntry
from incidents.services import incident_transition
from incidents.tests.factories import PATH, add_evidence, ready_incident, ready_to_close
from risk import services
from risk.choices import RetentionRecordType
from risk.models import LegalHold, PurgeTombstone, RetentionRule

pytestmark = pytest.mark.django_db


def closed_incident(actor, system, *, personal=False, extra_name="extra.csv"):
    data = {"harm_flags": [HarmFlag.PERSONAL_DATA_BREACH]} if personal else {}
    incident = ready_incident(actor, system, **data)
    extra = add_evidence(incident, actor, content=f"{extra_name}\n".encode(), name=extra_name)
    ready_to_close(incident, actor)
    for step in PATH[Status.CLOSED]:
        incident = incident_transition(actor=actor, incident=incident, to=step, reason="Step.")
    return incident, extra


@pytest.fixture
def rules():
    for record_type in (RetentionRecordType.EVIDENCE_PERSONAL, RetentionRecordType.EVIDENCE_OTHER):
        rule = RetentionRule.objects.get(record_type=record_type)
        rule.purge_enabled = True
        rule.save()
    return {r.record_type: r for r in RetentionRule.objects.all()}


@pytest.fixture
def closed(users, make_system, rules):
    system = make_system(name="Claims triage")
    with time_machine.travel("2026-01-05 10:00Z", tick=False):
        personal, personal_extra = closed_incident(
            users["grc"], system, personal=True, extra_name="names.csv"
        )
        other, other_extra = closed_incident(users["grc"], system, extra_name="metrics.csv")
    return {
        "personal": personal,
        "personal_extra": personal_extra,
        "other": other,
        "other_extra": other_extra,
    }


def test_dry_run_deletes_nothing(closed, capsys):
    with time_machine.travel("2030-01-01 10:00Z", tick=False):
        result = services.retention_purge(execute=False)
        call_command("purge_expired")
    assert closed["personal_extra"].pk in [c.evidence.pk for c in result.candidates]
    assert "would purge" in capsys.readouterr().out
    assert Evidence.objects.filter(pk=closed["personal_extra"].pk).exists()
    assert not PurgeTombstone.objects.exists()


def test_purge_deletes_only_what_is_past_retention_and_leaves_a_tombstone(
    users, closed, django_capture_on_commit_callbacks
):
    extra = closed["personal_extra"]
    storage, name = extra.file.storage, extra.file.name
    assert storage.exists(name)
    # Before the personal-data period (730 days after closure) ends: nothing goes.
    with time_machine.travel("2027-12-01 10:00Z", tick=False):
        assert services.retention_purge(execute=True).purged == []
    with (
        time_machine.travel("2028-02-01 10:00Z", tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = services.retention_purge(execute=True)
    assert not storage.exists(name)  # the file goes once the deletion is committed
    # The personal-data incident's extra file is past 730 days; the other incident's files
    # (six years) and the file the root cause cites stay.
    assert [t.record_pk for t in result.purged] == [extra.pk]
    assert not Evidence.objects.filter(pk=extra.pk).exists()
    assert Evidence.objects.filter(incident=closed["other"]).count() == 2
    assert any("referenced" in why for _label, why in result.kept)
    tombstone = PurgeTombstone.objects.get()
    assert tombstone.record_model == "incidents.evidence" and tombstone.sha256 == extra.sha256
    assert tombstone.incident == closed["personal"]
    assert tombstone.rule.record_type == RetentionRecordType.EVIDENCE_PERSONAL
    assert "730 days" in tombstone.rule_text and tombstone.run == result.run
    assert TimelineEntry.objects.filter(
        incident=closed["personal"], summary__contains="Purged past retention"
    ).exists()
    # The audit chain still verifies: the deletions are history records themselves.
    report = verify_chain()
    assert report.intact, report.problem
    # The case file's retention section lists the tombstone (the PDF itself is read back in
    # reporting/tests/test_case_file_retention.py).
    from aims.core.registry import report_sections

    section = next(s for s in report_sections() if s.name == "retention")
    assert section.context(closed["personal"])["tombstones"] == [tombstone]


def test_a_legal_hold_stops_the_purge_until_released(users, closed):
    incident = closed["personal"]
    with pytest.raises(PermissionRefused):
        services.legal_hold_place(actor=users["engineer"], incident=incident, reason="x")
    with pytest.raises(ValidationFailed):
        services.legal_hold_place(actor=users["legal"], incident=incident, reason="  ")
    hold = services.legal_hold_place(actor=users["legal"], incident=incident, reason="Litigation")
    with pytest.raises(Conflict):
        services.legal_hold_place(actor=users["grc"], incident=incident, reason="Twice")
    assert TimelineEntry.objects.filter(incident=incident, summary__contains="Legal hold placed")
    with time_machine.travel("2030-01-01 10:00Z", tick=False):
        result = services.retention_purge(execute=True)
    assert incident.pk not in {t.incident_id for t in result.purged}
    assert Evidence.objects.filter(pk=closed["personal_extra"].pk).exists()
    with pytest.raises(PermissionRefused):
        services.legal_hold_release(actor=users["auditor"], hold=hold, reason="done")
    services.legal_hold_release(actor=users["grc"], hold=hold, reason="Case settled")
    assert not LegalHold.objects.filter(released_at__isnull=True).exists()
    with time_machine.travel("2032-06-01 10:00Z", tick=False):
        result = services.retention_purge(execute=True)
    assert closed["personal_extra"].pk in [t.record_pk for t in result.purged]
    # After six years the other incident's unreferenced file goes too.
    assert closed["other_extra"].pk in [t.record_pk for t in result.purged]


def test_an_open_incident_is_never_purged(users, make_system, rules):
    system = make_system(name="Open one")
    with time_machine.travel("2020-01-01 10:00Z", tick=False):
        incident = ready_incident(users["grc"], system)
    with time_machine.travel("2030-01-01 10:00Z", tick=False):
        result = services.retention_purge(execute=True)
    assert incident.pk not in {t.incident_id for t in result.purged}
    assert Evidence.objects.filter(incident=incident).exists()


def test_a_disabled_rule_purges_nothing_and_only_grc_changes_rules(users, closed, rules):
    rule = rules[RetentionRecordType.EVIDENCE_PERSONAL]
    with pytest.raises(PermissionRefused):
        services.retention_rule_update(actor=users["legal"], rule=rule, data={"period_days": 1})
    with pytest.raises(ValidationFailed):
        services.retention_rule_update(actor=users["grc"], rule=rule, data={"legal_basis": ""})
    services.retention_rule_update(actor=users["grc"], rule=rule, data={"purge_enabled": False})
    with time_machine.travel(timezone.now() + timedelta(days=800), tick=False):
        result = services.retention_purge(execute=True)
    assert closed["personal_extra"].pk not in [t.record_pk for t in result.purged]
