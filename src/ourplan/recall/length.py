"""How long a care planning conversation should be, from how complex the person's situation is.

"Of appropriate length" (design brief, the cycle step 4): a 20-minute base, more for each extra condition,
for several results off target and for communication needs, each with a reason the booker can read. The
figures are a design default (UNVERIFIED), to be tuned by practices.
"""

from __future__ import annotations

from dataclasses import dataclass

from ourplan.clinical.results import ResultsOverview
from ourplan.people.models import AccessibleFormat, Person

BASE_MINUTES = 20
PER_EXTRA_CONDITION = 5
MAX_FOR_CONDITIONS = 15
OFF_TARGET_MINUTES = 5  # when 2 or more results are off target
INTERPRETER_MINUTES = 10
ACCESSIBLE_MINUTES = 5  # BSL interpreter or easy-read materials
SLOWER_FORMATS = frozenset({AccessibleFormat.BSL, AccessibleFormat.EASY_READ})


@dataclass(frozen=True)
class LengthSuggestion:
    minutes: int
    reasons: tuple[str, ...]


def suggest_conversation_length(person: Person, results: ResultsOverview) -> LengthSuggestion:
    """Suggested minutes and the reasons. `results` is clinical.results.overview(person): its registers
    (active LTC registers, so several codes for one condition count once) and its off-target results."""
    minutes = BASE_MINUTES
    reasons = [f"{BASE_MINUTES} minutes to start with"]
    extra_conditions = max(len(results.registers) - 1, 0)
    if extra_conditions:
        added = min(extra_conditions * PER_EXTRA_CONDITION, MAX_FOR_CONDITIONS)
        minutes += added
        reasons.append(f"+{added} for {len(results.registers)} long-term conditions")
    off_target = results.off_target
    if len(off_target) >= 2:
        minutes += OFF_TARGET_MINUTES
        names = ", ".join(s.measure.display for s in off_target)
        reasons.append(f"+{OFF_TARGET_MINUTES} for {len(off_target)} results off target ({names})")
    if person.interpreter_needed:
        minutes += INTERPRETER_MINUTES
        reasons.append(f"+{INTERPRETER_MINUTES} for an interpreter ({person.preferred_language})")
    formats = SLOWER_FORMATS.intersection(person.accessible_formats or [])
    if formats:
        minutes += ACCESSIBLE_MINUTES
        labels = dict(AccessibleFormat.choices)
        names = ", ".join(str(labels[f]) for f in sorted(formats))
        reasons.append(f"+{ACCESSIBLE_MINUTES} for information needs ({names})")
    return LengthSuggestion(minutes, tuple(reasons))
