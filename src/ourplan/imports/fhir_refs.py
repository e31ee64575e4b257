"""Source keys and reference resolution for the FHIR importer.

Source keys (`source_system`, `source_id`), which make a re-import update or skip instead of duplicate:
- Resources that other resources point at (Patient, Organization, Practitioner, PractitionerRole,
  RelatedPerson) are keyed ("fhir:<type>", <logical id>), so that a file imported next week saying
  "Patient/abc" finds the person imported today. Their national identifiers (NHS number, ODS code, SDS
  user id) have columns of their own and are matched first.
- Conditions and Observations are keyed by their business identifier where they have one
  ("fhir:Observation|<identifier system>", <value>): it survives a re-export with new server ids.
- The logical id is the resource id; else the entry's fullUrl (urn:uuid:...); else a hash of the content,
  so even an anonymous resource re-imported unchanged is recognised.
Keys are deliberately not namespaced by Bundle: the same practice or person arriving in two Bundles must
be one record. The price, two systems using the same id for different things, is caught where it matters:
a key that already belongs to a different person (or NHS number) is refused, never overwritten.

References resolve, in order: to a resource in this run (by "Type/id" or fullUrl, across all files), then
to a record imported earlier (by source key), then, for logical references by identifier, by NHS number,
ODS code or SDS user id. A reference that resolves nowhere raises `Unresolved`, so that a result whose
person is simply not here yet can be held (fhir_held) rather than refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ourplan.core.errors import ActionError
from ourplan.core.models import SourcedModel
from ourplan.imports.fhir_read import Entry
from ourplan.imports.fhir_values import NHS_NUMBER_SYSTEM, ODS_SYSTEM, SDS_USER_SYSTEM, first_identifier
from ourplan.imports.records import ImportContext, Saved, SourceKey, fit_key
from ourplan.imports.report import Outcome
from ourplan.people import nhs_number
from ourplan.people.models import Organisation, Person, Practitioner, RelatedPerson, StaffMember

MODELS: dict[str, type[SourcedModel]] = {
    "Patient": Person,
    "Organization": Organisation,
    "Practitioner": Practitioner,
    "PractitionerRole": StaffMember,
    "RelatedPerson": RelatedPerson,
}

# Logical references (Reference.identifier) Ourplan can follow: type -> (identifier system, model field).
_BY_IDENTIFIER: dict[str, tuple[str, str]] = {
    "Patient": (NHS_NUMBER_SYSTEM, "nhs_number"),
    "Organization": (ODS_SYSTEM, "ods_code"),
    "Practitioner": (SDS_USER_SYSTEM, "sds_user_id"),
}

IDENTIFIER_KEYED = frozenset({"Condition", "Observation"})


class Unresolved(ActionError):
    """`ref` points at nothing in this run or in Ourplan. A type of its own because for the person a result
    belongs to this means "not yet", not "wrong": the caller may hold the resource instead of refusing it.
    (A reference that is malformed, of the wrong type, or to a resource that failed in this run is a plain
    ActionError: those are problems to fix, not to wait for.)"""

    def __init__(self, message: str, *, field: str, ref: Any) -> None:
        super().__init__(message, field=field)
        self.ref = ref


def logical_id(entry: Entry) -> str:
    return entry.resource_id or entry.full_url or entry.digest()


def source_key(entry: Entry, resource: Any) -> SourceKey:
    if entry.resource_type in IDENTIFIER_KEYED:
        ident = first_identifier(resource)
        if ident:
            return fit_key(f"fhir:{entry.resource_type}|{ident[0]}", ident[1])
    return fit_key(f"fhir:{entry.resource_type}", logical_id(entry))


def entry_keys(entry: Entry) -> list[str]:
    """Every string a reference to this entry may use."""
    keys = []
    if entry.resource_id:
        keys.append(f"{entry.resource_type}/{entry.resource_id}")
    if entry.full_url:
        keys.append(entry.full_url)
    return keys


def split_reference(text: str) -> tuple[str, str] | None:
    """("Patient", "abc") from "Patient/abc", "http://server/fhir/Patient/abc/_history/2" and so on."""
    parts = [p for p in text.split("/") if p]
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2 and parts[-2][:1].isupper():
        return parts[-2], parts[-1]
    return None


def describe(ref: Any) -> str:
    if ref.reference:
        return str(ref.reference)
    if ref.identifier is not None:
        return f"{ref.type or 'resource'} with identifier {ref.identifier.system}|{ref.identifier.value}"
    return str(ref.display or "(empty reference)")


@dataclass
class FhirRun:
    """State shared by one import run: who is importing, the --practice fallback, and what each entry of
    the run became (or why it failed), so references between files resolve whatever the file order."""

    ctx: ImportContext
    practice: Organisation | None = None
    saved: dict[str, SourcedModel] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def record(self, entry: Entry, obj: SourcedModel | None, problem: str = "") -> None:
        for key in entry_keys(entry):
            if obj is not None:
                self.saved[key] = obj
                self.failed.pop(key, None)
            elif key not in self.saved:
                self.failed[key] = problem

    def resolve(self, ref: Any, allowed: tuple[str, ...], element: str) -> SourcedModel:
        """The record `ref` points at, of one of the `allowed` types. Raises ActionError saying why not."""
        if ref is None:
            raise ActionError(f"{element} is missing", field=element)
        text = (ref.reference or "").strip()
        if text.startswith("#"):
            raise ActionError(f"{element} points at a contained resource ({text}); those are not imported")
        if text:
            found = self._by_reference(text, allowed, element)
            if found is not None:
                return found
        elif ref.identifier is not None:
            found = self._by_identifier(ref, allowed)
            if found is not None:
                return found
            if not _followable(ref, allowed):
                # Nothing imported later could ever match it, so waiting for it would be pointless.
                raise ActionError(f"{element} {describe(ref)}: Ourplan matches {' or '.join(allowed)} by "
                                  "identifier only by NHS number, ODS code or SDS user id", field=element)
        else:
            raise ActionError(f"{element} {describe(ref)} has neither a reference nor an identifier, so it "
                              "cannot be matched to a record", field=element)
        raise Unresolved(f"{element} {describe(ref)} is not in this import and was not imported before "
                         "(import it in the same run, or first)", field=element, ref=ref)

    def _by_reference(self, text: str, allowed: tuple[str, ...], element: str) -> SourcedModel | None:
        split = split_reference(text)
        if split and split[0] not in allowed:
            raise ActionError(f"{element} must refer to {' or '.join(allowed)}, not {split[0]} ({text})")
        candidates = [text] + ([f"{split[0]}/{split[1]}"] if split else [])
        for key in candidates:
            if key in self.saved:
                obj = self.saved[key]
                if type(obj) not in tuple(MODELS[t] for t in allowed):
                    raise ActionError(f"{element} must refer to {' or '.join(allowed)} ({text})")
                return obj
            if key in self.failed:
                raise ActionError(f"{element} {text} was not imported ({self.failed[key]})", field=element)
        # Imported in an earlier run: by "Type/id", or by fullUrl for resources that had no id.
        types = [split[0]] if split else list(allowed)
        source_id = split[1] if split else text
        for resource_type in types:
            model = MODELS[resource_type]
            earlier = model._default_manager.filter(
                source_system=f"fhir:{resource_type}", source_id=source_id).first()
            if earlier is not None:
                return earlier
        return None

    def _by_identifier(self, ref: Any, allowed: tuple[str, ...]) -> SourcedModel | None:
        system, value = (ref.identifier.system or "").strip(), (ref.identifier.value or "").strip()
        if system == ODS_SYSTEM:
            value = value.upper()
        elif system == NHS_NUMBER_SYSTEM:
            value = nhs_number.normalise(value)
        for resource_type in ([ref.type] if ref.type in allowed else list(allowed)):
            lookup = _BY_IDENTIFIER.get(resource_type)
            if lookup and lookup[0] == system and value:
                obj = MODELS[resource_type]._default_manager.filter(**{lookup[1]: value}).first()
                if obj is not None:
                    return obj
        if system == ODS_SYSTEM and value and "Organization" in allowed:
            # An ODS code is the national identifier of an organisation, so a reference that gives only the
            # code (and usually its name) is enough to record the organisation; nothing is guessed.
            from ourplan.people.models import Organisation

            name = (getattr(ref, "display", None) or value).strip()[:200]
            return Organisation.objects.create(ods_code=value, name=name)
        return None


def _followable(ref: Any, allowed: tuple[str, ...]) -> bool:
    system, value = (ref.identifier.system or "").strip(), (ref.identifier.value or "").strip()
    return bool(value) and any(_BY_IDENTIFIER[t][0] == system for t in allowed if t in _BY_IDENTIFIER)


@dataclass
class Imported:
    """What a mapper did with one resource: the saved record, a short description, and notes about what
    was left out (shown in the report line)."""

    saved: Saved[Any]
    summary: str
    notes: list[str] = field(default_factory=list)

    def message(self) -> str:
        text = self.summary
        if self.saved.outcome is Outcome.UPDATED and self.saved.changed:
            text += f" (changed: {', '.join(self.saved.changed)})"
        return text + "".join(f"; note: {n}" for n in self.notes)
