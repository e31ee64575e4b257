"""Every change the review app makes: reviews and their goal scores, the offer status, and questionnaires the
person completes online. Each do_* takes the acting user, runs in a transaction and writes an audit row.

Goal status changes and the re-agreed plan go through planning.actions (so a PlanVersion is written), and the
care planning round moves only through recall.cycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from ourplan.clinical.models import Observation
from ourplan.clinical.questionnaires import (
    COLLABORATE,
    QUESTIONNAIRES,
    SCALES,
    ScaleScore,
    Score,
    score,
    score_scale,
)
from ourplan.clinical.terminology import MEASURES
from ourplan.clinical.validation import check_value
from ourplan.core import audit
from ourplan.core.errors import ActionError, EditConflict
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.core.versioning import apply_versioned_update
from ourplan.people.models import Person, StaffMember
from ourplan.planning import actions as planning
from ourplan.planning.models import AchievementStatus, CarePlan, Goal, LifecycleStatus, PlanStatus
from ourplan.recall import cycle as cycles
from ourplan.recall.booking import do_set_appointment_status
from ourplan.recall.models import Appointment, AppointmentKind, CarePlanningCycle, QuestionnaireResponse
from ourplan.review import gas
from ourplan.review.models import (
    GoalAttainment,
    GoalDecision,
    OfferCode,
    OfferStatus,
    PlanReview,
    ReviewKind,
    ReviewOutcome,
)
from ourplan.support.alerts import SELF_HARM_MESSAGE, SELF_HARM_TRIGGER, do_raise_alert

# Goals still being worked on: the ones a review looks at. Completed, cancelled, rejected and mistaken goals
# are history.
REVIEWABLE = (LifecycleStatus.PROPOSED, LifecycleStatus.PLANNED, LifecycleStatus.ACCEPTED, LifecycleStatus.ACTIVE,
              LifecycleStatus.ON_HOLD)
PERSON_BASES = {AccessBasis.SELF, AccessBasis.CONSENT}


def _basis(actor: User | None, basis: AccessBasis | str | None = None) -> AccessBasis | str:
    if basis is not None:
        return basis
    return AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE


# ---- reading -------------------------------------------------------------------------------------------


def reviewable_goals(plan: CarePlan) -> QuerySet[Goal]:
    return plan.goals.filter(lifecycle_status__in=REVIEWABLE).order_by("created_at", "id")


def review_in_progress(person: Person) -> PlanReview | None:
    return PlanReview.objects.filter(person=person, completed=False).select_related("plan").first()


def reviewed_cycle(person: Person) -> CarePlanningCycle | None:
    """The round whose plan a review now would review: the newest with an agreed plan, else the open one."""
    agreed = (CarePlanningCycle.objects.filter(person=person, plan_agreed_at__isnull=False)
              .exclude(status=CarePlanningCycle.Status.CANCELLED).order_by("-plan_agreed_at", "-id").first())
    return agreed or cycles.open_cycle(person)


def current_offer(person: Person) -> OfferStatus | None:
    return OfferStatus.objects.filter(person=person).select_related("recorded_by").first()


def running_t(review: PlanReview) -> float | None:
    """The T-score of the goals scored so far (None before the first)."""
    pairs = [(a.level, a.weight) for a in review.attainments.all()]
    return gas.t_score(pairs) if pairs else None


# ---- offer status --------------------------------------------------------------------------------------


@transaction.atomic
def do_record_offer(actor: User, person: Person, code: str, *, note: str = "", at: datetime | None = None
                    ) -> OfferStatus:
    """Record the person's care and support plan offer status. Rows are never edited: a new status is a new
    row, so the history of offers stays visible."""
    if code not in OfferCode.values:
        raise ActionError("Choose an offer status from the list", field="code")
    note = (note or "").strip()
    if code == OfferCode.OTHER and not note:
        raise ActionError("Say what happened with the offer", field="note")
    when = at or timezone.now()
    if when > timezone.now() + timedelta(minutes=5):
        raise ActionError("The date of an offer cannot be in the future", field="recorded_at")
    offer = OfferStatus.objects.create(person=person, cycle=cycles.open_cycle(person), code=code, recorded_at=when,
                                       recorded_by=actor, note=note)
    audit.record(actor, AuditAction.CREATE, "OfferStatus", offer.public_id, person=person.public_id,
                 basis=AccessBasis.DIRECT_CARE, detail={"code": code})
    return offer


# ---- reviews -------------------------------------------------------------------------------------------


@transaction.atomic
def do_start_review(actor: User, person: Person, kind: str, *, at: datetime | None = None) -> PlanReview:
    """Open review mode for the person's current plan, or return the review already in progress (whoever
    started it), so two clinicians never score two copies of the same review."""
    if kind not in ReviewKind.values:
        raise ActionError("Choose the kind of review", field="kind")
    existing = review_in_progress(person)
    if existing is not None:
        return existing
    plan = planning.current_plan(person)
    if plan is None:
        raise ActionError(f"{person.display_name} has no care plan to review yet", field="kind")
    if kind == ReviewKind.FORMAL and plan.agreed_at is None:
        raise ActionError("Agree the plan before holding a review of it", field="kind")
    try:
        with transaction.atomic():
            review = PlanReview.objects.create(person=person, plan=plan, cycle=reviewed_cycle(person), kind=kind,
                                               held_at=at or timezone.now(), held_by=actor)
    except IntegrityError:
        # Someone else opened review mode at the same moment: join theirs.
        found = review_in_progress(person)
        if found is None:
            raise
        return found
    audit.record(actor, AuditAction.CREATE, "PlanReview", review.public_id, person=person.public_id,
                 basis=AccessBasis.DIRECT_CARE, detail={"kind": kind})
    return review


def _open_review(review: PlanReview) -> PlanReview:
    locked = PlanReview.objects.select_for_update().select_related("person", "plan").get(pk=review.pk)
    if locked.completed:
        raise ActionError("This review has been completed; start a new one to change anything")
    return locked


@transaction.atomic
def do_score_goal(actor: User, review: PlanReview, goal: Goal, *, level: int, weight: int = 1,
                  decision: str = GoalDecision.KEPT, note: str = "", expected_version: int | None = None
                  ) -> GoalAttainment:
    """Score one goal at this review (-2..+2, weight 1-10) and record what is decided about it. A first score
    creates the row; a change needs the version the editor saw (None for "I saw no score"), so two people
    scoring the same goal cannot overwrite each other unseen (EditConflict)."""
    review = _open_review(review)
    if goal.plan_id != review.plan_id or goal.lifecycle_status not in REVIEWABLE:
        raise ActionError("This goal is not part of the plan under review")
    gas.t_score([(level, weight)])  # refuses a level or weight out of range, with the field named
    if decision not in GoalDecision.values:
        raise ActionError("Choose what to do with this goal", field="decision")
    fields: dict[str, Any] = {"level": level, "weight": weight, "decision": decision, "note": (note or "").strip()}
    existing = GoalAttainment.objects.filter(review=review, goal=goal).first()
    if existing is None:
        if expected_version is not None:
            raise EditConflict(0)  # the score the editor changed has been cleared meanwhile
        try:
            with transaction.atomic():
                row = GoalAttainment.objects.create(review=review, goal=goal, **fields)
        except IntegrityError as exc:
            raise EditConflict(1) from exc
        action = AuditAction.CREATE
    else:
        if expected_version is None:
            raise EditConflict(existing.version)  # someone scored it after the page was loaded
        apply_versioned_update(existing, expected_version, fields)
        row, action = existing, AuditAction.UPDATE
    audit.record(actor, action, "GoalAttainment", row.public_id, person=review.person.public_id,
                 basis=AccessBasis.DIRECT_CARE,
                 detail={"review": str(review.public_id), "goal": str(goal.public_id), "level": level,
                         "weight": weight, "decision": decision})
    return row


@transaction.atomic
def do_clear_score(actor: User, review: PlanReview, goal: Goal, expected_version: int) -> None:
    """Take a goal's score out of the review (it was scored by mistake, or not discussed after all)."""
    review = _open_review(review)
    row = GoalAttainment.objects.filter(review=review, goal=goal).first()
    if row is None:
        return
    deleted, _ = GoalAttainment.objects.filter(pk=row.pk, version=expected_version).delete()
    if not deleted:
        raise EditConflict(row.version)
    audit.record(actor, AuditAction.DELETE, "GoalAttainment", row.public_id, person=review.person.public_id,
                 basis=AccessBasis.DIRECT_CARE, detail={"review": str(review.public_id), "goal": str(goal.public_id)})


@dataclass(frozen=True)
class Agreement:
    """What re-agreeing the plan at a formal review needs (as planning.actions.do_agree_plan)."""

    agreed_by_name: str
    agreed_by_role: str
    review_date: date | None
    reviewer: StaffMember | None
    share_with_person: bool


def _apply_decision(actor: User, attainment: GoalAttainment) -> None:
    """Apply what was decided about one goal through planning's actions (each writes a PlanVersion). A goal
    to be changed is left as it is, for the clinician to edit in the workspace with the person."""
    changes: dict[str, Any] = {}
    if attainment.decision == GoalDecision.ACHIEVED:
        changes = {"achievement_status": AchievementStatus.ACHIEVED, "lifecycle_status": LifecycleStatus.COMPLETED}
    elif attainment.decision == GoalDecision.DROPPED:
        changes = {"lifecycle_status": LifecycleStatus.CANCELLED}
    if not changes:
        return
    # The decision is about the goal, not its wording, so it applies to the goal as it is now.
    goal = Goal.objects.get(pk=attainment.goal_id)
    planning.do_update_goal(actor, goal, goal.version, changes)


def _mark_review_appointment_attended(actor: User, review: PlanReview) -> None:
    """A formal review held today in a booked review appointment: record the appointment as attended (only
    today's, so an appointment booked for a later date is never closed by an early review)."""
    today = timezone.localdate(review.held_at)
    booked = (Appointment.objects.filter(person_id=review.person_id, kind=AppointmentKind.REVIEW,
                                         status=Appointment.Status.BOOKED, slot__start__date=today)
              .select_related("person").order_by("slot__start").first())
    if booked is not None:
        do_set_appointment_status(actor, booked, Appointment.Status.ATTENDED)


@transaction.atomic
def do_complete_review(actor: User, review: PlanReview, expected_version: int, *, plan_version: int,
                       summary: str = "", agreement: Agreement | None = None) -> PlanReview:
    """Finish review mode: store the T-score, apply each goal decision, and for a formal review re-agree the
    plan (a new PlanVersion) and move the care planning round on: the round whose plan was reviewed is closed
    and the re-agreed plan starts the next; a round already open for this review (a recall invitation) is
    continued instead. An informal review changes the goals decided about and nothing else.

    `plan_version` is the plan version shown in review mode: if anyone changed the plan since, nothing is
    saved (PlanConflict), because the person would be agreeing to a plan nobody showed them."""
    review = _open_review(review)
    if review.version != expected_version:
        raise EditConflict(review.version)
    plan = CarePlan.objects.get(pk=review.plan_id)
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.ON_HOLD):
        raise ActionError("This plan is no longer current; start a review of the current plan")
    if plan.version != plan_version:
        raise planning.PlanConflict(plan.version, {})
    attainments = list(review.attainments.select_related("goal"))
    formal = review.kind == ReviewKind.FORMAL
    if formal:
        scored = {a.goal_id for a in attainments}
        missing = [g.person_words for g in reviewable_goals(plan) if g.pk not in scored]
        if missing:
            raise ActionError("Score every goal before completing the review. Not scored yet: "
                              + "; ".join(f"\u201c{m[:60]}\u201d" for m in missing), field="goals")
        if agreement is None:
            raise ActionError("Re-agree the plan to complete a formal review", field="agreed_by_name")
    t = gas.t_score_decimal([(a.level, a.weight) for a in attainments]) if attainments else None
    for attainment in attainments:
        _apply_decision(actor, attainment)
    if formal:
        assert agreement is not None
        _mark_review_appointment_attended(actor, review)
        reviewed = review.cycle
        if reviewed is not None and reviewed.status == CarePlanningCycle.Status.OPEN \
                and reviewed.plan_agreed_at is not None:
            cycles.do_close_cycle(actor, reviewed)
        plan.refresh_from_db()
        planning.do_agree_plan(actor, plan, plan.version, agreed_by_name=agreement.agreed_by_name,
                               agreed_by_role=agreement.agreed_by_role, review_date=agreement.review_date,
                               reviewer=agreement.reviewer, share_with_person=agreement.share_with_person)
        outcome = ReviewOutcome.RE_AGREED
    else:
        outcome = ReviewOutcome.CONTINUED
    apply_versioned_update(review, expected_version, {
        "completed": True, "summary": (summary or "").strip(), "t_score": t, "outcome": outcome})
    audit.record(actor, AuditAction.UPDATE, "PlanReview", review.public_id, person=review.person.public_id,
                 basis=AccessBasis.DIRECT_CARE,
                 detail={"completed": True, "outcome": outcome, "t_score": str(t) if t is not None else None,
                         "goals": len(attainments)})
    return review


# ---- questionnaires completed online -------------------------------------------------------------------


def collaborate_cycle(person: Person) -> CarePlanningCycle | None:
    """The round a collaboRATE answer belongs to: the newest with an agreed plan (the conversation it asks
    about), or None when no plan has been agreed yet."""
    return (CarePlanningCycle.objects.filter(person=person, plan_agreed_at__isnull=False)
            .exclude(status=CarePlanningCycle.Status.CANCELLED).order_by("-plan_agreed_at", "-id").first())


def collaborate_due(person: Person) -> CarePlanningCycle | None:
    """The round to ask collaboRATE about, if the person has not answered it for that round yet."""
    cycle = collaborate_cycle(person)
    if cycle is None or QuestionnaireResponse.objects.filter(cycle=cycle, questionnaire=COLLABORATE.key).exists():
        return None
    return cycle


def _store_scored(actor: User | None, person: Person, result: Score, basis: AccessBasis | str, when: datetime,
                  cycle: CarePlanningCycle | None) -> QuestionnaireResponse:
    key = result.questionnaire.key
    # The total is also an Observation so it charts and compares like any other measure (as gathering does).
    checked = check_value(key, result.total, MEASURES[key].unit)
    home = basis in PERSON_BASES
    observation = Observation.objects.create(
        person=person, measure=key, code=checked.measure.code, display=checked.measure.display,
        value=checked.value, unit=checked.unit, effective_at=when,
        source=Observation.Source.HOME if home else Observation.Source.CLINIC, recorded_by=actor)
    audit.record(actor, AuditAction.CREATE, "Observation", observation.public_id, person=person.public_id,
                 basis=basis, detail={"measure": key, "source": "home" if home else "clinic"})
    return QuestionnaireResponse.objects.create(
        person=person, cycle=cycle, questionnaire=key, answers=list(result.answers), total=result.total,
        band=result.band.label, safety_flag=result.safety_flag, observation=observation, authored_at=when,
        recorded_by=actor)


def _store_scale(actor: User | None, person: Person, result: ScaleScore, when: datetime,
                 cycle: CarePlanningCycle | None) -> QuestionnaireResponse:
    # No Observation: neither scale has a verified SNOMED CT code (clinical-reference.md lists none).
    return QuestionnaireResponse.objects.create(
        person=person, cycle=cycle, questionnaire=result.scale.key, answers=list(result.answers),
        total=result.total, score=result.mean, band=result.band, authored_at=when, recorded_by=actor)


@transaction.atomic
def do_record_questionnaire(actor: User | None, person: Person, key: str, answers: list[int | None], *,
                            basis: AccessBasis | str | None = None, at: datetime | None = None
                            ) -> QuestionnaireResponse:
    """Score and store one questionnaire (PHQ-9, PHQ-2, GAD-7, SEMCD-6 or collaboRATE) from any path: the
    person or their carer online, or staff. A PHQ-9 with question 9 above 0 raises the urgent self-harm
    alert to the care team in the same transaction (hazard H5): it is never only filed."""
    basis = _basis(actor, basis)
    when = at or timezone.now()
    if key in QUESTIONNAIRES:
        result = score(QUESTIONNAIRES[key], answers)
        response = _store_scored(actor, person, result, basis, when, cycles.open_cycle(person))
    elif key in SCALES:
        scale_result = score_scale(SCALES[key], answers)
        if key == COLLABORATE.key:
            # Once per round: lock the round so a double submit cannot store two answers.
            due = collaborate_due(person)
            cycle = CarePlanningCycle.objects.select_for_update().get(pk=due.pk) if due else None
            if cycle is None or QuestionnaireResponse.objects.filter(cycle=cycle, questionnaire=key).exists():
                raise ActionError("There is no care planning conversation to ask about just now, or it has "
                                  "been answered already")
        else:
            cycle = cycles.open_cycle(person)
        response = _store_scale(actor, person, scale_result, when, cycle)
    else:
        raise ActionError("Unknown questionnaire")
    audit.record(actor, AuditAction.CREATE, "QuestionnaireResponse", response.public_id, person=person.public_id,
                 basis=basis, detail={"questionnaire": key, "safety_flag": response.safety_flag})
    if response.safety_flag:
        # Raised by the system on the person's answer: the person or carer is not acting on direct care.
        do_raise_alert(actor if basis == AccessBasis.DIRECT_CARE else None, person, level="red",
                       trigger=SELF_HARM_TRIGGER, message=SELF_HARM_MESSAGE)
    return response
