"""A dashboard table as plain data: what the page shows, what CSV and XLSX contain and what the PDF report
prints are the same rows, so an export can never disagree with the screen (suppression included)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# How a column's numbers are written. Strings in a cell ("fewer than 5", "too few to estimate") are shown
# as they are whatever the format.
TEXT, INT, PCT, DEC1 = "text", "int", "pct", "dec1"


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass
class Table:
    key: str
    title: str
    headings: list[str]
    formats: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    links: list[list[Link]] = field(default_factory=list)  # per row, drill-downs (practice staff only)
    notes: list[str] = field(default_factory=list)
    caption: str = ""

    def add(self, row: list[Any], links: list[Link] | None = None) -> None:
        self.rows.append(row)
        self.links.append(links or [])

    @property
    def has_links(self) -> bool:
        return any(self.links)

    def display_rows(self) -> list[list[str]]:
        return [[cell_text(v, f) for v, f in zip(row, self.formats, strict=True)] for row in self.rows]


def cell_text(value: Any, fmt: str) -> str:
    if value is None:
        return "\u2013"  # an en dash: nothing to show
    if isinstance(value, str):
        return value
    if fmt == INT:
        return f"{int(value):,}"
    if fmt == PCT:
        return f"{float(value):.1f}%"
    if fmt == DEC1:
        return f"{float(value):.1f}"
    return str(value)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
