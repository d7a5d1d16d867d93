"""The gates page's charts, drawn server-side as SVG by pygal.

Each chart is its own SVG document (the page shows it with ``<img>``), so its inline style and
script stay outside the page's Content-Security-Policy and run nowhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import pygal
from pygal.style import Style

from kiosk.model import RiskColour

FONT = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'
RISK_RGB = {
    RiskColour.RED: "#dc2626",
    RiskColour.ORANGE: "#ea580c",
    RiskColour.YELLOW: "#eab308",
    RiskColour.GREEN: "#16a34a",
    RiskColour.WHITE: "#9ca3af",  # white bars on white paper: drawn light grey
}
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _style(*colours: str) -> Style:
    return Style(
        background="white",
        plot_background="white",
        font_family=FONT,
        label_font_family=FONT,
        major_label_font_family=FONT,
        title_font_family=FONT,
        legend_font_family=FONT,
        value_font_family=FONT,
        colors=colours or ("#2563eb",),
    )


def _options(title: str, **extra: object) -> dict[str, object]:
    return {
        "title": title,
        "js": [],  # no script from the internet
        "disable_xml_declaration": True,
        "width": 720,
        "height": 280,
        "print_values": False,
        "include_x_axis": True,
        "min_scale": 1,
        "show_y_guides": True,
        **extra,
    }


def _whole_numbers(chart: pygal.graph.graph.Graph, totals: Sequence[int]) -> None:
    """Counts of people: ticks at whole numbers (pygal would mark 0.1, 0.2, ... for a 1)."""
    top = max(max(totals, default=0), 1)
    step = max(1, -(-top // 8))
    chart.y_labels = list(range(0, top + step, step))


def passages_per_hour_svg(counts: Sequence[int], title: str, series: str) -> str:
    chart = pygal.Bar(style=_style("#2563eb"), show_legend=False, **_options(title))
    chart.x_labels = [f"{h:02d}" for h in range(24)]
    chart.add(series, list(counts))
    _whole_numbers(chart, counts)
    return str(chart.render(is_unicode=True))


def fevers_per_day_svg(days: Sequence[tuple[date, int]], title: str, series: str) -> str:
    chart = pygal.Bar(style=_style("#dc2626"), show_legend=False, **_options(title))
    chart.x_labels = [d.strftime("%m-%d") for d, _ in days]
    chart.add(series, [n for _, n in days])
    _whole_numbers(chart, [n for _, n in days])
    return str(chart.render(is_unicode=True))


def colours_per_day_svg(
    days: Sequence[tuple[date, Mapping[RiskColour, int]]],
    title: str,
    names: Mapping[RiskColour, str],
) -> str:
    order = list(RiskColour)
    chart = pygal.StackedBar(
        style=_style(*(RISK_RGB[c] for c in order)),
        legend_at_bottom=True,
        **_options(title),
    )
    chart.x_labels = [d.strftime("%m-%d") for d, _ in days]
    for colour in order:
        chart.add(names[colour], [counts.get(colour, 0) for _, counts in days])
    _whole_numbers(chart, [sum(counts.values()) for _, counts in days])
    return str(chart.render(is_unicode=True))
