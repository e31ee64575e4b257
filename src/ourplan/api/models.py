"""Bearer tokens for the FHIR API. Only a SHA-256 of each token is stored: the token itself is shown once,
when it is made, so a copy of the database (or a backup) cannot be used to call the API."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from ourplan.people.models import Organisation, Person

TOKEN_PREFIX = "opat_"  # noqa: S105 (a public prefix, not a secret). "Ourplan API token": lets secret scanners recognise a leaked token


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token_value() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiClient(models.Model):
    """A backend service registered for the OAuth2 client credentials grant (`ourplan api-client`). It is
    bound to one organisation and may ask for at most `scopes` (system/ scopes). Only a SHA-256 of its
    secret is stored: the secret is 256 random bits, so a plain hash is as strong as a slow password hash
    and lets each token request be checked in constant time. Deactivating a client stops its tokens at once
    (api.auth checks the client on every request)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, help_text="What the client is, shown in the audit trail")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     help_text="Whose registered people its tokens may see")
    secret_hash = models.CharField(max_length=64, help_text="SHA-256 (hex) of the client secret")
    scopes = models.TextField(help_text="The system/ scopes it may be granted, space separated")
    token_minutes = models.PositiveIntegerField(default=5, help_text="How long each access token lasts")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class ApiToken(models.Model):
    """An OAuth2-style bearer token with SMART v2 scopes (space separated, e.g. "user/*.rs").

    Exactly one context, decided by its scopes: `patient/` scopes are bound to `patient` (the user's own
    record, or a person who shares theirs with the user); `user/` scopes see what `user` sees on the
    website; `system/` scopes belong to a backend client (`user` empty) and see the people registered at
    `organisation`. Access is re-checked on every request, so a withdrawn consent or removed staff role
    takes effect at once, whatever the token says."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200, help_text="Who or what uses it, shown in the audit trail")
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 (hex) of the token")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="For system clients: whose registered people they may see",
    )
    patient = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="For patient/ scopes: the one person the token may see",
    )
    scopes = models.TextField(help_text="SMART v2 scopes, space separated")
    client = models.ForeignKey(
        ApiClient, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens",
        help_text="The backend client that obtained it by client credentials, if any",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.scopes})"

    @property
    def is_usable(self) -> bool:
        if self.client is not None and not self.client.active:
            return False
        return not self.revoked and self.expires_at > timezone.now()


class WriteRecord(models.Model):
    """Provenance of one resource version written through the API: what was written (type, id, version and
    the resource as it read straight after the write), when, by whom (user or system client, with its
    organisation and token) and on what basis. Written in the same database transaction as the change, so
    a write without its record cannot exist (decision 0009). Serves `Provenance` and the versions
    `_history` and vread can give for writes made over the API. Append-only, like the audit trail."""

    class Activity(models.TextChoices):
        CREATE = "create", "Create"
        UPDATE = "update", "Update"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recorded = models.DateTimeField(default=timezone.now, db_index=True)
    activity = models.CharField(max_length=10, choices=Activity.choices)
    resource_type = models.CharField(max_length=40)
    resource_id = models.UUIDField()
    version = models.PositiveIntegerField()
    resource = models.JSONField(help_text="The resource as it read straight after the write")
    person_id_ref = models.UUIDField(null=True, blank=True, db_index=True, help_text="Whose record")
    agent_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    agent_label = models.CharField(max_length=200)
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", help_text="For system clients: the organisation")
    token_id = models.UUIDField(null=True, blank=True, help_text="Public id of the API token used")
    basis = models.CharField(max_length=20)
    transaction_id = models.UUIDField(null=True, blank=True, help_text="The transaction or batch Bundle, if any")

    class Meta:
        indexes = [models.Index(fields=["resource_type", "resource_id", "version"])]
        ordering = ["recorded", "id"]

    def __str__(self) -> str:
        return f"{self.activity} {self.resource_type}/{self.resource_id} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Write records are append-only")
        super().save(*args, **kwargs)


class ExportJob(models.Model):
    """One bulk data `$export` (FHIR Bulk Data Access): what was asked, by which token, and where it got
    to. The NDJSON files are written under DATA_DIR/exports/<public_id>/ by a background task and served
    only to the token that asked for them (api.export)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Finished"
        FAILED = "failed", "Stopped with an error"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="exports")
    requested_at = models.DateTimeField(default=timezone.now)
    request_url = models.TextField()
    level = models.CharField(max_length=10, help_text="system, patient or group")
    group_id = models.CharField(max_length=64, blank=True, default="")
    types = models.JSONField(default=list, blank=True, help_text="Resource types to export (all when empty)")
    since = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0, help_text="Resources written so far")
    total = models.PositiveIntegerField(default=0, help_text="Resources to write (counted when it starts)")
    output = models.JSONField(default=list, blank=True, help_text='[{"type", "file", "count"}, ...]')
    error = models.TextField(blank=True, default="")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"$export {self.level} ({self.status})"
