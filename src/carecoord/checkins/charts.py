"""
Server-rendered SVG charts of measurements (pygal), drawn against a goal's target as a dashed line (or two for
a "between" target). The SVG carries a <title> and a <desc>, and no script: pygal's tooltip script is removed,
and pages show the chart as an image (a data: URI, which the Content Security Policy allows for images) next
to a table of the same data, so nothing depends on seeing the picture.

  MeasurementSeries            what one chart shows
  measurement_chart_svg(...)   the SVG text
  svg_data_uri(svg)            "data:image/svg+xml;base64,..." for an <img src>
"""

import base64
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from xml.etree import ElementTree as ET

import pygal
from pygal.style import Style

from carecoord.core import timefmt

from .measures import MEASURES

SVG_NS = "http://www.w3.org/2000/svg"

# Dark, distinguishable colours with at least 4.5:1 contrast on white (WCAG AA for the lines' meaning).
MEASURE_COLOR, SECOND_COLOR, TARGET_COLOR = "#1d4ed8", "#7c2d12", "#166534"


def chart_style(paired: bool) -> Style:
    """pygal colours series by their order: the values (two for blood pressure), then the target line(s)."""
    values = (MEASURE_COLOR, SECOND_COLOR) if paired else (MEASURE_COLOR,)
    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1f2933",
        foreground_strong="#111827",
        foreground_subtle="#52606d",
        colors=(*values, TARGET_COLOR, TARGET_COLOR),
        font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        title_font_size=16,
        label_font_size=12,
        major_label_font_size=12,
        legend_font_size=12,
    )


# The general-purpose style (the Check-ins tab's assessment charts use it too).
CHART_STYLE = chart_style(paired=True)


@dataclass
class MeasurementSeries:
    """One kind of measurement of a patient: points (local time, value, second value) and the target."""

    kind: str
    points: list[tuple[dt.datetime, Decimal, Decimal | None]]
    target_comparator: str = ""
    target_value: Decimal | None = None
    target_value_high: Decimal | None = None
    target_text: str = ""
    labels: tuple[str, ...] = field(default=())

    @property
    def measure(self):
        return MEASURES[self.kind]

    @property
    def title(self) -> str:
        return self.measure.label


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def describe(series: MeasurementSeries) -> str:
    """A sentence saying what the chart shows, for its <desc> and the image's alternative text."""
    measure = series.measure
    if not series.points:
        return f"No {measure.display.lower()} measurements yet."
    first, last = series.points[0], series.points[-1]

    def value_text(point):
        text = f"{point[1].normalize():f}"
        return f"{text}/{point[2].normalize():f}" if point[2] is not None else text

    text = (
        f"{measure.display}: {len(series.points)} measurement{'s' if len(series.points) != 1 else ''} "
        f"from {timefmt.day(first[0])} ({f'{value_text(first)} {measure.unit_label}'.strip()}) "
        f"to {timefmt.day(last[0])} ({f'{value_text(last)} {measure.unit_label}'.strip()})."
    )
    if series.target_text:
        text += f" Target: {series.target_text}."
    return text


def measurement_chart_svg(series: MeasurementSeries) -> str:
    """The chart as SVG text (no XML declaration, no script), with a title and a description."""
    measure = series.measure
    chart = pygal.DateTimeLine(
        style=chart_style(measure.paired),
        title=series.title,
        js=[],
        disable_xml_declaration=True,
        explicit_size=True,
        width=640,
        height=300,
        x_value_formatter=timefmt.day_short_year,
        x_label_rotation=30,
        x_labels_major_count=6,
        show_minor_x_labels=False,
        legend_at_bottom=True,
        show_x_guides=False,
        show_y_guides=False,  # pygal's dashed guides would look like the dashed target line
        dots_size=4,
        print_values=False,
        truncate_legend=-1,
    )
    xs = [p[0] for p in series.points]
    chart.add(measure.display if not measure.paired else "Systolic", [(p[0], _number(p[1])) for p in series.points])
    if measure.paired:
        chart.add(measure.second_display, [(p[0], _number(p[2])) for p in series.points])
    span = [min(xs), max(xs)] if xs else []
    if series.target_value is not None and span:
        dashed = {"width": 3, "dasharray": "10,6"}
        low_label = "Target" if series.target_comparator != "between" else "Target (low)"
        chart.add(low_label, [(x, _number(series.target_value)) for x in span], show_dots=False, stroke_style=dashed)
        if series.target_comparator == "between" and series.target_value_high is not None:
            chart.add(
                "Target (high)",
                [(x, _number(series.target_value_high)) for x in span],
                show_dots=False,
                stroke_style=dashed,
            )
    return _accessible_svg(chart.render_tree(), series)


def _accessible_svg(root: ET.Element, series: MeasurementSeries) -> str:
    """Removes pygal's scripts, and labels the root with the chart's title and a description."""
    for parent in root.iter():
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    root.set("role", "img")
    title = ET.Element("title", id=f"{root.get('id', 'chart')}-title")
    title.text = series.title
    desc = ET.Element("desc", id=f"{root.get('id', 'chart')}-desc")
    desc.text = describe(series)
    # The first <title> pygal adds is "Pygal" or the chart's title; ours come first so readers use them.
    root.insert(0, desc)
    root.insert(0, title)
    root.set("aria-labelledby", title.get("id"))
    root.set("aria-describedby", desc.get("id"))
    ET.register_namespace("", SVG_NS)
    return ET.tostring(root, encoding="unicode")


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
