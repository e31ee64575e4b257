"""Optimistic concurrency: a change applies only if the row still has the version the editor started
from. Two editors can never silently overwrite each other (hazard H3, a lost edit)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F
from django.utils import timezone

from ourplan.core.errors import EditConflict
from ourplan.core.models import PublicModel


def apply_versioned_update(obj: PublicModel, expected_version: int, changes: dict[str, Any]) -> None:
    """UPDATE ... WHERE id = ? AND version = expected. One statement, so the check and the write are atomic
    on SQLite and PostgreSQL alike. Raises EditConflict (and changes nothing) if someone saved first."""
    model: type[models.Model] = type(obj)
    now = timezone.now()
    updated = model._default_manager.filter(pk=obj.pk, version=expected_version).update(
        **changes, version=F("version") + 1, updated_at=now
    )
    if updated != 1:
        current = model._default_manager.filter(pk=obj.pk).values_list("version", flat=True).first()
        raise EditConflict(current or 0)
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.version = expected_version + 1
    obj.updated_at = now
