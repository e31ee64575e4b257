"""create (POST) and update (PUT) for Goal and CarePlan: FHIR in, through planning.actions out, so a goal
written by another system obeys the same rules, versions the plan (PlanVersion) and is audited exactly like
one typed on the website. The inverse of api.out_planning: every element and extension it writes is read
back here, so export then import gives the same plan.

PUT replaces the whole resource: an element left out is cleared (as FHIR says), except the plan's goals,
which are resources of their own, and its actions, which Ourplan does not delete (an activity left out of
a CarePlan PUT is kept unchanged)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ourplan.api import extensions as X
from ourplan.api.access import require_write
from ourplan.api.auth import Caller
from ourplan.api.errors import FhirError
from ourplan.api.out_planning import GOAL_ACHIEVEMENT, about_key
from ourplan.api.search import as_uuid
from ourplan.api.writes import Written, lock_version, subject_person
from ourplan.clinical.terminology import REGISTERS, UCUM, measure_for_code
from ourplan.core.errors import ActionError, EditConflict
from ourplan.core.models import AccessBasis
from ourplan.imports.records import aware
from ourplan.people.models import Person, StaffMember
from ourplan.planning import actions
from ourplan.planning.models import (
    AchievementStatus,
    CarePlan,
    Goal,
    GoalAction,
    GoalCategory,
    LifecycleStatus,
    PlanStatus,
)
from ourplan.planning.models.plan import ABOUT_ME_FIELDS, COMPARATORS, CURRENT_STATUSES, GAS_LEVELS

GOAL_PATHS = {
    "person_words": "Goal.description", "clinical_translation": "Goal.note", "category": "Goal.category",
    "registers": f"Goal.extension('{X.GOAL_REGISTER}')", "measure": "Goal.target.measure",
    "comparator": "Goal.target.detailQuantity.comparator", "target_value": "Goal.target.detailQuantity.value",
    "target_date": "Goal.target.dueDate", "importance": f"Goal.extension('{X.GOAL_IMPORTANCE}')",
    "confidence": f"Goal.extension('{X.GOAL_CONFIDENCE}')", "lifecycle_status": "Goal.lifecycleStatus",
    "achievement_status": "Goal.achievementStatus", "gas_zero": f"Goal.extension('{X.PCO_GAS}')",
}
ACTION_PATHS = {"what": "CarePlan.activity.detail.description", "who_helps": "CarePlan.activity.detail.performer"}
LEVEL_BY_CODE = {code: level for level, (code, _) in X.GAS_LEVEL_CODES.items()}
HELPER_KINDS = tuple(GoalAction.HelperKind.values)
ACTION_STATUSES = tuple(GoalAction.Status.values)


def refused(exc: ActionError, paths: dict[str, str], default: str) -> FhirError:
    where = paths.get(exc.field or "", default)
    return FhirError(422, exc.message, code="business-rule", expression=[where])


def _conflict() -> FhirError:
    return FhirError(412, "Someone changed this record after you read it. Read it again and re-apply your "
                     "change.", code="conflict")


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


# --- Goal ------------------------------------------------------------------------------------------------

def _int_extension(res: Any, url: str, name: str) -> int | None:
    found = X.find(res.extension, url)
    if found is None:
        return None
    value = found.valueInteger
    if value is None:
        raise FhirError(422, f"The {name} extension needs valueInteger 0-10", code="business-rule",
                        expression=[f"Goal.extension('{url}')"])
    return int(value)


def _string_extension(res: Any, url: str) -> str:
    found = X.find(res.extension, url)
    return _text(found.valueString) if found is not None else ""


def _registers(res: Any) -> list[str]:
    keys = []
    for found in X.find_all(res.extension, X.GOAL_REGISTER):
        code = found.valueCoding.code if found.valueCoding is not None else None
        if code not in REGISTERS:
            raise FhirError(422, f"'{code}' is not a condition register Ourplan knows ({', '.join(REGISTERS)})",
                            code="code-invalid", expression=[f"Goal.extension('{X.GOAL_REGISTER}')"])
        keys.append(str(code))
    return keys


def _gas(res: Any) -> dict[str, str]:
    levels = {level: "" for level in GAS_LEVELS}
    for found in X.find_all(res.extension, X.PCO_GAS):
        level = X.sub(found, "level")
        text = X.sub(found, "text")
        code = level.valueCoding.code if level is not None and level.valueCoding is not None else None
        if code not in LEVEL_BY_CODE or text is None or not text.valueString:
            raise FhirError(422, "Each goal attainment scaling extension needs a level (LOINC LL6900-6 answer) "
                            "and its text", code="business-rule", expression=[f"Goal.extension('{X.PCO_GAS}')"])
        levels[LEVEL_BY_CODE[code]] = _text(text.valueString)
    return levels


def _coded(concept: Any, system: str, allowed: tuple[str, ...], path: str) -> str | None:
    """The code of `concept` in `system`, which must be one of `allowed` (a required binding)."""
    for coding in getattr(concept, "coding", None) or []:
        if coding.system in (system, None) and coding.code:
            if coding.code not in allowed:
                raise FhirError(422, f"'{coding.code}' is not allowed here (use one of: {', '.join(allowed)})",
                                code="code-invalid", expression=[path])
            return str(coding.code)
    return None


def _target(res: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"measure": "", "comparator": "", "target_value": None, "target_date": None}
    measured = []
    for target in res.target or []:
        if target.dueDate is not None:
            fields["target_date"] = target.dueDate
        codings = target.measure.coding if target.measure is not None else None
        if any(c.system == X.LOINC and c.code == X.GAS_MEASURE[0] for c in codings or []):
            continue  # the goal attainment scale: its levels are in the PCO extensions
        if target.measure is not None or target.detailQuantity is not None:
            measured.append(target)
    if len(measured) > 1:
        raise FhirError(422, "Ourplan keeps one measurable target per goal", code="business-rule",
                        expression=["Goal.target"])
    if measured:
        target = measured[0]
        found = next((m for c in (target.measure.coding if target.measure else None) or []
                      if (m := measure_for_code(str(c.system or ""), str(c.code or ""))) is not None), None)
        if found is None:
            raise FhirError(422, "Goal.target.measure must be a SNOMED CT or LOINC code of a measure Ourplan "
                            "knows", code="code-invalid", expression=["Goal.target.measure"])
        quantity = target.detailQuantity
        if quantity is None or quantity.value is None:
            raise FhirError(422, "A measured target needs detailQuantity with a value", code="required",
                            expression=["Goal.target.detailQuantity"])
        factor = found.accepted_units().get(str(quantity.code or found.unit)) if quantity.system in (UCUM, None) \
            else None
        if factor is None:
            raise FhirError(422, f"The target for {found.display} must be in {found.unit} (UCUM)",
                            code="business-rule", expression=["Goal.target.detailQuantity.code"])
        fields.update(measure=found.key, comparator=str(quantity.comparator or "="),
                      target_value=(Decimal(str(quantity.value)) * factor).quantize(Decimal("0.01")))
        if fields["comparator"] not in COMPARATORS:
            raise FhirError(422, "Goal.target.detailQuantity.comparator must be <, <=, >= or >",
                            code="code-invalid", expression=["Goal.target.detailQuantity.comparator"])
    return fields


def goal_fields(res: Any) -> dict[str, Any]:
    """Every Goal field Ourplan stores, from the resource (absent elements give the field's empty value,
    except the sensitive flag, which is left out unless its extension is sent)."""
    if res.lifecycleStatus not in LifecycleStatus.values:
        raise FhirError(422, f"Goal.lifecycleStatus '{res.lifecycleStatus}' is not a goal-status code",
                        code="code-invalid", expression=["Goal.lifecycleStatus"])
    words = _text(res.description.text) or next(
        (_text(c.display) for c in res.description.coding or [] if c.display), "")
    achievement = _coded(res.achievementStatus, GOAL_ACHIEVEMENT, tuple(AchievementStatus.values),
                         "Goal.achievementStatus") if res.achievementStatus is not None else None
    category = None
    for concept in res.category or []:
        category = _coded(concept, X.GOAL_CATEGORY, tuple(GoalCategory.values), "Goal.category") \
            if any(c.system == X.GOAL_CATEGORY for c in concept.coding or []) else None
        if category:
            break
    sensitive = X.find(res.extension, X.GOAL_SENSITIVE)
    fields = {
        "person_words": words,
        "clinical_translation": "\n\n".join(_text(n.text) for n in res.note or [] if n.text),
        "category": category or GoalCategory.HEALTH,
        "registers": _registers(res),
        **_target(res),
        "importance": _int_extension(res, X.GOAL_IMPORTANCE, "importance"),
        "confidence": _int_extension(res, X.GOAL_CONFIDENCE, "confidence"),
        "what_would_make_it_seven": _string_extension(res, X.GOAL_RAISE_CONFIDENCE),
        "lifecycle_status": res.lifecycleStatus,
        "achievement_status": achievement or "",
        **_gas(res),
        "progress_notes": _string_extension(res, X.GOAL_PROGRESS_NOTES),
    }
    if sensitive is not None:
        # Only an explicit extension changes the flag. A system that does not know Ourplan's extension sends
        # the goal back without it, and that must not quietly make a sensitive goal visible to everyone the
        # person shares with (do_update_goal keeps the fields it is not given; a new goal starts unflagged).
        fields["sensitive"] = bool(sensitive.valueBoolean)
    return fields


class GoalWriter:
    def create(self, caller: Caller, res: Any) -> Written:
        fields = goal_fields(res)
        person, found = subject_person(caller, res.subject, "Goal")
        require_write(found, "Goal")
        with transaction.atomic():
            plan = actions.current_plan(person) or actions.do_start_plan(caller.user, person, basis=found)
            try:
                goal = actions.do_add_goal(caller.user, plan, fields, basis=found)
            except ActionError as exc:
                raise refused(exc, GOAL_PATHS, "Goal") from exc
            if isinstance(res.startDate, date) and res.startDate < timezone.localdate():
                # A goal set earlier elsewhere keeps the day it was set (Goal.startDate).
                started = datetime.combine(res.startDate, time(12), tzinfo=timezone.get_current_timezone())
                Goal.objects.filter(pk=goal.pk).update(created_at=started)
        return Written(goal, person, found, True)

    def update(self, caller: Caller, goal: Goal, res: Any, version: int) -> Written:
        fields = goal_fields(res)
        person, found = subject_person(caller, res.subject, "Goal")
        if person.pk != goal.plan.person_id:
            raise FhirError(422, "Goal.subject cannot be changed: a goal never moves to another person",
                            code="business-rule", expression=["Goal.subject"])
        require_write(found, "Goal")
        with transaction.atomic():
            lock_version(Goal, goal, version)
            try:
                actions.do_update_goal(caller.user, goal, version, fields, basis=found)
            except EditConflict as exc:
                raise _conflict() from exc
            except ActionError as exc:
                raise refused(exc, GOAL_PATHS, "Goal") from exc
        goal.refresh_from_db()
        return Written(goal, person, found, False)


# --- CarePlan --------------------------------------------------------------------------------------------

@dataclass
class PlanFields:
    about: dict[str, str]
    plan: dict[str, Any]
    activities: list[Any]
    words: str  # the plan's own title or description, for activities that name no goal


def _reviewer(ref: Any, person: Person) -> StaffMember:
    text = _text(getattr(ref, "reference", None))
    parts = [p for p in text.split("/") if p]
    found = as_uuid(parts[-1]) if len(parts) >= 2 and parts[-2] == "PractitionerRole" else None
    member = StaffMember.objects.filter(public_id=found).first() if found is not None else None
    if member is None or not member.active or member.organisation_id != person.practice_id:
        raise FhirError(422, "The review must be the responsibility of an active PractitionerRole at the "
                        "person's practice", code="business-rule",
                        expression=[f"CarePlan.extension('{X.PLAN_REVIEW}')"])
    return member


def _author_user(res: Any) -> Any:
    from ourplan.people.models import Practitioner

    for ref in [res.author] if res.author is not None else []:
        parts = [p for p in _text(ref.reference).split("/") if p]
        key = as_uuid(parts[-1]) if len(parts) >= 2 and parts[-2] == "Practitioner" else None
        if key is not None:
            practitioner = Practitioner.objects.filter(public_id=key).select_related("user").first()
            if practitioner is not None:
                return practitioner.user
    return None


def plan_fields(res: Any, person: Person) -> PlanFields:
    if res.status not in PlanStatus.values:
        raise FhirError(422, f"CarePlan.status '{res.status}' is not a request-status code", code="code-invalid",
                        expression=["CarePlan.status"])
    if res.intent != "plan":
        raise FhirError(422, "CarePlan.intent must be 'plan': Ourplan holds the person's agreed plan, not "
                        "proposals or orders", code="business-rule", expression=["CarePlan.intent"])
    about_ext = X.find(res.extension, X.PLAN_ABOUT_ME)
    about = {f: _text(getattr(X.sub(about_ext, about_key(f)), "valueString", None)) if about_ext else ""
             for f in ABOUT_ME_FIELDS}
    agreement = X.find(res.extension, X.PLAN_AGREEMENT)
    agreed_at = getattr(X.sub(agreement, "date"), "valueDateTime", None) if agreement else None
    review = X.find(res.extension, X.PLAN_REVIEW)
    review_date = getattr(X.sub(review, "date"), "valueDate", None) if review else None
    if review_date is None and res.period is not None and res.period.end is not None:
        review_date = res.period.end.date() if isinstance(res.period.end, datetime) else res.period.end
    responsible = X.sub(review, "responsible") if review else None
    shared = X.find(res.extension, X.PLAN_SHARED)
    plan = {
        "status": res.status,
        "agreed_by_name": _text(getattr(X.sub(agreement, "name"), "valueString", None)) if agreement else "",
        "agreed_by_role": _text(getattr(X.sub(agreement, "role"), "valueString", None)) if agreement else "",
        "agreed_at": aware(agreed_at) if isinstance(agreed_at, date) else None,
        "agreed_with": _author_user(res),
        "review_date": review_date if isinstance(review_date, date) else None,
        "review_responsible": _reviewer(responsible.valueReference, person) if responsible is not None else None,
        "shared_with_person": shared.valueBoolean is not False if shared is not None else True,
    }
    return PlanFields(about, plan, [a for a in res.activity or [] if a.detail is not None], _plan_words(res))


def _action_fields(detail: Any, path: str) -> dict[str, Any]:
    extra = X.find(detail.extension, X.ACTIVITY_DETAIL)

    def sub_text(name: str) -> str:
        return _text(getattr(X.sub(extra, name), "valueString", None)) if extra else ""

    if detail.status not in ACTION_STATUSES:
        raise FhirError(422, f"Ourplan records an action as to do (not-started) or done (completed), not "
                        f"'{detail.status}'", code="business-rule", expression=[f"{path}.status"])
    kind_ext = X.sub(extra, "helper-kind") if extra else None
    kind = kind_ext.valueCoding.code if kind_ext is not None and kind_ext.valueCoding is not None else "self"
    if kind not in HELPER_KINDS:
        raise FhirError(422, f"helper-kind '{kind}' is not one of {', '.join(HELPER_KINDS)}", code="code-invalid",
                        expression=[f"{path}.extension('{X.ACTIVITY_DETAIL}')"])
    when = sub_text("when")
    how_often = sub_text("how-often")
    if not extra and detail.scheduledString:
        when = _text(detail.scheduledString)
    if not extra and not how_often:
        how_often = _when_from_timing(detail)
    return {
        "what": _text(detail.description) or _coded_what(detail), "when": when,
        "where": _text(getattr(detail.location, "display", None)),
        "how_often": how_often,
        "who_helps": next((_text(p.display) for p in detail.performer or [] if p.display), ""),
        "helper_kind": kind, "barriers": sub_text("barriers"), "solutions": sub_text("solutions"),
        "support_needed": sub_text("support-needed"), "status": detail.status,
    }


def _coded_what(detail: Any) -> str:
    """An activity with no description says what it is by its code (UK Core's example: "Body weight")."""
    concept = detail.code
    if concept is None:
        return ""
    return _text(concept.text) or next((_text(c.display) for c in concept.coding or [] if c.display), "")


def _activity_goal(plan: CarePlan, detail: Any, path: str, unlinked: UnlinkedGoal) -> Goal:
    refs = detail.goal or []
    if not refs:
        return unlinked.goal(path)
    parts = [p for p in _text(refs[0].reference).split("/") if p]
    key = as_uuid(parts[-1]) if len(parts) >= 2 and parts[-2] == "Goal" else None
    goal = plan.goals.filter(public_id=key).first() if key else None
    if goal is None:
        raise FhirError(422, "activity.detail.goal must name a Goal of this plan: an action is a step towards one "
                        "of the plan's goals", code="business-rule", expression=[f"{path}.goal"])
    return goal


@dataclass
class UnlinkedGoal:
    """Where activities that name no goal go. Ourplan keeps every action as a step towards a goal, and
    another system's plan may list activities with none (the UK Core example does). Rather than refuse
    the plan or invent a goal, they go under one proposed goal whose words are the sending plan's own
    title or description, with a note saying so and naming the sender, for the team to agree (or reword)
    with the person. Made once per write, and only if an activity needs it."""

    caller: Caller
    plan: CarePlan
    words: str | None  # None: not offered (an update, where the plan's goals exist to be named)
    basis: AccessBasis
    made: Goal | None = None

    def goal(self, path: str) -> Goal:
        if self.made is not None:
            return self.made
        if self.words is None:
            raise FhirError(422, "Each new activity.detail names a Goal of this plan in detail.goal: an action is a "
                            "step towards one of the plan's goals", code="business-rule",
                            expression=[f"{path}.goal"])
        if not self.words:
            raise FhirError(422, "This activity names no goal (detail.goal), and the CarePlan has no title or "
                            "description to hold it under: an action is a step towards one of the plan's goals",
                            code="business-rule", expression=[f"{path}.goal"])
        note = (f"{UNLINKED_NOTE} {self.caller.token.name}: these are the plan's words, not the person's. Its "
                "activities named no goal. Agree the goal with the person, in their words.")
        try:
            self.made = actions.do_add_goal(self.caller.user, self.plan, {
                "person_words": self.words[:500], "clinical_translation": note,
                "lifecycle_status": LifecycleStatus.PROPOSED}, basis=self.basis)
        except ActionError as exc:
            raise refused(exc, GOAL_PATHS, "CarePlan") from exc
        return self.made


UNLINKED_NOTE = "From the care plan sent by"


def _plan_words(res: Any) -> str:
    texts = [_text(res.title), _text(res.description),
             *(_text(c.text) for c in res.category or [])]
    return next((t for t in texts if t), "")


def _when_from_timing(detail: Any) -> str:
    """A simple repeat (frequency per period) in words, e.g. "1 time every 1 d" -> "once a day"."""
    repeat = getattr(detail.scheduledTiming, "repeat", None) if detail.scheduledTiming is not None else None
    if repeat is None or repeat.frequency is None or repeat.period is None or not repeat.periodUnit:
        return ""
    units = {"s": "second", "min": "minute", "h": "hour", "d": "day", "wk": "week", "mo": "month", "a": "year"}
    unit = units.get(str(repeat.periodUnit), str(repeat.periodUnit))
    times = {1: "once", 2: "twice"}.get(int(repeat.frequency), f"{repeat.frequency} times")
    every = f"a {unit}" if Decimal(str(repeat.period)) == 1 else f"every {repeat.period} {unit}s"
    return f"{times} {every}"


def apply_activities(caller: Caller, plan: CarePlan, activities: list[Any], basis: AccessBasis,
                     words: str | None = None) -> None:
    """Add the activities without an id of an existing action; change those with one. When a plan is
    created (`words` given), activities that name no goal go under one goal made from the plan's own words
    (`UnlinkedGoal`); on update each new activity must name one of the plan's goals."""
    unlinked = UnlinkedGoal(caller, plan, words, basis)
    for index, item in enumerate(activities):
        path = f"CarePlan.activity[{index}].detail"
        fields = _action_fields(item.detail, path)
        key = as_uuid(item.id or "")
        existing = GoalAction.objects.filter(goal__plan=plan, public_id=key).first() if key else None
        try:
            if existing is None:
                goal = _activity_goal(plan, item.detail, path, unlinked)
                status = fields.pop("status")
                action = actions.do_add_action(caller.user, goal, fields, basis=basis)
                if status == GoalAction.Status.COMPLETED:
                    actions.do_mark_action(caller.user, action, True, basis=basis)
            else:
                changes = {k: v for k, v in fields.items() if getattr(existing, k) != v}
                if changes:
                    actions.do_update_action(caller.user, existing, existing.version, changes, basis=basis)
        except EditConflict as exc:
            raise _conflict() from exc
        except ActionError as exc:
            raise refused(exc, {k: f"{path}.{v.rsplit('.', 1)[-1]}" for k, v in ACTION_PATHS.items()}, path) \
                from exc


def _set_plan(caller: Caller, plan: CarePlan, fields: PlanFields, version: int, basis: AccessBasis,
              summary: str) -> None:
    try:
        about = {k: v for k, v in fields.about.items() if getattr(plan, k) != v}
        if about:
            actions.do_update_about(caller.user, plan, version, about, basis=basis)
        changes = {k: v for k, v in fields.plan.items() if getattr(plan, k) != v}
        actions.do_set_plan_record(caller.user, plan, summary, changes, basis=basis)
        plan.refresh_from_db()
    except EditConflict as exc:
        raise _conflict() from exc
    except ActionError as exc:
        raise refused(exc, {}, "CarePlan") from exc
    except IntegrityError as exc:
        raise FhirError(409, "The person already has a current plan (draft, active or on hold): only one at a "
                        "time", code="duplicate", expression=["CarePlan.status"]) from exc


class CarePlanWriter:
    def create(self, caller: Caller, res: Any) -> Written:
        person, found = subject_person(caller, res.subject, "CarePlan")
        require_write(found, "CarePlan")
        fields = plan_fields(res, person)
        with transaction.atomic():
            current = actions.current_plan(person)
            if current is not None and res.status in CURRENT_STATUSES:
                raise FhirError(409, f"The person already has a current plan (CarePlan/{current.public_id}): "
                                "update it with PUT, or use If-None-Exist: patient=Patient/<id>", code="duplicate",
                                expression=["CarePlan.subject"])
            try:
                if res.status in CURRENT_STATUSES:
                    plan = actions.do_start_plan(caller.user, person, basis=found)
                else:
                    # An earlier plan (completed, revoked, ...) kept for the record beside the current one.
                    plan = actions.do_record_earlier_plan(caller.user, person, res.status, basis=found)
            except IntegrityError as exc:
                raise FhirError(409, "The person already has a current plan", code="duplicate",
                                expression=["CarePlan.subject"]) from exc
            _set_plan(caller, plan, fields, plan.version, found, "Plan written by another system")
            if fields.activities:
                apply_activities(caller, plan, fields.activities, found, fields.words)
            if isinstance(res.created, datetime) and res.created < timezone.now():
                # A plan started elsewhere keeps when it was started (CarePlan.created).
                CarePlan.objects.filter(pk=plan.pk).update(created_at=aware(res.created))
        plan.refresh_from_db()
        return Written(plan, person, found, True)

    def update(self, caller: Caller, plan: CarePlan, res: Any, version: int) -> Written:
        person, found = subject_person(caller, res.subject, "CarePlan")
        if person.pk != plan.person_id:
            raise FhirError(422, "CarePlan.subject cannot be changed: a plan never moves to another person",
                            code="business-rule", expression=["CarePlan.subject"])
        require_write(found, "CarePlan")
        fields = plan_fields(res, person)
        with transaction.atomic():
            lock_version(CarePlan, plan, version)
            _set_plan(caller, plan, fields, version, found, "Plan changed by another system")
            # No words for unlinked activities on update: the plan's goals exist, so an activity names one.
            apply_activities(caller, plan, fields.activities, found)
        plan.refresh_from_db()
        return Written(plan, person, found, False)


GOAL = GoalWriter()
CAREPLAN = CarePlanWriter()
