"""Turning a pack's stored content into what a page or letter shows: dates as dates, and a trend chart
per result. Used by the portal page and the letter alike, so both show the same thing."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from markupsafe import Markup

from ourplan.documents.svg_chart import Point, line_chart


def _as_date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def present(content: dict[str, Any]) -> dict[str, Any]:
    """A copy of `content` with ISO date strings turned into dates (for the uk_date filter)."""
    shown = copy.deepcopy(content)
    shown["date"] = _as_date(shown.get("made_on"))
    for r in shown["results"]:
        for when in (r["latest"], r["previous"]):
            if when:
                when["date"] = _as_date(when["date"])
        for point in r["series"]:
            point["date"] = _as_date(point["date"])
    return shown


def chart(result: dict[str, Any], *, large: bool = False) -> Markup:
    """The trend chart for one presented result, as inline SVG."""
    points = [Point(p["date"].strftime("%b %Y"), p["y"], p["y2"]) for p in result["series"] if p["y"] is not None]
    target = result["target"] or {}
    paired = any(p.y2 is not None for p in points)  # blood pressure: two lines need more height
    return line_chart(
        points, title=f"{result['name']}: your results over time", unit=result["unit"],
        target=target.get("value"), target2=target.get("value2"),
        # Drawn at 74 mm wide (standard) or 150 mm (large print): labels come out at about 9pt and 16pt.
        width=460 if large else 300, height=(150 if large else 125) + (40 if paired else 0),
        font_size=17.5 if large else 13,
    )
