"""Messages sent to people (and later, to staff): invitations, preparation packs, reminders, notices."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ourplan.core.models import PublicModel
from ourplan.people.models import Person


class Communication(PublicModel):
    """One message to one person by one channel (FHIR Communication). `key` makes sending idempotent: a
    retried job or a second click finds the existing message instead of sending another. Email and SMS
    bodies carry no clinical detail, only what the message is about in general terms and a link."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation to a review"
        PREPARATION = "preparation", "Results and prompt sheet"
        REMINDER = "reminder", "Reminder"
        NOTICE = "notice", "Notice"

    class Channel(models.TextChoices):
        PORTAL = "portal", "Ourplan website"
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"
        POST = "post", "Letter by post"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Could not be sent"
        CANCELLED = "cancelled", "Cancelled"

    class Audience(models.TextChoices):
        PERSON = "person", "The person"
        CARE_TEAM = "care-team", "A member of their care team"

    # `person` is whose record the message is about; it goes to them unless audience is care-team, when
    # `to_address` and `recipient_label` say which team member (a task for a nurse, a carer).
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="communications")
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.PERSON)
    recipient_label = models.CharField(max_length=200, blank=True, default="")
    cycle = models.ForeignKey(
        "recall.CarePlanningCycle", null=True, blank=True, on_delete=models.SET_NULL, related_name="communications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    key = models.CharField(max_length=200, unique=True)
    to_address = models.CharField(max_length=255, blank=True, default="")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=500, blank=True, default="")
    queued_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    provider_reference = models.CharField(max_length=100, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["status", "channel"]), models.Index(fields=["person", "-queued_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.person} by {self.get_channel_display()} ({self.status})"
