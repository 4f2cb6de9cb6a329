"""Figures and the one table they are printed in."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Figure:
    """One row of the table: a measured median and p95 against a target."""

    name: str
    median: float | None
    p95: float | None
    unit: str
    target: str = ""
    passed: bool | None = None  # None: reported without a target
    baseline: str = ""  # the naive way, measured in the same run
    note: str = ""


def p50_p95(values: Sequence[float]) -> tuple[float, float]:
    """Median and 95th percentile (linear between the closest ranks)."""
    if not values:
        raise ValueError("no samples")
    if len(values) == 1:
        return values[0], values[0]
    return statistics.median(values), statistics.quantiles(values, n=20, method="inclusive")[18]


def fmt(value: float | None, unit: str) -> str:
    """A number with as many digits as it deserves, and its unit."""
    if value is None:
        return "-"
    if abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def verdict(passed: bool | None) -> str:
    return {True: "met", False: "MISSED", None: ""}[passed]


def table(figures: Sequence[Figure]) -> str:
    """A Markdown table, so that the README can quote it as printed."""
    header = ("Figure", "Median", "p95", "Target", "Result", "Naive baseline (same run)")
    rows = [
        (
            f.name,
            fmt(f.median, f.unit),
            fmt(f.p95, f.unit),
            f.target,
            verdict(f.passed),
            f.baseline,
        )
        for f in figures
    ]
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    notes = [f"- {f.name}: {f.note}" for f in figures if f.note]
    if notes:
        out += ["", *notes]
    return "\n".join(out)
