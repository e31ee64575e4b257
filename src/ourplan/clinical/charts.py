"""Data for the trend charts (Chart.js). The page embeds it as JSON; static/ourplan/charts.js draws it.
Every chart also has a table of the same numbers, so nothing depends on seeing the chart or its colours."""

from __future__ import annotations

import orjson
from markupsafe import Markup

from ourplan.clinical.results import ResultsOverview


def chart_payload(results: ResultsOverview) -> Markup:
    charts = {}
    for summary in results.summaries:
        target = summary.target
        charts[summary.key] = {
            "label": summary.measure.plain,
            "unit": summary.measure.unit_label,
            "paired": summary.measure.paired,
            "points": summary.series,
            "target": float(target.value) if target else None,
            "target2": float(target.value2) if target and target.value2 is not None else None,
            "targetText": target.text if target else None,
        }
    # Escape "<" so the JSON can never close the <script> element it sits in.
    text = orjson.dumps(charts).decode().replace("<", "\\u003c")
    return Markup(text)  # noqa: S704 - JSON built above from our own numbers, "<" escaped
