"""Checking a result before it is stored: a known code, a unit that fits the measure (converted to the
canonical unit), and a value inside the plausible range. Importers, forms and the API all call this."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ourplan.clinical.terminology import MEASURES, Measure, measure_for_code
from ourplan.core.errors import ActionError


@dataclass(frozen=True)
class CheckedValue:
    measure: Measure
    value: Decimal | None
    value2: Decimal | None
    unit: str


def to_decimal(raw: object, field: str, label: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ActionError(f"{label} must be a number (got '{raw}')", field=field) from None
    if not value.is_finite():
        raise ActionError(f"{label} must be a number (got '{raw}')", field=field)
    return value


def find_measure(system: str, code: str) -> Measure:
    measure = measure_for_code(system, code)
    if measure is None:
        raise ActionError(
            f"Unknown result code {code} ({system}). Ourplan accepts the SNOMED CT and LOINC codes listed in "
            "docs/csv-import.md",
            field="code",
        )
    return measure


def check_value(
    measure_key: str, value: object, unit: str | None, value2: object = None, *, field: str = "value"
) -> CheckedValue:
    """Validate and normalise a quantity for `measure_key`. Raises ActionError with a clear message."""
    measure = MEASURES[measure_key]
    if measure.coded:
        return CheckedValue(measure, None, None, "")
    label = measure.display
    if unit is None or str(unit).strip() == "":
        raise ActionError(f"{label}: the unit is missing. Expected {measure.unit_label}", field="unit")
    factor = measure.accepted_units().get(str(unit).strip())
    if factor is None:
        raise ActionError(
            f"{label}: the unit '{unit}' does not fit this measure. Expected {measure.unit_label}", field="unit"
        )
    if value is None or str(value).strip() == "":
        raise ActionError(f"{label}: the value is missing", field=field)
    number = to_decimal(value, field, label) * factor
    low, high = measure.plausible
    name = "systolic (top number)" if measure.paired else "value"
    if not low <= number <= high:
        raise ActionError(
            f"{label}: {name} {number.normalize():f} is outside the possible range {low}-{high} "
            f"{measure.unit_label}. Check it was typed correctly",
            field=field,
        )
    second: Decimal | None = None
    if measure.paired:
        if value2 is None or str(value2).strip() == "":
            raise ActionError(f"{label}: the diastolic (bottom number) is missing", field="value2")
        second = to_decimal(value2, "value2", label) * factor
        low2, high2 = measure.plausible2 or measure.plausible
        if not low2 <= second <= high2:
            raise ActionError(
                f"{label}: diastolic (bottom number) {second.normalize():f} is outside the possible range "
                f"{low2}-{high2} {measure.unit_label}. Check it was typed correctly",
                field="value2",
            )
        if second >= number:
            raise ActionError(
                f"{label}: the diastolic (bottom number) must be lower than the systolic (top number)",
                field="value2",
            )
    return CheckedValue(measure, number, second, measure.unit)
