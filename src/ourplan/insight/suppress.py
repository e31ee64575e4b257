"""Small-number suppression for commissioners' aggregates.

A count from 1 to 4 could point at a person in a small practice, so commissioners see "fewer than 5"
instead (primary suppression). Hiding a cell is not enough when its totals are shown: the total minus the
other cells gives it back. So each table is handled as a grid, rows (categories) by practices, with each
row's "all practices" total and, where the table has one, each practice's total over the rows. Whenever a
row or a column has exactly one hidden cell and its total is shown, the smallest other positive cell in it
is hidden as well (complementary suppression), or the total if no other cell could hide it; this repeats
until nothing changes. A figure with a numerator and a denominator is the same grid with two rows, "counted"
and "not counted", and the denominator as their total: hiding the numerator also hides the percentage.

Zero is shown: a zero cell names nobody. (A zero count next to a shown total can still say "everyone",
which is a statement about the group, not a person.)

The grid always covers every practice the commissioner can see, whichever one is on screen, because the
chooser lets them see each practice's cell and the total one after the other.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SMALL = 5
SUPPRESSED_TEXT = "fewer than 5"
ALL_COLUMN = "__all__"
TOTAL_ROW = "__total__"


def is_small(value: int) -> bool:
    return 0 < value < SMALL


@dataclass(frozen=True)
class Grid:
    """Counts by row and practice, with the cells to hide."""

    values: dict[Hashable, dict[Hashable, int]]  # row -> column -> count, totals included
    hidden: frozenset[tuple[Hashable, Hashable]]

    def get(self, row: Hashable, column: Hashable) -> int:
        return self.values.get(row, {}).get(column, 0)

    def is_hidden(self, row: Hashable, column: Hashable) -> bool:
        return (row, column) in self.hidden


def _close_gap(cells: list[tuple[Hashable, Hashable]], total: tuple[Hashable, Hashable],
               values: Mapping[Hashable, Mapping[Hashable, int]], hidden: set[tuple[Hashable, Hashable]]) -> bool:
    """If exactly one of `cells` is hidden while `total` is shown, hide one more. True if anything changed."""
    if total in hidden:
        return False
    hidden_here = [c for c in cells if c in hidden]
    if len(hidden_here) != 1:
        return False
    candidates = [c for c in cells if c not in hidden and values[c[0]][c[1]] > 0]
    if candidates:
        hidden.add(min(candidates, key=lambda c: (values[c[0]][c[1]], str(c))))
    else:
        hidden.add(total)
    return True


def suppress(counts: Mapping[Any, Mapping[Any, int]], columns: Iterable[Hashable], *,
             column_totals: bool) -> Grid:
    """Suppress a rows-by-practices table of counts. `column_totals`: the table also shows each practice's
    total over the rows (a distribution, or a figure's denominator); without it only row totals exist."""
    cols = list(columns)
    rows = list(counts)
    values: dict[Hashable, dict[Hashable, int]] = {}
    for r in rows:
        values[r] = {c: int(counts[r].get(c, 0)) for c in cols}
        values[r][ALL_COLUMN] = sum(values[r][c] for c in cols)
    every_row = list(rows)
    if column_totals:
        values[TOTAL_ROW] = {c: sum(values[r][c] for r in rows) for c in [*cols, ALL_COLUMN]}
        every_row.append(TOTAL_ROW)
    every_col = [*cols, ALL_COLUMN]
    hidden = {(r, c) for r in every_row for c in every_col if is_small(values[r][c])}
    changed = True
    while changed:
        changed = False
        for r in every_row:  # across practices, against the "all practices" total
            changed |= _close_gap([(r, c) for c in cols], (r, ALL_COLUMN), values, hidden)
        if column_totals:
            for c in every_col:  # down the rows, against the practice's own total
                changed |= _close_gap([(r, c) for r in rows], (TOTAL_ROW, c), values, hidden)
    return Grid(values, frozenset(hidden))


def no_suppression(counts: Mapping[Any, Mapping[Any, int]], columns: Iterable[Hashable], *,
                   column_totals: bool) -> Grid:
    """The same grid with nothing hidden: what practice staff see for their own practice."""
    grid = suppress(counts, columns, column_totals=column_totals)
    return Grid(grid.values, frozenset())
