"""The small, bundled terminology Ourplan uses: SNOMED CT condition and measurement codes, LOINC codes and
UCUM units, each with a clinician's display name and a plain-language name.

Codes come from `shared/clinical-reference.md` (marked verified there unless a comment says otherwise).
Registers follow the QOF Primary Care Domain clusters; a real deployment loads the full refsets, this
module holds the parent and commonly used codes. Match on code, never on display text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


@dataclass(frozen=True)
class Register:
    """An LTC register (QOF cluster)."""

    key: str
    cluster: str
    display: str
    plain: str
    codes: tuple[str, ...]


REGISTERS: dict[str, Register] = {
    r.key: r
    for r in (
        Register("DM", "DM_COD", "Diabetes mellitus", "Diabetes", ("73211009", "46635009", "44054006")),
        Register("HYP", "HYP_COD", "Hypertension", "High blood pressure", ("38341003", "59621000")),
        Register("AST", "AST_COD", "Asthma", "Asthma", ("195967001",)),
        Register("COPD", "COPD_COD", "COPD", "COPD (a long-term lung condition)", ("13645005",)),
        Register("HF", "HF_COD", "Heart failure", "Heart failure", ("84114007",)),
        Register("CHD", "CHD_COD", "Coronary heart disease", "Heart disease", ("414545008", "53741008")),
        Register(
            "CKD",
            "CKD_COD",
            "Chronic kidney disease (stage 3-5)",
            "Kidney disease",
            # Stage 3-5 only: unstaged CKD (709044004) and stages 1-2 do not put a person on the register.
            ("433144002", "700378005", "700379002", "431857002", "433146000", "714152005"),
        ),
        Register("DEPR", "DEPR_COD", "Depression", "Depression", ("35489007", "370143000")),
        Register("AF", "AFIB_COD", "Atrial fibrillation", "Irregular heartbeat (AF)", ("49436004",)),
        Register("STRK", "STRK_COD", "Stroke and TIA", "Stroke", ("230690007",)),
        Register("MH", "MH_COD", "Severe mental illness", "Serious mental illness", ("58214004", "13746004")),
        Register("DEM", "DEM_COD", "Dementia", "Dementia", ("52448006",)),
        Register("EPIL", "EPIL_COD", "Epilepsy", "Epilepsy", ("84757009",)),
        Register("RA", "RARTH_COD", "Rheumatoid arthritis", "Rheumatoid arthritis", ("69896004",)),
    )
}

_REGISTER_BY_CODE = {code: r.key for r in REGISTERS.values() for code in r.codes}

# Display names for the condition codes Ourplan itself writes (seed data, forms).
CONDITION_NAMES: dict[str, tuple[str, str]] = {
    "73211009": ("Diabetes mellitus", "Diabetes"),
    "46635009": ("Type 1 diabetes mellitus", "Type 1 diabetes"),
    "44054006": ("Type 2 diabetes mellitus", "Type 2 diabetes"),
    "38341003": ("Hypertensive disorder", "High blood pressure"),
    "59621000": ("Essential hypertension", "High blood pressure"),
    "195967001": ("Asthma", "Asthma"),
    "13645005": ("Chronic obstructive pulmonary disease", "COPD (a long-term lung condition)"),
    "84114007": ("Heart failure", "Heart failure"),
    "414545008": ("Ischaemic heart disease", "Heart disease"),
    "53741008": ("Coronary heart disease", "Heart disease"),
    "433144002": ("Chronic kidney disease stage 3", "Kidney disease (stage 3)"),
    "700378005": ("Chronic kidney disease stage 3A", "Kidney disease (stage 3a)"),
    "700379002": ("Chronic kidney disease stage 3B", "Kidney disease (stage 3b)"),
    "431857002": ("Chronic kidney disease stage 4", "Kidney disease (stage 4)"),
    "433146000": ("Chronic kidney disease stage 5", "Kidney disease (stage 5)"),
    "35489007": ("Depressive disorder", "Depression"),
    "370143000": ("Major depressive disorder", "Depression"),
    "49436004": ("Atrial fibrillation", "Irregular heartbeat (AF)"),
    "230690007": ("Cerebrovascular accident", "Stroke"),
    "197480006": ("Anxiety disorder", "Anxiety"),
}


def register_for_code(code: str) -> str:
    """The register key a condition code puts a person on, or "" if none."""
    return _REGISTER_BY_CODE.get(code, "")


def condition_names(code: str, fallback: str = "") -> tuple[str, str]:
    """(clinician display, plain-language name) for a condition code."""
    if code in CONDITION_NAMES:
        return CONDITION_NAMES[code]
    register = register_for_code(code)
    if register:
        r = REGISTERS[register]
        return (fallback or r.display, r.plain)
    return (fallback or code, fallback or code)


@dataclass(frozen=True)
class Measure:
    """A result or reading Ourplan understands. `codes` are every SNOMED CT code accepted for it (first is
    the one Ourplan writes); `loinc` likewise. `units` maps accepted UCUM units to the factor that converts
    them to `unit`. `plausible` is the range outside which a value is refused as a likely typing error."""

    key: str
    display: str
    plain: str
    explain: str
    codes: tuple[str, ...]
    loinc: tuple[str, ...]
    unit: str
    unit_label: str
    plausible: tuple[Decimal, Decimal]
    units: dict[str, Decimal] = field(default_factory=dict)
    paired: bool = False  # blood pressure: value is systolic, value2 diastolic
    plausible2: tuple[Decimal, Decimal] | None = None
    higher_is_better: bool = False
    places: int = 0
    coded: bool = False  # the value is a code (ACVPU), not a quantity
    component_codes: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())

    @property
    def code(self) -> str:
        return self.codes[0]

    def accepted_units(self) -> dict[str, Decimal]:
        return {self.unit: Decimal(1), **self.units}


def _d(a: str, b: str) -> tuple[Decimal, Decimal]:
    return (Decimal(a), Decimal(b))


SCORE_UNITS = {"{score}": Decimal(1), "{ScoreOf}": Decimal(1), "{Score}": Decimal(1), "1": Decimal(1)}

MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure(
            "hba1c", "HbA1c (IFCC)", "Blood sugar average (HbA1c)",
            "HbA1c shows your average blood sugar over the last 2 to 3 months.",
            ("999791000000106", "1049301000000100", "1049321000000109", "1107481000000106"),
            ("59261-8",), "mmol/mol", "mmol/mol", _d("20", "200"),
        ),
        Measure(
            "bp", "Blood pressure", "Blood pressure",
            "Blood pressure is the force of blood in your arteries. The top number is when your heart beats.",
            ("75367002", "163035008", "251076008"), ("85354-9", "55284-4"), "mm[Hg]", "mmHg",
            _d("60", "300"), paired=True, plausible2=_d("30", "200"),
            component_codes=(
                ("72313002", "163030003", "271649006", "407554009", "8480-6"),
                ("1091811000000102", "163031004", "271650006", "407555005", "8462-4"),
            ),
        ),
        Measure(
            "cholesterol", "Serum cholesterol", "Cholesterol (total)",
            "Cholesterol is a fat in your blood. Too much can lead to heart disease and stroke.",
            ("1005671000000105", "1017161000000104", "994351000000103", "850981000000101"),
            ("14647-2",), "mmol/L", "mmol/L", _d("1", "20"), places=1,
        ),
        Measure(
            "non_hdl", "Non-HDL cholesterol", "Non-HDL cholesterol (the 'bad' kinds)",
            "Non-HDL cholesterol is the cholesterol that can clog your arteries.",
            ("1006191000000106", "1030411000000101"), ("70204-3",), "mmol/L", "mmol/L", _d("0.3", "15"),
            places=1,
        ),
        Measure(
            "hdl", "Serum HDL cholesterol", "HDL cholesterol (the 'good' kind)",
            "HDL cholesterol helps clear other cholesterol from your blood.",
            ("1005681000000107", "1010581000000101"), ("14646-4",), "mmol/L", "mmol/L", _d("0.1", "5"),
            places=1, higher_is_better=True,
        ),
        Measure(
            "egfr", "eGFR (CKD-EPI)", "Kidney function (eGFR)",
            "eGFR shows how well your kidneys filter your blood. Higher is better.",
            ("1011481000000105", "1020291000000106", "1107411000000104", "1011491000000107", "80274001"),
            ("98979-8", "62238-1", "33914-3"), "mL/min/{1.73_m2}", "mL/min/1.73m²", _d("1", "200"),
            units={"mL/min/1.73m2": Decimal(1), "ml/min/1.73m2": Decimal(1)}, higher_is_better=True,
        ),
        Measure(
            "acr", "Urine albumin:creatinine ratio", "Protein in your urine (ACR)",
            "ACR checks for protein leaking into your urine, an early sign of kidney strain.",
            ("1023491000000104", "1028271000000109", "1027791000000103"), ("32294-1",),
            "mg/mmol", "mg/mmol", _d("0", "1000"), places=1,
        ),
        Measure(
            "creatinine", "Serum creatinine", "Creatinine (a kidney test)",
            "Creatinine is a waste product your kidneys clear from your blood.",
            ("1000731000000107", "1001011000000107", "1107001000000108"), ("14682-9",),
            "umol/L", "micromol/L", _d("10", "2000"),
        ),
        Measure(
            "albumin", "Serum albumin", "Albumin (a protein in your blood)",
            "Albumin is a protein made by your liver.",
            # From the UK Core lab example (P in clinical-reference: one primary source).
            ("1000821000000103", "1105861000000106"), ("1751-7",), "g/L", "g/L", _d("5", "80"),
        ),
        Measure(
            "bmi", "Body mass index", "Body mass index (BMI)",
            "BMI compares your weight with your height.",
            ("60621009", "846931000000101"), ("39156-5",), "kg/m2", "kg/m²", _d("10", "90"),
            units={"kg/m^2": Decimal(1)}, places=1,
        ),
        Measure(
            "weight", "Body weight", "Weight",
            "Your weight in kilograms.",
            ("27113001", "363808001", "784399000"), ("29463-7",), "kg", "kg", _d("2", "400"),
            units={"g": Decimal("0.001")}, places=1,
        ),
        Measure(
            "height", "Body height", "Height",
            "Your height in centimetres.",
            ("50373000", "1153637007", "248333004", "1162419008"), ("8302-2",), "cm", "cm", _d("40", "250"),
            units={"m": Decimal(100)},
        ),
        Measure(
            "peak_flow", "Peak expiratory flow rate", "Peak flow",
            "Peak flow shows how fast you can breathe out. Higher is better.",
            ("18491006", "29893006"), ("33452-4", "19935-6"), "L/min", "litres a minute", _d("30", "1000"),
            units={"l/min": Decimal(1)}, higher_is_better=True,
        ),
        Measure(
            "peak_flow_best", "Best ever PEFR", "Your best peak flow",
            "The highest peak flow you can blow when your asthma is well controlled.",
            ("251936000",), (), "L/min", "litres a minute", _d("50", "1000"), units={"l/min": Decimal(1)},
            higher_is_better=True,
        ),
        Measure(
            "phq9", "PHQ-9 score", "Mood questionnaire score (PHQ-9)",
            "PHQ-9 is a short questionnaire about your mood over the last 2 weeks. Lower is better.",
            ("720433000", "758711000000105"), ("44261-6",), "{score}", "points out of 27", _d("0", "27"),
            units=SCORE_UNITS,
        ),
        Measure(
            "phq2", "PHQ-2 score", "Mood check score (PHQ-2)",
            "Two questions about your mood over the last 2 weeks.",
            ("836541000000100",), ("55758-7",), "{score}", "points out of 6", _d("0", "6"), units=SCORE_UNITS,
        ),
        Measure(
            "gad7", "GAD-7 score", "Anxiety questionnaire score (GAD-7)",
            "GAD-7 is a short questionnaire about worry and anxiety. Lower is better.",
            ("445455005", "704501007"), ("70274-6",), "{score}", "points out of 21", _d("0", "21"),
            units=SCORE_UNITS,
        ),
        # Vital signs that arrive from other systems (for example a NEWS2 bundle). Ourplan stores and
        # shows them but sets no care-planning targets for them.
        Measure(
            "heart_rate", "Heart rate", "Heart rate", "How many times your heart beats in a minute.",
            ("364075005", "78564009"), ("8867-4",), "/min", "beats a minute", _d("20", "250"),
            units={"{beats}/min": Decimal(1), "{Beats}/min": Decimal(1)},
        ),
        Measure(
            "resp_rate", "Respiratory rate", "Breathing rate", "How many breaths you take in a minute.",
            ("86290005",), ("9279-1",), "/min", "breaths a minute", _d("4", "80"),
            units={"{breaths}/min": Decimal(1), "{Breaths}/min": Decimal(1)},
        ),
        Measure(
            "spo2", "Oxygen saturation", "Oxygen level", "How much oxygen your blood is carrying.",
            ("103228002", "431314004"), ("2708-6", "59408-5"), "%", "%", _d("50", "100"),
        ),
        Measure(
            "temperature", "Body temperature", "Temperature", "Your body temperature.",
            ("276885007", "386725007"), ("8310-5",), "Cel", "°C", _d("30", "45"), units={"C": Decimal(1)},
            places=1,
        ),
        Measure(
            "news2", "NEWS2 total score", "Early warning score (NEWS2)",
            "A hospital score of how unwell someone is.",
            ("1104051000000101",), (), "{score}", "points", _d("0", "20"), units=SCORE_UNITS,
        ),
        Measure(
            "acvpu", "ACVPU scale score", "Alertness (ACVPU)", "How alert someone is.",
            ("1104441000000107",), (), "", "", _d("0", "0"), coded=True,
        ),
        Measure(
            "inspired_air", "Inspired air", "Breathing air or oxygen",
            "Whether someone was breathing room air or extra oxygen.",
            ("722742002", "371825009"), (), "", "", _d("0", "0"), coded=True,
        ),
    )
}

_MEASURE_BY_CODE: dict[tuple[str, str], str] = {}
for _m in MEASURES.values():
    for _c in _m.codes:
        _MEASURE_BY_CODE[(SNOMED, _c)] = _m.key
    for _c in _m.loinc:
        _MEASURE_BY_CODE[(LOINC, _c)] = _m.key

# Measures shown on results pages, in this order; the vital signs above are stored but not charted.
CARE_PLANNING_MEASURES = (
    "hba1c", "bp", "cholesterol", "non_hdl", "egfr", "acr", "bmi", "weight", "peak_flow", "phq9", "gad7",
)


def measure_for_code(system: str, code: str) -> Measure | None:
    key = _MEASURE_BY_CODE.get((system, code))
    return MEASURES[key] if key else None


def bp_component(system: str, code: str) -> int | None:
    """0 for a systolic code, 1 for diastolic, None otherwise."""
    for index, codes in enumerate(MEASURES["bp"].component_codes):
        if code in codes:
            return index
    return None
