"""What a person can log at home, with the units and ranges that fit a home reading.

Two ranges per measure: `possible` (outside it the number must be a typing slip, so it is refused with
a clear message) and `usual` (outside it Ourplan asks "That looks unusual. Is it right?" and stores it
once the person confirms; unusual readings are real and worth keeping).

Storage: measures clinical.terminology already knows (blood pressure, weight, peak flow, PHQ-2) become
clinical Observations with source "home"; the others (capillary glucose, steps, activity minutes,
symptoms) are support HomeReadings. PROPOSED_MEASURES below are terminology entries for those others, for
the clinical owner to move into clinical/terminology.py (codes UNVERIFIED: check against the SNOMED CT UK
edition and LOINC before moving); once moved, these readings can become Observations too."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ourplan.clinical.terminology import SCORE_UNITS, Measure


def _d(a: str, b: str) -> tuple[Decimal, Decimal]:
    return (Decimal(a), Decimal(b))


@dataclass(frozen=True)
class HomeMeasure:
    key: str
    plain: str
    hint: str
    unit: str  # UCUM, as stored
    unit_label: str
    storage: str  # "observation" (clinical measure key == key) or "home"
    possible: tuple[Decimal, Decimal] = _d("0", "0")
    usual: tuple[Decimal, Decimal] = _d("0", "0")
    usual2: tuple[Decimal, Decimal] | None = None
    units: dict[str, Decimal] = field(default_factory=dict)
    # Units people type that we refuse with a specific explanation instead of converting silently.
    wrong_units: dict[str, str] = field(default_factory=dict)
    paired: bool = False
    text: bool = False
    places: int = 0

    def accepted_units(self) -> dict[str, Decimal]:
        return {self.unit: Decimal(1), **self.units}


HOME_MEASURES: dict[str, HomeMeasure] = {
    m.key: m
    for m in (
        HomeMeasure("bp", "Blood pressure", "Enter the top number (systolic) and the bottom number (diastolic).",
                    "mm[Hg]", "mmHg", "observation", usual=_d("80", "200"), usual2=_d("45", "120"),
                    units={"mmHg": Decimal(1)}, paired=True),
        HomeMeasure("peak_flow", "Peak flow", "Blow 3 times and enter your best.", "L/min", "litres a minute",
                    "observation", usual=_d("80", "800"), units={"l/min": Decimal(1)}),
        HomeMeasure("glucose", "Blood glucose (finger-prick)", "From your blood glucose meter, in mmol/L.",
                    "mmol/L", "mmol/L", "home", possible=_d("0.5", "50"), usual=_d("3", "25"),
                    units={"mmol/l": Decimal(1)},
                    wrong_units={"mg/dL": "Your meter shows mg/dL. Ourplan uses mmol/L: divide by 18, or change "
                                          "the meter's setting. Ask your pharmacist if unsure",
                                 "mg/dl": "Your meter shows mg/dL. Ourplan uses mmol/L: divide by 18, or change "
                                          "the meter's setting. Ask your pharmacist if unsure",
                                 "mmol/mol": "mmol/mol is for HbA1c, the 3-month blood test. A finger-prick "
                                             "reading is in mmol/L"}, places=1),
        HomeMeasure("weight", "Weight", "In kilograms.", "kg", "kg", "observation", usual=_d("30", "250"),
                    wrong_units={"lb": "Ourplan uses kilograms. 1 stone is 6.35 kg; 1 pound is 0.45 kg",
                                 "st": "Ourplan uses kilograms. 1 stone is 6.35 kg; 1 pound is 0.45 kg"},
                    places=1),
        HomeMeasure("steps", "Steps", "From your phone or step counter, for the whole day.", "/d", "steps a day",
                    "home", possible=_d("0", "150000"), usual=_d("0", "40000"), units={"steps": Decimal(1)}),
        HomeMeasure("activity", "Active minutes", "Minutes of activity that made you breathe faster.", "min",
                    "minutes", "home", possible=_d("0", "1440"), usual=_d("0", "300"),
                    units={"minutes": Decimal(1)}),
        HomeMeasure("phq2", "Mood check (PHQ-2)",
                    "Over the last 2 weeks, add up: little interest or pleasure in doing things, and feeling down "
                    "or hopeless (0 not at all, 1 several days, 2 more than half the days, 3 nearly every day).",
                    "{score}", "points out of 6", "observation", usual=_d("0", "6"), units=SCORE_UNITS),
        HomeMeasure("symptoms", "Symptoms", "Describe how you feel, in your own words.", "", "", "home",
                    text=True),
    )
}

# For clinical/terminology.py (codes UNVERIFIED, see the module docstring).
PROPOSED_MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("glucose", "Capillary blood glucose", "Blood glucose (finger-prick)",
                "A finger-prick blood glucose reading from your meter.",
                ("1003141000000105",), ("2339-0", "41653-7"), "mmol/L", "mmol/L", _d("0.5", "50"),
                units={"mmol/l": Decimal(1)}, places=1),
        Measure("steps", "Number of steps in 24 hours", "Steps", "Steps you walked in a day.",
                ("248263006",), ("55423-8",), "/d", "steps a day", _d("0", "150000"),
                units={"steps": Decimal(1)}, higher_is_better=True),
        Measure("activity", "Physical activity duration", "Active minutes",
                "Minutes of activity that made you breathe faster.",
                ("68130003",), ("55411-3",), "min", "minutes", _d("0", "1440"), higher_is_better=True),
    )
}
