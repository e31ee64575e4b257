"""Contingency triggers for self-logged readings: the ONE place in support that turns a reading into
"do this now". Peak flow zones come from planning.asthma.zone_for, the one owner of that rule, and the
agreed actions from the person's asthma action plan (planning.ContingencyPlan).

Every message says Ourplan is not an emergency service; red and very high blood pressure give 999 / 111."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ourplan.people.models import Person
from ourplan.planning.asthma import zone_for
from ourplan.planning.models import ContingencyPlan

NOT_EMERGENCY = ("Ourplan is not an emergency service and nobody watches these readings as you enter them. "
                 "Your care team will see them later.")
URGENT_HELP = "If you are struggling to breathe or feel very unwell, call 999 now. For urgent advice, call 111."
HOME_BP_TARGET = (Decimal(135), Decimal(85))  # NICE NG136 home/ABPM target, under 80
SEVERE_BP = (Decimal(180), Decimal(120))  # NICE NG136 severe hypertension: same-day assessment


def peak_flow_zone(reading: Decimal | int | float, personal_best: Decimal | int) -> str:
    """"green", "amber" or "red" for this reading against the personal best."""
    return str(zone_for(Decimal(str(reading)), Decimal(str(personal_best))))


def bp_level(systolic: Decimal, diastolic: Decimal, target: tuple[Decimal, Decimal] = HOME_BP_TARGET) -> str:
    """"ok", "high" (at or above the home target) or "severe" (180/120 or more)."""
    if systolic >= SEVERE_BP[0] or diastolic >= SEVERE_BP[1]:
        return "severe"
    if systolic >= target[0] or diastolic >= target[1]:
        return "high"
    return "ok"


@dataclass
class Trigger:
    key: str  # peak-flow-amber, peak-flow-red, bp-high, bp-severe
    level: str  # amber or red
    title: str
    reading: str
    actions: list[str]
    contacts: list[str] = field(default_factory=list)
    urgent: bool = False
    not_emergency: str = NOT_EMERGENCY
    urgent_help: str = URGENT_HELP


def _asthma_plan(person: Person) -> Any:
    """The person's asthma action plan, if one has been agreed."""
    return (ContingencyPlan.objects.filter(plan__person=person, kind="asthma")
            .order_by("-created_at").first())


def personal_best(person: Person, plan: Any = None) -> Decimal | None:
    if plan is not None and getattr(plan, "personal_best", None):
        return Decimal(plan.personal_best)
    from ourplan.clinical.models import Observation

    value = (Observation.objects.filter(person=person, measure="peak_flow_best", value__isnull=False)
             .order_by("-effective_at").values_list("value", flat=True).first())
    return value


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def peak_flow_trigger(person: Person, reading: Decimal) -> Trigger | None:
    plan = _asthma_plan(person)
    best = personal_best(person, plan)
    if not best:
        return None
    zone = peak_flow_zone(reading, best)
    percent = int(reading * 100 / best)
    shown = f"{reading.normalize():f} litres a minute, {percent}% of your best ({best.normalize():f})"
    contacts = _lines(getattr(plan, "who_to_contact", "") or "") or [
        "Your GP practice: ask for an urgent appointment today"]
    if zone == "amber":
        actions = _lines(getattr(plan, "amber_actions", "") or "") or [
            "Your asthma is getting worse. Follow the amber part of your asthma action plan.",
            "Keep taking your preventer inhaler as your plan says, and use your reliever inhaler as needed.",
            "If you are no better in 24 hours, or you need your reliever more than every 4 hours, "
            "contact your GP practice today.",
        ]
        medicines = getattr(plan, "amber_medicines", "") if plan else ""
        return Trigger("peak-flow-amber", "amber", "Amber: your asthma is getting worse", shown,
                       [*(_lines(medicines) if medicines else []), *actions], contacts)
    if zone == "red":
        actions = _lines(getattr(plan, "red_actions", "") or "") or [
            "This is an asthma attack. Follow the red part of your asthma action plan now.",
            "Sit up straight and take 1 puff of your reliever inhaler every 30 to 60 seconds, up to 10 puffs.",
            "If you do not feel better, or you are worried, call 999.",
        ]
        urgent = (getattr(plan, "urgent_help", "") or "") if plan else ""
        return Trigger("peak-flow-red", "red", "Red: asthma attack, get help now", shown, actions,
                       [*_lines(urgent), *contacts], urgent=True)
    return None


def bp_trigger(systolic: Decimal, diastolic: Decimal) -> Trigger | None:
    level = bp_level(systolic, diastolic)
    shown = f"{systolic.normalize():f}/{diastolic.normalize():f} mmHg"
    if level == "severe":
        return Trigger("bp-severe", "red", "Your blood pressure is very high", shown, [
            "Sit quietly for 5 minutes and measure it again.",
            "If it is still 180/120 or higher, contact your GP practice today, or call 111 if it is closed.",
            "Call 999 if you also have chest pain, a very bad headache, blurred vision, confusion, weakness or "
            "difficulty speaking.",
        ], ["Your GP practice (same day)", "NHS 111"], urgent=True)
    if level == "high":
        return Trigger("bp-high", "amber", "Your blood pressure is above your home target", shown, [
            "One high reading is common. Sit quietly for 5 minutes and measure it again.",
            "Keep taking your medicines and keep logging your readings, morning and evening.",
            "If most readings this week are 135/85 or higher, book a routine appointment with your practice.",
        ], ["Your GP practice"])
    return None


def current_triggers(person: Person) -> list[Trigger]:
    """Triggers from the person's latest self-logged peak flow and blood pressure (most urgent first)."""
    from ourplan.clinical.models import Observation

    found: list[Trigger] = []
    for measure in ("peak_flow", "bp"):
        latest = (Observation.objects.filter(person=person, measure=measure, source="home", value__isnull=False)
                  .order_by("-effective_at").first())
        if latest is None or latest.value is None:
            continue
        if measure == "peak_flow":
            trigger = peak_flow_trigger(person, latest.value)
        else:
            trigger = bp_trigger(latest.value, latest.value2 or Decimal(0))
        if trigger is not None:
            found.append(trigger)
    return sorted(found, key=lambda t: t.level != "red")
