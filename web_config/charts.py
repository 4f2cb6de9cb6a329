"""The History page's two charts, drawn here as inline SVG: no chart library, nothing
fetched. Colours come from classes in spotter.css (the page's CSP allows no inline style).

Each chart is an ``<svg role="img">`` with a ``<title>``; the page puts the same figures
in a table beside it for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 320, 170
LEFT, RIGHT, TOP, BOTTOM = 28, 8, 22, 24  # room for the axis labels and the legend
PAIN_MAX = 10


@dataclass(frozen=True, slots=True)
class PainPoint:
    """One workout's check-ins: ``at`` is where it falls in the chart's span, 0 to 1."""

    at: float
    before: int | None
    after: int | None


@dataclass(frozen=True, slots=True)
class WeekBar:
    label: str
    sessions: int


def _x(at: float) -> float:
    return round(LEFT + at * (WIDTH - LEFT - RIGHT), 1)


def _y(value: float, top: float) -> float:
    return round(HEIGHT - BOTTOM - value / top * (HEIGHT - TOP - BOTTOM), 1)


def _open(title: str, chart_id: str) -> list[str]:
    return [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]


def _grid(values: Sequence[int], top: float) -> list[str]:
    parts = []
    for v in values:
        y = _y(v, top)
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4}" text-anchor="end">{v}</text>')
    return parts


def pain_chart(points: Sequence[PainPoint], title: str, first: str, last: str) -> Markup:
    """Pain before and after each workout (0-10) across the span from ``first`` to ``last``."""
    parts = _open(title, "pain")
    parts += _grid((0, 5, 10), PAIN_MAX)
    for series, shape in (("before", "circle"), ("after", "rect")):
        marks = [(p.at, getattr(p, series)) for p in points if getattr(p, series) is not None]
        if len(marks) > 1:
            path = " ".join(f"{_x(at)},{_y(v, PAIN_MAX)}" for at, v in marks)
            parts.append(f'<polyline class="{series}" points="{path}"/>')
        for at, v in marks:
            x, y = _x(at), _y(v, PAIN_MAX)
            if shape == "circle":
                parts.append(f'<circle class="{series}" cx="{x}" cy="{y}" r="3.5"/>')
            else:
                parts.append(
                    f'<rect class="{series}" x="{x - 3.5}" y="{y - 3.5}" width="7" height="7"/>'
                )
    parts += _legend()
    base = HEIGHT - 6
    parts.append(f'<text class="axis" x="{LEFT}" y="{base}">{escape(first)}</text>')
    parts.append(
        f'<text class="axis" x="{WIDTH - RIGHT}" y="{base}" text-anchor="end">{escape(last)}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def _legend() -> list[str]:
    return [
        f'<circle class="before" cx="{LEFT + 6}" cy="9" r="3.5"/>',
        f'<text class="axis" x="{LEFT + 14}" y="13">before</text>',
        f'<rect class="after" x="{LEFT + 70}" y="5.5" width="7" height="7"/>',
        f'<text class="axis" x="{LEFT + 82}" y="13">after</text>',
    ]


def weeks_chart(weeks: Sequence[WeekBar], goal: int | None, title: str) -> Markup:
    """Finished workouts per week as bars, with the weekly goal as a dashed line."""
    top = max([goal or 0, *(w.sessions for w in weeks), 3])
    parts = _open(title, "weeks")
    parts += _grid(sorted({0, top}), top)
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(weeks))
    for i, week in enumerate(weeks):
        x = round(LEFT + i * slot + slot * 0.15, 1)
        y = _y(week.sessions, top)
        met = "met" if goal is not None and week.sessions >= goal else "short"
        parts.append(
            f'<rect class="bar {met}" x="{x}" y="{y}" width="{round(slot * 0.7, 1)}" '
            f'height="{round(HEIGHT - BOTTOM - y, 1)}"/>'
        )
        if i % 4 == 0 or i == len(weeks) - 1:
            parts.append(
                f'<text class="axis" x="{round(x + slot * 0.35, 1)}" y="{HEIGHT - 6}" '
                f'text-anchor="middle">{escape(week.label)}</text>'
            )
    if goal is not None:
        y = _y(goal, top)
        parts.append(f'<line class="goal" x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}"/>')
        parts.append(
            f'<text class="axis" x="{WIDTH - RIGHT}" y="{y - 4}" text-anchor="end">'
            f"goal {goal}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


DOSE_HEIGHT = 64
DOSE_TOP, DOSE_BOTTOM = 16, 18


@dataclass(frozen=True, slots=True)
class DoseLevel:
    """A dose in force from ``at`` (0 to 1 across the chart) until the next level's ``at``:
    ``work`` is what the line's height shows, ``label`` the dose in words ("3 x 35 s",
    with a multiplication sign)."""

    at: float
    work: float
    label: str


def _dose_y(work: float, low: float, high: float) -> float:
    span = high - low or 1.0
    # The lowest dose sits a little above the floor so that a step back stays visible.
    share = 0.15 + 0.85 * (work - low) / span
    return round(DOSE_HEIGHT - DOSE_BOTTOM - share * (DOSE_HEIGHT - DOSE_TOP - DOSE_BOTTOM), 1)


def dose_chart(levels: Sequence[DoseLevel], title: str, chart_id: str) -> Markup:
    """One exercise's dose as a step line: level while it stands, a step (and a mark) where
    it changed. The first and the latest dose are written at either end."""
    parts = [
        f'<svg class="chart dose-chart" viewBox="0 0 {WIDTH} {DOSE_HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    if levels:
        low = min(level.work for level in levels)
        high = max(level.work for level in levels)
        points: list[str] = []
        for i, level in enumerate(levels):
            y = _dose_y(level.work, low, high)
            end = levels[i + 1].at if i + 1 < len(levels) else 1.0
            points += [f"{_x(level.at)},{y}", f"{_x(end)},{y}"]
        parts.append(f'<polyline class="dose" points="{" ".join(points)}"/>')
        for level in levels[1:]:
            parts.append(
                f'<circle class="change" cx="{_x(level.at)}" '
                f'cy="{_dose_y(level.work, low, high)}" r="3.5">'
                f"<title>{escape(level.label)}</title></circle>"
            )
        first, last = levels[0].label, levels[-1].label
        parts.append(f'<text class="axis" x="{LEFT}" y="11">{escape(first)}</text>')
        if len(levels) > 1:
            parts.append(
                f'<text class="axis" x="{WIDTH - RIGHT}" y="11" text-anchor="end">'
                f"now {escape(last)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()
