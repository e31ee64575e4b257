"""Helpers for the preparation tests: a care planning round with its tests done, and a pack sent."""

from __future__ import annotations

from ourplan.preparation.actions import do_prepare_and_send
from ourplan.recall.cycle import do_mark_stage, do_start_cycle


def ready_cycle(actor, person):
    """An open round for `person` with information gathering done."""
    cycle = do_start_cycle(actor, person)
    do_mark_stage(actor, cycle, "information_gathered")
    return cycle


def sent_by_portal(actor, person):
    """The person's pack, made and sent through the website (marks preparation_sent)."""
    person.preferred_contact = "portal"
    person.save(update_fields=["preferred_contact"])
    cycle = ready_cycle(actor, person)
    pack, message = do_prepare_and_send(actor, cycle)
    cycle.refresh_from_db()
    return cycle, pack, message


def with_address(person, address="12 High Street\nRiverside", postcode="RV2 3BB"):
    person.address, person.postcode = address, postcode
    person.save(update_fields=["address", "postcode"])
    return person
