"""Typical ranges: the soft check behind "unusual, please confirm".

clinical.validation refuses values outside the *plausible* range (almost certainly a typing error). This
table is narrower: values outside it are possible but unusual in adults seen in general practice, so a form
asks the person entering them to confirm (an extra checkbox) before storing them. It catches slips such
as 8.4 typed as 84 or a weight typed in stones, without blocking a genuinely extreme result.

The ranges are design defaults (UNVERIFIED: not from a guideline; review with the clinical safety
officer). Where a reference exists it is named: eGFR below 15 is kidney failure (G5, clinical-reference.md
section 4, V); BMI 40+ is obesity class III (CG189, V).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ourplan.clinical.terminology import MEASURES


@dataclass(frozen=True)
class TypicalRange:
    low: Decimal
    high: Decimal
    low2: Decimal | None = None  # diastolic, for blood pressure
    high2: Decimal | None = None


def _r(low: str, high: str, low2: str | None = None, high2: str | None = None) -> TypicalRange:
    return TypicalRange(
        Decimal(low), Decimal(high), Decimal(low2) if low2 else None, Decimal(high2) if high2 else None
    )


# measure key -> typical adult range, in the measure's canonical unit.
TYPICAL: dict[str, TypicalRange] = {
    "hba1c": _r("25", "130"),
    "bp": _r("80", "200", "40", "120"),
    "cholesterol": _r("2", "10"),
    "non_hdl": _r("1", "8"),
    "hdl": _r("0.5", "3"),
    "egfr": _r("10", "130"),
    "acr": _r("0", "300"),
    "weight": _r("35", "200"),
    "height": _r("135", "210"),
    "bmi": _r("15", "60"),
    "peak_flow": _r("100", "800"),
}


def unusual(measure_key: str, value: Decimal | None, value2: Decimal | None = None) -> str | None:
    """A plain question to show next to the field when the value is outside the typical range, else None.
    `value` and `value2` are in the measure's canonical unit (as check_value returns them)."""
    typical = TYPICAL.get(measure_key)
    if typical is None or value is None:
        return None
    measure = MEASURES[measure_key]
    unit = measure.unit_label
    if measure.paired:
        if not typical.low <= value <= typical.high:
            return (f"{measure.display}: a systolic (top number) of {value.normalize():f} {unit} is unusual. "
                    "Check it, then tick to confirm it is right")
        if value2 is not None and typical.low2 is not None and typical.high2 is not None \
                and not typical.low2 <= value2 <= typical.high2:
            return (f"{measure.display}: a diastolic (bottom number) of {value2.normalize():f} {unit} is "
                    "unusual. Check it, then tick to confirm it is right")
        return None
    if not typical.low <= value <= typical.high:
        return (f"{measure.display}: {value.normalize():f} {unit} is unusual (usually {typical.low}-"
                f"{typical.high}). Check it, then tick to confirm it is right")
    return None
