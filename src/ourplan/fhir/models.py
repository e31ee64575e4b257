"""The unmatched-results queue of the FHIR importer."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ourplan.core.models import PublicModel


class HeldResource(PublicModel):
    """A FHIR Condition, Observation or RelatedPerson that was good in every respect except that the person
    it belongs to is not in Ourplan yet (a result sent before the patient's record, or for someone not
    registered here). GP systems keep such results in an unmatched-results queue rather than filing them,
    and so does Ourplan: guessing the person, or creating one from a name in a reference, could put a
    result in the wrong record (a clinical hazard), and refusing it would lose a good result.

    Each import run, and `ourplan import-fhir --retry-held`, tries the held resources again and attaches
    each one whose person has arrived since (status "attached", naming the record created). Staff can
    discard junk (status "discarded", with a note); the row is kept, so what happened stays on record.
    `resource` is the resource as validated, so retrying never depends on the original file."""

    class Status(models.TextChoices):
        HELD = "held", "Held: waiting for the person"
        ATTACHED = "attached", "Attached to the person's record"
        DISCARDED = "discarded", "Discarded by staff"

    resource_type = models.CharField(max_length=40)
    resource_id = models.CharField(max_length=200, blank=True, default="", help_text="The FHIR logical id")
    # The importer's source key, so a held resource and the record it becomes are the same thing to a
    # re-import: the same resource arriving again updates this row (or the record), never duplicates it.
    source_system = models.CharField(max_length=200)
    source_id = models.CharField(max_length=200)
    resource = models.JSONField(help_text="The resource as validated (FHIR JSON)")
    waiting_for = models.CharField(max_length=500, help_text="The reference or identifier that did not resolve")
    subject_display = models.CharField(max_length=200, blank=True, default="",
                                       help_text="The name the reference gives, if any (not used to match)")
    reason = models.TextField(help_text="Why it is held, in words")
    source_file = models.CharField(max_length=500, blank=True, default="")
    location = models.CharField(max_length=200, blank=True, default="", help_text="Where in the file")
    full_url = models.CharField(max_length=500, blank=True, default="", help_text="The Bundle entry fullUrl")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD, db_index=True)
    # The record it became. Not a foreign key: it may be a Condition, an Observation or a RelatedPerson.
    attached_entity_type = models.CharField(max_length=60, blank=True, default="")
    attached_entity_id = models.UUIDField(null=True, blank=True)
    held_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.TextField(blank=True, default="", help_text="Why it was discarded, and by whom")

    class Meta:
        ordering = ["held_at", "id"]
        constraints = [
            # One waiting row per resource; attached and discarded rows are history and may repeat.
            models.UniqueConstraint(
                fields=["source_system", "source_id"], condition=Q(status="held"), name="held_resource_unique_held"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.resource_id or self.source_id} waiting for {self.waiting_for}"

    @property
    def source_key(self) -> tuple[str, str]:
        return self.source_system, self.source_id

    @property
    def waiting_for_text(self) -> str:
        """"Patient/abc (WELSH, Joel)": the reference, with the name it gives if it gives one."""
        return self.waiting_for + (f" ({self.subject_display})" if self.subject_display else "")

    def content(self) -> dict[str, Any]:
        """What a re-import compares to decide between "unchanged" and "updated"."""
        return {"resource": self.resource, "waiting_for": self.waiting_for, "subject_display": self.subject_display,
                "reason": self.reason}
