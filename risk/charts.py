"""The heat map of a set of risks, drawn on the server as SVG.

One function draws it for the register page, the risk page and the PDFs, so what an auditor
takes away is the chart the product shows. Every text that reaches the SVG is escaped.
"""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import rules

CELL = 56
LEFT, TOP = 110, 34
# Fill and text per band code; an unknown code (a later methodology's own band) is grey.
BAND_COLOURS = {
    "low": ("#cfe8cf", "#1b4d1b"),
    "medium": ("#fbe7a1", "#5c4500"),
    "high": ("#f7b98b", "#6b2a00"),
    "critical": ("#e88a8a", "#5c0000"),
}
DEFAULT_COLOURS = ("#dddddd", "#222222")


def heat_map_svg(
    method: rules.Method,
    counts: dict | None = None,
    *,
    title: str,
    marked: tuple[int, int] | None = None,
    likelihood_names=None,
    impact_names=None,
) -> SafeString:
    """A 5x5 matrix: likelihood up, impact right, each cell coloured by its band, with the
    number of risks in it (``counts``) and one ``marked`` cell (a single risk's position)."""
    matrix = rules.matrix(method, counts or {}, marked)
    likelihood_names = likelihood_names or {lv.level: lv.name for lv in method.likelihood}
    impact_names = impact_names or {lv.level: lv.name for lv in method.impact}
    width, height = LEFT + 5 * CELL + 10, TOP + 5 * CELL + 46
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="heat-map" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{LEFT}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for r, row in enumerate(matrix.rows):
        y = TOP + r * CELL
        likelihood = row[0].likelihood
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + CELL / 2 + 4}" font-size="10" text-anchor="end">'
            f"{likelihood} {escape(likelihood_names.get(likelihood, ''))}</text>"
        )
        for c, cell in enumerate(row):
            x = LEFT + c * CELL
            fill, ink = BAND_COLOURS.get(cell.band, DEFAULT_COLOURS)
            label = (
                f"L{cell.likelihood} I{cell.impact} score {cell.score} {cell.band}: {cell.count}"
            )
            stroke = ' stroke="#000" stroke-width="3"' if cell.marked else ' stroke="#fff"'
            parts.append(
                f'<g><title>{escape(label)}</title><rect x="{x}" y="{y}" width="{CELL}" '
                f'height="{CELL}" fill="{fill}"{stroke}/>'
                f'<text x="{x + 4}" y="{y + 12}" font-size="9" fill="{ink}">{cell.score}</text>'
            )
            if cell.count:
                parts.append(
                    f'<text x="{x + CELL / 2}" y="{y + CELL / 2 + 7}" font-size="18" '
                    f'font-weight="bold" text-anchor="middle" fill="{ink}" '
                    f'class="heat-count">{cell.count}</text>'
                )
            if cell.marked:
                parts.append(
                    f'<text x="{x + CELL / 2}" y="{y + CELL / 2 + 7}" font-size="20" '
                    f'text-anchor="middle" fill="{ink}">&#9679;</text>'
                )
            parts.append("</g>")
    base = TOP + 5 * CELL
    for c in range(5):
        impact = c + 1
        x = LEFT + c * CELL + CELL / 2
        parts.append(
            f'<text x="{x}" y="{base + 14}" font-size="10" text-anchor="middle">{impact}</text>'
            f'<text x="{x}" y="{base + 26}" font-size="8" text-anchor="middle">'
            f"{escape(impact_names.get(impact, ''))}</text>"
        )
    parts.append(
        f'<text x="{LEFT + 5 * CELL / 2}" y="{base + 42}" font-size="11" text-anchor="middle">'
        "Impact &#8594;</text>"
        f'<text x="12" y="{TOP + 5 * CELL / 2}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 12 {TOP + 5 * CELL / 2})">Likelihood &#8594;</text>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
