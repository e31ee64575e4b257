"""Importing a resource that belongs to a person (Condition, Observation, RelatedPerson) in two steps.

`check_*` (in fhir_clinical and fhir_people) maps and validates everything except whose it is; then
`resolve_subject` finds the person and `attach` saves. The order is the point: when the person is not in
Ourplan yet, the resource is held until they are (fhir_held), and only a resource known to be good apart
from its person may be held. An unknown code, a missing unit or an implausible value is found first and
stays an error for the sender to fix, whether or not the person is known.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ourplan.core.errors import ActionError
from ourplan.core.models import SourcedModel
from ourplan.imports.fhir_read import Entry
from ourplan.imports.fhir_refs import FhirRun, Imported, Unresolved
from ourplan.imports.records import SourceKey, audit_saved, find_by_key, save
from ourplan.people.models import Person


def audit_detail(entry: Entry) -> dict[str, Any]:
    return {"source": "fhir", "file": entry.file, "location": entry.location,
            "resource": f"{entry.resource_type}/{entry.resource_id}" if entry.resource_id else entry.full_url}


@dataclass
class Checked:
    """A resource mapped to `fields` of `model` and validated, all but `subject` (the FHIR Reference to
    the person, found at `element`). `describe(record, person)` says what it is for the report: called
    with an unsaved record and no person while it is held, and with the saved record and its person."""

    entry: Entry
    model: type[SourcedModel]
    key: SourceKey
    subject: Any
    element: str
    fields: dict[str, Any]
    describe: Callable[[Any, Person | None], str]
    conflict: str  # the refusal when the key already belongs to a record of someone else
    notes: list[str] = field(default_factory=list)

    def preview(self) -> str:
        """What it is, without the person (for a held resource)."""
        return self.describe(self.model(**self.fields), None)


class SubjectNotKnown(ActionError):
    """The resource is good, but the person it belongs to is not in this run and not in Ourplan."""

    def __init__(self, checked: Checked, cause: Unresolved) -> None:
        super().__init__(cause.message, field=cause.field)
        self.checked = checked
        self.ref = cause.ref


def resolve_subject(checked: Checked, run: FhirRun) -> Person:
    try:
        found = run.resolve(checked.subject, ("Patient",), checked.element)
    except Unresolved as exc:
        raise SubjectNotKnown(checked, exc) from exc
    assert isinstance(found, Person)
    return found


def attach(checked: Checked, person: Person, run: FhirRun, detail: dict[str, Any] | None = None) -> Imported:
    """Save the resource as `person`'s record (create, update or unchanged by its key) and audit it."""
    existing = find_by_key(checked.model, checked.key)
    if existing is not None and getattr(existing, "person_id", None) != person.pk:
        # A key is one system's name for one record; the same name for someone else's record is a mix-up
        # between systems, and moving the record to another person would put it in the wrong notes.
        raise ActionError(checked.conflict)
    saved = save(checked.model, existing, {**checked.fields, "person": person}, checked.key)
    audit_saved(run.ctx, saved, person, {**audit_detail(checked.entry), **(detail or {})})
    return Imported(saved, checked.describe(saved.obj, person), checked.notes)


def import_checked(checked: Checked, run: FhirRun) -> Imported:
    """Both steps, for the importer's mappers. Raises SubjectNotKnown when the person is not known yet."""
    return attach(checked, resolve_subject(checked, run), run)
