"""Writing audit events. Every read or change of a person's record calls `record`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.http import HttpRequest

from ourplan.core.models import AccessBasis, AuditAction, AuditEvent

if TYPE_CHECKING:
    from ourplan.core.models import User


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def actor_label(user: User | None) -> str:
    if user is None or not user.is_authenticated:
        return "anonymous"
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username


def record(
    actor: User | None,
    action: AuditAction | str,
    entity_type: str,
    entity_id: str | UUID = "",
    *,
    person: UUID | None = None,
    basis: AccessBasis | str = AccessBasis.SYSTEM,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. `person` is the public id of the person whose record was touched."""
    user = actor if actor is not None and actor.is_authenticated else None
    if request is not None:
        # The page or API path the event came from: lets an auditor (and the authorization matrix test)
        # tie every access event to the request that caused it.
        detail = {"path": request.path, **(detail or {})}
    return AuditEvent.objects.create(
        actor=user,
        actor_label=actor_label(actor),
        action=str(action),
        entity_type=entity_type,
        entity_id=str(entity_id),
        person_id_ref=person,
        basis=str(basis),
        ip_address=_client_ip(request),
        detail=detail or {},
    )


def record_many(events: Iterable[AuditEvent]) -> None:
    """Bulk append (imports and seeding), still one event per record touched."""
    rows = list(events)
    for row in rows:
        row.make_storable()  # bulk_create skips save()
    AuditEvent.objects.bulk_create(rows, batch_size=1000)
