"""Result trajectories for demo people: when each person was seen, and what their results were.

People on a register have an annual review (bloods a week before, then a clinic visit) and an interim
check about six months later, over 1 to 5 years. Each measure has a per-person level, a per-person trend and
visit-to-visit noise, drawn from the distributions in shared/clinical-reference.md section 5. Values are
generated in canonical units and kept inside each measure's plausible range, so every one would pass
clinical.validation.check_value.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

from ourplan.clinical.terminology import MEASURES
from ourplan.demo.conditions import ANXIETY, ConditionSpec

UK = ZoneInfo("Europe/London")
LAB_MEASURES = frozenset({"hba1c", "cholesterol", "hdl", "non_hdl", "egfr", "acr"})
BP_TWICE_A_YEAR = frozenset({"HYP", "DM", "CKD", "CHD"})
CARDIOMETABOLIC = frozenset({"HYP", "DM", "CKD", "CHD", "HF", "AF", "STRK"})  # yearly lipids and eGFR
ON_STATIN = frozenset({"DM", "CKD", "CHD", "HF", "AF", "STRK"})
CKD_STAGE_EGFR = {"700378005": (45, 59), "700379002": (30, 44), "431857002": (15, 29)}
TYPE_1 = "46635009"


@dataclass(slots=True)
class Reading:
    measure: str
    at: datetime
    value: Decimal
    value2: Decimal | None = None

    @property
    def source(self) -> str:
        return "lab" if self.measure in LAB_MEASURES else "clinic"


@dataclass(slots=True)
class Visit:
    """One appointment: blood samples a week before it, everything else measured at it."""

    day: date
    years_ago: float
    review: bool  # the annual review (bloods, weight, questionnaires) rather than the interim check
    seen_at: datetime
    bloods_at: datetime

    @classmethod
    def on(cls, rng: random.Random, day: date, today: date, review: bool) -> Visit:
        return cls(day, (today - day).days / 365.25, review, when(rng, day, False),
                   when(rng, day - timedelta(days=7), True))


@dataclass(slots=True)
class Profile:
    """What the value models need to know about a person."""

    age: int
    sex: str
    today: date
    onsets: dict[str, date] = field(default_factory=dict)  # register (or ANXIETY) -> diagnosis date
    codes: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, age: int, sex: str, today: date, conditions: list[ConditionSpec]) -> Profile:
        profile = cls(age, sex, today)
        for c in conditions:
            profile.onsets[c.register or c.code] = c.onset
            profile.codes.add(c.code)
        return profile

    @property
    def registers(self) -> set[str]:
        return {k for k in self.onsets if k != ANXIETY}


def decimal(measure: str, x: float) -> Decimal:
    """`x` rounded to the measure's usual precision and clamped into its plausible range."""
    low, high = MEASURES[measure].plausible
    return min(max(Decimal(f"{x:.{MEASURES[measure].places}f}"), low), high)


def when(rng: random.Random, day: date, lab: bool) -> datetime:
    """A weekday time: blood samples in the morning, clinic appointments through the day. Weekends move
    back to Friday, never forward, so no reading is in the future."""
    if day.weekday() >= 5:
        day -= timedelta(days=day.weekday() - 4)
    minutes = rng.randrange(8 * 60, 12 * 60, 5) if lab else rng.randrange(8 * 60 + 30, 17 * 60 + 30, 10)
    return datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=UK)


def _visits(rng: random.Random, profile: Profile) -> list[Visit]:
    """Annual reviews over 1-5 years (no further back than the first diagnosis allows), each followed
    about six months later by an interim check unless that would be in the future."""
    first = min(profile.onsets.values())
    years_known = max(1, math.ceil((profile.today - first).days / 365.25))
    years = min(rng.randint(1, 5), years_known)
    # The latest review falls after the latest diagnosis, so every condition has been monitored at least once.
    since_latest = (profile.today - max(profile.onsets.values())).days
    last = profile.today - timedelta(days=rng.randint(14, max(14, min(330, since_latest))))
    # Earlier reviews drift by a few weeks; the latest stays at least a fortnight in the past.
    reviews = [last - timedelta(days=365 * k + (rng.randint(-25, 25) if k else 0)) for k in range(years)][::-1]
    visits: list[Visit] = []
    for review in reviews:
        visits.append(Visit.on(rng, review, profile.today, True))
        interim = review + timedelta(days=rng.randint(160, 200))
        if interim <= profile.today - timedelta(days=7):
            visits.append(Visit.on(rng, interim, profile.today, False))
    return visits


def _gauss_pair(rng: random.Random, rho: float) -> tuple[float, float]:
    z1 = rng.gauss(0, 1)
    return z1, rho * z1 + math.sqrt(1 - rho * rho) * rng.gauss(0, 1)


def _bp(rng: random.Random, profile: Profile, visits: list[Visit]) -> list[Reading]:
    regs = profile.registers
    if "HYP" in regs:
        # Treated hypertension: readings about N(138, 15) over N(80, 10), correlation 0.6, split into
        # between-person and visit-to-visit variation (8 and 5 mmHg). Control improves on treatment, so
        # the latest reading centres a little lower (135/79) and about 60% meet the age-appropriate target
        # (QOF and the NDA report 57-74%).
        mean_s, mean_d, between_s, between_d = 135.0, 79.0, 12.7, 8.7
    elif regs:
        mean_s, mean_d, between_s, between_d = 133.0, 78.0, 12.0, 8.5
    else:
        mean_s, mean_d, between_s, between_d = 122.0 + 0.35 * (profile.age - 45), 76.0, 12.0, 8.0
    z_s, z_d = _gauss_pair(rng, 0.6)
    person_s = mean_s + between_s * z_s + (0.2 * (profile.age - 65) if regs else 0.0)
    person_d = mean_d + between_d * z_d - (0.15 * (profile.age - 65) if regs else 0.0)
    improving = rng.uniform(0, 4) if "HYP" in regs else 0.0  # systolic mmHg a year, diastolic half that
    readings = []
    for v in visits:
        n_s, n_d = _gauss_pair(rng, 0.6)
        s = min(max(round(person_s + improving * v.years_ago + 8 * n_s), 85), 220)
        d = min(max(round(person_d + improving * 0.5 * v.years_ago + 5 * n_d), 45), 125, s - 20)
        readings.append(Reading("bp", v.seen_at, decimal("bp", s), Decimal(d)))
    return readings


def _hba1c(rng: random.Random, profile: Profile, visits: list[Visit]) -> list[Reading]:
    # Type 2: log-normal with median 53 and SD about 14; type 1: mean about 70, SD about 15.
    level = rng.lognormvariate(math.log(68), 0.21) if TYPE_1 in profile.codes else rng.lognormvariate(
        math.log(53), 0.25
    )
    trend = rng.gauss(0.03, 0.05)  # log units a year; positive means earlier results were higher
    readings = []
    for v in visits:
        x = level * math.exp(trend * v.years_ago + rng.gauss(0, 0.05))
        readings.append(Reading("hba1c", v.bloods_at, decimal("hba1c", min(max(x, 30), 180))))
    return readings


def _lipids(rng: random.Random, profile: Profile, visits: list[Visit]) -> list[Reading]:
    """Total, HDL and non-HDL cholesterol. Non-HDL is total minus HDL after rounding, as labs report it."""
    statin = bool(profile.registers & ON_STATIN)
    total = rng.gauss(4.3 if statin else 5.2, 0.9)
    hdl = rng.gauss(1.5 if profile.sex == "female" else 1.25, 0.3)
    readings = []
    for v in visits:
        h = min(max(hdl + rng.gauss(0, 0.1), 0.6), 2.8)
        t = min(max(total + rng.gauss(0, 0.3), h + 0.8, 2.5), 11.0)
        total_d, hdl_d = decimal("cholesterol", t), decimal("hdl", h)
        readings += [Reading("cholesterol", v.bloods_at, total_d), Reading("hdl", v.bloods_at, hdl_d),
                     Reading("non_hdl", v.bloods_at, total_d - hdl_d)]
    return readings


def _egfr(rng: random.Random, profile: Profile, visits: list[Visit]) -> list[Reading]:
    stage = next((CKD_STAGE_EGFR[c] for c in profile.codes if c in CKD_STAGE_EGFR), None)
    readings = []
    if stage is not None:
        # The latest result sits in the coded stage; earlier ones were higher (slow decline).
        low, high = stage
        current, decline = rng.uniform(low + 1, high - 1), rng.uniform(0.5, 3.5)
        latest = min(v.years_ago for v in visits)
        for v in visits:
            x = current + decline * (v.years_ago - latest) + rng.gauss(0, 2.5)
            x = min(max(x, low), high) if v.years_ago == latest else min(max(x, low - 3), 95)
            readings.append(Reading("egfr", v.bloods_at, decimal("egfr", x)))
        return readings
    base = min(max(105 - 0.8 * max(0, profile.age - 30) + rng.gauss(0, 10), 64), 125)
    for v in visits:
        x = max(base + 0.7 * v.years_ago + rng.gauss(0, 4), 61)
        if profile.age >= 60 and rng.random() < 0.02:
            x = rng.uniform(52, 60)  # a one-off dip (dehydration, an intercurrent illness)
        readings.append(Reading("egfr", v.bloods_at, decimal("egfr", x)))
    return readings


def _acr(rng: random.Random, profile: Profile, visits: list[Visit]) -> list[Reading]:
    median = 3.5 if "CKD" in profile.registers else 1.2
    level = rng.lognormvariate(math.log(median), 1.1 if median > 2 else 0.9)
    return [
        Reading("acr", v.bloods_at, decimal("acr", min(max(level * rng.lognormvariate(0, 0.3), 0.1), 500)))
        for v in visits
    ]


def height_cm(rng: random.Random, age: int, sex: str) -> float:
    if age < 18:  # rough UK growth-chart medians; only used for children's peak flow
        points = ((0, 50), (2, 87), (6, 116), (10, 138), (14, 161), (17, 176 if sex == "male" else 163))
        base = next(h0 + (h1 - h0) * (age - a0) / (a1 - a0)
                    for (a0, h0), (a1, h1) in pairwise(points) if a0 <= age <= a1)
        return base + rng.gauss(0, 5)
    mean, sd = {"male": (176, 7), "female": (162, 6.5)}.get(sex, (169, 9))
    return rng.gauss(mean, sd) - 0.1 * max(0, age - 60)


def _body(rng: random.Random, profile: Profile, visits: list[Visit], height: float) -> list[Reading]:
    """Weight and BMI from one height, so BMI = weight / height² (to rounding) in every pair."""
    h = round(height) / 100
    bmi = rng.lognormvariate(math.log(31 if "DM" in profile.registers else 26.5), 0.17)
    drift = rng.gauss(0, 0.4)  # BMI units a year
    readings = [Reading("height", visits[0].seen_at, decimal("height", h * 100))]
    for v in visits:
        target_bmi = min(max(bmi + drift * v.years_ago + rng.gauss(0, 0.3), 16), 60)
        weight = decimal("weight", target_bmi * h * h)
        bmi_d = decimal("bmi", float(weight) / (h * h))
        readings += [Reading("weight", v.seen_at, weight), Reading("bmi", v.seen_at, bmi_d)]
    return readings


def _peak_flow(rng: random.Random, profile: Profile, visits: list[Visit], height: float) -> list[Reading]:
    age = profile.age
    if age < 18:
        predicted = max(5.0 * height - 400, 120)
    elif profile.sex == "female":  # Nunn and Gregg (1989) predicted adult values
        predicted = math.exp(0.376 * math.log(age) - 0.0120 * age - 58.8 / height + 5.63)
    else:
        predicted = math.exp(0.544 * math.log(age) - 0.0151 * age - 74.7 / height + 5.48)
    ratio = rng.uniform(0.45, 0.8) if "COPD" in profile.registers else rng.uniform(0.8, 1.05)
    best = round(predicted * ratio / 10) * 10  # meters are read to the nearest 10 L/min
    readings = [Reading("peak_flow_best", visits[0].seen_at, decimal("peak_flow_best", best))]
    for v in visits:
        fraction = min(max(1 - abs(rng.gauss(0.08, 0.1)), 0.65), 1.0)  # mostly 70-100% of best
        readings.append(Reading("peak_flow", v.seen_at, decimal("peak_flow", round(best * fraction / 10) * 10)))
    return readings


def _questionnaire(rng: random.Random, measure: str, top: int, visits: list[Visit]) -> list[Reading]:
    """PHQ-9 or GAD-7: most people improve on treatment, some stay the same, a few get worse."""
    start = min(max(rng.gauss(15 if measure == "phq9" else 12, 4), 5), top)
    roll = rng.random()
    if roll < 0.75:
        end = min(max(rng.gauss(6, 3), 0), start)
    elif roll < 0.9:
        end = start + rng.uniform(-2, 2)
    else:
        end = start + rng.uniform(1, 5)
    span = max(visits[0].years_ago - visits[-1].years_ago, 0.5)
    readings = []
    for v in visits:
        progress = (visits[0].years_ago - v.years_ago) / span
        x = end + (start - end) * math.exp(-3 * progress) + rng.gauss(0, 1.5)
        readings.append(Reading(measure, v.seen_at, Decimal(min(max(round(x), 0), top))))
    return readings


def _since(visits: list[Visit], onset: date) -> list[Visit]:
    """Visits from the month before diagnosis on: results led to it, and nothing was monitored before."""
    return [v for v in visits if v.day >= onset - timedelta(days=30)]


def results_for(rng: random.Random, profile: Profile) -> list[Reading]:
    if not profile.onsets:
        return _opportunistic(rng, profile)
    visits = _visits(rng, profile)
    regs = profile.registers
    readings: list[Reading] = []
    height = height_cm(rng, profile.age, profile.sex)
    adult = profile.age >= 18
    if adult:
        bp_visits = visits if regs & BP_TWICE_A_YEAR else [v for v in visits if v.review]
        readings += _bp(rng, profile, bp_visits)
        readings += _body(rng, profile, [v for v in visits if v.review], height)
    if regs & CARDIOMETABOLIC:
        reviews = [v for v in visits if v.review]
        readings += _lipids(rng, profile, reviews)
        readings += _egfr(rng, profile, reviews)
    if "DM" in regs and (dm_visits := _since(visits, profile.onsets["DM"])):
        readings += _hba1c(rng, profile, dm_visits)
    if regs & {"DM", "CKD"}:
        readings += _acr(rng, profile, [v for v in visits if v.review])
    airways = [profile.onsets[r] for r in ("AST", "COPD") if r in regs]
    if airways and (pf_visits := _since(visits, min(airways))):
        readings += _peak_flow(rng, profile, pf_visits, height)
    if "DEPR" in regs and (mood_visits := _since(visits, profile.onsets["DEPR"])):
        readings += _questionnaire(rng, "phq9", 27, mood_visits)
    if ANXIETY in profile.onsets and (anx_visits := _since(visits, profile.onsets[ANXIETY])):
        readings += _questionnaire(rng, "gad7", 21, anx_visits)
    return readings


def _opportunistic(rng: random.Random, profile: Profile) -> list[Reading]:
    """Adults on no register: a few blood pressures and weights from health checks over five years."""
    if profile.age < 18:
        return []
    count = rng.choice((0, 1, 1, 2, 3))
    days = sorted(profile.today - timedelta(days=rng.randint(14, 5 * 365)) for _ in range(count))
    visits = [Visit.on(rng, d, profile.today, True) for d in days]
    if not visits:
        return []
    readings = _bp(rng, profile, visits)
    body_visits = visits[-rng.randint(1, min(2, len(visits))):]
    readings += _body(rng, profile, body_visits, height_cm(rng, profile.age, profile.sex))
    return readings
