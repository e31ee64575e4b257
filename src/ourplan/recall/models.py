"""The care planning cycle: one record per person per round, with a timestamp for each stage. Stages are set
only by actions in code (recall.cycle), so fidelity figures are derived from what happened, never typed in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ourplan.core.models import PublicModel
from ourplan.people.models import Organisation, Person

# The stages in the order they normally happen. Each is a `<stage>_at` timestamp on the cycle.
STAGES: tuple[str, ...] = (
    "invited",
    "information_gathered",
    "preparation_sent",
    "preparation_opened",
    "agenda_received",
    "conversation_booked",
    "conversation_held",
    "plan_agreed",
    "plan_shared",
)

STAGE_LABELS: dict[str, str] = {
    "invited": "Invited",
    "information_gathered": "Tests and measurements done",
    "preparation_sent": "Results and prompt sheet sent",
    "preparation_opened": "Results opened by the person",
    "agenda_received": "Person's agenda received",
    "conversation_booked": "Conversation booked",
    "conversation_held": "Conversation held",
    "plan_agreed": "Plan agreed",
    "plan_shared": "Plan shared with the person",
}


class CarePlanningCycle(PublicModel):
    """The spine of one round of care planning for one person: recall, information gathering, preparation,
    the conversation, the agreed plan and its review. A person has at most one open cycle."""

    class Status(models.TextChoices):
        OPEN = "open", "In progress"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    class Priority(models.TextChoices):
        ROUTINE = "routine", "Routine"
        HIGH = "high", "High"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="cycles")
    practice = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cycles")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    priority_reason = models.CharField(max_length=255, blank=True, default="")
    registers = models.JSONField(default=list, blank=True, help_text="Register keys covered by this review")
    invited_at = models.DateTimeField(null=True, blank=True)
    information_gathered_at = models.DateTimeField(null=True, blank=True)
    preparation_sent_at = models.DateTimeField(null=True, blank=True)
    preparation_opened_at = models.DateTimeField(null=True, blank=True)
    agenda_received_at = models.DateTimeField(null=True, blank=True)
    conversation_booked_at = models.DateTimeField(null=True, blank=True)
    conversation_held_at = models.DateTimeField(null=True, blank=True)
    plan_agreed_at = models.DateTimeField(null=True, blank=True)
    plan_shared_at = models.DateTimeField(null=True, blank=True)
    review_due = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(status="open"), name="one_open_cycle_per_person")
        ]
        indexes = [models.Index(fields=["practice", "status"]), models.Index(fields=["person", "-created_at"])]

    def __str__(self) -> str:
        return f"Care planning for {self.person} ({self.get_status_display()})"

    def stage_at(self, stage: str) -> object:
        return getattr(self, f"{stage}_at")

    @property
    def current_stage(self) -> str:
        """The latest stage reached ("" if none)."""
        reached = [s for s in STAGES if self.stage_at(s) is not None]
        return reached[-1] if reached else ""
