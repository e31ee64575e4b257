"""`make demo` runs seed-demo --reset: it must work after someone has used every part of the demo."""

from __future__ import annotations

import pytest

from ourplan.core.models import User
from ourplan.demo.rng import DEMO_SOURCE
from ourplan.people.models import Organisation, Person
from ourplan.planning import actions as planning
from ourplan.preparation.models import BatchJob
from ourplan.recall.actions import do_invite
from ourplan.recall.models import AppointmentSlot
from tests.test_seed_demo import seed

pytestmark = pytest.mark.django_db


def test_reset_after_invitations_plans_diary_and_print_jobs():
    seed(people=60)
    clinician = User.objects.get(username="clinician")
    margaret = Person.objects.get(user__username="person")
    do_invite(clinician, margaret)
    planning.do_start_plan(clinician, margaret)
    BatchJob.objects.create(kind="print-letters", practice=margaret.practice, requested_by=clinician)
    assert AppointmentSlot.objects.exists()

    seed(people=60, reset=True)

    # The practice, the hospital clinic and community nurses in Margaret's care team, and the A&E department.
    assert Organisation.objects.filter(source_system=DEMO_SOURCE).count() == 4
    margaret = Person.objects.get(user__username="person")
    # Only the round the seed itself makes (her plan is agreed in the sharing story), not the invitation.
    assert not margaret.cycles.filter(invited_at__isnull=False).exists()
