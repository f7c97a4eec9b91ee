"""The management-review charts, drawn server-side as SVG with pygal.

The same SVG strings go inline into the browser dashboard and into the PDF pack, so both show
the same picture. They are safe to mark ``|safe``:

- every label (system names come from users) passes through pygal's XML serializer, which
  escapes ``<``, ``>`` and ``&`` in text and attributes;
- pygal always writes a ``<script>`` with its configuration (labels included) for its optional
  tooltips; we load none of its JavaScript (``js=[]``), so ``_drop_scripts`` removes that element
  before serialization — the SVG contains no script at all and nothing is fetched from a CDN.

Colour is never the only signal: every chart has a legend or axis labels in words, and the
dashboard and the pack show the table behind each chart.
"""

from __future__ import annotations

import math

import pygal
from django.utils.translation import gettext as _
from pygal.style import Style

# The app's palette (static/css/aims.css).
INK, MUTED, LINE, ACCENT = "#1b1f24", "#57606a", "#d8dee4", "#1f4e79"
SEVERITY_COLOURS = {
    "P0": "#a40e26",
    "P1": "#e5534b",
    "P2": "#d4a72c",
    "P3": "#54aeff",
    "unset": "#8c959f",
}
CLOCK_COLOURS = ("#1a7f37", "#d4a72c", "#b42318")
FONT = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif"
WIDE = 800  # the trend: full width on the dashboard and in the pack
NARROW = 560  # the others: half the dashboard, most of the pack's width
LABEL_CHARS = 34


def _style(colours) -> Style:
    return Style(
        background="transparent",
        plot_background="#ffffff",
        foreground=INK,
        foreground_strong=INK,
        foreground_subtle=LINE,
        opacity="0.95",
        opacity_hover="1",
        transition="none",
        colors=tuple(colours),
        font_family=FONT,
        label_font_size=14,
        major_label_font_size=14,
        value_font_size=13,
        value_label_font_size=13,
        legend_font_size=14,
        title_font_size=16,
        tooltip_font_size=13,
        no_data_font_size=18,
        guide_stroke_color=LINE,
        major_guide_stroke_color=LINE,
    )


def _short(label: str) -> str:
    """Axis labels of horizontal charts are not truncated by pygal; a long system name would
    squeeze the bars to nothing. The full label is in the table under the chart."""
    label = " ".join(str(label).split())
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def _count_axis(largest: int, *, headroom: float = 1.0) -> dict:
    """Whole-number ticks for counts (pygal would draw 0.4, 0.8, …); ``headroom`` leaves space
    after the longest bar for its printed value. Nothing for an empty chart (pygal cannot place
    ticks without a series and says "Nothing in this period" instead)."""
    if not largest:
        return {}
    largest = max(1, math.ceil(largest * headroom))
    step = next(
        step for step in (m * 10**e for e in range(12) for m in (1, 2, 5)) if largest / step <= 6
    )
    top = step * -(-largest // step)
    return {"range": (0, top), "y_labels": list(range(0, top + 1, step))}


def _drop_scripts(root):
    """pygal's xml filter hook: remove the configuration ``<script>`` pygal always writes, the
    empty tooltip its script would fill (hidden by an inline ``style``, which the page's
    Content-Security-Policy refuses), and the ids its script would use (``activate-serie-0`` …),
    which every chart repeats — several charts on one page would otherwise carry duplicate ids."""
    for parent in list(root.iter()):
        if str(parent.get("id", "")).startswith("activate-serie"):
            del parent.attrib["id"]
        for child in list(parent):
            is_script = isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script"
            if is_script or "tooltip-overlay" in (child.get("class") or "").split():
                parent.remove(child)
    return root


def _values_after_bars(root):
    """pygal centres a printed value on the end of a horizontal bar, so "12.5 h" overlaps it;
    start it there instead, so it reads just after the bar."""
    for node in root.iter():
        is_text = isinstance(node.tag, str) and node.tag.rsplit("}", 1)[-1] == "text"
        if is_text and "value" in (node.get("class") or "").split():
            node.set("text-anchor", "start")
    return root


def _config(**extra) -> dict:
    return {
        "js": [],
        "disable_xml_declaration": True,
        "width": NARROW,
        "show_y_guides": True,
        "show_x_guides": False,
        "truncate_label": LABEL_CHARS,
        "truncate_legend": LABEL_CHARS,
        "no_data_text": _("Nothing in this period"),
        "margin": 12,
        "spacing": 12,
        "legend_at_bottom": True,
        "legend_box_size": 14,
        **extra,
    }


def _render(chart, *filters) -> str:
    for xml_filter in (_drop_scripts, *filters):
        chart.add_xml_filter(xml_filter)
    return chart.render(is_unicode=True)


def trend_chart(metrics: dict) -> str:
    """Stacked bars: entries per week/month/quarter, by severity (P0 at the bottom)."""
    buckets = metrics["trend"]["buckets"]
    keys = [k for k in SEVERITY_COLOURS if k != "unset" or any(b["counts"][k] for b in buckets)]
    labels = {row["key"]: row["label"] for row in metrics["by_severity"]}
    longest = max((len(b["label"]) for b in buckets), default=0)
    many = len(buckets) * (longest + 2) > 90
    chart = pygal.StackedBar(
        **_config(
            width=WIDE,
            height=340,
            style=_style(SEVERITY_COLOURS[k] for k in keys),
            x_label_rotation=-45 if many else 0,
            show_minor_x_labels=len(buckets) <= 40,
            x_labels_major_every=None if len(buckets) <= 40 else 4,
            legend_at_bottom_columns=len(keys),
            show_legend=True,
            **_count_axis(max((b["total"] for b in buckets), default=0)),
        )
    )
    chart.x_labels = [b["label"] for b in buckets]
    if any(b["total"] for b in buckets):
        for key in keys:
            chart.add(labels.get(key, _("Not set")), [b["counts"][key] for b in buckets])
    return _render(chart)


def breakdown_chart(rows: list[dict], *, colour: str = ACCENT) -> str:
    """Horizontal bars, one per row (type, system, detection source), largest first at the top."""
    rows = list(rows)
    chart = pygal.HorizontalBar(
        **_config(
            height=max(140, 60 + 30 * len(rows)),
            style=_style([colour]),
            show_legend=False,
            print_values=True,
            print_values_position="top",
            show_y_guides=False,
            show_x_guides=True,
            **_count_axis(max((row["count"] for row in rows), default=0), headroom=1.12),
        )
    )
    # pygal draws the first label at the bottom; reverse so the largest is on top.
    ordered = list(reversed(rows))
    chart.x_labels = [
        _short(f"{row['reference']} {row['label']}" if row.get("reference") else row["label"])
        for row in ordered
    ]
    if rows:
        chart.add(_("Entries"), [row["count"] for row in ordered])
    return _render(chart, _values_after_bars)


def mean_times_chart(metrics: dict) -> str:
    """Mean hours to detect, contain and resolve."""
    times = metrics["mean_times"]
    names = [
        ("resolve", _("To resolve")),
        ("contain", _("To contain")),
        ("detect", _("To detect")),
    ]
    chart = pygal.HorizontalBar(
        **_config(
            height=210,
            style=_style(["#0b5cad"]),
            show_legend=False,
            print_values=True,
            print_values_position="top",
            show_y_guides=False,
            show_x_guides=True,
            x_title=_("hours"),
            range=(0, max(1.0, max((t["hours"] or 0 for t in times.values()), default=0) * 1.2)),
            formatter=lambda v: f"{v:.1f} h" if v is not None else "",
        )
    )
    chart.x_labels = [label for _key, label in names]
    if any(times[key]["hours"] is not None for key, _label in names):
        chart.add(_("Mean hours"), [times[key]["hours"] for key, _label in names])
    return _render(chart, _values_after_bars)


def clocks_chart(metrics: dict) -> str:
    """Per kind of clock: met on time, met late, overdue."""
    kinds = list(reversed(metrics["clocks"]["by_kind"]))
    chart = pygal.HorizontalStackedBar(
        **_config(
            height=max(170, 100 + 30 * len(kinds)),
            style=_style(CLOCK_COLOURS),
            show_y_guides=False,
            show_x_guides=True,
            legend_at_bottom_columns=3,
            **_count_axis(max((k["met"] + k["late"] + k["overdue"] for k in kinds), default=0)),
        )
    )
    chart.x_labels = [_short(k["label"]) for k in kinds]
    if any(k["met"] + k["late"] + k["overdue"] for k in kinds):
        chart.add(_("Met on time"), [k["met"] for k in kinds])
        chart.add(_("Met late"), [k["late"] for k in kinds])
        chart.add(_("Overdue"), [k["overdue"] for k in kinds])
    return _render(chart)


def review_charts(metrics: dict) -> dict[str, str]:
    """Every chart of the review, as SVG strings keyed by name."""
    return {
        "trend": trend_chart(metrics),
        "by_type": breakdown_chart(metrics["by_type"]),
        "by_system": breakdown_chart(metrics["by_system"]),
        "by_detection_source": breakdown_chart(metrics["by_detection_source"]),
        "mean_times": mean_times_chart(metrics),
        "clocks": clocks_chart(metrics),
    }
