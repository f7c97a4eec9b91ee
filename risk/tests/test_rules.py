"""The methodology's pure rules, with plain values."""

import pytest

from risk import rules

LEVELS = tuple(rules.Level(n, f"L{n}", f"definition {n}") for n in rules.LEVELS)
BANDS = (
    rules.Band("low", "Low", 1, 4, ("grc", "risk_officer")),
    rules.Band("medium", "Medium", 5, 9, ("risk_officer",)),
    rules.Band("high", "High", 10, 16, ("risk_officer",)),
    rules.Band("critical", "Critical", 17, 25, ("executive",)),
)
METHOD = rules.Method(likelihood=LEVELS, impact=LEVELS, bands=BANDS, acceptance_threshold=9)


@pytest.mark.parametrize(
    ("likelihood", "impact", "score", "band"),
    [
        (1, 1, 1, "low"),
        (2, 2, 4, "low"),
        (1, 5, 5, "medium"),
        (3, 3, 9, "medium"),
        (2, 5, 10, "high"),
        (4, 4, 16, "high"),
        (4, 5, 20, "critical"),
        (5, 5, 25, "critical"),
    ],
)
def test_score_and_band(likelihood, impact, score, band):
    assert rules.rate(likelihood, impact, METHOD) == rules.Rating(likelihood, impact, score, band)


@pytest.mark.parametrize(("likelihood", "impact"), [(0, 3), (6, 1), (3, None)])
def test_levels_outside_1_to_5_are_refused(likelihood, impact):
    with pytest.raises(ValueError, match="1 to 5"):
        rules.score(likelihood, impact)


def test_acceptance_above_threshold_only():
    assert not rules.needs_acceptance(9, METHOD)
    assert rules.needs_acceptance(10, METHOD)
    assert not rules.needs_acceptance(None, METHOD)


def test_who_may_accept_each_band():
    assert rules.may_accept(12, METHOD, {"risk_officer"})
    assert not rules.may_accept(12, METHOD, {"grc"})
    assert rules.may_accept(20, METHOD, {"executive"})
    assert not rules.may_accept(20, METHOD, {"risk_officer"})
    assert rules.may_accept(3, METHOD, {"grc"})


def test_a_valid_methodology_has_no_errors():
    assert rules.validate(METHOD) == []


def test_gaps_overlaps_missing_levels_and_acceptors_are_named():
    broken = rules.Method(
        likelihood=LEVELS[:4],
        impact=(*LEVELS[:4], rules.Level(5, "", "")),
        bands=(
            rules.Band("low", "Low", 1, 5),
            rules.Band("high", "High", 5, 20),
        ),
        acceptance_threshold=30,
    )
    errors = " ".join(rules.validate(broken))
    assert "likelihood scale needs exactly the levels 1 to 5" in errors
    assert "Level 5 of the impact scale needs a name and a definition" in errors
    assert "cover every score from 1 to 25 exactly once" in errors
    assert "acceptance threshold is a score from 1 to 25" in errors


def test_a_band_above_threshold_needs_roles():
    bands = (*BANDS[:3], rules.Band("critical", "Critical", 17, 25, ()))
    method = rules.Method(likelihood=LEVELS, impact=LEVELS, bands=bands, acceptance_threshold=9)
    assert rules.validate(method) == [
        "Band Critical reaches above the acceptance threshold: name the roles that may accept "
        "its risks."
    ]


def test_matrix_rows_run_from_likelihood_5_down_with_counts_and_mark():
    matrix = rules.matrix(METHOD, {(5, 1): 2}, marked=(1, 5))
    assert [row[0].likelihood for row in matrix.rows] == [5, 4, 3, 2, 1]
    assert matrix.rows[0][0].count == 2 and matrix.rows[0][0].score == 5
    assert matrix.rows[4][4].marked and matrix.rows[4][4].band == "medium"
    assert sum(cell.marked for row in matrix.rows for cell in row) == 1


def test_method_from_stored_json():
    method = rules.method_from(
        [{"level": n, "name": "x", "definition": "y"} for n in range(1, 6)],
        [{"level": n, "name": "x", "definition": "y"} for n in range(1, 6)],
        [{"code": "all", "label": "All", "min_score": 1, "max_score": 25, "accept_roles": ["grc"]}],
        25,
        version=3,
    )
    assert method.version == 3 and method.bands[0].accept_roles == ("grc",)
    assert rules.validate(method) == []
