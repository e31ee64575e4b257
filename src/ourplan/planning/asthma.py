"""Asthma action plan zones: the ONE place that turns a peak flow reading into green, amber or red.

Ourplan default (shared/clinical-reference.md, marked UNVERIFIED there): green at or above 80% of personal
best, amber from 50% up to (not including) 80%, red below 50%. Arithmetic is exact (integers and Decimal),
so a reading of exactly 80% is green and exactly 50% is amber, never a float rounding accident."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ourplan.people.models import Person

GREEN_FROM_PERCENT = 80
AMBER_FROM_PERCENT = 50


class Zone(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


def zone_for(reading: Decimal | int | float, personal_best: Decimal | int) -> Zone:
    """The zone a peak flow `reading` (L/min) falls in for this `personal_best` (L/min)."""
    if personal_best <= 0:
        raise ValueError("Personal best peak flow must be above zero")
    # Compare reading*100 with best*percent instead of dividing, so the boundaries are exact.
    scaled = Decimal(str(reading)) * 100
    best = Decimal(str(personal_best))
    if scaled >= best * GREEN_FROM_PERCENT:
        return Zone.GREEN
    if scaled >= best * AMBER_FROM_PERCENT:
        return Zone.AMBER
    return Zone.RED


@dataclass(frozen=True)
class ZoneThresholds:
    """Whole-number peak flow readings (L/min) for the written plan, derived from `zone_for`'s rule."""

    personal_best: int
    green_from: int  # this reading and above is green
    amber_from: int  # this reading up to green_from - 1 is amber; below it is red


def thresholds(personal_best: int) -> ZoneThresholds:
    # The lowest whole reading in each zone: ceil of the exact percentage of personal best.
    green_from = math.ceil(Decimal(personal_best) * GREEN_FROM_PERCENT / 100)
    amber_from = math.ceil(Decimal(personal_best) * AMBER_FROM_PERCENT / 100)
    return ZoneThresholds(personal_best, green_from, amber_from)


def default_personal_best(person: Person) -> int | None:
    """The latest recorded best-ever peak flow (251936000), if any, as the starting personal best."""
    from ourplan.clinical.models import Observation

    value = (Observation.objects.filter(person=person, measure="peak_flow_best", value__isnull=False)
             .order_by("-effective_at").values_list("value", flat=True).first())
    return int(value) if value is not None else None
