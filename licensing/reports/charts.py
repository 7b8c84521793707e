"""Charts as server-side SVG: the geometry is computed here, ``templates/reports/_charts.html``
draws it. No script and no style attribute is needed, so the pages keep the strict content
security policy; colours come from CSS classes in ``static/css/app.css``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bar:
    """A rectangle with its class (the colour), its tooltip and an optional value label."""

    x: float
    y: float
    w: float
    h: float
    cls: str
    title: str
    label: str = ""
    label_x: float = 0
    label_y: float = 0


@dataclass(frozen=True)
class Tick:
    """A gridline with its value label."""

    pos: float
    label: str


@dataclass(frozen=True)
class Label:
    """A text at a position."""

    x: float
    y: float
    text: str
    cls: str = ""


@dataclass
class Chart:
    """Everything a template needs to draw one chart."""

    width: int
    height: int
    title: str
    description: str
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (class, label)
    path: str = ""  # a line, for line charts
    path_cls: str = ""
    points: list[Bar] = field(default_factory=list)  # dots of a line (x, y as centre)
    plot: tuple[float, float, float, float] = (0, 0, 0, 0)  # left, top, right, bottom
    empty: bool = False


def nice_max(value: float, ticks: int = 4) -> tuple[float, float]:
    """Return ``(top, step)``: a round axis top at or above ``value`` and its tick step."""
    if value <= 0:
        return float(ticks), 1.0
    raw = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step >= raw:
            break
    if step < 1:
        step = 1.0
    return step * math.ceil(value / step), step


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def column_chart(title: str, categories: Sequence[str], series: Sequence[tuple[str, str]],
                 values: Sequence[Sequence[int]], *, partial: Sequence[bool] = (),
                 description: str = "", width: int = 600, height: int = 250) -> Chart:
    """Stacked columns: one column per category, one segment per series.

    ``series`` is ``[(css class, label), ...]``; ``values[i][s]`` the value of series ``s``
    in category ``i``. A ``partial`` category (the month not over yet) is drawn lighter.
    """
    left, top, right, bottom = 44, 16, width - 8, height - 40
    chart = Chart(width, height, title, description, legend=list(series),
                  plot=(left, top, right, bottom))
    totals = [sum(v) for v in values]
    peak = max(totals, default=0)
    chart.empty = peak == 0
    axis_top, step = nice_max(peak)
    scale = (bottom - top) / axis_top
    chart.ticks = [Tick(bottom - i * step * scale, _fmt(i * step))
                   for i in range(round(axis_top / step) + 1)]
    slot = (right - left) / max(len(categories), 1)
    bar_w = min(slot * 0.62, 44)
    for i, (category, column) in enumerate(zip(categories, values, strict=True)):
        x = left + i * slot + (slot - bar_w) / 2
        y = bottom
        is_partial = bool(partial[i]) if i < len(partial) else False
        for (cls, name), value in zip(series, column, strict=True):
            if value <= 0:
                continue
            h = value * scale
            y -= h
            chart.bars.append(Bar(x, y, bar_w, h, cls + (" partial" if is_partial else ""),
                                  f"{category} {name}：{value}"))
        if totals[i]:
            chart.labels.append(Label(x + bar_w / 2, y - 4, str(totals[i]), "value"))
        chart.labels.append(Label(x + bar_w / 2, bottom + 16,
                                  category + ("*" if is_partial else ""), "axis"))
    return chart


def line_chart(title: str, categories: Sequence[str], values: Sequence[float | None], *,
               cls: str = "line-rate", suffix: str = "%", axis_top: float = 100,
               partial: Sequence[bool] = (), description: str = "", width: int = 600,
               height: int = 250) -> Chart:
    """A line through the categories' values (gaps where a value is ``None``).

    The axis starts at half of ``axis_top`` when every value is well above it (rates of
    55 % and more), else at 0, so that differences between months stay visible; its labels
    say where it starts.
    """
    left, top, right, bottom = 44, 22, width - 14, height - 40
    chart = Chart(width, height, title, description, legend=[(cls, title)],
                  plot=(left, top, right, bottom), path_cls=cls)
    present = [v for v in values if v is not None]
    chart.empty = not present
    floor = axis_top / 2 if present and min(present) >= axis_top * 0.55 else 0.0
    intervals = 5 if floor else 4  # 50, 60 ... 100 or 0, 25 ... 100
    step = (axis_top - floor) / intervals
    scale = (bottom - top) / (axis_top - floor)
    chart.ticks = [Tick(bottom - i * step * scale, _fmt(floor + i * step) + suffix)
                   for i in range(intervals + 1)]
    slot = (right - left) / max(len(categories), 1)
    commands = []
    pen_down = False
    for i, (category, value) in enumerate(zip(categories, values, strict=True)):
        x = left + i * slot + slot / 2
        is_partial = bool(partial[i]) if i < len(partial) else False
        chart.labels.append(Label(x, bottom + 16, category + ("*" if is_partial else ""),
                                  "axis"))
        if value is None:
            pen_down = False
            continue
        y = bottom - (min(max(value, floor), axis_top) - floor) * scale
        commands.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
        pen_down = True
        # a dip gets its label below the dot, so the line does not run through it
        neighbours = [v for v in (values[i - 1] if i else None,
                                  values[i + 1] if i + 1 < len(values) else None)
                      if v is not None]
        below = bool(neighbours) and all(value < v for v in neighbours)
        chart.points.append(Bar(x, y, 0, 0, cls + (" partial" if is_partial else ""),
                                f"{category}：{_fmt(value)}{suffix}",
                                label=_fmt(value) + suffix, label_x=x,
                                label_y=y + 17 if below else y - 8))
    chart.path = " ".join(commands)
    return chart


def hbar_chart(title: str, rows: Sequence[tuple[str, Sequence[tuple[int, str, str]], str]],
               *, description: str = "", legend: Sequence[tuple[str, str]] = (),
               width: int = 600, row_height: int = 32) -> Chart:
    """Horizontal stacked bars, one per row: ``(label, [(value, class, name)...], note)``.

    The note (a rate, an overdue count) is written after the bar.
    """
    left, right, top = 176, width - 170, 6
    height = top + row_height * max(len(rows), 1) + 8
    chart = Chart(width, height, title, description, legend=list(legend),
                  plot=(left, top, right, height - 8))
    peak = max((sum(v for v, _, _ in segments) for _, segments, _ in rows), default=0)
    chart.empty = peak == 0
    axis_top, _ = nice_max(peak)
    scale = (right - left) / axis_top
    for i, (label, segments, note) in enumerate(rows):
        y = top + i * row_height
        bar_h = row_height * 0.6
        chart.labels.append(Label(left - 8, y + bar_h / 2 + 4, label, "row"))
        x = left
        for value, cls, name in segments:
            if value <= 0:
                continue
            w = value * scale
            chart.bars.append(Bar(x, y, w, bar_h, cls, f"{label} {name}：{value}"))
            x += w
        chart.labels.append(Label(x + 6, y + bar_h / 2 + 4, note, "note"))
    return chart
