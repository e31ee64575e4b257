"""Readings people log at home: checking them (wrong unit: a clear message; impossible: refused as a
typing slip; unusual: a gentle question, stored once confirmed), storing them with source "home" and
the acting user, raising contingency alerts for the care team, bulk CSV upload, and chart data."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import orjson
from django.db import transaction
from django.utils import timezone
from markupsafe import Markup

from ourplan.clinical.models import Observation
from ourplan.clinical.terminology import MEASURES
from ourplan.clinical.validation import check_value, to_decimal
from ourplan.core import audit
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.people.models import Person
from ourplan.support import triggers
from ourplan.support.measures import HOME_MEASURES, HomeMeasure
from ourplan.support.models import HomeReading, SupportAlert

UNUSUAL = "That looks unusual. Is it right?"


class NeedsConfirmation(ActionError):
    """The reading is possible but unusual: ask the person to confirm instead of refusing it."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"{UNUSUAL} {detail} If it is right, tick the box and save again.", field="confirm")


@dataclass
class Checked:
    measure: HomeMeasure
    value: Decimal | None
    value2: Decimal | None
    unit: str
    text: str = ""
    unusual: bool = False


def _unit_factor(m: HomeMeasure, unit: str) -> Decimal:
    unit = unit.strip()
    if unit in m.wrong_units:
        raise ActionError(f"{m.plain}: {m.wrong_units[unit]}", field="unit")
    factor = m.accepted_units().get(unit)
    if factor is None:
        raise ActionError(f"{m.plain}: '{unit}' is not a unit for this. Enter it in {m.unit_label}", field="unit")
    return factor


def check_reading(measure: str, value: Any, value2: Any = None, unit: str | None = None, *, text: str = "",
                  confirm: bool = False) -> Checked:
    m = HOME_MEASURES.get(measure)
    if m is None:
        raise ActionError(f"Unknown reading '{measure}'", field="measure")
    if m.text:
        if not text.strip():
            raise ActionError("Describe your symptoms", field="text")
        return Checked(m, None, None, "", text=text.strip())
    factor = _unit_factor(m, unit if unit else m.unit)
    if value is None or str(value).strip() == "":
        raise ActionError(f"Enter your {m.plain.lower()}" + (" top number" if m.paired else ""), field="value")
    if m.storage == "observation":
        # The clinical check refuses what cannot be a real reading (a typing slip), and converts units.
        # Every accepted home unit for these converts 1:1, so the canonical unit is passed on.
        checked = check_value(measure, value, m.unit, value2)
        number, second = checked.value, checked.value2
    else:
        number, second = to_decimal(value, "value", m.plain) * factor, None
        low, high = m.possible
        if not low <= number <= high:
            raise ActionError(f"{m.plain}: {number.normalize():f} {m.unit_label} cannot be right. "
                              "Check it was typed correctly", field="value")
    assert number is not None
    unusual = not m.usual[0] <= number <= m.usual[1] or (
        second is not None and m.usual2 is not None and not m.usual2[0] <= second <= m.usual2[1])
    if unusual and not confirm:
        shown = f"{number.normalize():f}" + (f"/{second.normalize():f}" if second is not None else "")
        raise NeedsConfirmation(f"You entered {shown} {m.unit_label}.")
    return Checked(m, number, second, m.unit, unusual=unusual)


@dataclass
class Logged:
    public_id: Any
    triggers: list[triggers.Trigger] = field(default_factory=list)


@transaction.atomic
def do_log_reading(actor: User, person: Person, basis: AccessBasis, measure: str, value: Any = None,
                   value2: Any = None, unit: str | None = None, *, text: str = "", confirm: bool = False,
                   effective_at: datetime | None = None) -> Logged:
    """Store one home reading (after `check_reading`), audit it, and raise care-team alerts for any
    contingency trigger it crosses. Returns the triggers so the page can show the agreed action at once."""
    checked = check_reading(measure, value, value2, unit, text=text, confirm=confirm)
    when = effective_at or timezone.now()
    if when > timezone.now() + timedelta(minutes=5):
        raise ActionError("The date of a reading cannot be in the future", field="effective_at")
    if checked.measure.storage == "observation":
        clinical = MEASURES[measure]
        row: Observation | HomeReading = Observation.objects.create(
            person=person, measure=measure, code=clinical.code, display=clinical.display, value=checked.value,
            value2=checked.value2, unit=checked.unit, effective_at=when, source=Observation.Source.HOME,
            recorded_by=actor)
        entity = "Observation"
    else:
        row = HomeReading.objects.create(person=person, measure=measure, value=checked.value, text=checked.text,
                                         unit=checked.unit, effective_at=when, recorded_by=actor,
                                         unusual_confirmed=checked.unusual)
        entity = "HomeReading"
    audit.record(actor, AuditAction.CREATE, entity, row.public_id, person=person.public_id, basis=basis,
                 detail={"measure": measure, "source": "home", "unusual": checked.unusual})
    found: list[triggers.Trigger] = []
    if measure == "peak_flow" and checked.value is not None:
        found = [t for t in [triggers.peak_flow_trigger(person, checked.value)] if t]
    elif measure == "bp" and checked.value is not None and checked.value2 is not None:
        found = [t for t in [triggers.bp_trigger(checked.value, checked.value2)] if t]
    for trigger in found:
        # No plan model says yet whom to notify, so the care team is told on the staff support page.
        SupportAlert.objects.create(person=person, level=trigger.level, trigger=trigger.key,
                                    message=f"{trigger.title}: {trigger.reading}", reading_public_id=row.public_id)
    return Logged(row.public_id, found)


@dataclass
class UploadResult:
    stored: int = 0
    errors: list[str] = field(default_factory=list)


UPLOAD_COLUMNS = ("date", "measure", "value", "unit")


def _parse_when(raw: str) -> datetime:
    text = raw.strip()
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M", "%d/%m/%Y"):
        try:
            parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - made aware on the next line
        except ValueError:
            continue
        if fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            parsed = datetime.combine(parsed.date(), time(12, 0))
        return timezone.make_aware(parsed)
    raise ActionError(f"date '{raw}' is not a date like 2025-03-31 or 31/03/2025 09:30", field="date")


def upload_csv(actor: User, person: Person, basis: AccessBasis, content: bytes, *, confirm_unusual: bool = False
               ) -> UploadResult:
    """Readings from a home device's CSV export (date, measure, value, unit; blood pressure as 138/84).
    Each bad row is reported with its reason; good rows are kept."""
    result = UploadResult()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append("The file is not a text (CSV) file")
        return result
    reader = csv.DictReader(io.StringIO(text))
    headers = {h.strip().lower() for h in reader.fieldnames or []}
    if not set(UPLOAD_COLUMNS) <= headers:
        result.errors.append(f"The first line must name the columns: {', '.join(UPLOAD_COLUMNS)}")
        return result
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        measure = row["measure"].lower().replace(" ", "_")
        value, value2 = row["value"], None
        if "/" in value:
            value, value2 = value.split("/", 1)
        try:
            with transaction.atomic():
                when = _parse_when(row["date"])
                do_log_reading(actor, person, basis, measure, value,
                               value2, row["unit"] or None, text=row["value"] if measure == "symptoms" else "",
                               confirm=confirm_unusual, effective_at=when)
            result.stored += 1
        except ActionError as exc:
            result.errors.append(f"Row {number}: {exc.message}")
    return result


def chart_payload(person: Person, hide: set[str] | None = None) -> tuple[Markup, dict[str, list[dict[str, Any]]]]:
    """(JSON for static/ourplan/charts.js, rows per measure for the tables). Same shape as
    clinical.charts.chart_payload; the target line is the person's band: 80% of personal best for peak
    flow (the green zone starts there) and the home target for blood pressure."""
    rows: dict[str, list[dict[str, Any]]] = {}
    wanted = [k for k in HOME_MEASURES if k not in (hide or set())]
    for obs in Observation.objects.filter(person=person, source="home", measure__in=wanted) \
            .order_by("effective_at"):
        rows.setdefault(obs.measure, []).append({"at": obs.effective_at, "y": obs.value, "y2": obs.value2})
    for reading in HomeReading.objects.filter(person=person, measure__in=wanted).order_by("effective_at"):
        rows.setdefault(reading.measure, []).append({"at": reading.effective_at, "y": reading.value, "y2": None,
                                                     "text": reading.text})
    best = triggers.personal_best(person)
    charts: dict[str, Any] = {}
    for key, points in rows.items():
        m = HOME_MEASURES[key]
        if m.text:
            continue
        target: Decimal | None = None
        target2: Decimal | None = None
        text = None
        if key == "peak_flow" and best:
            target, text = best * Decimal("0.8"), f"green zone: {best * Decimal('0.8'):.0f} or more"
        elif key == "bp":
            target, target2 = triggers.HOME_BP_TARGET
            text = "home target: below 135/85"
        charts[key] = {
            "label": m.plain, "unit": m.unit_label, "paired": m.paired,
            "points": [{"t": timezone.localtime(p["at"]).date().isoformat(),
                        "y": float(p["y"]) if p["y"] is not None else None,
                        "y2": float(p["y2"]) if p["y2"] is not None else None} for p in points],
            "target": float(target) if target is not None else None,
            "target2": float(target2) if target2 is not None else None, "targetText": text,
        }
    payload = orjson.dumps(charts).decode().replace("<", "\\u003c")
    return Markup(payload), rows  # noqa: S704 - JSON of our own numbers, "<" escaped
