"""The person's ONE care and support plan across all their conditions, its version history, goals, actions
and contingency plans. Sections follow the PRSB Personalised Care and Support Plan standard; status codes
are FHIR R4 values so the FHIR adapter can map them without a lookup table."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ourplan.clinical.terminology import MEASURES
from ourplan.core.models import PublicModel
from ourplan.people.models import Person, StaffMember


class PlanStatus(models.TextChoices):
    """FHIR CarePlan.status (RequestStatus)."""

    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ON_HOLD = "on-hold", "On hold"
    REVOKED = "revoked", "Revoked"
    COMPLETED = "completed", "Completed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    UNKNOWN = "unknown", "Unknown"


# A plan in one of these states is "the current plan"; at most one per person (database constraint).
CURRENT_STATUSES = (PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.ON_HOLD)

# The person-owned "About me" sections (PRSB), in the order they are shown. Field name -> (staff label,
# the person's own heading). One list so forms, snapshots, diffs and the PDF never disagree.
ABOUT_ME_FIELDS: dict[str, tuple[str, str]] = {
    "what_matters": ("What matters most to me", "What matters most to me"),
    "important_people": ("People important to me", "People who are important to me"),
    "communication": ("How I communicate", "How I like to communicate"),
    "wellness": ("My wellness", "How I keep well"),
    "please_do": ("Please do", "Please do"),
    "please_dont": ("Please don't", "Please don't"),
    "how_to_support": ("How and when to support me", "How and when to support me"),
    "worth_knowing": ("Also worth knowing about me", "Also worth knowing about me"),
    "strengths": ("Strengths", "What I am good at and what helps me"),
    "needs": ("Needs or concerns", "What I need help with or worry about"),
}


class CarePlan(PublicModel):
    """One person's personalised care and support plan. `version` counts every change to the plan or
    anything in it (each change writes a PlanVersion snapshot); goals, actions and contingency plans also
    carry their own row version so that editing one goal never conflicts with editing another."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="care_plans")
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    intent = models.CharField(max_length=10, default="plan", editable=False, help_text="FHIR CarePlan.intent")
    what_matters = models.TextField(blank=True, default="")
    important_people = models.TextField(blank=True, default="")
    communication = models.TextField(blank=True, default="")
    wellness = models.TextField(blank=True, default="")
    please_do = models.TextField(blank=True, default="")
    please_dont = models.TextField(blank=True, default="")
    how_to_support = models.TextField(blank=True, default="")
    worth_knowing = models.TextField(blank=True, default="")
    strengths = models.TextField(blank=True, default="")
    needs = models.TextField(blank=True, default="")
    agreed_by_name = models.CharField(max_length=200, blank=True, default="")
    agreed_by_role = models.CharField(max_length=100, blank=True, default="",
                                      help_text="The person, or their representative's role")
    agreed_at = models.DateTimeField(null=True, blank=True)
    agreed_with = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", help_text="The clinician who recorded the agreement")
    review_date = models.DateField(null=True, blank=True)
    review_responsible = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="plans_to_review")
    shared_with_person = models.BooleanField(default=True, help_text="The person can see it on My plan")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(status__in=CURRENT_STATUSES),
                                    name="one_current_plan_per_person"),
        ]

    def __str__(self) -> str:
        return f"Care plan for {self.person} (v{self.version}, {self.status})"


class PlanVersion(models.Model):
    """An immutable snapshot of the whole plan after one change: who made it, when, and what changed.
    `changed` lists field paths ("about.what_matters", "goal:<uuid>.person_words") so the clinician's page
    can highlight what the person changed without diffing every snapshot again."""

    class AuthorKind(models.TextChoices):
        STAFF = "staff", "Care team"
        PERSON = "person", "The person"
        REPRESENTATIVE = "representative", "Carer or representative"

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    author_label = models.CharField(max_length=200)
    author_kind = models.CharField(max_length=20, choices=AuthorKind.choices)
    at = models.DateTimeField(default=timezone.now)
    summary = models.CharField(max_length=300)
    changed = models.JSONField(default=list, blank=True)
    snapshot = models.JSONField()

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="plan_version_unique")]

    def __str__(self) -> str:
        return f"v{self.number} {self.summary}"


class GoalCategory(models.TextChoices):
    HEALTH = "health", "Health"
    DAILY_LIVING = "daily-living", "Daily living"
    SOCIAL = "social", "Social"
    WORK = "work", "Work or learning"
    WELLBEING = "wellbeing", "Wellbeing"


class LifecycleStatus(models.TextChoices):
    """FHIR Goal.lifecycleStatus."""

    PROPOSED = "proposed", "Proposed"
    PLANNED = "planned", "Planned"
    ACCEPTED = "accepted", "Accepted"
    ACTIVE = "active", "Active"
    ON_HOLD = "on-hold", "On hold"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    REJECTED = "rejected", "Rejected"


class AchievementStatus(models.TextChoices):
    """FHIR Goal.achievementStatus (goal-achievement value set). Blank = not assessed yet."""

    IN_PROGRESS = "in-progress", "In progress"
    IMPROVING = "improving", "Improving"
    WORSENING = "worsening", "Worsening"
    NO_CHANGE = "no-change", "No change"
    ACHIEVED = "achieved", "Achieved"
    SUSTAINING = "sustaining", "Sustaining"
    NOT_ACHIEVED = "not-achieved", "Not achieved"
    NO_PROGRESS = "no-progress", "No progress"
    NOT_ATTAINABLE = "not-attainable", "Not attainable"


COMPARATORS = {"<=": "at most", "<": "below", ">=": "at least", ">": "above", "=": "exactly"}
GAS_LEVELS = ("gas_minus2", "gas_minus1", "gas_zero", "gas_plus1", "gas_plus2")
GAS_LABELS = {
    "gas_minus2": "-2 Much less than expected", "gas_minus1": "-1 Somewhat less than expected",
    "gas_zero": "0 Expected outcome", "gas_plus1": "+1 Somewhat more than expected",
    "gas_plus2": "+2 Much more than expected",
}


class Goal(PublicModel):
    """A goal in the person's own words, with an optional clinical translation beside it. Linked to any
    number of the person's conditions (register keys), because in multimorbidity one goal ("walk to my
    daughter's") serves several conditions: one set of goals, not one list per disease."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="goals")
    person_words = models.TextField()
    clinical_translation = models.TextField(blank=True, default="")
    category = models.CharField(max_length=20, choices=GoalCategory.choices, default=GoalCategory.HEALTH)
    registers = models.JSONField(default=list, blank=True, help_text="Register keys of linked conditions")
    measure = models.CharField(max_length=20, blank=True, default="",
                               choices=[(k, m.display) for k, m in MEASURES.items()])
    comparator = models.CharField(max_length=2, blank=True, default="", choices=list(COMPARATORS.items()))
    target_value = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    importance = models.PositiveSmallIntegerField(null=True, blank=True)
    confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    what_would_make_it_seven = models.TextField(blank=True, default="")
    lifecycle_status = models.CharField(max_length=20, choices=LifecycleStatus.choices,
                                        default=LifecycleStatus.PROPOSED)
    achievement_status = models.CharField(max_length=20, choices=AchievementStatus.choices, blank=True,
                                          default="")
    gas_minus2 = models.TextField(blank=True, default="")
    gas_minus1 = models.TextField(blank=True, default="")
    gas_zero = models.TextField(blank=True, default="")
    gas_plus1 = models.TextField(blank=True, default="")
    gas_plus2 = models.TextField(blank=True, default="")
    progress_notes = models.TextField(blank=True, default="", help_text="The person's own notes on progress")
    sensitive = models.BooleanField(
        default=False, help_text="Part of the sensitive section: hidden unless the person shares it")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.person_words[:60]

    @property
    def target_text(self) -> str:
        if not self.measure or self.target_value is None:
            return ""
        from ourplan.core.jinja import number

        m = MEASURES[self.measure]
        return f"{m.display} {self.comparator or '='} {number(self.target_value)} {m.unit_label}".strip()

    @property
    def gas_levels(self) -> list[tuple[str, str]]:
        return [(GAS_LABELS[f], getattr(self, f)) for f in GAS_LEVELS if getattr(self, f)]


class GoalAction(PublicModel):
    """One step towards a goal: what, when, where, how often and who helps, with the barriers foreseen and
    the solutions agreed. FHIR: CarePlan.activity.detail."""

    class HelperKind(models.TextChoices):
        SELF = "self", "The person themselves"
        CARER = "carer", "A carer, family member or friend"
        PROFESSIONAL = "professional", "A named professional"
        SERVICE = "service", "A service or group"

    class Status(models.TextChoices):
        # FHIR CarePlanActivityStatus values.
        NOT_STARTED = "not-started", "To do"
        COMPLETED = "completed", "Done"

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="actions")
    what = models.TextField()
    when = models.CharField(max_length=200, blank=True, default="")
    where = models.CharField(max_length=200, blank=True, default="")
    how_often = models.CharField(max_length=200, blank=True, default="")
    who_helps = models.CharField(max_length=200, blank=True, default="")
    helper_kind = models.CharField(max_length=20, choices=HelperKind.choices, default=HelperKind.SELF)
    barriers = models.TextField(blank=True, default="")
    solutions = models.TextField(blank=True, default="")
    support_needed = models.TextField(blank=True, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.what[:60]


class ContingencyPlan(PublicModel):
    """"If this happens, do this, call this person." One model for every kind: the general fields always
    apply; the asthma fields hold the personal best and per-zone medicines and actions (the zones
    themselves are computed by planning.asthma, never stored); the COPD fields describe the rescue pack."""

    class Kind(models.TextChoices):
        GENERAL = "general", "General"
        ASTHMA = "asthma", "Asthma action plan"
        COPD = "copd", "COPD rescue pack"
        MENTAL_HEALTH = "mental-health", "Mental health crisis and relapse"

    KINDS_WITH_TEMPLATE: ClassVar[set[str]] = {Kind.ASTHMA, Kind.COPD, Kind.MENTAL_HEALTH}

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="contingencies")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    title = models.CharField(max_length=200)
    triggers = models.TextField(blank=True, default="", help_text="If this happens")
    what_to_do = models.TextField(blank=True, default="")
    who_to_contact = models.TextField(blank=True, default="")
    coping_strategies = models.TextField(blank=True, default="")
    early_warning_signs = models.TextField(blank=True, default="")
    personal_best = models.PositiveIntegerField(null=True, blank=True, help_text="Peak flow, L/min")
    green_medicines = models.TextField(blank=True, default="")
    amber_medicines = models.TextField(blank=True, default="")
    amber_actions = models.TextField(blank=True, default="", help_text="2 to 4 action points, one per line")
    red_medicines = models.TextField(blank=True, default="")
    red_actions = models.TextField(blank=True, default="", help_text="2 to 4 action points, one per line")
    urgent_help = models.TextField(blank=True, default="")
    rescue_when = models.TextField(blank=True, default="")
    rescue_contents = models.TextField(blank=True, default="")
    rescue_tell = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title
