"""A person's results, summarised for a page: per measure the latest value, the one before, the target
that applies and whether it is met, and the series for a trend chart. A fixed number of queries whatever
the number of results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone

from ourplan.clinical.models import Condition, Observation, PersonTarget
from ourplan.clinical.targets import Target, target_for
from ourplan.clinical.terminology import CARE_PLANNING_MEASURES, MEASURES, Measure
from ourplan.people.models import Person


@dataclass
class MeasureSummary:
    measure: Measure
    observations: list[Observation]  # oldest first
    target: Target | None
    latest: Observation
    previous: Observation | None = None
    met: bool | None = None
    series: list[dict[str, object]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.measure.key

    def fmt(self, obs: Observation | None) -> str:
        if obs is None:
            return ""
        places = self.measure.places

        def one(v: Decimal | None) -> str:
            if v is None:
                return ""
            return f"{v:.{places}f}" if places else f"{v.quantize(Decimal(1)):f}"

        return f"{one(obs.value)}/{one(obs.value2)}" if self.measure.paired else one(obs.value)

    @property
    def change(self) -> str:
        """'went down', 'went up' or 'stayed the same' since last time (systolic for blood pressure)."""
        if self.previous is None or self.latest.value is None or self.previous.value is None:
            return ""
        if self.fmt(self.latest) == self.fmt(self.previous):
            return "stayed the same"
        return "went up" if self.latest.value > self.previous.value else "went down"

    @property
    def change_is_good(self) -> bool | None:
        if not self.change or self.change == "stayed the same":
            return None
        up = self.change == "went up"
        return up if self.measure.higher_is_better else not up


@dataclass
class ResultsOverview:
    person: Person
    conditions: list[Condition]
    registers: list[str]
    summaries: list[MeasureSummary]

    @property
    def off_target(self) -> list[MeasureSummary]:
        return [s for s in self.summaries if s.met is False]


def overview(person: Person, *, today: date | None = None) -> ResultsOverview:
    today = today or timezone.localdate()
    conditions = list(person.conditions.order_by("-clinical_status", "display"))
    active = [c for c in conditions if c.is_active]
    registers = sorted({c.register for c in active if c.register})
    overrides = {t.measure: t for t in PersonTarget.objects.filter(person=person)}
    by_measure: dict[str, list[Observation]] = {}
    for obs in Observation.objects.filter(person=person, measure__in=CARE_PLANNING_MEASURES).order_by(
        "effective_at"
    ):
        by_measure.setdefault(obs.measure, []).append(obs)
    latest = {k: v[-1] for k, v in by_measure.items()}
    age = person.age_on(today)
    codes = [c.code for c in active]
    summaries = []
    for key in CARE_PLANNING_MEASURES:
        series = by_measure.get(key)
        if not series:
            continue
        measure = MEASURES[key]
        target = target_for(key, registers, age=age, overrides=overrides, condition_codes=codes, latest=latest)
        summary = MeasureSummary(
            measure=measure, observations=series, target=target, latest=series[-1],
            previous=series[-2] if len(series) > 1 else None,
        )
        if target is not None:
            summary.met = target.met_by(summary.latest.value, summary.latest.value2)
        summary.series = [
            {
                "t": timezone.localtime(o.effective_at).date().isoformat(),
                "y": float(o.value) if o.value is not None else None,
                "y2": float(o.value2) if o.value2 is not None else None,
            }
            for o in series
        ]
        summaries.append(summary)
    return ResultsOverview(person, conditions, registers, summaries)
