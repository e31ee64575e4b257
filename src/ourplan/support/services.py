"""Curating the directory: every change to a Service goes through these functions (acting user,
transaction, audit row). One check function serves the staff form, the CSV and FHIR importers and the seed."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone

from ourplan.clinical.terminology import REGISTERS
from ourplan.core import audit
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.core.versioning import apply_versioned_update
from ourplan.support import postcodes
from ourplan.support.models import AccessRoute, Category, Cost, Service

SERVICE_FIELDS = {
    "name", "description", "category_codes", "eligibility", "min_age", "max_age", "condition_registers",
    "cost", "cost_detail", "access_route", "address", "postcode", "latitude", "longitude", "online",
    "opening_times", "phone", "email", "website", "accessibility", "languages", "maintained_by",
    "maintained_by_text", "last_checked", "active", "source_system", "source_id",
}


def check_service_fields(fields: dict[str, Any], *, require_category: bool = False) -> dict[str, Any]:
    """Normalise and check; raise ActionError naming the field on the first problem."""
    cleaned = dict(fields)
    unknown = set(cleaned) - SERVICE_FIELDS
    if unknown:
        raise ActionError(f"Unknown service fields: {', '.join(sorted(unknown))}")
    for name in ("name", "description"):
        if name in cleaned:
            cleaned[name] = str(cleaned[name] or "").strip()
    if not cleaned.get("name"):
        raise ActionError("Enter the name of the service", field="name")
    if not cleaned.get("description"):
        raise ActionError("Describe what the service offers, in plain words", field="description")
    codes = cleaned.get("category_codes", "")
    items = codes.split() if isinstance(codes, str) else list(codes)
    bad = [c for c in items if c not in Category.values]
    if bad:
        raise ActionError(f"Unknown category '{bad[0]}'. Use one of: {', '.join(Category.values)}",
                          field="category_codes")
    if require_category and not items:
        raise ActionError("Choose at least one category", field="category_codes")
    if "category_codes" in cleaned or require_category:
        cleaned["category_codes"] = " ".join(dict.fromkeys(items))
    regs = cleaned.get("condition_registers", "")
    reg_items = [r.upper() for r in (regs.split() if isinstance(regs, str) else regs)]
    bad = [r for r in reg_items if r not in REGISTERS]
    if bad:
        raise ActionError(f"Unknown condition register '{bad[0]}'. Use register keys such as "
                          f"{', '.join(list(REGISTERS)[:5])}", field="condition_registers")
    if "condition_registers" in cleaned:
        cleaned["condition_registers"] = " ".join(dict.fromkeys(reg_items))
    for name, choices in (("cost", Cost), ("access_route", AccessRoute)):
        if name in cleaned and cleaned[name] not in choices.values:
            raise ActionError(f"Choose the {name.replace('_', ' ')}: one of {', '.join(choices.values)}",
                              field=name)
    low, high = cleaned.get("min_age"), cleaned.get("max_age")
    if low is not None and high is not None and low > high:
        raise ActionError("The youngest age must not be above the oldest age", field="min_age")
    _check_contact(cleaned)
    _check_location(cleaned)
    checked = cleaned.get("last_checked")
    if isinstance(checked, date) and checked > timezone.localdate():
        raise ActionError("The date it was last checked cannot be in the future", field="last_checked")
    return cleaned


def _check_contact(cleaned: dict[str, Any]) -> None:
    try:
        if cleaned.get("email"):
            cleaned["email"] = str(cleaned["email"]).strip()
            EmailValidator()(cleaned["email"])
    except ValidationError:
        raise ActionError("Enter an email address in the correct format, like name@example.com",
                          field="email") from None
    try:
        if cleaned.get("website"):
            site = str(cleaned["website"]).strip()
            cleaned["website"] = site if "://" in site else f"https://{site}"
            URLValidator(schemes=["http", "https"])(cleaned["website"])
    except ValidationError:
        raise ActionError("Enter a website address like https://www.example.org", field="website") from None


def _check_location(cleaned: dict[str, Any]) -> None:
    postcode = str(cleaned.get("postcode") or "").strip().upper()
    if "postcode" in cleaned:
        cleaned["postcode"] = postcode
    if postcode and not postcodes.district_of(postcode):
        raise ActionError(f"'{postcode}' is not a postcode", field="postcode")
    lat, lon = cleaned.get("latitude"), cleaned.get("longitude")
    if (lat is None) != (lon is None):
        raise ActionError("Give both latitude and longitude, or neither", field="latitude")
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ActionError("Latitude must be between -90 and 90 and longitude between -180 and 180",
                          field="latitude")
    if lat is None and postcode:
        # No map point given: place it at the centre of its postcode district, near enough to sort by.
        point = postcodes.centroid(postcode)
        if point is not None:
            cleaned["latitude"], cleaned["longitude"] = point


@transaction.atomic
def do_create_service(actor: User | None, *, require_category: bool = True, **fields: Any) -> Service:
    cleaned = check_service_fields(fields, require_category=require_category)
    service = Service.objects.create(**cleaned)
    audit.record(actor, AuditAction.CREATE, "Service", service.public_id,
                 basis=AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE)
    return service


@transaction.atomic
def do_update_service(actor: User | None, service: Service, expected_version: int, *,
                      require_category: bool = True, **changes: Any) -> Service:
    """Raises EditConflict (nothing saved) if someone saved after `expected_version`."""
    merged = {name: getattr(service, name) for name in ("name", "description", "category_codes")} | changes
    cleaned = check_service_fields(merged, require_category=require_category)
    before = {name: getattr(service, name) for name in cleaned}
    apply_versioned_update(service, expected_version, cleaned)
    audit.record(actor, AuditAction.UPDATE, "Service", service.public_id,
                 basis=AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE,
                 detail={"fields": sorted(k for k in cleaned if before[k] != cleaned[k]),
                         "version": service.version})
    return service
