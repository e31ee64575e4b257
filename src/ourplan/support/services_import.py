"""Importing directory entries from CSV (columns in docs/services-directory.md) and from FHIR
HealthcareService resources (XML or JSON, alone or in a Bundle). Each bad row or resource is reported
with its reason and the good ones are kept. Re-importing updates instead of duplicating: a row with an
`id` (or a resource) is matched on its source identifier, a row without one on name + postcode."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction

from ourplan.core.errors import ActionError
from ourplan.core.models import User
from ourplan.people.models import Organisation
from ourplan.support.models import AccessRoute, Category, Cost, Service
from ourplan.support.services import do_create_service, do_update_service

CSV_COLUMNS = (
    "id", "name", "description", "categories", "eligibility", "min_age", "max_age", "conditions", "cost",
    "cost_detail", "access_route", "address", "postcode", "latitude", "longitude", "online", "opening_times",
    "phone", "email", "website", "accessibility", "languages", "maintained_by_ods", "maintained_by",
    "last_checked",
)
REQUIRED_COLUMNS = {"name", "description"}
CSV_SOURCE = "csv"
_LABEL_TO_CATEGORY = {str(label).lower(): value for value, label in Category.choices}
_LABEL_TO_COST = {str(label).lower(): value for value, label in Cost.choices}
_ROUTES = {"self": AccessRoute.SELF, "self-referral": AccessRoute.SELF, "professional": AccessRoute.PROFESSIONAL,
           "professional referral": AccessRoute.PROFESSIONAL, "both": AccessRoute.BOTH}


@dataclass
class ImportLine:
    where: str
    outcome: str  # created, updated, error
    detail: str = ""

    def line(self) -> str:
        return f"{self.where}: {self.outcome}{': ' + self.detail if self.detail else ''}"


@dataclass
class ImportReport:
    lines: list[ImportLine] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def summary(self) -> str:
        return (f"{self.count('created')} created, {self.count('updated')} updated, "
                f"{self.count('error')} with errors")


def _bool(raw: str) -> bool:
    return raw.strip().lower() in {"yes", "y", "true", "1"}


def _int(raw: str, column: str) -> int | None:
    if not raw.strip():
        return None
    if not raw.strip().isdigit():
        raise ActionError(f"{column} must be a whole number (got '{raw}')", field=column)
    return int(raw)


def _float(raw: str, column: str) -> float | None:
    if not raw.strip():
        return None
    try:
        return float(raw)
    except ValueError:
        raise ActionError(f"{column} must be a number (got '{raw}')", field=column) from None


def _categories(raw: str) -> str:
    codes = []
    for part in raw.replace(",", ";").split(";"):
        text = part.strip().lower()
        if not text:
            continue
        code = text if text in Category.values else _LABEL_TO_CATEGORY.get(text)
        if code is None:
            raise ActionError(f"Unknown category '{part.strip()}'. Use one of: "
                              f"{', '.join(str(label) for label in Category.labels)}", field="categories")
        codes.append(code)
    return " ".join(codes)


def fields_from_row(row: dict[str, str]) -> dict[str, Any]:
    """One CSV row as service fields (raises ActionError naming the column)."""
    get = {k: (v or "").strip() for k, v in row.items() if k}
    cost = get.get("cost", "").lower() or Cost.FREE
    route = get.get("access_route", "").lower() or AccessRoute.BOTH
    if route not in _ROUTES:
        raise ActionError(f"access_route must be self, professional or both (got '{route}')", field="access_route")
    checked: date | None = None
    if get.get("last_checked"):
        try:
            checked = date.fromisoformat(get["last_checked"])
        except ValueError:
            raise ActionError(f"last_checked must be a date like 2025-03-31 (got '{get['last_checked']}')",
                              field="last_checked") from None
    org = None
    if get.get("maintained_by_ods"):
        org = Organisation.objects.filter(ods_code=get["maintained_by_ods"].upper()).first()
        if org is None:
            raise ActionError(f"No organisation has ODS code {get['maintained_by_ods']}", field="maintained_by_ods")
    return {
        "name": get.get("name", ""), "description": get.get("description", ""),
        "category_codes": _categories(get.get("categories", "")), "eligibility": get.get("eligibility", ""),
        "min_age": _int(get.get("min_age", ""), "min_age"), "max_age": _int(get.get("max_age", ""), "max_age"),
        "condition_registers": get.get("conditions", "").replace(";", " ").replace(",", " "),
        "cost": _LABEL_TO_COST.get(cost, cost), "cost_detail": get.get("cost_detail", ""),
        "access_route": _ROUTES[route], "address": get.get("address", ""), "postcode": get.get("postcode", ""),
        "latitude": _float(get.get("latitude", ""), "latitude"),
        "longitude": _float(get.get("longitude", ""), "longitude"),
        "online": _bool(get.get("online", "")), "opening_times": get.get("opening_times", ""),
        "phone": get.get("phone", ""), "email": get.get("email", ""), "website": get.get("website", ""),
        "accessibility": get.get("accessibility", ""), "languages": get.get("languages", "") or "English",
        "maintained_by": org, "maintained_by_text": get.get("maintained_by", ""), "last_checked": checked,
    }


def save_service(actor: User | None, fields: dict[str, Any], source_system: str, source_id: str) -> str:
    """Create or update one service; returns "created" or "updated"."""
    existing = None
    if source_id:
        existing = Service.objects.filter(source_system=source_system, source_id=source_id).first()
    else:
        existing = Service.objects.filter(name__iexact=fields["name"],
                                          postcode__iexact=fields.get("postcode", "")).first()
    if existing is not None:
        do_update_service(actor, existing, existing.version, require_category=False, **fields)
        return "updated"
    do_create_service(actor, require_category=False, source_system=source_system if source_id else "",
                      source_id=source_id, **fields)
    return "created"


def import_csv(path: str | Path, actor: User | None = None, report: ImportReport | None = None) -> ImportReport:
    report = report or ImportReport()
    name = Path(path).name
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        headers = {h.strip() for h in reader.fieldnames or []}
        missing = REQUIRED_COLUMNS - headers
        if missing:
            raise ActionError(f"{name}: the header must include {', '.join(sorted(missing))} "
                              "(columns: docs/services-directory.md)")
        unknown = headers - set(CSV_COLUMNS)
        if unknown:
            raise ActionError(f"{name}: unknown column(s) {', '.join(sorted(unknown))} "
                              "(columns: docs/services-directory.md)")
        for number, row in enumerate(reader, start=2):
            where = f"{name} row {number}"
            try:
                # One savepoint per row, so a bad row rolls back alone and good rows are kept.
                with transaction.atomic():
                    fields = fields_from_row(row)
                    outcome = save_service(actor, fields, CSV_SOURCE, (row.get("id") or "").strip())
                report.lines.append(ImportLine(where, outcome, fields["name"]))
            except ActionError as exc:
                report.lines.append(ImportLine(where, "error", exc.message))
    return report


def import_path(path: str | Path, actor: User | None = None, report: ImportReport | None = None) -> ImportReport:
    """Import one file, choosing the reader by its extension (.csv, .xml, .json)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return import_csv(path, actor, report)
    if suffix in {".xml", ".json"}:
        from ourplan.support.services_fhir import import_fhir

        return import_fhir(path, actor, report)
    raise ActionError(f"{Path(path).name}: Ourplan imports services from .csv, .xml or .json files")
