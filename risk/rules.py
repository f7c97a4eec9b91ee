"""Pure rules of the risk methodology: scores, bands, acceptance — no database.

A methodology version is documented information (ISO/IEC 42001 clause 6.1.2: risk criteria,
scales, what is acceptable). The services read the version a risk is scored under as plain
values and ask these functions; a risk keeps the version it was scored under, so a new version
never changes a stored score by itself.
"""

from dataclasses import dataclass, field

LEVELS = (1, 2, 3, 4, 5)
MIN_SCORE, MAX_SCORE = 1, 25


@dataclass(frozen=True)
class Level:
    level: int
    name: str
    definition: str


@dataclass(frozen=True)
class Band:
    code: str
    label: str
    min_score: int
    max_score: int
    accept_roles: tuple[str, ...] = ()

    def contains(self, score: int) -> bool:
        return self.min_score <= score <= self.max_score


@dataclass(frozen=True)
class Method:
    likelihood: tuple[Level, ...]
    impact: tuple[Level, ...]
    bands: tuple[Band, ...]
    acceptance_threshold: int  # residual scores above this need an explicit acceptance
    version: int | None = None


@dataclass(frozen=True)
class Rating:
    likelihood: int
    impact: int
    score: int
    band: str


@dataclass(frozen=True)
class CellView:
    likelihood: int
    impact: int
    score: int
    band: str
    count: int = 0
    marked: bool = False


@dataclass
class Matrix:
    """Rows from likelihood 5 down to 1, columns impact 1 to 5: how the chart is read."""

    rows: list = field(default_factory=list)


def score(likelihood: int, impact: int) -> int:
    """Likelihood times impact, each 1–5."""
    if likelihood not in LEVELS or impact not in LEVELS:
        raise ValueError("likelihood and impact are levels 1 to 5")
    return likelihood * impact


def band_for(value: int, bands) -> Band | None:
    return next((b for b in bands if b.contains(value)), None)


def rate(likelihood: int, impact: int, method: Method) -> Rating:
    value = score(likelihood, impact)
    band = band_for(value, method.bands)
    return Rating(likelihood, impact, value, band.code if band else "")


def needs_acceptance(value: int | None, method: Method) -> bool:
    """A residual score above the threshold may stay only if an authorised role accepts it."""
    return value is not None and value > method.acceptance_threshold


def acceptance_roles(value: int, method: Method) -> tuple[str, ...]:
    band = band_for(value, method.bands)
    return band.accept_roles if band else ()


def may_accept(value: int, method: Method, roles) -> bool:
    """Whether a person holding ``roles`` may accept a residual risk of this score."""
    allowed = acceptance_roles(value, method)
    return bool(set(allowed) & set(roles))


def validate(method: Method) -> list[str]:
    """Every way the methodology is not usable, in words for the person drafting it."""
    errors = []
    for name, scale in (("likelihood", method.likelihood), ("impact", method.impact)):
        levels = sorted(level.level for level in scale)
        if levels != list(LEVELS):
            errors.append(f"The {name} scale needs exactly the levels 1 to 5, each once.")
        for level in scale:
            if not level.name.strip() or not level.definition.strip():
                errors.append(
                    f"Level {level.level} of the {name} scale needs a name and a definition."
                )
    codes = [b.code for b in method.bands]
    if len(set(codes)) != len(codes):
        errors.append("Each band needs its own code.")
    covered = []
    for band in sorted(method.bands, key=lambda b: b.min_score):
        if band.min_score > band.max_score:
            errors.append(f"Band {band.label}: its lowest score is above its highest.")
        covered.extend(range(band.min_score, band.max_score + 1))
    if sorted(covered) != list(range(MIN_SCORE, MAX_SCORE + 1)):
        errors.append(
            "The bands must cover every score from 1 to 25 exactly once, without gaps or overlaps."
        )
    if not MIN_SCORE <= method.acceptance_threshold <= MAX_SCORE:
        errors.append("The acceptance threshold is a score from 1 to 25.")
    for band in method.bands:
        if band.max_score > method.acceptance_threshold and not band.accept_roles:
            errors.append(
                f"Band {band.label} reaches above the acceptance threshold: name the roles that "
                "may accept its risks."
            )
    return errors


def matrix(method: Method, counts: dict | None = None, marked=None) -> Matrix:
    """The matrix as rows of cells (likelihood 5 at the top), with counts and one marked cell."""
    counts = counts or {}
    rows = []
    for likelihood in reversed(LEVELS):
        row = []
        for impact in LEVELS:
            value = likelihood * impact
            band = band_for(value, method.bands)
            row.append(
                CellView(
                    likelihood=likelihood,
                    impact=impact,
                    score=value,
                    band=band.code if band else "",
                    count=counts.get((likelihood, impact), 0),
                    marked=marked == (likelihood, impact),
                )
            )
        rows.append(row)
    return Matrix(rows=rows)


def method_from(likelihood, impact, bands, threshold, version=None) -> Method:
    """Plain values from the stored JSON of a methodology version."""
    return Method(
        likelihood=tuple(Level(int(x["level"]), x["name"], x["definition"]) for x in likelihood),
        impact=tuple(Level(int(x["level"]), x["name"], x["definition"]) for x in impact),
        bands=tuple(
            Band(
                code=b["code"],
                label=b["label"],
                min_score=int(b["min_score"]),
                max_score=int(b["max_score"]),
                accept_roles=tuple(b.get("accept_roles") or ()),
            )
            for b in bands
        ),
        acceptance_threshold=int(threshold),
        version=version,
    )
