"""Co-ordination tasks (FHIR Task): work for a named member of the person's care team, or for the person."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ourplan.core.models import PublicModel
from ourplan.people.models import Person
from ourplan.sharing.models import CareTeamMember


class Task(PublicModel):
    class Kind(models.TextChoices):
        ACTION = "action", "Action from the plan"
        REVIEW = "review", "Plan review"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        # FHIR TaskStatus values, the subset co-ordination uses.
        REQUESTED = "requested", "To do"
        IN_PROGRESS = "in-progress", "In progress"
        COMPLETED = "completed", "Done"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = (Status.REQUESTED, Status.IN_PROGRESS)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="")
    plan = models.ForeignKey("planning.CarePlan", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="tasks")
    goal = models.ForeignKey("planning.Goal", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="tasks")
    action = models.OneToOneField("planning.GoalAction", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="task")
    assignee = models.ForeignKey(CareTeamMember, null=True, blank=True, on_delete=models.RESTRICT,
                                 related_name="tasks")
    for_person = models.BooleanField(default=False, help_text="The person's own task (shows on My plan)")
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    outcome = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["due_date", "created_at"]
        indexes = [models.Index(fields=["status", "due_date"])]
        constraints = [
            models.CheckConstraint(condition=Q(for_person=True, assignee__isnull=True) | Q(for_person=False),
                                   name="task_person_or_member"),
            # One review task per plan and due date, so the daily job can run twice safely.
            models.UniqueConstraint(fields=["plan", "due_date"], condition=Q(kind="review"),
                                    name="one_review_task_per_plan_date"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def assignee_label(self) -> str:
        if self.for_person:
            return str(self.person.display_name)
        return self.assignee.name if self.assignee else "Not assigned"
