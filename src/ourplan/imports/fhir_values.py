"""Reading FHIR data types (codings, names, addresses, telecoms, dates, extensions) from fhir.resources
models into plain Python values. The models are dynamically typed, hence `Any` throughout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from ourplan.core.errors import ActionError

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
SDS_USER_SYSTEM = "https://fhir.nhs.uk/Id/sds-user-id"
BCP47 = "urn:ietf:bcp:47"


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str


def codings(concept: Any) -> list[Code]:
    if concept is None:
        return []
    return [
        Code((c.system or "").strip(), (c.code or "").strip(), (c.display or "").strip())
        for c in (concept.coding or [])
        if c.code
    ]


def first_code(concept: Any, system: str) -> Code | None:
    return next((c for c in codings(concept) if c.system == system), None)


def concept_text(concept: Any) -> str:
    if concept is None:
        return ""
    return (concept.text or "").strip() or next((c.display for c in codings(concept) if c.display), "")


def identifier(resource: Any, system: str) -> str:
    for ident in getattr(resource, "identifier", None) or []:
        if (ident.system or "").strip() == system and ident.value:
            return str(ident.value).strip()
    return ""


def first_identifier(resource: Any) -> tuple[str, str] | None:
    """The first business identifier with both a system and a value."""
    for ident in getattr(resource, "identifier", None) or []:
        if ident.system and ident.value:
            return str(ident.system).strip(), str(ident.value).strip()
    return None


@dataclass(frozen=True)
class Name:
    prefix: str
    given: str
    family: str


def human_name(names: Any) -> Name | None:
    """The official (else usual, else first current) name."""
    candidates = [n for n in (names or []) if n.use not in ("old", "anonymous")] or list(names or [])
    if not candidates:
        return None
    ranked = sorted(candidates, key=lambda n: {"official": 0, "usual": 1}.get(n.use or "", 2))
    name = ranked[0]
    given = " ".join(g.strip() for g in (name.given or []) if g and g.strip())
    family = (name.family or "").strip()
    if not family and not given and name.text:
        # A name given only as text: take the last word as the family name, as a receptionist would.
        parts = name.text.strip().split()
        family, given = parts[-1], " ".join(parts[:-1])
    prefix = " ".join(p.strip() for p in (name.prefix or []) if p and p.strip())
    return Name(prefix, given, family)


def telecom(points: Any, kind: str) -> str:
    """The first current phone or email, preferring mobile and home numbers over work ones."""
    current = [p for p in (points or []) if p.system == kind and p.value and p.use != "old"]
    current.sort(key=lambda p: {"mobile": 0, "home": 1}.get(p.use or "", 2))
    return str(current[0].value).strip() if current else ""


def email(points: Any) -> tuple[str, str | None]:
    """(email, note): an address that is not a valid email is left out, with a note saying so."""
    value = telecom(points, "email")
    if not value:
        return "", None
    try:
        validate_email(value)
    except ValidationError:
        return "", f"email '{value}' is not a valid address; not stored"
    return value, None


def address(addresses: Any) -> tuple[str, str]:
    """(address lines, postcode) of the home (else first current) address."""
    current = [a for a in (addresses or []) if a.use != "old"]
    if not current:
        return "", ""
    current.sort(key=lambda a: 0 if a.use == "home" else 1)
    chosen = current[0]
    lines = [line.strip() for line in (chosen.line or []) if line and line.strip()]
    lines += [p.strip() for p in (chosen.city, chosen.district) if p and p.strip()]
    postcode = re.sub(r"\s+", " ", (chosen.postalCode or "").strip().upper())
    return "\n".join(lines), postcode


def to_date(value: Any, element: str) -> date | None:
    """A FHIR date or dateTime as a date. Partial dates (YYYY or YYYY-MM) are refused: Ourplan would have
    to invent the missing day."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise ActionError(f"{element} '{value}' is not a full date (Ourplan needs year, month and day)",
                      field=element)


def to_datetime(value: Any, element: str) -> date | datetime | None:
    if value is None or isinstance(value, date):
        return value
    raise ActionError(f"{element} '{value}' is not a full date (Ourplan needs year, month and day)",
                      field=element)


def walk_extensions(extensions: Any) -> Iterator[Any]:
    """Every extension, nested ones included (UK Core puts values in sub-extensions)."""
    for ext in extensions or []:
        yield ext
        yield from walk_extensions(ext.extension)


def extension(extensions: Any, url_end: str) -> Any:
    """The first extension whose url ends with `url_end` (matches a full canonical URL or a sub-extension
    name such as "PreferredContactMethod")."""
    return next((e for e in walk_extensions(extensions) if (e.url or "").endswith(url_end)), None)
