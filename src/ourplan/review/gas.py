"""Goal attainment scaling: the Kiresuk-Sherman T-score for a set of goals scored at a review.

Each goal is scored -2 (much less than expected) .. 0 (the expected outcome) .. +2 (much more than expected)
and given a weight (importance; 1 when all goals count the same). Kiresuk and Sherman (1968):

    T = 50 + 10 * sum(w_i * x_i) / sqrt((1 - rho) * sum(w_i ** 2) + rho * (sum(w_i)) ** 2)

rho is the assumed correlation between goal scores; 0.3 is the conventional value. T is 50 when, on
balance, goals were met as expected, and has a standard deviation of about 10 across people. The formula
is only defined for a non-empty set of goals with positive weights, so anything else is refused rather than
given a made-up 50.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from ourplan.core.errors import ActionError

RHO = 0.3
LEVELS: tuple[int, ...] = (-2, -1, 0, 1, 2)
LEVEL_LABELS: dict[int, str] = {
    -2: "Much less than expected",
    -1: "Somewhat less than expected",
    0: "As expected",
    1: "Somewhat more than expected",
    2: "Much more than expected",
}
# The Goal field holding the words for each level, agreed when the goal was set.
LEVEL_FIELDS: dict[int, str] = {-2: "gas_minus2", -1: "gas_minus1", 0: "gas_zero", 1: "gas_plus1", 2: "gas_plus2"}
MAX_WEIGHT = 10


def t_score(scored: Iterable[tuple[int, int]], *, rho: float = RHO) -> float:
    """T for (level, weight) pairs. Raises ActionError for an empty set, a level outside -2..+2 or a weight
    below 1 (a weight of 0 would leave a goal scored but not counted)."""
    pairs = list(scored)
    if not pairs:
        raise ActionError("Score at least one goal to work out a goal attainment score")
    for level, weight in pairs:
        if isinstance(level, bool) or not isinstance(level, int) or level not in LEVELS:
            raise ActionError(f"A goal attainment level must be -2, -1, 0, +1 or +2, not {level!r}", field="level")
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= MAX_WEIGHT:
            raise ActionError(f"A goal's weight must be a whole number from 1 to {MAX_WEIGHT}", field="weight")
    if not 0 <= rho < 1:
        raise ValueError("rho must be in [0, 1)")
    weighted = sum(w * x for x, w in pairs)
    sum_w = sum(w for _, w in pairs)
    sum_w2 = sum(w * w for _, w in pairs)
    return 50 + 10 * weighted / math.sqrt((1 - rho) * sum_w2 + rho * sum_w * sum_w)


def t_score_decimal(scored: Iterable[tuple[int, int]], *, rho: float = RHO) -> Decimal:
    """T to one decimal place (half up), as stored on PlanReview.t_score."""
    return Decimal(repr(t_score(scored, rho=rho))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def describe(t: float | Decimal) -> str:
    """Plain words for a T-score. Only the side of 50 is described: any band around 50 would be our
    invention, not part of the method."""
    value = round(float(t), 1)
    if value > 50:
        return "Better than expected overall"
    if value < 50:
        return "Less well than expected overall"
    return "As expected overall"
