"""The review's computed parts as plain values: the timeline numbers and each documentation
duty, met and missed."""

from datetime import UTC, datetime, timedelta

from capa.post_incident import (
    SystemFacts,
    documentation_check,
    last_change_since,
    timeline,
)

T = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_timeline_numbers_from_the_milestones():
    line = timeline(
        failure_began=T,
        detected=T + timedelta(hours=6),
        contained=T + timedelta(hours=8),
        resolved=T + timedelta(days=3, hours=6),
        closed=T + timedelta(days=5),
    )
    assert line.time_to_detect == timedelta(hours=6)
    assert line.time_to_contain == timedelta(hours=2)
    assert line.time_to_resolve == timedelta(days=3)
    assert line.total == timedelta(days=3, hours=6)
    values = line.as_dict()
    assert values["time_to_detect_seconds"] == 6 * 3600
    assert values["total_seconds"] == (3 * 24 + 6) * 3600
    assert values["began_estimated"] is True


def test_without_a_failure_start_detection_stands_in_and_a_skipped_step_stays_empty():
    line = timeline(
        failure_began=None, detected=T, contained=None, resolved=T + timedelta(hours=5), closed=None
    )
    assert line.time_to_detect == timedelta(0) and line.began_estimated is False
    assert line.time_to_contain is None
    assert line.as_dict()["time_to_contain_seconds"] is None
    assert line.total == timedelta(hours=5)


def test_last_change_since_reads_a_history():
    rows = [(T - timedelta(days=9), "validated"), (T + timedelta(days=1), "validated")]
    assert last_change_since(rows, T) is None  # saved again, not changed
    rows.append((T + timedelta(days=2), "in_validation"))
    assert last_change_since(rows, T) == T + timedelta(days=2)
    assert last_change_since([(T + timedelta(hours=1), "x")], T) == T + timedelta(hours=1)


def facts(**extra):
    values = {
        "reference": "AIS-0001",
        "name": "Loan scoring",
        "validation_status": "Validation in progress",
        "validation_changed_at": T,
        "version_pinned": True,
        "model_card_url": "https://cards.example.com/loan",
        "model_card_changed_at": T,
        "rollback_logged_at": T,
        "rolled_back": False,
    }
    values.update(extra)
    return SystemFacts(**values)


def codes(check, ok=False):
    return {item.code for item in check.items if item.ok is ok}


def test_a_system_with_everything_updated_has_no_gap():
    check = documentation_check([facts()], limitation_revealed=True, rollback_done=True)
    assert check.complete
    assert codes(check, ok=True) == {
        "validation_status",
        "incident_link",
        "model_card",
        "rollback_logged",
    }


def test_each_gap_is_found():
    check = documentation_check(
        [
            facts(
                validation_changed_at=None,
                version_pinned=False,
                model_card_changed_at=None,
                rollback_logged_at=None,
            )
        ],
        limitation_revealed=True,
        rollback_done=True,
    )
    assert codes(check) == {"validation_status", "incident_link", "model_card", "rollback_logged"}
    assert not check.complete
    assert "AIS-0001" in check.gaps[0].message


def test_the_model_card_and_the_rollback_are_asked_for_only_when_they_apply():
    check = documentation_check(
        [facts(model_card_changed_at=None, rollback_logged_at=None)],
        limitation_revealed=False,
        rollback_done=False,
    )
    assert codes(check, ok=True) == {"validation_status", "incident_link"} and check.complete


def test_a_model_card_without_a_link_is_a_gap():
    check = documentation_check(
        [facts(model_card_url="")], limitation_revealed=True, rollback_done=False
    )
    assert codes(check) == {"model_card"}


def test_a_rerouted_system_must_log_its_rollback_and_only_it():
    rerouted = facts(reference="AIS-0001", rolled_back=True, rollback_logged_at=None)
    untouched = facts(reference="AIS-0002", rollback_logged_at=None)
    check = documentation_check(
        [rerouted, untouched], limitation_revealed=False, rollback_done=True
    )
    gaps = [(item.code, item.system) for item in check.gaps]
    assert gaps == [("rollback_logged", "AIS-0001")]
