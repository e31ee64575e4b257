"""The care planning cycle: one record per person per round, with a timestamp for each stage. Stages are set
only by actions in code (recall.cycle), so fidelity figures are derived from what happened, never typed in."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from ourplan.clinical.models import Observation
from ourplan.core.models import PublicModel
from ourplan.people.models import Organisation, Person, StaffMember

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


class AppointmentKind(models.TextChoices):
    """The three appointments of a round. Information gathering is short and usually with a healthcare
    assistant; the conversation is with a clinician and its length depends on complexity."""

    INFORMATION_GATHERING = "information-gathering", "Information gathering"
    CONVERSATION = "conversation", "Care planning conversation"
    REVIEW = "review", "Review"


class AppointmentSlot(PublicModel):
    """A time a staff member can see someone. Made in runs by the practice (a morning of 20-minute
    slots); an Appointment books it. A staff member has at most one slot starting at a given time."""

    practice = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="appointment_slots")
    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="appointment_slots")
    start = models.DateTimeField()
    length_minutes = models.PositiveSmallIntegerField(default=20)
    kind = models.CharField(max_length=24, choices=AppointmentKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["staff", "start"], name="one_slot_per_staff_and_start")]
        indexes = [models.Index(fields=["practice", "kind", "start"]), models.Index(fields=["staff", "start"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start:%Y-%m-%d %H:%M} ({self.length_minutes} min)"

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.length_minutes)


class Appointment(PublicModel):
    """A person booked into a slot for one step of their care planning round. Statuses are FHIR
    Appointment status codes. At most one live (not cancelled) appointment per slot: the database
    refuses a double booking even if two people click at the same moment."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        ATTENDED = "fulfilled", "Attended"
        DID_NOT_ATTEND = "noshow", "Did not attend"
        CANCELLED = "cancelled", "Cancelled"

    cycle = models.ForeignKey(CarePlanningCycle, on_delete=models.CASCADE, related_name="appointments")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="appointments")
    slot = models.ForeignKey(AppointmentSlot, on_delete=models.PROTECT, related_name="appointments")
    kind = models.CharField(max_length=24, choices=AppointmentKind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    length_minutes = models.PositiveSmallIntegerField()
    length_reasons = models.JSONField(default=list, blank=True, help_text="Why this length was suggested")
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["slot"], condition=~Q(status="cancelled"), name="one_live_appointment_per_slot"
            )
        ]
        indexes = [models.Index(fields=["person", "status"]), models.Index(fields=["cycle", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.person} ({self.get_status_display()})"


class QuestionnaireResponse(PublicModel):
    """One completed questionnaire (PHQ-9, GAD-7): every item's answer, the total and band, and the safety
    flag (PHQ-9 item 9 above 0). The total is also stored as an Observation (`observation`) so it charts and
    compares with other results like any measure.

    It lives in recall for now because clinical/models.py belongs to another stream of work; it should
    move to clinical (FHIR QuestionnaireResponse) with a data migration."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="questionnaire_responses")
    cycle = models.ForeignKey(
        CarePlanningCycle, null=True, blank=True, on_delete=models.SET_NULL, related_name="questionnaire_responses"
    )
    questionnaire = models.CharField(
        max_length=12,
        choices=[
            ("phq9", "PHQ-9"),
            ("gad7", "GAD-7"),
            ("phq2", "PHQ-2"),
            ("semcd6", "Self-efficacy for managing chronic disease (SEMCD-6)"),
            ("collaborate", "collaboRATE"),
        ],
    )
    answers = models.JSONField(help_text="Item answers in question order (0-3; SEMCD-6 1-10 or null; collaboRATE 0-9)")
    total = models.PositiveSmallIntegerField(help_text="Sum of the item answers given")
    # The published score where it is not the integer sum: SEMCD-6 is the mean of the items answered (1-10,
    # null when fewer than 4 were answered); collaboRATE's mean (0-9) is kept beside its top-box band.
    score = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    band = models.CharField(max_length=40)
    safety_flag = models.BooleanField(default=False)
    observation = models.OneToOneField(
        Observation, null=True, blank=True, on_delete=models.SET_NULL, related_name="questionnaire_response"
    )
    authored_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["person", "questionnaire", "-authored_at"])]

    def __str__(self) -> str:
        return f"{self.get_questionnaire_display()} {self.total} for {self.person}"
