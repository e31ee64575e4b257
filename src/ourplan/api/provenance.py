"""Every write over the API records its Provenance (api.WriteRecord) in the same database transaction as
the change, with the resource as it reads straight after the write (decision 0009)."""

from __future__ import annotations

import uuid
from typing import Any

from ourplan.api.auth import Caller
from ourplan.api.models import WriteRecord


def record_write(caller: Caller, resource_type: str, resource: dict[str, Any], *, created: bool, person: Any,
                 basis: str, transaction_id: uuid.UUID | None = None,
                 pending: list[WriteRecord] | None = None) -> WriteRecord:
    """Save the record now, or add it to `pending` for a transaction Bundle to save in one statement at its
    end (still inside its database transaction, so still all or nothing)."""
    token = caller.token
    record = WriteRecord(
        activity=WriteRecord.Activity.CREATE if created else WriteRecord.Activity.UPDATE,
        resource_type=resource_type,
        resource_id=uuid.UUID(resource["id"]),
        version=int(resource["meta"]["versionId"]),
        resource=resource,
        person_id_ref=person.public_id if person is not None else None,
        agent_user=caller.user,
        agent_label=caller.label[:200],
        organisation=token.organisation,
        token_id=token.public_id,
        basis=str(basis),
        transaction_id=transaction_id,
    )
    if pending is not None:
        pending.append(record)
    else:
        record.save()
    return record
