"""The two dashboards as tables: the figures from fidelity.py and outcomes.py, narrowed to the practice on
screen, with small numbers suppressed for commissioners (suppress.py) and drill-down links for staff.

The page, the CSV/XLSX exports and the PDF report all call these functions, so they show the same data."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from markupsafe import Markup

from ourplan.clinical.terminology import REGISTERS
from ourplan.planning.models import GoalCategory
from ourplan.review.gas import LEVEL_LABELS
from ourplan.review.models import GoalDecision
from ourplan.support.models import Category

from . import fidelity as fid
from . import outcomes as out
from .scope import Period, Scope
from .suppress import ALL_COLUMN, SUPPRESSED_TEXT, TOTAL_ROW, Grid, no_suppression, suppress
from .tables import DEC1, INT, PCT, TEXT, Link, Table

TOO_FEW = "too few to estimate"
OBSERVATIONAL_CAVEAT = (
    "These are observational figures. There is no comparison group of people who did not have care planning, "
    "so a change may come from treatment, time or chance rather than from care planning. People are often "
    "invited when their results are at their worst, and results that are unusually high tend to come down "
    "on their own next time (regression to the mean). Use these figures to ask questions, not as proof that "
    "care planning worked."
)
LinkFor = Callable[[str, str], str]  # (figure or gap key, "counted" | "act") -> URL


@dataclass
class Dashboard:
    tables: list[Table]
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    headline: dict[str, Any] = field(default_factory=dict)  # the figure shown large, beside its baseline

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


def _grid(scope: Scope, counts: Mapping[Any, Mapping[Any, int]], *, column_totals: bool) -> Grid:
    make = suppress if scope.aggregate_only else no_suppression
    return make(counts, scope.practice_ids, column_totals=column_totals)


def _column(scope: Scope) -> Hashable:
    return scope.chosen.pk if scope.chosen else ALL_COLUMN


def _count(grid: Grid, row: Hashable, col: Hashable) -> int | str:
    return SUPPRESSED_TEXT if grid.is_hidden(row, col) else grid.get(row, col)


def _share(grid: Grid, row: Hashable, col: Hashable) -> float | str | None:
    total = grid.get(TOTAL_ROW, col)
    if grid.is_hidden(row, col) or grid.is_hidden(TOTAL_ROW, col):
        return SUPPRESSED_TEXT
    return 100 * grid.get(row, col) / total if total else None


# ---- fidelity ----------------------------------------------------------------------------------------------


def fidelity(scope: Scope, period: Period, today: date, link: LinkFor | None = None) -> Dashboard:
    col = _column(scope)
    headline: dict[str, Any] = {}
    figures = Table(
        "fidelity", "Is care planning happening?",
        ["Measure", "Counted", "Out of", "Percentage", "Reference"], [TEXT, INT, INT, PCT, TEXT],
        caption=f"Care planning fidelity, {scope.chosen_label}, {period.label}",
    )
    for figure in fid.FIGURES:
        counts = figure.counts(scope.people, period, today)
        grid = _grid(scope, {"counted": {p: n for p, (n, _) in counts.items()},
                             "not": {p: d - n for p, (n, d) in counts.items()}}, column_totals=True)
        links = [] if link is None else [Link("People counted", link(figure.key, "counted")),
                                         Link("People to act on", link(figure.key, "act"))]
        row = [figure.title, _count(grid, "counted", col), _count(grid, TOTAL_ROW, col),
               _share(grid, "counted", col), figure.baseline_text or None]
        figures.add(row, links)
        figures.notes.append(f"{figure.title}: {figure.how}")
        if figure.baseline is not None:
            headline = {"title": figure.title, "counted": row[1], "out_of": row[2], "percent": row[3],
                        "baseline": figure.baseline_text}
    gaps = _gap_table(scope, period, link)
    return Dashboard([figures, gaps], headline=headline)


def _gap_table(scope: Scope, period: Period, link: LinkFor | None) -> Table:
    col = _column(scope)
    table = Table("stages", "Median days between stages", ["Between", "Median days", "Rounds"], [TEXT, DEC1, INT],
                  caption=f"Median days between stages of rounds with a conversation in the period, "
                          f"{scope.chosen_label}")
    rows = fid.gap_rows(scope.people, period)
    by_gap: dict[str, dict[int, list[float]]] = {g.key: {p: [] for p in scope.practice_ids} for g in fid.GAPS}
    for r in rows:
        for gap in fid.GAPS:
            days = fid.gap_days(r, gap)
            if days is not None and r["org"] in by_gap[gap.key]:
                by_gap[gap.key][r["org"]].append(days)
    grid = _grid(scope, {k: {p: len(v) for p, v in d.items()} for k, d in by_gap.items()}, column_totals=False)
    for gap in fid.GAPS:
        chosen = [x for p in scope.chosen_ids for x in by_gap[gap.key].get(p, [])]
        hidden = grid.is_hidden(gap.key, col) or (scope.aggregate_only and len(chosen) < out.MIN_PAIRS)
        median: float | str | None = statistics.median(chosen) if chosen else None
        if hidden:
            median = SUPPRESSED_TEXT if grid.is_hidden(gap.key, col) else TOO_FEW
        links = [] if link is None else [Link("Longest first", link(f"gap:{gap.key}", "counted"))]
        table.add([gap.title, median, _count(grid, gap.key, col)], links)
    table.notes.append("Days between the two stages' recorded times, for rounds whose conversation was held in the "
                       "period. Rounds where either stage was not recorded are left out of that row.")
    return table


# ---- outcomes ----------------------------------------------------------------------------------------------


def outcomes(scope: Scope, period: Period, today: date) -> Dashboard:
    tables = [_change_table(scope, period)]
    charts: dict[str, dict[str, Any]] = {}
    levels = out.attainment_levels(scope.people, period)
    tables.append(_distribution(
        scope, "attainment", "Goal attainment at reviews", "Goal attainment level", "Goals scored",
        [(level, f"{level:+d} {LEVEL_LABELS[level]}" if level else f"0 {LEVEL_LABELS[0]}") for level in levels],
        levels, sort=False,
    ))
    scores = out.t_scores(scope.people, period)
    tables.append(_distribution(
        scope, "t_scores", "Goal attainment T-scores of reviews", "T-score", "Reviews",
        [(label, label) for label, _, _ in out.T_BANDS], out.t_bands(scores), sort=False,
    ))
    chosen_scores = [t for p, t in scores if p in scope.chosen_ids]
    median_t = out.median_or_none(chosen_scores)
    if median_t is not None and (not scope.aggregate_only or len(chosen_scores) >= out.MIN_PAIRS):
        tables[-1].notes.append(f"Median T-score {median_t:.1f} over {len(chosen_scores):,} reviews. 50 means goals "
                                "were met as expected on balance (Kiresuk-Sherman, rho 0.3).")
    tables.append(_distribution(
        scope, "decisions", "What was decided about each goal at review", "Decision", "Goals",
        [(d.value, d.label) for d in GoalDecision], out.attainment_decisions(scope.people, period), sort=False,
    ))
    tables.append(_distribution(
        scope, "goal_categories", "Goals set, by category", "Goal category", "Goals set",
        [(c.value, c.label) for c in GoalCategory], out.goal_categories(scope.people, period), sort=True,
    ))
    tables.append(_distribution(
        scope, "support_needs", "Support people were referred or signposted to", "Service category",
        "Referrals and signposting",
        [*((c.value, c.label) for c in Category), (out.NO_SERVICE, "A named professional (not in the directory)")],
        out.support_needs(scope.people, period), sort=True, additive=False,
    ))
    tables[-1].notes.append("A service listed under several categories counts once in each.")
    tables.append(_distribution(
        scope, "unmet_needs", "Unmet needs: no service fitted", "Need", "Needs recorded",
        [(c.value, c.label) for c in Category], out.unmet_needs(scope.people, period), sort=True,
    ))
    for t in tables[1:]:
        charts[t.key] = _chart(t)
    return Dashboard(tables, charts, {"caveat": OBSERVATIONAL_CAVEAT})


def _change_table(scope: Scope, period: Period) -> Table:
    col = _column(scope)
    table = Table(
        "changes", "Results before and after care planning",
        ["Result", "People", "Number of people (n)", "Mean before", "Mean after", "Mean change",
         "95% CI from", "95% CI to"],
        [TEXT, TEXT, INT, DEC1, DEC1, DEC1, DEC1, DEC1],
        caption=f"Change in results after a care planning conversation, {scope.chosen_label}, {period.label}",
    )
    groups = out.change_groups(scope.people, period)
    grid = _grid(scope, {k: {p: len(v) for p, v in d.items()} for k, d in groups.items()}, column_totals=False)
    registers = [EVERYONE_ROW, *REGISTERS]
    for m in out.CHANGE_MEASURES:
        for register in registers:
            key = (m.key, "" if register == EVERYONE_ROW else register)
            if key not in groups:
                continue
            label = ("Everyone in care planning" if register == EVERYONE_ROW
                     else f"On the {REGISTERS[register].display} register")
            pairs = [pair for p in scope.chosen_ids for pair in groups[key].get(p, [])]
            if grid.is_hidden(key, col):
                table.add([f"{m.title} ({m.unit})", label, SUPPRESSED_TEXT, None, None, None, None, None])
                continue
            s = out.summarise(pairs)
            if not s.estimated:
                table.add([f"{m.title} ({m.unit})", label, s.n, TOO_FEW if s.n else None, None, None, None, None])
                continue
            table.add([f"{m.title} ({m.unit})", label, s.n, s.before, s.after, s.change, s.low, s.high])
    table.notes += [
        "Before: each person's latest result in the year up to their first care planning conversation in the "
        "period. After: their latest result 3 to 15 months after it. Only people with both are counted; home "
        "readings are left out.",
        "A negative change is a fall. Lower is better for all three. The interval is the 95% confidence interval of "
        f"the mean change (t distribution of the paired differences); fewer than {out.MIN_PAIRS} people: no estimate.",
    ]
    return table


EVERYONE_ROW = "__everyone__"


def _distribution(scope: Scope, key: str, title: str, heading: str, count_heading: str,
                  rows: list[tuple[Any, str]], counts: Mapping[Any, Mapping[int, int]], *,
                  sort: bool, additive: bool = True) -> Table:
    """A table of counts by category, with each category's share of the total when the categories add up."""
    col = _column(scope)
    data = {r: dict(counts.get(r, {})) for r, _ in rows}
    grid = _grid(scope, data, column_totals=additive)
    headings = [heading, count_heading, *(["Share"] if additive else [])]
    formats = [TEXT, INT, *([PCT] if additive else [])]
    table = Table(key, title, headings, formats, caption=f"{title}, {scope.chosen_label}")
    ordered = list(rows)
    if sort:
        # Largest first among the counts shown; hidden counts last, so their position gives nothing away.
        ordered.sort(key=lambda r: (grid.is_hidden(r[0], col), -grid.get(r[0], col) if not grid.is_hidden(r[0], col)
                                    else 0, r[1]))
    for r, label in ordered:
        table.add([label, _count(grid, r, col), *([_share(grid, r, col)] if additive else [])])
    if additive:
        total_share: float | str | None = SUPPRESSED_TEXT
        if not grid.is_hidden(TOTAL_ROW, col):
            total_share = 100.0 if grid.get(TOTAL_ROW, col) else None
        table.add(["Total", _count(grid, TOTAL_ROW, col), total_share])
    return table


def _chart(table: Table) -> dict[str, Any]:
    """Bars for a count table (the Total row left out); a hidden count is a gap, never a guessed bar."""
    rows = [r for r in table.rows if r[0] != "Total"]
    return {"title": table.title, "label": table.headings[1], "labels": [r[0] for r in rows],
            "values": [r[1] if isinstance(r[1], int) else None for r in rows]}


def chart_json(charts: dict[str, dict[str, Any]]) -> Markup:
    # Escape "<" so the JSON can never close the <script> element it sits in (as clinical/charts.py does).
    text = orjson.dumps(charts).decode().replace("<", "\\u003c")
    return Markup(text)  # noqa: S704 - JSON built from our own labels and counts, "<" escaped
