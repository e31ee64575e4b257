"""Preparation for the care planning conversation: the pack of results and prompt sheet a person receives,
their answers (which become the agenda), each practice's wording of the prompt sheet, and the background
jobs that make, send and print packs in bulk."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ourplan.core.models import PublicModel
from ourplan.people.models import Organisation, Person
from ourplan.recall.models import CarePlanningCycle


class PromptSheetTemplate(PublicModel):
    """A practice's own wording of the prompt sheet: an introduction and the text and hint of each of the
    fixed questions (preparation.prompts.QUESTION_KEYS). Every save bumps `version` through
    apply_versioned_update and audits the old and new wording, so the history of the questions is kept.
    Answers keep a copy of the question they answered, so rewording never changes a past answer."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="prompt_sheet")
    intro = models.TextField(blank=True, default="")
    questions = models.JSONField(default=list, blank=True, help_text='[{"key", "text", "hint"}, ...]')
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"Prompt sheet for {self.organisation}"


class PreparationPack(PublicModel):
    """What one person was sent to get ready for one care planning conversation: their results explained,
    and the prompt sheet. `content` is a snapshot (JSON) made when the pack is made, so the portal page and
    every letter printed later show exactly what was sent, even after new results arrive. One per cycle."""

    cycle = models.OneToOneField(CarePlanningCycle, on_delete=models.CASCADE, related_name="preparation_pack")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="preparation_packs")
    content = models.JSONField()
    reading_age = models.PositiveSmallIntegerField(null=True, blank=True)
    reading_ease = models.FloatField(null=True, blank=True)
    large_print = models.BooleanField(default=False)
    channel = models.CharField(max_length=10, blank=True, default="", help_text="How it was sent")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["person", "-created_at"])]

    def __str__(self) -> str:
        return f"Preparation pack for {self.person} ({self.created_at:%Y-%m-%d})"


class PromptSheetAnswer(PublicModel):
    """One answer on a person's prompt sheet, in their own words: together the answers are the agenda of
    the conversation. Keeps the question as it was worded, who last wrote the answer and in what role
    (the person, a carer with their consent, or staff typing in a paper reply). Edited through
    apply_versioned_update, so two people editing at once never overwrite each other."""

    class Writer(models.TextChoices):
        PERSON = "person", "The person"
        CARER = "carer", "Carer or family member"
        STAFF = "staff", "Staff, from a paper reply"

    cycle = models.ForeignKey(CarePlanningCycle, on_delete=models.CASCADE, related_name="prompt_answers")
    question_key = models.CharField(max_length=40)
    question_text = models.TextField()
    answer = models.TextField(blank=True, default="")
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    written_by_role = models.CharField(max_length=10, choices=Writer.choices)
    written_by_name = models.CharField(max_length=200, help_text="Who wrote it, as shown at the time")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cycle", "question_key"], name="one_answer_per_question_per_cycle")
        ]

    def __str__(self) -> str:
        return f"{self.question_key}: {self.answer[:40]}"

    @property
    def written_by_label(self) -> str:
        """Who wrote it, for the agenda: "Sam Carer (carer or family member)"."""
        return f"{self.written_by_name} ({self.get_written_by_role_display().lower()})"


class BatchJob(PublicModel):
    """A background job for a practice (making and sending packs, or printing letters) with its progress,
    so staff can watch it and re-run it. Re-running is safe: each person's pack, message and letter is
    keyed, so a run picks up where a stopped one left off and never sends anything twice."""

    class Kind(models.TextChoices):
        SEND_PACKS = "send-packs", "Make and send preparation packs"
        PRINT_LETTERS = "print-letters", "Print letters waiting to be posted"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Stopped with an error"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    practice = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True, help_text='[{"person", "message"}, ...]')
    params = models.JSONField(default=dict, blank=True, help_text="What the job covers (public ids)")
    output_file = models.CharField(max_length=255, blank=True, default="", help_text="Under DATA_DIR")
    runs = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["practice", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()}, {self.done}/{self.total})"

    @property
    def is_active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}
