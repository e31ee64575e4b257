"""One audit event per API request: reads of person data with the basis, searches once with the count,
writes, and refused attempts (no token, scope refused, not found or not allowed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.http import HttpRequest

from ourplan.api.auth import Caller
from ourplan.core.models import AccessBasis, AuditAction, AuditEvent


@dataclass
class RequestAudit:
    """What the request did, filled in as it runs and written once at the end."""

    action: str = AuditAction.READ
    entity_type: str = ""
    entity_id: str = ""
    person: UUID | None = None
    basis: str = AccessBasis.NONE
    detail: dict[str, Any] = field(default_factory=dict)

    def write(self, request: HttpRequest, caller: Caller | None, status: int) -> None:
        self.event(request, caller, status).save()

    def event(self, request: HttpRequest, caller: Caller | None, status: int) -> AuditEvent:
        """The audit event, unsaved (a transaction Bundle writes its entries' events in one go)."""
        user = caller.user if caller is not None else None
        label = caller.label if caller is not None else "API: no valid token"
        return AuditEvent(
            actor=user,
            actor_label=label[:200],
            action=str(self.action),
            entity_type=self.entity_type[:60] or "FHIR API",
            entity_id=self.entity_id[:100],
            person_id_ref=self.person,
            basis=str(self.basis),
            ip_address=request.META.get("REMOTE_ADDR") or None,
            detail={"path": request.path[:500], "method": request.method, "status": status,
                    "token": str(caller.token.public_id) if caller else None, **self.detail},
        )


def denied(entry: RequestAudit) -> None:
    entry.action = AuditAction.DENIED
    entry.basis = AccessBasis.NONE


