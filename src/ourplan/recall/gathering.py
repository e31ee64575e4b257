"""Information gathering: checking a whole visit's results at once and storing them all or none.

A submit is checked field by field first (clinical.validation for the plausible range and unit,
clinical.typical for "unusual, please confirm", clinical.questionnaires for PHQ-9 and GAD-7), collecting
every problem so the form shows them together. Only when nothing is wrong is anything stored, in one
transaction: a typing slip in one field never leaves half a visit recorded, and nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from ourplan.clinical.actions import do_record_observation
from ourplan.clinical.models import Observation
from ourplan.clinical.questionnaires import GAD7, PHQ9, Questionnaire, Score, is_blank, parse_answers, score
from ourplan.clinical.terminology import MEASURES
from ourplan.clinical.typical import unusual
from ourplan.clinical.validation import check_value
from ourplan.core import audit
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.people.models import Person
from ourplan.recall.booking import LIVE, do_set_appointment_status
from ourplan.recall.cycle import do_mark_stage, do_start_cycle, open_cycle
from ourplan.recall.models import Appointment, AppointmentKind, CarePlanningCycle, QuestionnaireResponse
from ourplan.support.alerts import SELF_HARM_MESSAGE, SELF_HARM_TRIGGER, do_raise_alert


@dataclass(frozen=True)
class Field:
    """One result on the form. Blood pressure has a second input (`name2`) for the diastolic."""

    name: str
    measure: str
    label: str
    hint: str = ""
    name2: str = ""
    label2: str = ""

    @property
    def unit_label(self) -> str:
        return MEASURES[self.measure].unit_label

    @property
    def confirm_name(self) -> str:
        return f"{self.name}_confirm"


FIELDS: tuple[Field, ...] = (
    Field("hba1c", "hba1c", "HbA1c", "IFCC, in mmol/mol (not %)"),
    Field("bp_systolic", "bp", "Systolic (top number)", name2="bp_diastolic", label2="Diastolic (bottom number)"),
    Field("weight", "weight", "Weight"),
    Field("height", "height", "Height"),
    Field("cholesterol", "cholesterol", "Total cholesterol"),
    Field("non_hdl", "non_hdl", "Non-HDL cholesterol"),
    Field("egfr", "egfr", "eGFR"),
    Field("acr", "acr", "Urine ACR (albumin:creatinine ratio)"),
    Field("peak_flow", "peak_flow", "Peak flow"),
)
QUESTIONNAIRES: tuple[Questionnaire, ...] = (PHQ9, GAD7)


@dataclass(frozen=True)
class Value:
    field: Field
    value: Decimal
    value2: Decimal | None = None


@dataclass
class Checked:
    """The outcome of checking one submit: values ready to store, or errors (field name -> message) in
    form order. `unusual` lists fields that need their confirm box ticked."""

    values: list[Value] = field(default_factory=list)
    bmi: Decimal | None = None
    scores: list[Score] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    unusual: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def empty(self) -> bool:
        return not self.values and not self.scores

    @property
    def safety_flag(self) -> bool:
        return any(s.safety_flag for s in self.scores)


def _blank(data: Mapping[str, str], name: str) -> bool:
    return not str(data.get(name, "")).strip()


def check(data: Mapping[str, str]) -> Checked:
    """Check every field of a submit (a QueryDict or dict of strings). Blank fields are skipped."""
    out = Checked()
    for f in FIELDS:
        if _blank(data, f.name) and (not f.name2 or _blank(data, f.name2)):
            continue
        measure = MEASURES[f.measure]
        if f.name2 and _blank(data, f.name):
            out.errors[f.name] = f"{measure.display}: enter the systolic (top number) as well"
            continue
        try:
            checked = check_value(f.measure, data.get(f.name), measure.unit,
                                  data.get(f.name2) if f.name2 else None, field=f.name)
        except ActionError as exc:
            out.errors[f.name2 if exc.field == "value2" and f.name2 else f.name] = exc.message
            continue
        assert checked.value is not None  # a quantity measure always has a value once checked
        question = unusual(f.measure, checked.value, checked.value2)
        if question and not data.get(f.confirm_name):
            out.unusual[f.name] = question
            out.errors[f.name] = question
            continue
        out.values.append(Value(f, checked.value, checked.value2))
    out.bmi = _bmi(out, data)
    for q in QUESTIONNAIRES:
        answers = parse_answers(q, data)
        if is_blank(answers):
            continue
        try:
            out.scores.append(score(q, answers))
        except ActionError as exc:
            out.errors[exc.field or q.key] = exc.message
    return out


def _bmi(out: Checked, data: Mapping[str, str]) -> Decimal | None:
    """BMI from this visit's weight and height (both needed), to 1 decimal place, checked like any result."""
    by_measure = {v.field.measure: v.value for v in out.values}
    weight, height = by_measure.get("weight"), by_measure.get("height")
    if weight is None or height is None:
        return None
    metres = height / 100
    bmi = (weight / (metres * metres)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    try:
        check_value("bmi", bmi, MEASURES["bmi"].unit)
    except ActionError:
        out.errors["height"] = (f"Weight {weight.normalize():f} kg and height {height.normalize():f} cm give a BMI of "
                                f"{bmi}, which is not possible. Check both")
        return None
    return bmi


@dataclass(frozen=True)
class Recorded:
    observations: list[Observation]
    responses: list[QuestionnaireResponse]

    @property
    def safety_flag(self) -> bool:
        return any(r.safety_flag for r in self.responses)


@transaction.atomic
def do_record_gathering(
    actor: User | None, person: Person, checked: Checked, *, at: datetime | None = None,
) -> Recorded:
    """Store a checked visit: every result, BMI, and each questionnaire (total as an Observation, items as a
    QuestionnaireResponse). All or nothing."""
    if not checked.ok:
        raise ActionError("Correct the errors before saving")
    when = at or timezone.now()
    observations = [
        do_record_observation(actor, person, v.field.measure, v.value, MEASURES[v.field.measure].unit,
                              value2=v.value2, effective_at=when)
        for v in checked.values
    ]
    if checked.bmi is not None:
        observations.append(do_record_observation(actor, person, "bmi", checked.bmi, MEASURES["bmi"].unit,
                                                  effective_at=when))
    cycle = open_cycle(person)
    responses = []
    for s in checked.scores:
        total = do_record_observation(actor, person, s.questionnaire.key, s.total, "{score}", effective_at=when)
        observations.append(total)
        response = QuestionnaireResponse.objects.create(
            person=person, cycle=cycle, questionnaire=s.questionnaire.key, answers=list(s.answers),
            total=s.total, band=s.band.label, safety_flag=s.safety_flag, observation=total, authored_at=when,
            recorded_by=actor,
        )
        audit.record(actor, AuditAction.CREATE, "QuestionnaireResponse", response.public_id,
                     person=person.public_id, basis=_basis(actor),
                     detail={"questionnaire": s.questionnaire.key, "safety_flag": s.safety_flag})
        if s.safety_flag:
            do_raise_alert(actor, person, level="red", trigger=SELF_HARM_TRIGGER, message=SELF_HARM_MESSAGE)
        responses.append(response)
    return Recorded(observations, responses)


def _basis(actor: User | None) -> AccessBasis:
    return AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE


@transaction.atomic
def do_complete_gathering(actor: User | None, person: Person) -> CarePlanningCycle:
    """Mark the round's "tests and measurements done" stage (starting a round if there is none, as for an
    opportunistic review), and mark the booked information-gathering appointment attended."""
    cycle = open_cycle(person) or do_start_cycle(actor, person)
    do_mark_stage(actor, cycle, "information_gathered")
    appointment = (
        Appointment.objects.filter(cycle=cycle, kind=AppointmentKind.INFORMATION_GATHERING, status__in=LIVE)
        .select_related("person").first()
    )
    if appointment is not None and appointment.status == Appointment.Status.BOOKED:
        do_set_appointment_status(actor, appointment, Appointment.Status.ATTENDED)
    return cycle
