"""The clinician's notes during the care planning conversation, autosaved as a draft while typing."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ourplan.core.models import PublicModel
from ourplan.people.models import Person


class ConversationNote(PublicModel):
    """Free-text notes for one conversation. Saved as the clinician types (htmx, debounced), so a closed tab
    or dropped connection loses at most the last second; `version` guards against two tabs overwriting each
    other. One draft per person and author at a time."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        FINAL = "final", "Final"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="conversation_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"Notes for {self.person} ({self.status})"
