"""Process fidelity: is care planning actually happening, as designed? Every figure is derived from what
the software recorded as it happened (CarePlanningCycle timestamps set only by recall.cycle, plan versions,
offer statuses, reviews, questionnaire responses), never typed in.

Each figure is one definition used twice: `counts` groups it by practice in one aggregate query (the
dashboard), and `members` lists the rows behind it with a counted/not-counted flag (the drill-down, for
practice staff only). Both read the same annotated queryset, so a drill-down lists exactly the people the
figure counts. The rules, in words, are in docs/insight.md.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Lower
from django.utils import timezone

from ourplan.clinical.models import Condition
from ourplan.clinical.questionnaires import COLLABORATE, TOP_BOX
from ourplan.people.models import Person
from ourplan.planning.models import Goal, LifecycleStatus, PlanVersion
from ourplan.recall.models import CarePlanningCycle, QuestionnaireResponse
from ourplan.review.models import OfferCode, OfferStatus, PlanReview, ReviewKind

from .scope import Period

ACTIVE_CONDITION = ("active", "recurrence", "relapse")
# An offer was made whatever the answer: offered, accepted, declined, or offered but unable to complete.
OFFER_MADE = (OfferCode.OFFERED, OfferCode.ACCEPTED, OfferCode.DECLINED, OfferCode.UNABLE_TO_COMPLETE)
PREPARATION_LEAD_DAYS = 7  # the design: results reach the person one to two weeks before the conversation
REVIEW_GRACE_DAYS = 30  # a review this many days after its due date still counts as on time
# The national baseline: about 1 in 20 people with a long-term condition say they were involved in
# personalised care planning of this kind (issue 8 and the design brief). A reference line, not our data.
NATIONAL_BASELINE = Fraction(1, 20)
NATIONAL_BASELINE_TEXT = "about 1 in 20 (5%) nationally"
PERSON_AUTHORS = (PlanVersion.AuthorKind.PERSON, PlanVersion.AuthorKind.REPRESENTATIVE)

Counts = dict[int, tuple[int, int]]  # practice id -> (counted, out of)


@dataclass(frozen=True)
class Member:
    """One row behind a figure: whose it is, whether it counted, and the date that placed it in the period."""

    person_id: int
    practice_id: int
    counted: bool
    when: date | datetime | None
    detail: str = ""
    value: float | None = None  # for sorting a drill-down (days between stages)


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    counted_label: str  # what the numerator counts
    out_of_label: str  # what the denominator counts
    how: str  # the rule in one or two sentences, shown under the table
    counts: Callable[[QuerySet[Person], Period, date], Counts]
    members: Callable[[QuerySet[Person], Period, date], list[Member]]
    baseline: Fraction | None = None
    baseline_text: str = ""


def _flag(condition: Q | Exists) -> Case:
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def _group(qs: QuerySet[Any], practice_path: str) -> Counts:
    # "org", not "practice": an annotation may not reuse a model field's name (Person.practice).
    rows = (qs.order_by().values(org=F(practice_path))
            .annotate(den=Count("pk"), num=Count("pk", filter=Q(counted=True))))
    return {r["org"]: (r["num"], r["den"]) for r in rows}


def _sql_figure(build: Callable[[QuerySet[Person], Period, date], QuerySet[Any]], *, person_path: str,
                practice_path: str, when: str,
                detail: Callable[[dict[str, Any]], str] | None = None,
                extra: tuple[str, ...] = ()) -> tuple[Callable[..., Counts], Callable[..., list[Member]]]:
    """counts() and members() for a figure defined by a queryset annotated with `counted`."""

    def counts(people: QuerySet[Person], period: Period, today: date) -> Counts:
        return _group(build(people, period, today), practice_path)

    def members(people: QuerySet[Person], period: Period, today: date) -> list[Member]:
        rows = build(people, period, today).order_by().values(
            "counted", *extra, who=F(person_path), org=F(practice_path), placed=F(when))
        return [Member(r["who"], r["org"], r["counted"], r["placed"], detail(r) if detail else "")
                for r in rows]

    return counts, members


# ---- the denominators ------------------------------------------------------------------------------------


def on_register(people: QuerySet[Person]) -> QuerySet[Person]:
    """People with an active condition on an LTC register (now)."""
    return people.filter(Exists(
        Condition.objects.filter(person=OuterRef("pk"), clinical_status__in=ACTIVE_CONDITION).exclude(register="")
    ))


def _cycles(people: QuerySet[Person]) -> QuerySet[CarePlanningCycle]:
    return CarePlanningCycle.objects.filter(person__in=people.values("pk"))


def _within(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start_at, f"{field}__lt": period.end_at})


# ---- 1 and 2: offered, and had, care planning ------------------------------------------------------------


def _offered(people: QuerySet[Person], period: Period, today: date) -> QuerySet[Person]:
    offer = OfferStatus.objects.filter(person=OuterRef("pk"), code__in=OFFER_MADE,
                                       recorded_at__gte=period.start_at, recorded_at__lt=period.end_at)
    invite = CarePlanningCycle.objects.filter(_within("invited_at", period), person=OuterRef("pk"))
    return on_register(people).annotate(
        counted=_flag(Q(Exists(offer)) | Q(Exists(invite))),
        placed_at=Subquery(invite.order_by("-invited_at").values("invited_at")[:1]),
    )


def _had(people: QuerySet[Person], period: Period, today: date) -> QuerySet[Person]:
    held = CarePlanningCycle.objects.filter(_within("conversation_held_at", period), person=OuterRef("pk"))
    return on_register(people).annotate(
        counted=_flag(Exists(held)),
        placed_at=Subquery(held.order_by("-conversation_held_at").values("conversation_held_at")[:1]),
    )


# ---- 3 to 6: preparation, agenda, own words, plan agreed and shared -------------------------------------


def _prepared(people: QuerySet[Person], period: Period, today: date) -> QuerySet[CarePlanningCycle]:
    lead = timedelta(days=PREPARATION_LEAD_DAYS)
    return _cycles(people).filter(_within("conversation_held_at", period)).annotate(
        counted=_flag(Q(preparation_sent_at__isnull=False, preparation_sent_at__lte=F("conversation_held_at") - lead))
    )


def _prepared_detail(row: dict[str, Any]) -> str:
    sent, held = row["preparation_sent_at"], row["placed"]
    if sent is None:
        return "No results sent"
    days = (held - sent).days
    return f"Results sent {days} day{'s' if days != 1 else ''} before"


def _agenda(people: QuerySet[Person], period: Period, today: date) -> QuerySet[CarePlanningCycle]:
    return _cycles(people).filter(_within("preparation_sent_at", period)).annotate(
        counted=_flag(Q(agenda_received_at__isnull=False))
    )


def _own_words(people: QuerySet[Person], period: Period, today: date) -> QuerySet[CarePlanningCycle]:
    """A plan agreed in the period counts when, at agreement, it held at least one goal in the person's own
    words: (a) the person or their representative wrote or changed a goal's words themselves (a plan version
    they authored, before agreement, changed a goal's person_words), or (b) the care team kept the person's
    words with a separate clinical translation that differs from them. A goal with a single wording typed by
    staff is not counted: the record cannot show whose words those are."""
    translated = (
        Goal.objects.filter(plan__person=OuterRef("person"), created_at__lte=OuterRef("plan_agreed_at"))
        .exclude(lifecycle_status=LifecycleStatus.ENTERED_IN_ERROR).exclude(person_words="")
        .exclude(clinical_translation="")
        .annotate(words=Lower("person_words"), translation=Lower("clinical_translation"))
        .exclude(words=F("translation"))
    )
    # PlanVersion.changed is a JSON list of paths such as "goal:<uuid>.person_words"; as text, a substring
    # test finds them on SQLite and PostgreSQL alike (JSON containment is PostgreSQL only).
    written = (
        PlanVersion.objects.filter(plan__person=OuterRef("person"), author_kind__in=PERSON_AUTHORS,
                                   at__lte=OuterRef("plan_agreed_at"))
        .annotate(changed_text=Cast("changed", TextField())).filter(changed_text__contains=".person_words")
    )
    return _cycles(people).filter(_within("plan_agreed_at", period)).annotate(
        counted=_flag(Q(Exists(written)) | Q(Exists(translated)))
    )


def _shared(people: QuerySet[Person], period: Period, today: date) -> QuerySet[CarePlanningCycle]:
    return _cycles(people).filter(_within("conversation_held_at", period)).annotate(
        counted=_flag(Q(plan_agreed_at__isnull=False, plan_shared_at__isnull=False))
    )


def _shared_detail(row: dict[str, Any]) -> str:
    if row["plan_agreed_at"] is None:
        return "No plan agreed"
    return "Agreed and shared" if row["plan_shared_at"] else "Agreed, not shared with the person"


# ---- 7: reviews on time -----------------------------------------------------------------------------------


def _review_rows(people: QuerySet[Person], period: Period) -> list[dict[str, Any]]:
    """Plans whose review fell due in the period, with the first review after agreement: a completed formal
    review (review.PlanReview), or the next round's conversation, whichever came first."""
    review = PlanReview.objects.filter(person=OuterRef("person"), completed=True, kind=ReviewKind.FORMAL,
                                       held_at__gt=OuterRef("plan_agreed_at")).order_by("held_at")
    later = CarePlanningCycle.objects.filter(person=OuterRef("person"),
                                             conversation_held_at__gt=OuterRef("plan_agreed_at")
                                             ).order_by("conversation_held_at")
    return list(
        _cycles(people).filter(plan_agreed_at__isnull=False, review_due__gte=period.start, review_due__lte=period.end)
        .annotate(first_review=Subquery(review.values("held_at")[:1]),
                  next_round=Subquery(later.values("conversation_held_at")[:1]))
        .order_by().values("person_id", "review_due", "first_review", "next_round", org=F("person__practice_id"))
    )


def _review_members(people: QuerySet[Person], period: Period, today: date) -> list[Member]:
    out = []
    grace = timedelta(days=REVIEW_GRACE_DAYS)
    for r in _review_rows(people, period):
        held = min((d for d in (r["first_review"], r["next_round"]) if d is not None), default=None)
        deadline = r["review_due"] + grace
        if held is None:
            if deadline >= today:
                continue  # not reviewed yet, but not late yet either: in no count until it is
            out.append(Member(r["person_id"], r["org"], False, r["review_due"], "Not reviewed"))
            continue
        held_on = timezone.localdate(held)
        late = (held_on - r["review_due"]).days
        detail = f"Reviewed {held_on:%d %b %Y}" + (f", {late} days after the due date" if late > 0 else "")
        out.append(Member(r["person_id"], r["org"], held_on <= deadline, r["review_due"], detail))
    return out


def _review_counts(people: QuerySet[Person], period: Period, today: date) -> Counts:
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for m in _review_members(people, period, today):
        counts[m.practice_id][1] += 1
        counts[m.practice_id][0] += int(m.counted)
    return {k: (v[0], v[1]) for k, v in counts.items()}


# ---- 8: collaboRATE ---------------------------------------------------------------------------------------


def _collaborate(people: QuerySet[Person], period: Period, today: date) -> QuerySet[QuestionnaireResponse]:
    return QuestionnaireResponse.objects.filter(
        _within("authored_at", period), person__in=people.values("pk"), questionnaire=COLLABORATE.key,
    ).annotate(counted=_flag(Q(band=TOP_BOX)))


# ---- the figures, in the order shown -----------------------------------------------------------------------


def _figures() -> list[Figure]:
    # Person rows (figures 1 and 2) and cycle or response rows (the rest) reach the person and practice by
    # different paths.
    person, practice = "pk", "practice_id"
    c_person, c_practice = "person_id", "person__practice_id"
    offered = _sql_figure(_offered, person_path=person, practice_path=practice, when="placed_at")
    had = _sql_figure(_had, person_path=person, practice_path=practice, when="placed_at")
    prepared = _sql_figure(_prepared, person_path=c_person, practice_path=c_practice, when="conversation_held_at",
                           detail=_prepared_detail, extra=("preparation_sent_at",))
    agenda = _sql_figure(_agenda, person_path=c_person, practice_path=c_practice, when="preparation_sent_at")
    own = _sql_figure(_own_words, person_path=c_person, practice_path=c_practice, when="plan_agreed_at")
    shared = _sql_figure(_shared, person_path=c_person, practice_path=c_practice, when="conversation_held_at",
                         detail=_shared_detail, extra=("plan_agreed_at", "plan_shared_at"))
    collab = _sql_figure(_collaborate, person_path=c_person, practice_path=c_practice, when="authored_at")
    return [
        Figure("offered", "Offered care planning", "people offered care planning in the period",
               "people on a long-term condition register",
               "An offer recorded as offered, accepted, declined or unable to complete, or an invitation sent, in "
               "the period. Out of everyone now on at least one long-term condition register.", *offered),
        Figure("had", "Had a care planning conversation", "people whose conversation was held in the period",
               "people on a long-term condition register",
               "A care planning conversation held in the period (the round's 'conversation held' time). Out of "
               "everyone now on at least one long-term condition register.", *had,
               baseline=NATIONAL_BASELINE, baseline_text=NATIONAL_BASELINE_TEXT),
        Figure("prepared", f"Results sent at least {PREPARATION_LEAD_DAYS} days before the conversation",
               f"conversations with results sent {PREPARATION_LEAD_DAYS} or more days before",
               "conversations held in the period",
               f"The results and prompt sheet were sent at least {PREPARATION_LEAD_DAYS} days (168 hours) before "
               "the conversation. Out of conversations held in the period.", *prepared),
        Figure("agenda", "Agenda returned by the person", "preparation packs answered",
               "preparation packs sent in the period",
               "The person (or their carer) sent back what they want to talk about. Out of preparation packs sent "
               "in the period.", *agenda),
        Figure("own_words", "Goals in the person's own words", "plans with a goal in the person's own words",
               "plans agreed in the period",
               "At agreement the plan had at least one goal the person (or their representative) wrote or changed "
               "themselves, or one the care team recorded in the person's words beside a different clinical "
               "translation. A goal with only one wording, typed by staff, is not counted: the record cannot "
               "show whose words they are.", *own),
        Figure("shared", "Plan agreed and shared with the person", "conversations with a plan agreed and shared",
               "conversations held in the period",
               "A plan was agreed and the person can see it on My plan. Out of conversations held in the period.",
               *shared),
        Figure("reviews", "Reviews on time", "reviews held on time", "reviews due in the period and now overdue "
               "or done",
               f"The plan's review date fell in the period and a formal review (or the next round's conversation) "
               f"was held by {REVIEW_GRACE_DAYS} days after it. Reviews not done but not yet "
               f"{REVIEW_GRACE_DAYS} days overdue are left out until they are.",
               _review_counts, _review_members),
        Figure("collaborate", "collaboRATE top score", "responses scoring 9 on all three questions",
               "collaboRATE responses in the period",
               "The person answered 9 ('every effort was made') to all three collaboRATE questions after their "
               "conversation (the top-box score).", *collab),
    ]


FIGURES: list[Figure] = _figures()
FIGURES_BY_KEY: dict[str, Figure] = {f.key: f for f in FIGURES}


# ---- median days between stages --------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    key: str
    title: str
    start: str  # stage name (CarePlanningCycle.<stage>_at)
    end: str


GAPS: tuple[Gap, ...] = (
    Gap("invite_to_tests", "Invitation to tests and measurements", "invited", "information_gathered"),
    Gap("tests_to_results", "Tests to results sent", "information_gathered", "preparation_sent"),
    Gap("results_to_conversation", "Results sent to conversation", "preparation_sent", "conversation_held"),
    Gap("conversation_to_shared", "Conversation to plan shared", "conversation_held", "plan_shared"),
    Gap("invite_to_conversation", "Invitation to conversation (the whole round)", "invited", "conversation_held"),
)
GAPS_BY_KEY = {g.key: g for g in GAPS}


def gap_rows(people: QuerySet[Person], period: Period) -> list[dict[str, Any]]:
    """Every round whose conversation was held in the period, with its stage times (one query)."""
    fields = sorted({f"{g.start}_at" for g in GAPS} | {f"{g.end}_at" for g in GAPS})
    return list(_cycles(people).filter(_within("conversation_held_at", period)).order_by()
                .values("person_id", *fields, org=F("person__practice_id")))


def gap_days(row: dict[str, Any], gap: Gap) -> float | None:
    start, end = row[f"{gap.start}_at"], row[f"{gap.end}_at"]
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 86400


def gap_medians(rows: list[dict[str, Any]], practice_ids: list[int]) -> dict[str, tuple[float | None, int]]:
    """Median days and n for each gap over the rounds of `practice_ids`."""
    chosen = set(practice_ids)
    out = {}
    for gap in GAPS:
        days = [d for r in rows if r["org"] in chosen and (d := gap_days(r, gap)) is not None]
        out[gap.key] = (statistics.median(days) if days else None, len(days))
    return out


def gap_members(people: QuerySet[Person], period: Period, gap: Gap) -> list[Member]:
    out = []
    for r in gap_rows(people, period):
        days = gap_days(r, gap)
        if days is not None:
            out.append(Member(r["person_id"], r["org"], True, r["conversation_held_at"], f"{days:.1f} days",
                              days))
    return out
