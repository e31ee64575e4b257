"""Which long-term conditions each demo person has.

A liability-threshold model: each register has an age curve scaled so that the whole list reaches the
QOF-like prevalence in `target`, and a person is on the register when a normal "liability" falls below
the threshold for their age. Liabilities share latent factors (cardiometabolic, respiratory, mood), which
makes conditions overlap as they do in practice (hypertension with diabetes, CKD and CHD) while leaving
each register's prevalence exactly as calibrated. See shared/clinical-reference.md section 5.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from statistics import NormalDist

from ourplan.clinical.terminology import REGISTERS
from ourplan.demo.population import age_distribution

ANXIETY = "197480006"  # no QOF register, but it gives some people a GAD-7 series


@dataclass(frozen=True)
class RegisterModel:
    key: str
    target: float  # share of the whole practice list (all ages) on the register
    curve: tuple[tuple[int, float], ...]  # (age, relative prevalence), linear in between, 0 before the first
    cardio: float = 0.0  # loadings on the shared latent factors
    resp: float = 0.0
    mood: float = 0.0
    min_onset_age: int = 18


MODELS: tuple[RegisterModel, ...] = (
    RegisterModel("HYP", 0.14, ((18, 0.3), (30, 1.5), (40, 5), (50, 12), (60, 25), (70, 40), (80, 52),
                                (99, 58)), cardio=0.6, min_onset_age=25),
    RegisterModel("DM", 0.075, ((0, 0.05), (17, 0.3), (30, 1.5), (40, 4), (50, 8), (60, 13), (70, 17),
                               (80, 18), (99, 15)), cardio=0.55, min_onset_age=1),
    RegisterModel("AST", 0.065, ((6, 9), (17, 10), (30, 8), (50, 7), (70, 7), (99, 6)), resp=0.4,
                  min_onset_age=3),
    RegisterModel("CKD", 0.04, ((18, 0.05), (40, 0.5), (50, 1.5), (60, 4), (70, 10), (80, 22), (99, 35)),
                  cardio=0.6, min_onset_age=30),
    RegisterModel("COPD", 0.02, ((35, 0.2), (50, 1.5), (60, 4), (70, 6.5), (80, 8), (99, 7)), cardio=0.15,
                  resp=0.5, min_onset_age=35),
    RegisterModel("CHD", 0.03, ((30, 0.05), (40, 0.5), (50, 2), (60, 5), (70, 10), (80, 15), (99, 17)),
                  cardio=0.6, min_onset_age=30),
    RegisterModel("HF", 0.01, ((40, 0.1), (50, 0.4), (60, 1), (70, 3), (80, 6), (99, 10)), cardio=0.55,
                  min_onset_age=40),
    RegisterModel("DEPR", 0.13, ((18, 14), (30, 17), (40, 17), (50, 16), (60, 14), (70, 11), (99, 10)),
                  cardio=0.15, mood=0.5, min_onset_age=14),
    RegisterModel("AF", 0.022, ((30, 0.05), (40, 0.2), (50, 0.7), (60, 2), (70, 6), (80, 12), (99, 16)),
                  cardio=0.4, min_onset_age=30),
    RegisterModel("STRK", 0.019, ((30, 0.1), (40, 0.3), (50, 0.8), (60, 2), (70, 4.5), (80, 8), (99, 11)),
                  cardio=0.5, min_onset_age=30),
    RegisterModel("MH", 0.01, ((18, 0.6), (30, 1.2), (50, 1.3), (70, 1.0), (99, 0.8)), mood=0.3),
    RegisterModel("DEM", 0.008, ((65, 0.7), (70, 1.5), (80, 6), (99, 18)), cardio=0.2, min_onset_age=60),
    RegisterModel("EPIL", 0.008, ((18, 0.9), (99, 0.9)), min_onset_age=2),
    RegisterModel("RA", 0.008, ((16, 0.1), (30, 0.4), (50, 1.0), (70, 1.8), (99, 1.8)), min_onset_age=16),
)
MODEL_BY_KEY = {m.key: m for m in MODELS}
_MAX_P = 0.9


def _curve_at(curve: tuple[tuple[int, float], ...], age: int) -> float:
    if age < curve[0][0]:
        return 0.0
    for (a0, v0), (a1, v1) in pairwise(curve):
        if a0 <= age <= a1:
            return v0 + (v1 - v0) * (age - a0) / (a1 - a0)
    return curve[-1][1]


def _thresholds() -> dict[str, list[float]]:
    """Liability threshold per register and single year of age (computed once, at import)."""
    shares = age_distribution()
    ages = range(max(shares) + 1)
    normal = NormalDist()
    result: dict[str, list[float]] = {}
    for model in MODELS:
        raw = [_curve_at(model.curve, age) for age in ages]
        scale = model.target / sum(shares[a] * raw[a] for a in ages)
        for _ in range(8):  # re-scale to make up for the probabilities capped at _MAX_P
            achieved = sum(shares[a] * min(_MAX_P, scale * raw[a]) for a in ages)
            scale *= model.target / achieved
        result[model.key] = [
            normal.inv_cdf(min(_MAX_P, scale * r)) if r > 0 else -math.inf for r in raw
        ]
    return result


THRESHOLDS = _thresholds()


@dataclass(slots=True)
class ConditionSpec:
    register: str  # "" for a condition on no register (anxiety)
    code: str
    onset: date


def _pick(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([c for c, _ in options], weights=[w for _, w in options])[0]


def _code(rng: random.Random, register: str, age: int) -> str:
    if register == "DM":
        # About 90% of diabetes is type 2; type 1 dominates only in the young.
        p_type1 = 1.0 if age < 18 else 0.6 if age < 30 else 0.35 if age < 40 else 0.1 if age < 60 else 0.05
        return "46635009" if rng.random() < p_type1 else "44054006"
    if register == "CKD":  # stage 3a, 3b, 4: roughly the mix seen on a practice CKD register
        return _pick(rng, (("700378005", 0.68), ("700379002", 0.24), ("431857002", 0.08)))
    options = {
        "HYP": (("59621000", 0.9), ("38341003", 0.1)),
        "CHD": (("53741008", 0.7), ("414545008", 0.3)),
        "DEPR": (("35489007", 0.8), ("370143000", 0.2)),
        "MH": (("58214004", 0.6), ("13746004", 0.4)),
    }
    if register in options:
        return _pick(rng, options[register])
    return REGISTERS[register].codes[0]


def _onset(rng: random.Random, register: str, code: str, age: int, dob: date, today: date) -> date:
    """Age-plausible diagnosis date: most chronic conditions are diagnosed some years before now, type 1
    diabetes and asthma often in childhood."""
    low = MODEL_BY_KEY[register].min_onset_age if register else 16
    if code == "46635009":
        onset_age = rng.uniform(1, min(max(age, 1), 35))
    elif register == "AST":
        onset_age = rng.uniform(low, max(age, low))
    else:
        onset_age = age - rng.expovariate(1 / (6 if register in {"DEPR", ""} else 8))
    onset_age = max(float(low), min(onset_age, float(age)))
    onset = dob + timedelta(days=int(onset_age * 365.25))
    # CKD needs the abnormality to last 3 months, and nothing is diagnosed in the future.
    return min(onset, today - timedelta(days=91 + rng.randrange(60)))


def choose_conditions(rng: random.Random, age: int, dob: date, today: date) -> list[ConditionSpec]:
    cardio, resp, mood = rng.gauss(0, 1), rng.gauss(0, 1), rng.gauss(0, 1)
    conditions: list[ConditionSpec] = []
    for model in MODELS:
        threshold = THRESHOLDS[model.key][age]
        own = math.sqrt(1 - model.cardio**2 - model.resp**2 - model.mood**2)
        liability = model.cardio * cardio + model.resp * resp + model.mood * mood + own * rng.gauss(0, 1)
        if liability < threshold:
            code = _code(rng, model.key, age)
            conditions.append(ConditionSpec(model.key, code, _onset(rng, model.key, code, age, dob, today)))
    depressed = any(c.register == "DEPR" for c in conditions)
    if age >= 16 and rng.random() < (0.35 if depressed else 0.02):
        conditions.append(ConditionSpec("", ANXIETY, _onset(rng, "", ANXIETY, age, dob, today)))
    return conditions
