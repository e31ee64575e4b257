"""Small trend charts as SVG, drawn on the server so letters, PDFs and pages without JavaScript get them.

Readable without colour and on a black-and-white printer: the result is a solid line with round points,
a second value (the bottom number of blood pressure) a dotted line with square points, the target a
dashed line labelled "Target", and the first and latest values and their dates are written on the chart.
The chart has a text description for screen readers, and the same numbers are always printed next to it.

Few elements on purpose: grid lines and axis ticks add little to a chart this small, and every element
costs time in every PDF (text in SVG especially), which matters for batches of hundreds of letters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from markupsafe import Markup

INK = "#212b32"  # NHS.UK text colour: prints as near-black
GREY = "#4c6272"


@dataclass(frozen=True)
class Point:
    label: str  # the date as people read it, e.g. "Mar 2025"
    y: float
    y2: float | None = None


def _fmt(value: float) -> str:
    return f"{Decimal(str(round(value, 1))).normalize():f}"


def _range(values: Sequence[float]) -> tuple[float, float]:
    """The y range: every value (and the target) with a little room above and below."""
    low, high = min(values), max(values)
    pad = (high - low) * 0.12 or max(1.0, abs(high) * 0.1)
    return low - pad, high + pad


def line_chart(
    points: Sequence[Point],
    *,
    title: str,
    unit: str = "",
    target: float | None = None,
    target2: float | None = None,
    width: int = 300,
    height: int = 120,
    font_size: float = 9,
) -> Markup:
    """An SVG line chart of `points` (oldest first). Returns markup to place inline in HTML."""
    if not points:
        return Markup("")
    values = [p.y for p in points] + [p.y2 for p in points if p.y2 is not None]
    values += [t for t in (target, target2) if t is not None]
    y_min, y_max = _range(values)
    # Room on the left and right for the first and latest values, on the right for "Target 48", above
    # for a value label and below for the dates.
    left, right, top, bottom = font_size * 1.5, font_size * 5.6, font_size * 1.8, font_size * 2
    plot_w, plot_h = width - left - right, height - top - bottom

    def x_at(i: int) -> float:
        return left + (plot_w / 2 if len(points) == 1 else plot_w * i / (len(points) - 1))

    def y_at(v: float) -> float:
        return top + plot_h * (1 - (v - y_min) / (y_max - y_min))

    out: list[str] = []
    add = out.append
    add(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(_describe(points, title, unit, target, target2))}" '
        f'font-family="Arial, Liberation Sans, DejaVu Sans, sans-serif" font-size="{font_size}" fill="{INK}">')
    add(f"<title>{escape(title)}</title>")
    for value in (target, target2):
        if value is None:
            continue
        y = y_at(value)
        add(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}" stroke="{INK}" '
            'stroke-width="1.2" stroke-dasharray="5 3"/>')
        add(f'<text x="{left + plot_w + 4:.1f}" y="{y + font_size * 0.35:.1f}">Target {_fmt(value)}</text>')
    _series(add, [(x_at(i), y_at(p.y)) for i, p in enumerate(points)], square=False)
    if any(p.y2 is not None for p in points):
        _series(add, [(x_at(i), y_at(p.y2)) for i, p in enumerate(points) if p.y2 is not None], square=True)
    last = len(points) - 1
    for i in sorted({0, last}):
        p = points[i]
        anchor = "middle" if last == 0 else ("end" if i == last and i else "start")
        # The latest value ends just past its point, clear of the "Target" label in the right margin.
        x = x_at(i) + (0 if last == 0 else (1 if i == last else -4))
        top_value = max(p.y, p.y2) if p.y2 is not None else p.y
        text = _fmt(p.y) + (f"/{_fmt(p.y2)}" if p.y2 is not None else "")
        add(f'<text x="{x:.1f}" y="{y_at(top_value) - font_size * 0.7:.1f}" text-anchor="{anchor}" '
            f'font-weight="bold">{text}</text>')
        add(f'<text x="{x_at(i):.1f}" y="{height - font_size * 0.4:.1f}" text-anchor="{anchor}" fill="{GREY}">'
            f"{escape(p.label)}</text>")
    add("</svg>")
    return Markup("".join(out))  # noqa: S704 - built above from numbers and escaped text only


def _series(write: Callable[[str], object], xy: list[tuple[float, float]], *, square: bool) -> None:
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    dash = ' stroke-dasharray="1.5 2"' if square else ""
    write(f'<polyline points="{path}" fill="none" stroke="{INK}" stroke-width="1.6"{dash}/>')
    for x, y in xy:
        if square:
            write(f'<rect x="{x - 2.6:.1f}" y="{y - 2.6:.1f}" width="5.2" height="5.2" fill="#fff" '
                  f'stroke="{INK}" stroke-width="1.2"/>')
        else:
            write(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.8" fill="{INK}"/>')


def _describe(
    points: Sequence[Point], title: str, unit: str, target: float | None, target2: float | None,
) -> str:
    def value(p: Point) -> str:
        return _fmt(p.y) + (f"/{_fmt(p.y2)}" if p.y2 is not None else "")

    parts = [f"{title}: " + ", ".join(f"{value(p)} in {p.label}" for p in points) + (f" ({unit})" if unit else "")]
    if target is not None:
        figure = _fmt(target) + (f"/{_fmt(target2)}" if target2 is not None else "")
        parts.append(f"Target line at {figure}")
    return ". ".join(parts) + "."
