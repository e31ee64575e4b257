"""Reviews of a care and support plan, the goal attainment scored at each, and the care-planning offer status.

Rows change only through review/actions.py (transactional, audited). The insight dashboards read these
models, so field names are a contract: change them only together with ourplan.insight."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from ourplan.core.models import PublicModel
from ourplan.people.models import Person
from ourplan.planning.models import CarePlan, Goal
from ourplan.recall.models import CarePlanningCycle


class OfferCode(models.TextChoices):
    """NHS England's personalised care and support plan (PCSP) offer statuses, as recorded in GP systems.

    SNOMED CT ids: clinical-reference.md section 3 has the terms in use (NCL ICB searches) but NO verified
    concept ids for any of them, so none is stored here. They are UNVERIFIED: look them up in the PCD refset
    portal / SNOMED CT UK browser before they are sent to a GP system (see OFFER_SNOMED below)."""

    OFFERED = "offered", "Personalised care and support plan offered"
    DECLINED = "declined", "Personalised care and support plan declined"
    ACCEPTED = "accepted", "Personalised care and support plan agreed/accepted"
    NOT_OFFERED = "not-offered", "Personalised care and support plan not offered"
    UNABLE_TO_COMPLETE = "unable-to-complete", "Personalised care and support plan unable to complete"
    OTHER = "other", "Personalised care and support plan: other"


# SNOMED CT concept id for each offer code, where verified. All UNVERIFIED at the moment (clinical-reference.md
# section 3: "Personalised Care and Support Plan agreed ... ID UNVERIFIED"); kept as an explicit empty mapping
# so an exporter fails visibly (KeyError / empty string) rather than sending a guessed code.
OFFER_SNOMED: dict[str, str] = {code.value: "" for code in OfferCode}


class OfferStatus(PublicModel):
    """One recording of where a person stands with the offer of personalised care and support planning.
    Append-only in practice: the latest row (by recorded_at) per person is their current status."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="offer_statuses")
    cycle = models.ForeignKey(
        CarePlanningCycle, null=True, blank=True, on_delete=models.SET_NULL, related_name="offer_statuses"
    )
    code = models.CharField(max_length=20, choices=OfferCode.choices)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["person", "-recorded_at"])]

    def __str__(self) -> str:
        return f"{self.get_code_display()} for {self.person}"


class ReviewKind(models.TextChoices):
    FORMAL = "formal", "Review appointment"
    INFORMAL_PHONE = "informal-phone", "Phone call"
    INFORMAL_CHECKIN = "informal-checkin", "Check-in"
    INFORMAL_OTHER = "informal-other", "Other informal review"


class ReviewOutcome(models.TextChoices):
    RE_AGREED = "re-agreed", "Plan re-agreed"
    CONTINUED = "continued", "Plan continues unchanged"
    CLOSED = "closed", "Plan closed"


class PlanReview(PublicModel):
    """One review of a person's plan, formal (a review appointment) or informal (a phone call, a check-in).
    While `completed` is False it is in progress in review mode; completing it applies the goal decisions.

    `cycle` is the care planning round whose plan is being reviewed (the latest one with an agreed plan), so
    "review on time" is `held_at` against `cycle.review_due`. A formal review closes that round and the
    re-agreed plan starts (or continues) the next one; an informal review leaves the rounds as they are."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="plan_reviews")
    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="reviews")
    cycle = models.ForeignKey(
        CarePlanningCycle, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    kind = models.CharField(max_length=20, choices=ReviewKind.choices, default=ReviewKind.FORMAL)
    held_at = models.DateTimeField()
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(blank=True, default="")
    # Kiresuk-Sherman T for the goals scored (review/gas.py); null when no goal was scored.
    t_score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=ReviewOutcome.choices, blank=True, default="")
    completed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-held_at", "-id"]
        indexes = [models.Index(fields=["person", "-held_at"]), models.Index(fields=["completed", "held_at"])]
        constraints = [
            # Two clinicians starting review mode at once must end up scoring the same review.
            models.UniqueConstraint(fields=["person"], condition=models.Q(completed=False),
                                    name="one_review_in_progress_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.person} ({self.held_at:%Y-%m-%d})"

    @property
    def is_formal(self) -> bool:
        return self.kind == ReviewKind.FORMAL


class GoalDecision(models.TextChoices):
    KEPT = "kept", "Keep it"
    CHANGED = "changed", "Change it"
    ACHIEVED = "achieved", "Achieved"
    DROPPED = "dropped", "Drop it"


class GoalAttainment(PublicModel):
    """The goal attainment scaling level (-2 to +2) a goal reached at one review, its weight in the T-score,
    and what was decided about the goal."""

    review = models.ForeignKey(PlanReview, on_delete=models.CASCADE, related_name="attainments")
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="attainments")
    level = models.SmallIntegerField(validators=[MinValueValidator(-2), MaxValueValidator(2)])
    weight = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(10)])
    decision = models.CharField(max_length=10, choices=GoalDecision.choices, default=GoalDecision.KEPT)
    note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["goal__created_at", "goal_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "goal"], name="one_attainment_per_goal_per_review"),
            models.CheckConstraint(condition=models.Q(level__gte=-2, level__lte=2), name="gas_level_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.goal} at {self.level:+d}"
