"""Base models shared by every app: the user, UUID public ids, versions for safe concurrent edits, and the
append-only audit trail."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """A login. What the user may do comes from what is linked to it: a Practitioner with StaffMember
    roles (staff), a Person (their own record), or RelatedPerson entries (carer, family, advocate)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]

    class Meta:
        db_table = "ourplan_user"


class PublicModel(models.Model):
    """A domain object with a UUID for URLs and the API (integer ids never leave the database), timestamps,
    and a version number that every change bumps so that concurrent edits are detected, never lost."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class SourcedModel(PublicModel):
    """A record that may have come from another system: (source_system, source_id) is that system's
    identifier for it, so a re-import updates the record instead of duplicating it."""

    source_system = models.CharField(max_length=200, blank=True, default="")
    source_id = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        abstract = True


class AuditAction(models.TextChoices):
    # Values follow the FHIR AuditEvent action codes where one exists (R read, C create, U update, D delete,
    # E execute); search, import, download and denied are finer grained for the "who has seen my plan" view.
    READ = "read", "Read"
    SEARCH = "search", "Search"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    IMPORT = "import", "Import"
    DOWNLOAD = "download", "Download"
    DENIED = "denied", "Denied"
    LOGIN = "login", "Log in"


class AccessBasis(models.TextChoices):
    """Why someone could see a record. Recorded with every audit event."""

    SELF = "self", "Their own record"
    DIRECT_CARE = "direct-care", "Direct care at the person's GP practice"
    CARE_TEAM = "care-team", "Member of the person's care team"
    CONSENT = "consent", "Shared by the person"
    EMERGENCY = "emergency", "Emergency access (break glass)"
    SYSTEM = "system", "System process"
    NONE = "none", "No basis: refused"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("Audit events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only")


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


class AuditEvent(models.Model):
    """One read, search, change, download or refused attempt touching a person's data. Append-only: the
    model refuses updates and deletes, and on PostgreSQL a trigger refuses them too (migration 0002)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=200, help_text="Who, as shown at the time (kept if renamed)")
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    entity_type = models.CharField(max_length=60)
    entity_id = models.CharField(max_length=100, blank=True, default="")
    person_id_ref = models.UUIDField(null=True, blank=True, db_index=True, help_text="Whose record")
    basis = models.CharField(max_length=20, choices=AccessBasis.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.entity_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only")
        self.make_storable()
        super().save(*args, **kwargs)

    def make_storable(self) -> None:
        """Audit rows record what callers sent (paths, search terms), which may hold a NUL character that
        PostgreSQL cannot store in text or JSON. A refused audit write would refuse the request, so the NUL
        is replaced, never the event lost."""
        self.actor_label = _storable(self.actor_label)
        self.entity_type = _storable(self.entity_type)
        self.entity_id = _storable(self.entity_id)
        self.detail = _storable(self.detail)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only")
