"""Targets: the NICE defaults per condition, overridden per person. One place decides which target applies
to a result, so a result is never compared with the wrong target (hazard H2 in the hazard log)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ourplan.clinical.terminology import MEASURES

if TYPE_CHECKING:
    from ourplan.clinical.models import Observation, PersonTarget

_OPS = {
    "<": lambda v, t: v < t,
    "<=": lambda v, t: v <= t,
    ">": lambda v, t: v > t,
    ">=": lambda v, t: v >= t,
}
_WORDS = {"<": "below", "<=": "at or below", ">": "above", ">=": "at or above"}


@dataclass(frozen=True)
class Target:
    measure: str
    comparator: str
    value: Decimal
    value2: Decimal | None
    source: str  # where the target comes from, shown to clinicians
    overridden: bool = False
    reason: str = ""

    def met_by(self, value: Decimal | None, value2: Decimal | None = None) -> bool | None:
        if value is None:
            return None
        ok = _OPS[self.comparator](value, self.value)
        if self.value2 is not None:
            if value2 is None:
                return None
            ok = ok and _OPS[self.comparator](value2, self.value2)
        return ok

    @property
    def text(self) -> str:
        measure = MEASURES[self.measure]
        figure = f"{_fmt(self.value)}/{_fmt(self.value2)}" if self.value2 is not None else _fmt(self.value)
        return f"{_WORDS[self.comparator]} {figure} {measure.unit_label}"


def _fmt(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def default_target(
    measure: str, registers: Iterable[str], *, age: int | None, condition_codes: Iterable[str] = (),
    latest: dict[str, Observation] | None = None,
) -> Target | None:
    """The NICE default for this measure given the person's registers and age, or None where no target
    applies. Sources: NG28 / NG17 (HbA1c), NG136 and NG203/QS5 (BP), NG238 (lipids); see
    shared/clinical-reference.md section 4."""
    regs = set(registers)
    codes = set(condition_codes)
    latest = latest or {}
    if measure == "hba1c" and "DM" in regs:
        if "46635009" in codes:
            return Target("hba1c", "<=", Decimal(48), None, "NICE NG17 (type 1 diabetes)")
        # NG28: 48 on lifestyle or a single drug not linked to hypos; a clinician sets 53 per person
        # (an override) when the person takes a medicine that can cause hypos.
        return Target("hba1c", "<=", Decimal(48), None, "NICE NG28 (type 2 diabetes)")
    if measure == "bp" and regs & {"HYP", "DM", "CHD", "CKD", "STRK", "HF"}:
        acr = latest.get("acr")
        if "CKD" in regs and acr is not None and acr.value is not None and acr.value >= 70:
            return Target("bp", "<", Decimal(130), Decimal(80), "NICE NG203 (CKD with ACR 70 or more)")
        if age is not None and age >= 80:
            return Target("bp", "<", Decimal(150), Decimal(90), "NICE NG136 (age 80 and over)")
        return Target("bp", "<", Decimal(140), Decimal(90), "NICE NG136 (under 80)")
    if measure == "non_hdl" and regs & {"CHD", "STRK"}:
        return Target("non_hdl", "<=", Decimal("2.6"), None, "NICE NG238 (secondary prevention)")
    return None


def target_for(
    measure: str,
    registers: Iterable[str],
    *,
    age: int | None,
    overrides: dict[str, PersonTarget] | None = None,
    condition_codes: Iterable[str] = (),
    latest: dict[str, Observation] | None = None,
) -> Target | None:
    """The target that applies: the person's override if there is one, else the NICE default."""
    override = (overrides or {}).get(measure)
    if override is not None:
        return Target(
            measure, override.comparator, override.value, override.value2,
            "Set for this person", overridden=True, reason=override.reason,
        )
    return default_target(measure, registers, age=age, condition_codes=condition_codes, latest=latest)


def age_today(dob: date | None, today: date) -> int | None:
    if dob is None:
        return None
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
