"""Importing FHIR R4 files (JSON or XML; single resources or Bundles of any type) into Ourplan.

In scope: Patient, Organization, Practitioner, PractitionerRole, RelatedPerson, Condition, Observation.
Every other type is refused by name with the reason. Each resource is its own unit of work (a savepoint):
a bad one is reported with where it is and why, and the good ones around it are kept. Resources are
imported in dependency order (organisations before the people registered there, people before their
results), whatever order the files and entries come in, so references resolve across files.

Re-importing the same files creates nothing new: see fhir_refs for how records are keyed and matched.

A Condition, Observation or RelatedPerson that is good but whose person is in neither this run nor Ourplan
is held, not refused, and attached when the person arrives: see fhir_held. Each run ends by trying the
held queue again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import orjson
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from ourplan.core.errors import ActionError
from ourplan.core.models import User
from ourplan.imports.fhir_clinical import import_condition, import_observation
from ourplan.imports.fhir_held import hold, retry_held
from ourplan.imports.fhir_people import (
    import_organization,
    import_patient,
    import_practitioner,
    import_practitioner_role,
    import_related_person,
)
from ourplan.imports.fhir_read import Entry, UnreadableFile, model_class, parse, read_file
from ourplan.imports.fhir_refs import FhirRun, Imported
from ourplan.imports.fhir_subject import SubjectNotKnown
from ourplan.imports.records import ImportContext, organisation_by_ods, require_practice
from ourplan.imports.report import ImportReport, Outcome, ReportItem

logger = logging.getLogger(__name__)

Mapper = Callable[[Any, Entry, FhirRun], Imported]

# In dependency order: each type only refers to types above it.
IMPORTERS: dict[str, Mapper] = {
    "Organization": import_organization,
    "Practitioner": import_practitioner,
    "PractitionerRole": import_practitioner_role,
    "Patient": import_patient,
    "RelatedPerson": import_related_person,
    "Condition": import_condition,
    "Observation": import_observation,
}
_ORDER = {name: i for i, name in enumerate(IMPORTERS)}

# Why each other type is refused. Types planned for Ourplan say which piece of work adds them.
NOT_IMPORTED: dict[str, str] = {
    "CarePlan": "not imported yet; the care plan issue adds it",
    "Goal": "not imported yet; the care plan issue adds it",
    "CareTeam": "not imported yet; the care team and coordination issue adds it",
    "Task": "not imported yet; the care team and coordination issue adds it",
    "Consent": "not imported yet; the sharing and consent issue adds it",
    "HealthcareService": "not imported yet; the services directory issue adds it",
    "ServiceRequest": "not imported yet; the referrals issue adds it",
    "Appointment": "not imported yet; the recall and invitations issue adds it",
    "Communication": "not imported yet; the letters and messages issue adds it",
    "Questionnaire": "not imported yet; the questionnaires issue adds it",
    "QuestionnaireResponse": "not imported yet; the questionnaires issue adds it",
    "DocumentReference": "not imported yet; the documents issue adds it",
    "Provenance": "not imported: Ourplan records where imported data came from in its own audit trail",
    "AuditEvent": "not imported: Ourplan keeps its own audit trail",
}
OUT_OF_SCOPE = (
    "not a type Ourplan imports (it imports Patient, Organization, Practitioner, PractitionerRole, "
    "RelatedPerson, Condition and Observation)"
)


def refusal(resource_type: str) -> str:
    if resource_type in NOT_IMPORTED:
        return NOT_IMPORTED[resource_type]
    if model_class(resource_type) is None:
        return f"'{resource_type}' is not a FHIR R4 resource type"
    return OUT_OF_SCOPE


def _item(entry: Entry, outcome: Outcome, message: str) -> ReportItem:
    return ReportItem(entry.file, entry.index, entry.location, entry.resource_type,
                      entry.resource_id or entry.full_url, outcome, message)


def _hold(entry: Entry, resource: Any, waiting: SubjectNotKnown, run: FhirRun) -> ReportItem:
    try:
        with transaction.atomic():
            outcome, message = hold(entry, resource, waiting, run)
    except (ActionError, DatabaseError) as exc:
        problem = exc.message if isinstance(exc, ActionError) else f"the database refused it ({exc})"
        run.record(entry, None, problem)
        return _item(entry, Outcome.ERROR, f"could not be held: {problem}")
    run.record(entry, None, "it is held until its patient is imported")
    return _item(entry, outcome, message)


def _import_one(entry: Entry, run: FhirRun) -> ReportItem:
    resource: Any = None
    try:
        with transaction.atomic():
            resource = parse(entry)
            done = IMPORTERS[entry.resource_type](resource, entry, run)
    except SubjectNotKnown as exc:
        # Raised only after everything else about the resource was checked (fhir_subject).
        return _hold(entry, resource, exc, run)
    except ActionError as exc:
        problem = exc.message
    except ValidationError as exc:
        problem = "; ".join(exc.messages)
    except DatabaseError as exc:
        problem = f"the database refused it ({exc})"
    except Exception as exc:
        # One resource must never stop the rest of an import; the traceback goes to the log for a developer.
        logger.exception("Unexpected error importing %s %s", entry.file, entry.location)
        problem = f"unexpected problem ({type(exc).__name__}: {exc})"
    else:
        run.record(entry, done.saved.obj)
        return _item(entry, done.saved.outcome, done.message())
    run.record(entry, None, problem)
    return _item(entry, Outcome.ERROR, problem)


def _mentions_ods(entries: list[Entry], ods: str) -> bool:
    needle = ods.strip().upper().encode()
    return any(
        e.resource_type == "Organization" and needle in (
            e.payload if isinstance(e.payload, bytes) else orjson.dumps(e.payload)).upper()
        for e in entries
    )


def expand_paths(paths: Sequence[Path | str]) -> list[Path]:
    """Files as given; a folder stands for the .json and .xml files in it, in name order."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in (".json", ".xml")))
        else:
            out.append(path)
    return out


def import_fhir(
    paths: Sequence[Path | str],
    *,
    practice_ods: str | None = None,
    dry_run: bool = False,
    actor: User | None = None,
    label: str = "FHIR import",
) -> ImportReport:
    """Import the files; return a report with one item per resource (or unreadable file).

    `practice_ods` registers imported people who have no generalPractitioner, and no practice yet, at that
    practice (it may be an Organization in these files). Raises ActionError, before anything is saved, if
    no such organisation exists or is being imported."""
    report = ImportReport(dry_run=dry_run, can_hold=True)
    entries: list[Entry] = []
    file_order: dict[str, int] = {}
    for path in paths:
        name = str(path)
        file_order.setdefault(name, len(file_order))
        report.files += 1
        try:
            entries.extend(read_file(Path(path), name))
        except UnreadableFile as exc:
            report.add(ReportItem(name, None, "", "", "", Outcome.UNREADABLE, f"the file {exc}"))
    if practice_ods and organisation_by_ods(practice_ods) is None and not _mentions_ods(entries, practice_ods):
        require_practice(practice_ods)  # raises with the message

    run = FhirRun(ImportContext(actor, label))
    in_scope = []
    for entry in entries:
        if not entry.resource_type:
            report.add(_item(entry, Outcome.ERROR, "the Bundle entry has no resource"))
        elif entry.resource_type in IMPORTERS:
            in_scope.append(entry)
        else:
            report.add(_item(entry, Outcome.REFUSED, f"{entry.resource_type}: {refusal(entry.resource_type)}"))
    in_scope.sort(key=lambda e: _ORDER[e.resource_type])  # stable: input order within a type

    # A dry run does everything inside one transaction and rolls it back, so it reports exactly what a
    # real run would (including references between the files) without keeping anything.
    with transaction.atomic() if dry_run else nullcontext():
        for entry in in_scope:
            if entry.resource_type == "Patient" and practice_ods and run.practice is None:
                run.practice = require_practice(practice_ods)
            report.add(_import_one(entry, run))
        # Last, so that people imported by this run (or since the last one) receive what was held for them.
        retried = retry_held(run=run)
        if dry_run:
            transaction.set_rollback(True)
    report.sort(file_order)
    report.items.extend(retried.items)  # after the files' own lines: they come from earlier runs
    report.still_held = retried.still_held
    return report
