"""The held queue (GP systems call it unmatched results): Conditions, Observations and RelatedPersons that
are good in every respect except that their person is not in Ourplan yet.

A result often arrives before the patient's record does (a lab sends it, an export is split across files),
or concerns someone not registered here. Refusing it would lose a good result; creating a person from the
name in the reference, or guessing one, could file it in the wrong record, which is a clinical hazard. So
the importer keeps it as a HeldResource (ourplan.fhir.models) and reports it as "held". At the end of
every import run, and whenever `retry_held` is called, each held resource is tried again: once its
reference resolves (the person was imported in that run or any run since) it is saved in their record and
marked attached. Staff can discard one that will never match (`discard_held`), with a note.

Only resources whose sole problem is the person are held: fhir_subject checks everything else first, and
a reference that could never resolve (no reference or identifier, an identifier Ourplan cannot match)
stays an error. A resource that was discarded is not held again when the same content is re-imported, so
a repeated export does not bring back what staff cleared; changed content is held afresh.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from fhir.resources.R4B.reference import Reference

from ourplan.core import audit
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, AuditEvent, User
from ourplan.core.versioning import apply_versioned_update
from ourplan.fhir.models import HeldResource
from ourplan.imports.fhir_clinical import check_condition, check_observation
from ourplan.imports.fhir_people import check_related_person
from ourplan.imports.fhir_read import Entry, parse
from ourplan.imports.fhir_refs import FhirRun, describe
from ourplan.imports.fhir_subject import Checked, SubjectNotKnown, attach
from ourplan.imports.fhir_values import NHS_NUMBER_SYSTEM
from ourplan.imports.records import ImportContext, name_for_person
from ourplan.imports.report import ImportReport, Outcome, ReportItem
from ourplan.people.models import Person

# The resource types that may be held, how each is checked, and the element naming its person.
HOLDABLE: dict[str, tuple[Callable[[Any, Entry], Checked], str]] = {
    "RelatedPerson": (check_related_person, "patient"),
    "Condition": (check_condition, "subject"),
    "Observation": (check_observation, "subject"),
}
Status = HeldResource.Status


def waiting_queue() -> QuerySet[HeldResource]:
    """What is held now, oldest first."""
    return HeldResource.objects.filter(status=Status.HELD).order_by("held_at", "id")


def _audit(ctx: ImportContext, held: HeldResource, action: AuditAction, detail: dict[str, Any],
           person: Person | None = None) -> None:
    # Held resources are person data whose person is not known yet, so the event names no person until
    # the resource is attached.
    actor = ctx.actor if ctx.actor is not None and ctx.actor.is_authenticated else None
    audit.record_many([AuditEvent(
        actor=actor, actor_label=audit.actor_label(actor) if actor else ctx.label, action=action,
        entity_type="HeldResource", entity_id=str(held.public_id),
        person_id_ref=person.public_id if person is not None else None, basis=AccessBasis.SYSTEM,
        detail={"resource": f"{held.resource_type}/{held.resource_id}" if held.resource_id else held.full_url,
                "file": held.source_file, "location": held.location, **detail},
    )])


# --- Holding ---------------------------------------------------------------------------------------------

def _waiting_for(ref: Any) -> str:
    """The reference as staff will look for it: "Patient/abc", "urn:uuid:...", "Patient with NHS number ..."."""
    ident = ref.identifier
    if not (ref.reference or "").strip() and ident is not None and (ident.system or "").strip() == NHS_NUMBER_SYSTEM:
        return f"Patient with NHS number {(ident.value or '').strip()}"
    return describe(ref)


def hold(entry: Entry, resource: Any, waiting: SubjectNotKnown, run: FhirRun) -> tuple[Outcome, str]:
    """Keep a resource whose person is not known yet; (outcome, report message). The same resource (by
    source key) held again is "unchanged", or "updated" if its content changed: never a second row."""
    checked, ref = waiting.checked, waiting.ref
    system, source_id = checked.key
    wanted: dict[str, Any] = {
        "resource_type": entry.resource_type,
        "resource_id": entry.resource_id[:200],
        "resource": resource.model_dump(mode="json", exclude_none=True),
        "waiting_for": _waiting_for(ref)[:500],
        "subject_display": (ref.display or "").strip()[:200],
    }
    wanted["reason"] = (f"{checked.element}: no patient with this reference is in Ourplan yet (none was in the "
                        "import, and none was imported before)")
    where = {"source_file": entry.file[:500], "location": entry.location[:200], "full_url": entry.full_url[:500]}
    who = wanted["waiting_for"] + (f" ({wanted['subject_display']})" if wanted["subject_display"] else "")
    waiting_text = f"waiting for {who}; it will be attached when that person is imported: {checked.preview()}"

    discarded = HeldResource.objects.filter(
        status=Status.DISCARDED, source_system=system, source_id=source_id).order_by("-resolved_at").first()
    if discarded is not None and discarded.resource == wanted["resource"]:
        when = timezone.localtime(discarded.resolved_at or discarded.updated_at)
        return Outcome.UNCHANGED, (f"discarded from the held queue on {when:%Y-%m-%d} "
                                   f"({discarded.resolution_note}); not held again")

    existing = HeldResource.objects.filter(status=Status.HELD, source_system=system, source_id=source_id).first()
    if existing is None:
        held = HeldResource.objects.create(source_system=system, source_id=source_id, **wanted, **where)
        _audit(run.ctx, held, AuditAction.IMPORT, {"outcome": "held", "waiting_for": held.waiting_for})
        return Outcome.HELD, waiting_text
    changed = sorted(name for name, value in wanted.items() if getattr(existing, name) != value)
    if not changed:
        return Outcome.UNCHANGED, f"still held, {waiting_text}"
    apply_versioned_update(existing, existing.version, {**wanted, **where})
    _audit(run.ctx, existing, AuditAction.IMPORT, {"outcome": "updated", "fields": changed})
    return Outcome.UPDATED, f"still held (changed: {', '.join(changed)}), {waiting_text}"


# --- Trying again ----------------------------------------------------------------------------------------

class _NoLongerHeld(Exception):
    """Someone else attached or discarded it while this run was attaching it: undo this run's attempt."""


def _entry(held: HeldResource) -> Entry:
    return Entry(held.source_file, None, held.location, held.full_url, held.resource_type, held.resource_id,
                 held.resource)


def _person_now(held: HeldResource, run: FhirRun) -> Person | None:
    """The person the held resource refers to, if they are in Ourplan now. Only the reference is read, so
    a long queue is cheap to go through when nobody new has arrived."""
    element = HOLDABLE[held.resource_type][1]
    raw = held.resource.get(element) if isinstance(held.resource, dict) else None
    if not isinstance(raw, dict):
        return None
    try:
        found = run.resolve(Reference.model_validate(raw), ("Patient",), f"{held.resource_type}.{element}")
    except (ActionError, ValueError):
        # Still not known, or known only as a resource that failed in this run (its own line says why):
        # either way it keeps waiting.
        return None
    return found if isinstance(found, Person) else None


def _item(held: HeldResource, outcome: Outcome, message: str) -> ReportItem:
    return ReportItem(held.source_file, None, held.location, held.resource_type,
                      held.resource_id or held.full_url, outcome, message)


def _attach_one(held: HeldResource, person: Person, run: FhirRun) -> ReportItem | None:
    name = name_for_person(person)
    try:
        with transaction.atomic():
            entry = _entry(held)
            # Checked again because the terminology or the rules may have changed since it was held. The key
            # is the one it was held under: a resource without an id is keyed by a digest of the original
            # file's bytes, which the stored JSON would not reproduce.
            checked = replace(HOLDABLE[held.resource_type][0](parse(entry), entry), key=held.source_key)
            done = attach(checked, person, run, {"held_resource": str(held.public_id)})
            record = done.saved.obj
            now = timezone.now()
            actor = run.ctx.actor if run.ctx.actor is not None and run.ctx.actor.is_authenticated else None
            if not HeldResource.objects.filter(pk=held.pk, status=Status.HELD, version=held.version).update(
                status=Status.ATTACHED, attached_entity_type=type(record).__name__,
                attached_entity_id=record.public_id, resolved_at=now, resolved_by=actor,
                version=F("version") + 1, updated_at=now,
            ):
                raise _NoLongerHeld
            _audit(run.ctx, held, AuditAction.UPDATE, {
                "status": "attached", "attached_to": f"{type(record).__name__}/{record.public_id}",
                "outcome": done.saved.outcome.value}, person)
            # Not CREATED: the same resource was imported straight into their record after it was held.
            already = "" if done.saved.outcome is Outcome.CREATED else " (it had been imported since it was held)"
            message = (f"now belongs to {name}: {checked.describe(record, None)}{already}"
                       + "".join(f"; note: {n}" for n in done.notes))
    except _NoLongerHeld:
        return None
    except (ActionError, DatabaseError) as exc:
        problem = exc.message if isinstance(exc, ActionError) else f"the database refused it ({exc})"
        # It stays held, saying why, so staff can see it in --held and fix the cause or discard it.
        reason = f"its person ({name}) is now in Ourplan, but it could not be attached: {problem}"
        HeldResource.objects.filter(pk=held.pk, status=Status.HELD).update(reason=reason)
        return _item(held, Outcome.ERROR, f"held, and {reason}")
    return _item(held, Outcome.ATTACHED, message)


def retry_held(actor: User | None = None, *, run: FhirRun | None = None,
               label: str = "FHIR held queue") -> ImportReport:
    """Try every held resource again; attach each one whose person is now in Ourplan. `run` is the import
    run that has just finished (so references to people in it resolve as they did for its own resources);
    without it, references resolve to what is in Ourplan. Returns a report with a line for each resource
    attached, or found still unable to attach; resources still waiting for their person have no line."""
    run = run or FhirRun(ImportContext(actor, label))
    report = ImportReport(can_hold=True)
    for held in list(waiting_queue()):
        if held.resource_type not in HOLDABLE:
            continue
        person = _person_now(held, run)
        if person is not None:
            item = _attach_one(held, person, run)
            if item is not None:
                report.add(item)
    report.still_held = waiting_queue().count()
    return report


# --- Staff actions ---------------------------------------------------------------------------------------

def discard_held(public_id: str | uuid.UUID, note: str, *, actor: User | None = None,
                 label: str = "FHIR held queue") -> HeldResource:
    """Take one resource out of the queue for good (junk, a test message, someone who will never be
    registered here). The row stays, with who discarded it and why. Raises ActionError saying why not."""
    note = note.strip()
    if not note:
        raise ActionError("Say why it is being discarded: a note is required", field="note")
    try:
        key = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id).strip())
    except ValueError as exc:
        raise ActionError(f"'{public_id}' is not the id of a held resource (ids look like "
                          "3f2b8c1e-...; list them with import-fhir --held)") from exc
    held = HeldResource.objects.filter(public_id=key).first()
    if held is None:
        raise ActionError(f"No held resource has the id {key}")
    if held.status != Status.HELD:
        raise ActionError(f"{held.resource_type}/{held.resource_id or held.source_id} is no longer held "
                          f"({held.get_status_display().lower()})")
    user = actor if actor is not None and actor.is_authenticated else None
    with transaction.atomic():
        apply_versioned_update(held, held.version, {
            "status": Status.DISCARDED, "resolved_at": timezone.now(), "resolved_by": user,
            "resolution_note": note,
        })
        _audit(ImportContext(actor, label), held, AuditAction.UPDATE, {"status": "discarded", "note": note})
    return held
