"""What an import did, item by item: the report both importers return and the commands print.

One item per FHIR resource or CSV row, in input order, so the person running the import can find and fix
each refused or bad one and run the import again (re-running is safe: nothing is duplicated)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePath


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"  # a resource type or record Ourplan does not import (yet)
    ERROR = "error"  # an in-scope item with a problem: nothing from it was saved
    UNREADABLE = "unreadable"  # a whole file that could not be read or parsed
    # FHIR only: a good resource for a person not in Ourplan yet, kept in the held queue (fhir_held) ...
    HELD = "held"
    # ... and a held resource now saved in the record of the person who has arrived since.
    ATTACHED = "attached"


# Outcomes that mean the data is now in Ourplan.
KEPT = frozenset({Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED, Outcome.ATTACHED})
# Outcomes counted in every summary; HELD and ATTACHED only where the importer can hold (see summary).
_ALWAYS_COUNTED = (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED, Outcome.REFUSED, Outcome.ERROR)


@dataclass(frozen=True)
class ReportItem:
    """One resource or row. `index` is the Bundle entry index (None for a file holding one resource) or
    the CSV row number; `location` says the same in words ("Bundle.entry[3]", "row 7")."""

    file: str
    index: int | None
    location: str
    type: str
    id: str
    outcome: Outcome
    message: str

    def line(self) -> str:
        # The file's name, not its whole path: the lines stay readable and the names are unique in practice.
        where = PurePath(self.file).name + (f" {self.location}" if self.location else "")
        what = "/".join(p for p in (self.type, self.id) if p)
        return f"{self.outcome.value:<10} {where}" + (f" {what}" if what else "") + f": {self.message}"


@dataclass
class ImportReport:
    items: list[ReportItem] = field(default_factory=list)
    files: int = 0
    dry_run: bool = False
    # Set by the FHIR importer, which can hold resources until their person is imported: the summary then
    # counts them, and says how many are waiting in all (this run's and earlier runs').
    can_hold: bool = False
    still_held: int = 0

    def add(self, item: ReportItem) -> None:
        self.items.append(item)

    @property
    def counts(self) -> dict[Outcome, int]:
        counted = Counter(item.outcome for item in self.items)
        return {outcome: counted.get(outcome, 0) for outcome in Outcome}

    def with_outcome(self, *outcomes: Outcome) -> list[ReportItem]:
        return [item for item in self.items if item.outcome in outcomes]

    @property
    def unreadable(self) -> list[ReportItem]:
        return self.with_outcome(Outcome.UNREADABLE)

    @property
    def exit_code(self) -> int:
        """0 when anything was imported or was already there; 1 only when some input could not be read at
        all and nothing was kept. Bad items inside readable files are reported, not failed on, because
        the good ones around them were kept and the import can simply be run again once they are fixed.
        A held item counts as kept: it is saved, in the held queue, and needs no action to arrive."""
        kept = any(item.outcome in KEPT or item.outcome is Outcome.HELD for item in self.items)
        return 1 if self.unreadable and not kept else 0

    def summary(self, noun: str = "resources") -> str:
        counts = self.counts
        parts = [f"{counts[o]} {o.value}" + ("s" if o is Outcome.ERROR and counts[o] != 1 else "")
                 for o in _ALWAYS_COUNTED]
        if self.can_hold:
            parts.append(f"{counts[Outcome.HELD]} held")
        if counts[Outcome.ATTACHED]:
            parts.append(f"{counts[Outcome.ATTACHED]} attached")
        items = len(self.items) - counts[Outcome.UNREADABLE]
        text = f"{self.files} file{'s' if self.files != 1 else ''}, {items} {noun}: " + ", ".join(parts)
        if self.still_held and self.still_held != counts[Outcome.HELD]:
            text += (f"; {self.still_held} held in all, waiting for their person "
                     "(list them with import-fhir --held)")
        if counts[Outcome.UNREADABLE]:
            text += f"; {counts[Outcome.UNREADABLE]} file(s) unreadable"
        if self.dry_run:
            text += ". Dry run: nothing was saved"
        return text

    def sort(self, file_order: dict[str, int]) -> None:
        """Put items back in input order (importers process them in dependency order)."""
        self.items.sort(key=lambda i: (file_order.get(i.file, 0), -1 if i.index is None else i.index))
