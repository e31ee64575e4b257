"""Eighteen months of care planning history for the demo practice, so the fidelity and outcomes dashboards
have something true-to-life to show: rounds that went well and rounds with the gaps real practices have.

Each round hangs on a review visit the seed already made (results.py: blood tests a week before, then the
clinic measurements): the clinic visit is the round's information gathering, so the results before and
after a care planning conversation are the person's own seeded results, not extra numbers. Around it:
- the practice started care planning 18 months ago and does more of it each month (from about 35% of
  reviews to about 90%); the other reviews are traditional ones with no round;
- an invitation two to six weeks before, and an offer status (offered, accepted, declined, unable to
  complete) for most people;
- results and a prompt sheet sent one to six days after the visit, except for about 1 in 6 rounds that are
  never prepared; about 6 in 10 of the people prepared send back an agenda;
- the conversation 8 to 32 days after the visit (so results arrive a week before it, or do not), a few
  people who never come, and rounds still in progress when the visit was recent;
- the plan agreed at the conversation and usually shared with the person; one ONE plan per person, with
  goals in the person's own words, in clinical words, or written by the person themselves beforehand;
- a review due 6 or 12 months later: a formal review with goal attainment scores, held on time, late or
  not at all, or the next round's conversation;
- collaboRATE after most conversations, referrals to directory services, and needs no service met.

Stage times are written directly (this is history, not a live action), always in the order of
recall.models.STAGES; recall.cycle is the only code that sets them in a running practice. Everything is
drawn from stream(seed, "history", <person's public id>), so the same seed gives the same history.
"""

from __future__ import annotations

import copy
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.utils import timezone

from ourplan.clinical.models import Condition, Observation
from ourplan.clinical.questionnaires import COLLABORATE, score_scale
from ourplan.core.models import User
from ourplan.demo.practice import DemoConflict
from ourplan.demo.results import UK
from ourplan.demo.rng import DEMO_SOURCE, stream, uuid4
from ourplan.insight.models import CommissionerAccess
from ourplan.people.models import Organisation, Person, Practitioner, StaffMember
from ourplan.planning import snapshot
from ourplan.planning.models import (
    AchievementStatus,
    CarePlan,
    Goal,
    GoalAction,
    LifecycleStatus,
    PlanStatus,
    PlanVersion,
)
from ourplan.planning.models.plan import ABOUT_ME_FIELDS
from ourplan.recall.models import CarePlanningCycle, QuestionnaireResponse
from ourplan.review.gas import t_score_decimal
from ourplan.review.models import (
    GoalAttainment,
    GoalDecision,
    OfferCode,
    OfferStatus,
    PlanReview,
    ReviewKind,
    ReviewOutcome,
)
from ourplan.support.models import Referral, Service, UnmetNeed

MONTHS = 18
BATCH = 2000
COMMISSIONER_USERNAME = "commissioner"
COMMISSIONER = {"first_name": "Chris", "last_name": "Morgan", "body": "NHS Riverside Integrated Care Board (demo)"}
ACTIVE = ("active", "recurrence", "relapse")


@dataclass(frozen=True)
class GoalTemplate:
    """A goal as people put it, as a clinician might translate it, and how it is scored at review."""

    words: str
    clinical: str
    category: str  # planning GoalCategory
    registers: tuple[str, ...]  # registers it suits (empty: anyone)
    support: str  # support Category a referral for it would go to ("" for none)
    gas: tuple[str, str, str, str, str]  # -2 .. +2
    action: str
    unmet: str = ""  # what was missing when no service fitted


GOALS: tuple[GoalTemplate, ...] = (
    GoalTemplate("Walk to my daughter's house without stopping", "Increase walking to 30 minutes a day, 5 days a week",
                 "health", ("HYP", "DM", "CHD", "COPD", "HF"), "physical-activity",
                 ("Not walking more than now", "Walking part of the way", "Walking there without stopping",
                  "Walking there and back", "Walking there most days"), "Walk round the block after lunch",
                 "No walking group at times I can go"),
    GoalTemplate("Get my sugars down so I can keep my driving licence", "HbA1c below 58 mmol/mol within 6 months",
                 "health", ("DM",), "condition-education",
                 ("HbA1c higher than now", "No change", "Below 58", "Below 53", "Below 48"),
                 "Go to the diabetes education course", "No diabetes course in my language"),
    GoalTemplate("Stop getting out of breath on the stairs at home", "Improve exercise tolerance; pulmonary rehab",
                 "health", ("COPD", "AST", "HF"), "physical-activity",
                 ("Worse on the stairs", "No better", "Stairs without stopping", "Stairs and carrying washing",
                  "Stairs twice without stopping"), "Use my inhaler the way the nurse showed me"),
    GoalTemplate("Feel less low and get out of the house more", "Reduce PHQ-9 below 10; behavioural activation",
                 "wellbeing", ("DEPR", "MH"), "mental-wellbeing",
                 ("Going out less", "Out once a week", "Out three times a week", "Out most days",
                  "Out every day and enjoying it"), "Go to the café with my neighbour on Tuesdays",
                 "No talking therapy without a six-month wait"),
    GoalTemplate("Sleep through the night without worrying", "Address anxiety and sleep hygiene",
                 "wellbeing", ("DEPR", "MH"), "mental-wellbeing",
                 ("Sleeping worse", "No change", "Sleeping through most nights", "Sleeping through every night",
                  "Sleeping well and less worried in the day"), "Switch off the television an hour before bed"),
    GoalTemplate("Lose enough weight to play with my grandchildren in the park",
                 "Weight loss of 5% over 6 months; diet and activity", "health", ("DM", "HYP", "CHD"),
                 "physical-activity", ("Gained weight", "No change", "Lost 5%", "Lost 7%", "Lost 10%"),
                 "Swap the evening biscuits for fruit"),
    GoalTemplate("Keep my blood pressure down so I don't have a stroke like my dad",
                 "Systolic BP below 140 mmHg at clinic", "health", ("HYP", "CKD", "STRK"), "condition-education",
                 ("BP higher than now", "No change", "Below 140/90", "Below 135/85", "Below 130/80"),
                 "Take my tablets at breakfast every day"),
    GoalTemplate("Get back to my allotment this spring", "Maintain physical activity and social participation",
                 "daily-living", (), "practical-help",
                 ("Not getting there", "Got there once", "There once a week", "There twice a week",
                  "There most days and growing food"), "Ask my son to drive me on Saturdays",
                 "No transport to the allotments"),
    GoalTemplate("See my friends at the club again", "Reduce social isolation; social prescribing",
                 "social", (), "social-connection",
                 ("Not seeing anyone", "Seen a friend once", "At the club once a month", "At the club every week",
                  "At the club and helping run it"), "Phone Jean about the Thursday club"),
    GoalTemplate("Manage my money so I can heat the house properly", "Financial and housing support; fuel poverty",
                 "daily-living", (), "money-housing",
                 ("Worse off", "No change", "Benefits check done", "Heating on when needed",
                  "Warm home and bills under control"), "Book the benefits check at the advice centre",
                 "No energy advice service this winter"),
    GoalTemplate("Have a break from caring for my husband now and then", "Carer support and respite",
                 "social", (), "carers",
                 ("No break at all", "A few hours once", "Half a day a month", "Half a day a week",
                  "A day a week and a holiday"), "Ask the carers' centre about sitting services",
                 "No respite care available locally"),
    GoalTemplate("Understand my kidney results and what I can eat", "CKD education; dietary advice",
                 "health", ("CKD",), "condition-education",
                 ("More confused", "No change", "Knows what the results mean", "Planning meals with it",
                  "Explaining it to the family"), "Read the kidney leaflet with my wife"),
    GoalTemplate("Go back to work three days a week", "Graded return to work; occupational health",
                 "work", (), "peer-support",
                 ("Off work longer", "No change", "Back one day a week", "Back two days a week",
                  "Back three days a week"), "Talk to my manager about a phased return"),
    GoalTemplate("Talk to other people who have the same condition", "Peer support group",
                 "wellbeing", (), "peer-support",
                 ("Not talked to anyone", "Found a group", "Went once", "Going every month",
                  "Going and helping others"), "Look up the peer group the nurse mentioned",
                 "No peer group for people my age"),
    GoalTemplate("Stop the chest pains stopping me from gardening", "Angina control; cardiac rehabilitation",
                 "health", ("CHD", "HF"), "physical-activity",
                 ("More pain", "No change", "Garden an hour with no pain", "Garden two hours with no pain",
                  "Gardening as I used to"), "Use my spray before I start digging"),
)
CLINICIAN_WORDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # Goals written in clinical language in the person's field: what a clinician-led plan looks like.
    ("HbA1c < 58 mmol/mol", "health", ("DM",)),
    ("BP < 140/90 mmHg", "health", ("HYP", "CKD", "CHD")),
    ("Improve inhaler technique and adherence", "health", ("AST", "COPD")),
    ("Reduce BMI by 2 kg/m2", "health", ("DM", "HYP")),
    ("PHQ-9 < 10 on review", "wellbeing", ("DEPR",)),
    ("Increase activity to 150 min/week", "health", ()),
    ("Statin adherence; non-HDL cholesterol reduction 40%", "health", ("CHD", "DM", "CKD")),
)
WHAT_MATTERS = (
    "Staying independent in my own home", "Seeing my grandchildren grow up", "Keeping my job",
    "Looking after my wife", "Getting out into the garden", "Being able to go to church on Sundays",
    "Not ending up in hospital again", "Going on holiday with my sister",
)
LEVEL_WEIGHTS = {-2: 0.08, -1: 0.22, 0: 0.38, 1: 0.22, 2: 0.10}


@dataclass
class HistoryCounts:
    cycles: int = 0
    plans: int = 0
    goals: int = 0
    reviews: int = 0
    responses: int = 0
    referrals: int = 0


@dataclass
class _Round:
    cycle: CarePlanningCycle
    index: int
    held: datetime | None = None
    agreed: datetime | None = None
    shared: bool = False
    person_goal_at: datetime | None = None  # a goal the person wrote themselves before the conversation
    goals: list[tuple[Goal, str]] = field(default_factory=list)  # new goals and how they were written


@dataclass
class _Person:
    pk: int
    public_id: UUID
    name: str
    postcode: str
    registers: set[str]
    rounds: list[_Round] = field(default_factory=list)


# ---- time helpers ------------------------------------------------------------------------------------------


def _at(day: date, rng: random.Random, start_hour: int = 9, end_hour: int = 17) -> datetime:
    """A working-hours time on `day` (weekends move back to Friday, as results.when does)."""
    if day.weekday() >= 5:
        day -= timedelta(days=day.weekday() - 4)
    minutes = rng.randrange(start_hour * 60, end_hour * 60, 5)
    return datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=UK)


def _later(after: datetime, rng: random.Random, low_days: int, high_days: int) -> datetime:
    """A working-hours time `low_days`..`high_days` after `after`, and always after it."""
    when = _at((after + timedelta(days=rng.randint(low_days, high_days))).date(), rng)
    return when if when > after else after + timedelta(minutes=rng.randint(20, 240))


def _months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, d)
        except ValueError:
            continue
    raise ValueError(day)


# ---- reading what the seed made -----------------------------------------------------------------------------


def _people(practice: Organisation) -> list[_Person]:
    """Everyone on a register at the demo practice except people with a login (Margaret's story is written
    by hand in featured.py), with the clinic visits of the last 18 months that were annual reviews."""
    registers: dict[int, set[str]] = defaultdict(set)
    for person_id, register in (Condition.objects.filter(person__practice=practice, clinical_status__in=ACTIVE)
                                .exclude(register="").values_list("person_id", "register")):
        registers[person_id].add(register)
    people = {
        pk: _Person(pk, public_id, f"{given} {family}".strip(), postcode, registers[pk])
        for pk, public_id, given, family, postcode in Person.objects.filter(
            practice=practice, source_system=DEMO_SOURCE, user__isnull=True, pk__in=list(registers))
        .order_by("pk").values_list("pk", "public_id", "given_name", "family_name", "postcode")
    }
    return list(people.values())


def _review_visits(practice: Organisation, start: datetime, cutoff: datetime) -> dict[int, list[datetime]]:
    """person id -> the clinic visits in the window that were annual reviews. The seed weighs people only at
    their annual review, so a visit with a weight is a review; people never weighed (children) have every
    visit a year or more apart counted instead."""
    visits: dict[int, set[datetime]] = defaultdict(set)
    weighed: dict[int, set[datetime]] = defaultdict(set)
    for person_id, at, measure in (Observation.objects.filter(
            person__practice=practice, source=Observation.Source.CLINIC, effective_at__gte=start,
            effective_at__lte=cutoff).values_list("person_id", "effective_at", "measure")):
        visits[person_id].add(at)
        if measure == "weight":
            weighed[person_id].add(at)
    out: dict[int, list[datetime]] = {}
    for person_id, seen in visits.items():
        chosen = sorted(weighed.get(person_id) or seen)
        spaced: list[datetime] = []
        for at in chosen:
            if not spaced or at - spaced[-1] > timedelta(days=300):
                spaced.append(at)
        out[person_id] = spaced
    return out


# ---- the history -------------------------------------------------------------------------------------------


class _Writer:
    """Collects rows in memory and writes each model with bulk_create, in dependency order."""

    def __init__(self, practice: Organisation, users: dict[str, User], today: date, cutoff: datetime):
        self.practice = practice
        self.users = users
        self.today = today
        self.cutoff = cutoff
        self.cycles: list[CarePlanningCycle] = []
        self.offers: list[OfferStatus] = []
        self.responses: list[QuestionnaireResponse] = []
        self.people: list[_Person] = []
        self.reviewer = StaffMember.objects.filter(organisation=practice, practitioner__user=users["clinician"]).first()

    # -- rounds --

    def rounds_for(self, person: _Person, visits: list[datetime], start: date, rng: random.Random) -> None:
        span = max((self.today - start).days, 1)
        for n, seen in enumerate(visits):
            last = n == len(visits) - 1
            progress = min(max((seen.date() - start).days / span, 0.0), 1.0)
            if rng.random() > 0.35 + 0.55 * progress:
                if rng.random() < 0.3:  # recorded as not offered: the practice chose a traditional review
                    self.offers.append(self._offer(person, None, OfferCode.NOT_OFFERED, seen, rng))
                continue
            self._round(person, seen, last, rng)

    def _offer(self, person: _Person, cycle: CarePlanningCycle | None, code: str, at: datetime,
               rng: random.Random) -> OfferStatus:
        return OfferStatus(public_id=uuid4(rng), created_at=at, updated_at=at, person_id=person.pk, cycle=cycle,
                           code=code, recorded_at=at, recorded_by=self.users["clinician"])

    def _round(self, person: _Person, seen: datetime, last: bool, rng: random.Random) -> None:
        invited = _at((seen - timedelta(days=rng.randint(14, 42))).date(), rng)
        cycle = CarePlanningCycle(
            public_id=uuid4(rng), created_at=invited, updated_at=invited, person_id=person.pk,
            practice=self.practice, registers=sorted(person.registers), invited_at=invited,
            status=CarePlanningCycle.Status.OPEN, started_by=self.users["clinician"],
        )
        r = _Round(cycle, len(person.rounds))
        person.rounds.append(r)
        self.cycles.append(cycle)
        offered = rng.random() < 0.75
        if offered:
            self.offers.append(self._offer(person, cycle, OfferCode.OFFERED, invited, rng))
        roll = rng.random()
        if roll < 0.07:  # declined when invited: a traditional review instead
            self.offers.append(self._offer(person, cycle, OfferCode.DECLINED, _later(invited, rng, 2, 10), rng))
            self._close(cycle, _later(invited, rng, 2, 10), cancelled=True)
            return
        if offered and rng.random() < 0.6:
            self.offers.append(self._offer(person, cycle, OfferCode.ACCEPTED, _later(invited, rng, 1, 7), rng))
        cycle.information_gathered_at = seen
        if roll < 0.10:  # could not go on (an admission, a move, a bereavement)
            self.offers.append(self._offer(person, cycle, OfferCode.UNABLE_TO_COMPLETE, _later(seen, rng, 5, 20),
                                           rng))
            self._close(cycle, _later(seen, rng, 5, 20), cancelled=True)
            return
        held = _later(seen, rng, 8, 32)
        stages: list[tuple[str, datetime]] = []
        if rng.random() > 0.17:  # about 1 in 6 rounds are never prepared
            sent = _later(seen, rng, 1, 6)
            stages.append(("preparation_sent", sent))
            if rng.random() < 0.65:
                stages.append(("preparation_opened", _later(sent, rng, 0, 4)))
            if rng.random() < 0.6:
                stages.append(("agenda_received", _later(stages[-1][1], rng, 1, 7)))
        previous = stages[-1][1] if stages else seen
        stages.append(("conversation_booked", previous + timedelta(minutes=rng.randint(30, 600))))
        # Keep each stage before the conversation: an agenda that would arrive after it was not returned.
        stages = [(s, at) for s, at in stages if at < held - timedelta(hours=1)]
        for stage, at in stages:
            if at <= self.cutoff:
                setattr(cycle, f"{stage}_at", at)
        if held > self.cutoff or rng.random() < 0.06:
            # In progress (the visit was recent), or the person never came: a recent round stays open, an old
            # one was given up.
            if not (last and held - self.cutoff < timedelta(days=60) and seen > self.cutoff - timedelta(days=75)):
                self._close(cycle, min(held + timedelta(days=30), self.cutoff), cancelled=True)
            return
        if any(s == "agenda_received" for s, _ in stages) and rng.random() < 0.35:
            r.person_goal_at = cycle.agenda_received_at
        cycle.conversation_held_at = held
        r.held = held
        if rng.random() < 0.07:  # talked, but the plan was not agreed that day and the round lapsed
            self._close(cycle, held + timedelta(days=45), cancelled=True)
            return
        cycle.plan_agreed_at = held
        r.agreed = held
        if rng.random() < 0.88:
            cycle.plan_shared_at = held
            r.shared = True
        cycle.review_due = _months(held.date(), 6 if rng.random() < 0.3 else 12)
        self._close(cycle, held, cancelled=False)
        if rng.random() < 0.7:
            self.responses.append(self._collaborate(person, cycle, held, rng))

    def _close(self, cycle: CarePlanningCycle, at: datetime, *, cancelled: bool) -> None:
        cycle.status = CarePlanningCycle.Status.CANCELLED if cancelled else CarePlanningCycle.Status.COMPLETED
        cycle.closed_at = min(at, self.cutoff)
        cycle.updated_at = cycle.closed_at

    def _collaborate(self, person: _Person, cycle: CarePlanningCycle, held: datetime,
                     rng: random.Random) -> QuestionnaireResponse:
        if rng.random() < 0.45:
            answers: list[int | None] = [9, 9, 9]
        else:
            answers = [rng.randint(4, 9) for _ in range(3)]
            answers[rng.randrange(3)] = rng.randint(3, 8)
        result = score_scale(COLLABORATE, answers)
        at = min(held + timedelta(hours=rng.randint(1, 72)), self.cutoff)
        return QuestionnaireResponse(
            public_id=uuid4(rng), created_at=at, updated_at=at, person_id=person.pk, cycle=cycle,
            questionnaire=COLLABORATE.key, answers=answers, total=result.total, score=result.mean, band=result.band,
            authored_at=at,
        )


@dataclass
class _PlanBuild:
    plan: CarePlan
    person: _Person
    goals: list[Goal] = field(default_factory=list)
    actions: dict[int, list[GoalAction]] = field(default_factory=dict)  # id(goal) -> its actions
    versions: list[tuple[datetime, str, str, str, dict[int, dict[str, Any]]]] = field(default_factory=list)
    reviews: list[tuple[PlanReview, list[GoalAttainment]]] = field(default_factory=list)


class _Plans:
    """Plans, goals, versions, reviews and referrals for people with at least one agreed plan."""

    def __init__(self, writer: _Writer, services: dict[str, list[Service]]):
        self.w = writer
        self.services = services
        self.builds: list[_PlanBuild] = []
        self.referrals: list[Referral] = []
        self.unmet: list[UnmetNeed] = []

    def build(self, person: _Person, rng: random.Random) -> None:
        agreed = [r for r in person.rounds if r.agreed is not None]
        if not agreed:
            return
        first = agreed[0]
        assert first.held is not None and first.agreed is not None
        started = first.person_goal_at - timedelta(days=2) if first.person_goal_at else first.held - timedelta(
            minutes=20)
        latest = agreed[-1]
        plan = CarePlan(
            public_id=uuid4(rng), created_at=started, updated_at=latest.agreed or started, person_id=person.pk,
            status=PlanStatus.ACTIVE, what_matters=rng.choice(WHAT_MATTERS), agreed_by_name=person.name,
            agreed_by_role="The person", agreed_at=latest.agreed, agreed_with=self.w.users["clinician"],
            review_date=latest.cycle.review_due, review_responsible=self.w.reviewer, shared_with_person=latest.shared,
        )
        b = _PlanBuild(plan, person)
        self.builds.append(b)
        # Each version: (time, author kind, author label, summary, {id(goal): field overrides at that time}).
        b.versions.append((started, PlanVersion.AuthorKind.STAFF, "Megan Jones", "Plan started", {}))
        for n, r in enumerate(agreed):
            assert r.held is not None and r.agreed is not None
            if n > 0:
                self._review_at_round(b, r, rng)
            self._goals_for_round(b, r, first_round=n == 0, rng=rng)
            b.versions.append((r.agreed, PlanVersion.AuthorKind.STAFF, "Megan Jones",
                               f"Plan agreed with {person.name} (The person)", {}))
            self._six_month_review(b, r, agreed[n + 1] if n + 1 < len(agreed) else None, rng)

    def _pick(self, person: _Person, taken: set[str], rng: random.Random) -> GoalTemplate:
        fitting = [t for t in GOALS
                   if t.words not in taken and (not t.registers or set(t.registers) & person.registers)]
        return rng.choice(fitting or list(GOALS))

    def _goals_for_round(self, b: _PlanBuild, r: _Round, *, first_round: bool, rng: random.Random) -> None:
        assert r.held is not None
        clinician_led = rng.random() < 0.3
        taken = {g.person_words for g in b.goals}
        count = rng.choice((1, 1, 2, 2, 3)) if first_round else rng.choice((0, 1, 1, 2))
        if r.person_goal_at and count == 0:
            count = 1
        staff_goals: list[Goal] = []
        for i in range(count):
            template = self._pick(b.person, taken, rng)
            taken.add(template.words)
            own = i == 0 and r.person_goal_at is not None
            at = r.person_goal_at if own and r.person_goal_at else r.held - timedelta(minutes=15 - i)
            if own or not clinician_led:
                words = template.words
                translation = template.clinical if own or rng.random() < 0.8 else ""
                category, registers = template.category, [k for k in template.registers if k in b.person.registers]
            else:
                fitting = [c for c in CLINICIAN_WORDS if not c[2] or set(c[2]) & b.person.registers]
                words, category, regs = rng.choice(fitting)
                translation, registers = "", [k for k in regs if k in b.person.registers]
            goal = Goal(
                public_id=uuid4(rng), created_at=at, updated_at=at, plan=b.plan, person_words=words,
                clinical_translation=translation, category=category, registers=registers,
                importance=rng.randint(5, 10), confidence=rng.randint(3, 10),
                lifecycle_status=LifecycleStatus.ACTIVE, achievement_status=AchievementStatus.IN_PROGRESS,
                gas_minus2=template.gas[0], gas_minus1=template.gas[1], gas_zero=template.gas[2],
                gas_plus1=template.gas[3], gas_plus2=template.gas[4],
            )
            b.goals.append(goal)
            b.actions[id(goal)] = [GoalAction(
                public_id=uuid4(rng), created_at=at, updated_at=at, goal=goal, what=template.action,
                when="This month", how_often="Every week", helper_kind=GoalAction.HelperKind.SELF,
            )]
            r.goals.append((goal, "person" if own else "clinical" if clinician_led else "staff"))
            if own:
                # The person wrote it in their prompt-sheet answers and added it to their plan themselves.
                b.versions.append((at, PlanVersion.AuthorKind.PERSON, b.person.name,
                                   f"Goal added: {words[:80]}", {}))
            else:
                staff_goals.append(goal)
            self._support(b, goal, template, r.held, rng)
        if staff_goals:
            summary = (f"Goal added: {staff_goals[0].person_words[:80]}" if len(staff_goals) == 1
                       else f"{len(staff_goals)} goals added in the conversation")
            b.versions.append((max(g.created_at for g in staff_goals), PlanVersion.AuthorKind.STAFF, "Megan Jones",
                               summary, {}))

    def _support(self, b: _PlanBuild, goal: Goal, template: GoalTemplate, held: datetime, rng: random.Random) -> None:
        """A referral for some goals, and a need no service met for a few."""
        if not template.support:
            return
        roll = rng.random()
        at = _later(held, rng, 1, 10)
        if at > self.w.cutoff:
            return
        if roll < 0.35 and self.services.get(template.support):
            self.referrals.append(self._referral(b, goal, rng.choice(self.services[template.support]), at, rng))
        elif roll < 0.45 and template.unmet:
            self.unmet.append(UnmetNeed(
                public_id=uuid4(rng), created_at=at, updated_at=at, category=template.support,
                description=template.unmet, area=b.person.postcode.split(" ")[0][:4], person_id=b.person.pk,
                recorded_by=self.w.users["prescriber"],
            ))

    def _referral(self, b: _PlanBuild, goal: Goal, service: Service, at: datetime, rng: random.Random) -> Referral:
        status = rng.choices(["sent", "accepted", "declined", "attended", "finished"], [2, 2, 1, 3, 3])[0]
        times: dict[str, datetime | None] = {"accepted_at": None, "declined_at": None, "attended_at": None,
                                             "finished_at": None}
        step = at
        for name in {"sent": [], "accepted": ["accepted_at"], "declined": ["declined_at"],
                     "attended": ["accepted_at", "attended_at"],
                     "finished": ["accepted_at", "attended_at", "finished_at"]}[status]:
            step = _later(step, rng, 3, 21)
            if step > self.w.cutoff:
                break
            times[name] = step
        reached = [k for k, v in times.items() if v is not None]
        final = {"accepted_at": "accepted", "declined_at": "declined", "attended_at": "attended",
                 "finished_at": "finished"}[reached[-1]] if reached else "sent"
        return Referral(
            public_id=uuid4(rng), created_at=at, updated_at=at, person_id=b.person.pk, service=service,
            kind=rng.choice(["referral", "signposting"]), reason=goal.person_words, consent_given=True,
            status=final, sent_at=at, created_by=self.w.users["prescriber"], goal_public_id=goal.public_id, **times,
        )

    def _score(self, b: _PlanBuild, review: PlanReview, at: datetime, rng: random.Random, *,
               decide: bool) -> None:
        goals = [g for g in b.goals if g.created_at < at and g.lifecycle_status == LifecycleStatus.ACTIVE]
        if not goals:
            return
        scored: list[GoalAttainment] = []
        changes: dict[int, dict[str, Any]] = {}
        for g in goals:
            level = rng.choices(list(LEVEL_WEIGHTS), list(LEVEL_WEIGHTS.values()))[0]
            weight = 1 if rng.random() < 0.6 else rng.randint(1, 3)
            decision = GoalDecision.KEPT
            if decide:
                roll = rng.random()
                if level >= 1 and roll < 0.55:
                    decision = GoalDecision.ACHIEVED
                elif level == -2 and roll < 0.35:
                    decision = GoalDecision.DROPPED
                elif roll < 0.15:
                    decision = GoalDecision.CHANGED
            scored.append(GoalAttainment(public_id=uuid4(rng), created_at=at, updated_at=at, review=review, goal=g,
                                         level=level, weight=weight, decision=decision))
            if decision == GoalDecision.ACHIEVED:
                g.lifecycle_status, g.achievement_status = LifecycleStatus.COMPLETED, AchievementStatus.ACHIEVED
            elif decision == GoalDecision.DROPPED:
                g.lifecycle_status, g.achievement_status = LifecycleStatus.CANCELLED, AchievementStatus.NOT_ACHIEVED
            else:
                g.achievement_status = (AchievementStatus.IMPROVING if level > 0 else AchievementStatus.NO_CHANGE
                                        if level == 0 else AchievementStatus.WORSENING)
            g.updated_at = at
            changes[id(g)] = {"lifecycle_status": g.lifecycle_status, "achievement_status": g.achievement_status}
        review.t_score = t_score_decimal([(a.level, a.weight) for a in scored])
        b.reviews.append((review, scored))
        b.versions.append((at, PlanVersion.AuthorKind.STAFF, "Megan Jones", "Plan reviewed: goals scored", changes))

    def _review_at_round(self, b: _PlanBuild, r: _Round, rng: random.Random) -> None:
        """The next round's conversation reviews the plan it follows: goals scored and decided on."""
        assert r.held is not None
        at = r.held - timedelta(minutes=30)
        review = PlanReview(public_id=uuid4(rng), created_at=at, updated_at=at, person_id=b.person.pk, plan=b.plan,
                            cycle=r.cycle, kind=ReviewKind.FORMAL, held_at=at, held_by=self.w.users["clinician"],
                            outcome=ReviewOutcome.RE_AGREED, completed=True,
                            summary="Reviewed at the yearly care planning conversation")
        self._score(b, review, at, rng, decide=True)

    def _six_month_review(self, b: _PlanBuild, r: _Round, following: _Round | None, rng: random.Random) -> None:
        """A review due in 6 months is held on time, late or not at all; some plans also get a phone call."""
        assert r.agreed is not None and r.cycle.review_due is not None
        due = r.cycle.review_due
        if rng.random() < 0.25:
            call = _later(r.agreed, rng, 50, 110)
            if call <= self.w.cutoff and (following is None or following.held is None or call < following.held):
                b.reviews.append((PlanReview(
                    public_id=uuid4(rng), created_at=call, updated_at=call, person_id=b.person.pk, plan=b.plan,
                    cycle=r.cycle, kind=ReviewKind.INFORMAL_PHONE, held_at=call, held_by=self.w.users["clinician"],
                    outcome=ReviewOutcome.CONTINUED, completed=True, summary="Phone call: how the goals are going",
                ), []))
        if (due - r.agreed.date()).days > 250:
            return  # a yearly review: the next round's conversation is the review
        roll = rng.random()
        if roll < 0.15:
            return  # never held: shows as late on the dashboard
        delay = rng.randint(-14, 20) if roll < 0.8 else rng.randint(35, 90)
        at = _at(due + timedelta(days=delay), rng)
        if at > self.w.cutoff or (following is not None and following.held is not None and at >= following.held):
            return
        review = PlanReview(public_id=uuid4(rng), created_at=at, updated_at=at, person_id=b.person.pk, plan=b.plan,
                            cycle=r.cycle, kind=ReviewKind.FORMAL, held_at=at, held_by=self.w.users["clinician"],
                            outcome=ReviewOutcome.CONTINUED, completed=True, summary="Six-month review")
        self._score(b, review, at, rng, decide=True)

    # -- writing --

    def write(self) -> tuple[int, int, int]:
        plans = [b.plan for b in self.builds]
        CarePlan.objects.bulk_create(plans, batch_size=BATCH)
        goals = [g for b in self.builds for g in b.goals]
        for b in self.builds:
            for g in b.goals:
                g.plan = b.plan
        Goal.objects.bulk_create(goals, batch_size=BATCH)
        actions = []
        for b in self.builds:
            for g in b.goals:
                for a in b.actions[id(g)]:
                    a.goal = g
                    actions.append(a)
        GoalAction.objects.bulk_create(actions, batch_size=BATCH)
        versions = []
        for b in self.builds:
            versions += self._versions(b)
        PlanVersion.objects.bulk_create(versions, batch_size=500)
        # A plan's version counts its changes (planning.actions); the edits there expect it to match.
        CarePlan.objects.bulk_update(plans, ["version"], batch_size=BATCH)
        reviews = [rev for b in self.builds for rev, _ in b.reviews]
        PlanReview.objects.bulk_create(reviews, batch_size=BATCH)
        scored: list[GoalAttainment] = []
        for b in self.builds:
            for rev, attainments in b.reviews:
                for attainment in attainments:
                    attainment.review = rev
                    scored.append(attainment)
        GoalAttainment.objects.bulk_create(scored, batch_size=BATCH)
        Referral.objects.bulk_create(self.referrals, batch_size=BATCH)
        # An unmet need outlives its person (SET_NULL, so the area's need is still counted), so --reset leaves
        # the last seed's needs behind with no person. The demo prescriber recorded them: remove them first.
        UnmetNeed.objects.filter(person__isnull=True, recorded_by=self.w.users["prescriber"]).delete()
        UnmetNeed.objects.bulk_create(self.unmet, batch_size=BATCH)
        return len(plans), len(goals), len(reviews)

    def _versions(self, b: _PlanBuild) -> list[PlanVersion]:
        """A snapshot per version, as the plan stood then: the goals created by then, in their state then."""
        out: list[PlanVersion] = []
        previous: dict[str, Any] | None = None
        states: dict[int, dict[str, Any]] = {
            id(g): {"lifecycle_status": LifecycleStatus.ACTIVE, "achievement_status": AchievementStatus.IN_PROGRESS}
            for g in b.goals
        }
        ordered = sorted(b.versions, key=lambda v: v[0])
        plan_state: dict[str, Any] = {"agreed_at": None, "review_date": None, "shared_with_person": True,
                                      "status": PlanStatus.DRAFT, "agreed_by_name": "", "agreed_by_role": ""}
        agreed_rounds = iter([r for r in b.person.rounds if r.agreed is not None])
        for number, (at, kind, label, summary, changes) in enumerate(ordered, start=1):
            for goal_id, state in changes.items():
                states[goal_id] = state
            if summary.startswith("Plan agreed"):
                r = next(agreed_rounds)
                # In UTC, as a live plan's snapshot holds it (read back from the database).
                plan_state.update(agreed_at=r.agreed.astimezone(UTC) if r.agreed else None,
                                  review_date=r.cycle.review_due, shared_with_person=r.shared,
                                  status=PlanStatus.ACTIVE, agreed_by_name=b.person.name, agreed_by_role="The person")
            goals = [g for g in b.goals if g.created_at <= at]
            snap = _snapshot(b.plan, plan_state, goals, states, b.actions, self.w.reviewer)
            out.append(PlanVersion(
                plan=b.plan, number=number, author=None, author_label=label, author_kind=kind, at=at,
                summary=summary[:300], changed=snapshot.changed_paths(previous, snap), snapshot=snap,
            ))
            previous = snap
        b.plan.version = len(out)
        return out


def _snapshot(plan: CarePlan, plan_state: dict[str, Any], goals: list[Goal], states: dict[int, dict[str, Any]],
              actions: dict[int, list[GoalAction]], reviewer: StaffMember | None) -> dict[str, Any]:
    """The plan as planning.snapshot.build would read it from the database at that moment (a test checks
    they agree for the final version), built from the rows in memory so no query is made per version."""
    shown = []
    for g in goals:
        at_the_time = copy.copy(g)
        for k, v in states[id(g)].items():
            setattr(at_the_time, k, v)
        at_the_time._prefetched_objects_cache = {"actions": actions[id(g)]}  # type: ignore[attr-defined]
        shown.append(snapshot._goal(at_the_time))
    state = {**{f: getattr(plan, f) for f in snapshot.PLAN_FIELDS}, **plan_state}
    return {
        "plan": {
            **{f: snapshot._json(state[f]) for f in snapshot.PLAN_FIELDS},
            "public_id": str(plan.public_id), "intent": plan.intent,
            "label": PlanStatus(state["status"]).label,
            "review_responsible": reviewer.pk if reviewer else None,
            "review_responsible_label": snapshot._staff_label(reviewer) if reviewer else "",
        },
        "about": {f: getattr(plan, f) for f in ABOUT_ME_FIELDS},
        "goals": shown,
        "contingencies": [],
        "decisions": [],
        "budget": None,
    }


def _services() -> dict[str, list[Service]]:
    """Active directory services by category; the demo directory is seeded first if there is none."""
    if not Service.objects.filter(active=True).exists():
        from ourplan.support.demo_services import seed_services

        seed_services()
    out: dict[str, list[Service]] = defaultdict(list)
    for service in Service.objects.filter(active=True).order_by("name", "pk"):
        for code in service.category_codes.split():
            out[code].append(service)
    return out


# ---- the commissioner ---------------------------------------------------------------------------------------


def commissioner_login(practice: Organisation, password_hash: str, seed: int) -> User:
    """The `commissioner` demo login: sees the demo practice's aggregates, and is not practice staff."""
    user = User.objects.filter(username=COMMISSIONER_USERNAME).first()
    if user is not None and (user.is_superuser or user.is_staff
                             or Practitioner.objects.filter(user=user).exclude(source_system=DEMO_SOURCE).exists()
                             or Person.objects.filter(user=user).exclude(source_system=DEMO_SOURCE).exists()):
        raise DemoConflict(f"The login {COMMISSIONER_USERNAME} already exists as a real login; seed-demo will not "
                           "give it the demo password. Rename it or use another database.")
    if user is None:
        user = User(username=COMMISSIONER_USERNAME, public_id=uuid4(stream(seed, "user", COMMISSIONER_USERNAME)))
    user.first_name, user.last_name = COMMISSIONER["first_name"], COMMISSIONER["last_name"]
    user.password = password_hash
    user.is_active = True
    user.save()
    access, _ = CommissionerAccess.objects.get_or_create(
        user=user, defaults={"public_id": uuid4(stream(seed, "commissioner")), "body": COMMISSIONER["body"]})
    access.active = True
    access.body = COMMISSIONER["body"]
    access.save()
    access.organisations.add(practice)
    return user


# ---- entry point --------------------------------------------------------------------------------------------


def seed_history(practice: Organisation, users: dict[str, User], seed: int, today: date) -> HistoryCounts:
    """Write the history for everyone on a register at `practice` (see the module docstring)."""
    start = today - timedelta(days=round(MONTHS * 30.44))
    start_at = datetime.combine(start, time.min, tzinfo=UK)
    # History ends at the start of `today`: nothing in the future, and the same --today gives the same history
    # however late in the day the seed runs.
    cutoff = min(timezone.now(), datetime.combine(today, time.min, tzinfo=UK))
    visits = _review_visits(practice, start_at, cutoff)
    writer = _Writer(practice, users, today, cutoff)
    people = _people(practice)
    for person in people:
        if person.pk in visits:
            writer.rounds_for(person, visits[person.pk], start, stream(seed, "history", person.public_id))
    CarePlanningCycle.objects.bulk_create(writer.cycles, batch_size=BATCH)
    OfferStatus.objects.bulk_create(writer.offers, batch_size=BATCH)
    QuestionnaireResponse.objects.bulk_create(writer.responses, batch_size=BATCH)
    plans = _Plans(writer, _services())
    for person in people:
        plans.build(person, stream(seed, "history-plan", person.public_id))
    n_plans, n_goals, n_reviews = plans.write()
    commissioner_login(practice, users["clinician"].password, seed)
    return HistoryCounts(len(writer.cycles), n_plans, n_goals, n_reviews, len(writer.responses), len(plans.referrals))


__all__ = ["COMMISSIONER_USERNAME", "GOALS", "HistoryCounts", "commissioner_login", "seed_history"]
