"""Who is due for their combined annual review, and who is due sooner because a result is far from target.

The ONE place for recall rules. The worklist filters and sorts with the SQL form of these rules
(`latest_values`, `high_priority_q`), and shows the reasons with the Python form (`reasons`); both are
built from the same RULES table, so they cannot disagree.

Thresholds and where they come from (shared/clinical-reference.md unless said otherwise):

- HbA1c above 75 mmol/mol. Section 4 gives the NICE NG28/NG17 targets (48 or 53 mmol/mol; intensify at
  58) and section 5 puts about 15-20% of people with type 2 diabetes at 75 or more. 75 is a practice
  recall setting chosen for this issue, well above every NICE target, not a NICE threshold.
- Clinic blood pressure systolic 160 or more, or diastolic 100 or more: NICE NG136's stage 2
  hypertension (clinic BP 160/100 or higher). The stage 2 definition is not in clinical-reference.md
  (its section 4 has the treatment targets, 140/90 and 150/90): check against NG136. Home readings are
  left out because their thresholds differ (NG136: home and ABPM are 5 mmHg lower).
- PHQ-9 15 or more: the moderately severe (15-19) and severe (20-27) bands, section 4 "Questionnaire
  bands" (V).
- eGFR below 30 mL/min/1.73 m2: GFR category G4 or G5 (section 4, CKD staging, V).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, OuterRef, Q, Subquery

from ourplan.clinical.models import Observation

# Everyone on a register is due once a year; people with a result far from target are due again after
# HIGH_PRIORITY_MONTHS. The 6-month figure is a design default (UNVERIFIED): NICE NG28 suggests
# re-measuring HbA1c at 3- to 6-month intervals until stable; confirm locally.
REVIEW_INTERVAL_MONTHS = 12
HIGH_PRIORITY_MONTHS = 6

HBA1C_HIGH = Decimal(75)  # mmol/mol, strictly above
SYSTOLIC_HIGH = Decimal(160)  # mmHg, at or above
DIASTOLIC_HIGH = Decimal(100)  # mmHg, at or above
PHQ9_HIGH = Decimal(15)  # points, at or above
EGFR_LOW = Decimal(30)  # mL/min/1.73 m2, strictly below

_OPS: dict[str, tuple[str, Callable[[Any, Any], bool]]] = {
    ">": ("gt", operator.gt),
    ">=": ("gte", operator.ge),
    "<": ("lt", operator.lt),
}


@dataclass(frozen=True)
class Rule:
    """A result beyond `threshold` makes a person high priority. `field` names the latest value as an
    annotation on the person (see latest_values)."""

    field: str
    comparator: str
    threshold: Decimal
    reason: str  # plain words; {value} is the person's latest value

    def q(self) -> Q:
        return Q(**{f"{self.field}__{_OPS[self.comparator][0]}": self.threshold})

    def applies(self, value: Decimal | None) -> bool:
        return value is not None and _OPS[self.comparator][1](value, self.threshold)


RULES: tuple[Rule, ...] = (
    Rule("latest_hba1c", ">", HBA1C_HIGH, "HbA1c {value} mmol/mol, well above target (over 75)"),
    Rule("latest_systolic", ">=", SYSTOLIC_HIGH, "Blood pressure {value} mmHg systolic (160 or more)"),
    Rule("latest_diastolic", ">=", DIASTOLIC_HIGH, "Blood pressure {value} mmHg diastolic (100 or more)"),
    Rule("latest_phq9", ">=", PHQ9_HIGH, "PHQ-9 mood score {value} (15 or more: moderately severe or severe)"),
    Rule("latest_egfr", "<", EGFR_LOW, "Kidney function (eGFR) {value}, below 30"),
)

# annotation name -> (measure, which value, leave out home readings)
_LATEST: dict[str, tuple[str, str, bool]] = {
    "latest_hba1c": ("hba1c", "value", False),
    "latest_systolic": ("bp", "value", True),
    "latest_diastolic": ("bp", "value2", True),
    "latest_phq9": ("phq9", "value", False),
    "latest_egfr": ("egfr", "value", False),
}


def latest_values() -> dict[str, Subquery]:
    """Annotations for a Person queryset: the latest value of each measure the rules use. Each is a
    correlated subquery served by the (person, measure, -effective_at) index."""
    annotations = {}
    for name, (measure, column, clinic_only) in _LATEST.items():
        rows = Observation.objects.filter(person=OuterRef("pk"), measure=measure)
        if clinic_only:
            rows = rows.exclude(source=Observation.Source.HOME)
        annotations[name] = Subquery(
            rows.order_by("-effective_at", "-id").values(column)[:1],
            output_field=DecimalField(max_digits=12, decimal_places=4),
        )
    return annotations


def high_priority_q() -> Q:
    """True for a person (annotated with latest_values) with any result beyond its threshold."""
    q = Q(pk__in=[])
    for rule in RULES:
        q |= rule.q()
    return q


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.1f}"


def reasons(values: Mapping[str, Decimal | None]) -> list[str]:
    """The plain-words reasons a person is high priority ([] if routine), from the latest values."""
    found = []
    for rule in RULES:
        value = values.get(rule.field)
        if value is not None and rule.applies(value):
            found.append(rule.reason.format(value=_fmt(Decimal(value))))
    return found


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the last day of the month where that day does not exist)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for candidate in range(day.day, 27, -1):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    return date(year, month, min(day.day, 28))
