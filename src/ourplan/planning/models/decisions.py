"""Shared decisions and the decision aids that support them. Ourplan makes no clinical decisions: aids
present options and evidence that local clinicians wrote or approved, and only approved aids are offered."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet

from ourplan.core.models import PublicModel
from ourplan.planning.models.plan import CarePlan


class DecisionAidQuerySet(QuerySet["DecisionAid"]):
    def approved(self) -> DecisionAidQuerySet:
        return self.filter(approved_at__isnull=False, retired=False)


class DecisionAid(PublicModel):
    """A small, plain-language decision aid. `options` is a list of {"name", "pros", "cons", "evidence",
    "uncertainties"}: an aid is written and approved as a whole, so its options are stored with it rather
    than as rows that could change after approval."""

    title = models.CharField(max_length=200)
    question = models.CharField(max_length=300, help_text="The decision it helps with, as the person would ask")
    options = models.JSONField(default=list)
    source = models.CharField(max_length=300, blank=True, default="", help_text="Guidance it draws on")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_by_name = models.CharField(max_length=200, blank=True, default="")
    approved_at = models.DateTimeField(null=True, blank=True)
    retired = models.BooleanField(default=False)

    objects = DecisionAidQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def option_names(self) -> list[str]:
        return [o["name"] for o in self.options]


class Decision(PublicModel):
    """One shared decision in the plan: the question, the options considered, what matters to the person,
    and where it got to. It can span visits; each visit adds a dated DecisionNote."""

    class Status(models.TextChoices):
        OPEN = "open", "Still being discussed"
        AGREED = "agreed", "Agreed"
        DEFERRED = "deferred", "Deferred to the next visit"
        DISAGREE = "agree-to-disagree", "Agreed to disagree"

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="decisions")
    question = models.CharField(max_length=300)
    aid = models.ForeignKey(DecisionAid, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions",
                            limit_choices_to=Q(approved_at__isnull=False))
    options_considered = models.JSONField(default=list, blank=True)
    what_matters = models.TextField(blank=True, default="", help_text="What matters to the person in this choice")
    decision = models.TextField(blank=True, default="", help_text="What was decided, or each side's view")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.question


class DecisionNote(models.Model):
    """A dated note from one visit about a decision. Append-only in practice: notes are never edited."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="notes")
    at = models.DateTimeField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    author_label = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Decision.Status.choices)
    text = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.text[:40]}"
