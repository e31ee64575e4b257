"""FHIR HealthcareService (R4B, UK Core) to directory entries. fhir.resources checks the structure; the
mapping below takes what a directory needs and leaves clinical-system detail behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ourplan.core.errors import ActionError
from ourplan.core.models import User
from ourplan.support.models import AccessRoute, Category, Cost
from ourplan.support.services_import import ImportLine, ImportReport, save_service

FHIR_SOURCE = "fhir"
# service-provision-conditions: free, disc (discounts available), cost (fees apply).
_COSTS = {"free": Cost.FREE, "disc": Cost.LOW, "cost": Cost.PAID}
_DAYS = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}
# Words in a service's name or type that place it in a directory category. Anything else is left
# uncategorised for a curator to sort (it still imports and can be found by name).
_KEYWORDS = {
    Category.PHYSICAL_ACTIVITY: ("walk", "exercise", "activity", "rehabilitation", "gym", "swim"),
    Category.MENTAL_WELLBEING: ("mental", "talking", "wellbeing", "counselling", "psycholog"),
    Category.SOCIAL_CONNECTION: ("befriend", "lunch club", "social", "lonel"),
    Category.MONEY_HOUSING: ("debt", "money", "benefit", "housing", "citizens advice"),
    Category.CARERS: ("carer",),
    Category.CONDITION_EDUCATION: ("education", "diabetes", "self-management", "smoking"),
    Category.PEER_SUPPORT: ("peer", "support group"),
    Category.PRACTICAL_HELP: ("transport", "shopping", "handyperson", "practical"),
}


def _codings_text(items: list[Any] | None) -> list[str]:
    out = []
    for concept in items or []:
        text = concept.text or next((c.display for c in concept.coding or [] if c.display), None)
        if text:
            out.append(str(text))
    return out


def _opening(resource: Any) -> str:
    parts = []
    for slot in resource.availableTime or []:
        days = ", ".join(_DAYS.get(str(d), str(d)) for d in slot.daysOfWeek or [])
        if slot.allDay:
            parts.append(f"{days}: all day")
        elif slot.availableStartTime and slot.availableEndTime:
            start, end = str(slot.availableStartTime)[:5], str(slot.availableEndTime)[:5]
            parts.append(f"{days}: {start} to {end}")
        elif days:
            parts.append(days)
    if resource.availabilityExceptions:
        parts.append(str(resource.availabilityExceptions))
    return "\n".join(parts)


def fields_from_resource(resource: Any) -> tuple[dict[str, Any], str]:
    """(service fields, source id) for one HealthcareService."""
    if not resource.name:
        raise ActionError("The HealthcareService has no name", field="name")
    telecom = {str(t.system): str(t.value) for t in reversed(resource.telecom or []) if t.system and t.value}
    text = " ".join([resource.name, *_codings_text(resource.type), *_codings_text(resource.category)]).lower()
    categories = [c.value for c, words in _KEYWORDS.items() if any(w in text for w in words)]
    cost_codes = [c.code for concept in resource.serviceProvisionCode or [] for c in concept.coding or []]
    methods = [c.code for concept in resource.referralMethod or [] for c in concept.coding or []]
    description = " ".join(str(p) for p in (resource.comment, resource.extraDetails) if p) or str(resource.name)
    eligibility = "; ".join(str(e.comment) for e in resource.eligibility or [] if e.comment)
    source_id = next((str(i.value) for i in resource.identifier or [] if i.value), "") or str(resource.id or "")
    fields = {
        "name": str(resource.name), "description": description, "category_codes": " ".join(categories),
        "eligibility": eligibility,
        "cost": next((_COSTS[c] for c in cost_codes if c in _COSTS), Cost.FREE),
        # HealthcareService.referralMethod lists how professionals refer; appointmentRequired false with
        # no methods reads as "just turn up" (self-referral).
        "access_route": AccessRoute.PROFESSIONAL if methods else AccessRoute.BOTH,
        "online": False, "opening_times": _opening(resource), "phone": telecom.get("phone", ""),
        "email": telecom.get("email", ""), "website": telecom.get("url", ""),
        "accessibility": "; ".join(_codings_text(resource.characteristic)),
        "languages": ", ".join(_codings_text(resource.communication)) or "English",
        "maintained_by_text": str(resource.providedBy.display) if resource.providedBy and
        resource.providedBy.display else "",
        "active": resource.active is not False,
    }
    return fields, source_id


def _resources(path: Path) -> list[Any]:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.healthcareservice import HealthcareService

    data = path.read_bytes()
    is_xml = path.suffix.lower() == ".xml"
    is_bundle = b"<Bundle" in data[:400] if is_xml else b'"Bundle"' in data[:400]
    model: Any = Bundle if is_bundle else HealthcareService
    parsed = model.model_validate_xml(data) if is_xml else model.model_validate_json(data)
    if not is_bundle:
        return [parsed]
    return [e.resource for e in parsed.entry or [] if e.resource is not None
            and e.resource.get_resource_type() == "HealthcareService"]


def import_fhir(path: str | Path, actor: User | None = None, report: ImportReport | None = None) -> ImportReport:
    from django.db import transaction

    report = report or ImportReport()
    path = Path(path)
    try:
        resources = _resources(path)
    except (ValidationError, ValueError) as exc:
        report.lines.append(ImportLine(path.name, "error", f"not a valid FHIR HealthcareService: {exc}"[:300]))
        return report
    for index, resource in enumerate(resources, start=1):
        where = f"{path.name} HealthcareService {resource.id or index}"
        try:
            with transaction.atomic():
                fields, source_id = fields_from_resource(resource)
                outcome = save_service(actor, fields, FHIR_SOURCE, source_id)
            report.lines.append(ImportLine(where, outcome, fields["name"]))
        except ActionError as exc:
            report.lines.append(ImportLine(where, "error", exc.message))
    return report
