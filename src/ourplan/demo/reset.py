"""Removing demo data: every row the seed marked with DEMO_SOURCE, everyone registered at the demo practice
(people added through the app during a demo belong to it too), and what cascades from them.

Audit events are append-only and stay; they refer to people by UUID, so they survive the people. Users
stay too (see practice.py)."""

from __future__ import annotations

from django.db.models import ProtectedError, Q, RestrictedError

from ourplan.clinical.models import Condition, Observation
from ourplan.demo.practice import DemoConflict
from ourplan.demo.rng import DEMO_SOURCE
from ourplan.people.models import Organisation, Person, Practitioner
from ourplan.preparation.models import BatchJob
from ourplan.recall.models import AppointmentSlot


def _demo_people(prefix: str = "") -> Q:
    return Q(**{f"{prefix}source_system": DEMO_SOURCE}) | Q(**{f"{prefix}practice__source_system": DEMO_SOURCE})


def demo_data_exists() -> bool:
    return (
        Person.objects.filter(source_system=DEMO_SOURCE).exists()
        or Organisation.objects.filter(source_system=DEMO_SOURCE).exists()
    )


def delete_demo_data() -> dict[str, int]:
    """Delete the demo practice, staff and people. Returns rows deleted per model label."""
    deleted: dict[str, int] = {}

    def tally(result: tuple[int, dict[str, int]]) -> None:
        for label, count in result[1].items():
            deleted[label] = deleted.get(label, 0) + count

    try:
        # Results and conditions first, as single set-based deletes: far faster than letting the person
        # delete collect 100,000+ related rows in Python.
        tally(Observation.objects.filter(_demo_people("person__")).delete())
        tally(Condition.objects.filter(_demo_people("person__")).delete())
        tally(Person.objects.filter(_demo_people()).delete())
        # The diary goes after the people (their appointments cascade with them).
        tally(AppointmentSlot.objects.filter(practice__source_system=DEMO_SOURCE).delete())
        tally(BatchJob.objects.filter(practice__source_system=DEMO_SOURCE).delete())
        tally(Practitioner.objects.filter(source_system=DEMO_SOURCE).delete())
        tally(Organisation.objects.filter(source_system=DEMO_SOURCE).delete())
    except (ProtectedError, RestrictedError) as exc:
        objects = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        blockers = sorted({type(obj)._meta.label for obj in objects})
        raise DemoConflict(
            f"Demo data cannot be removed: {', '.join(blockers)} rows still refer to it. Delete those first, "
            "or start from an empty database."
        ) from exc
    return deleted
