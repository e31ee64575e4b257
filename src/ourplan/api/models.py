"""Bearer tokens for the FHIR API. Only a SHA-256 of each token is stored: the token itself is shown once,
when it is made, so a copy of the database (or a backup) cannot be used to call the API."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from ourplan.people.models import Organisation, Person

TOKEN_PREFIX = "opat_"  # noqa: S105 (a public prefix, not a secret). "Ourplan API token": lets secret scanners recognise a leaked token


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token_value() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


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
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.scopes})"

    @property
    def is_usable(self) -> bool:
        return not self.revoked and self.expires_at > timezone.now()
