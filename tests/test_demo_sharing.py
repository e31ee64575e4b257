"""The sharing story in the demo: Margaret shares her plan with her daughter and with the hospital clinic
for 6 months; the clinic's nurse sees the plan but not the sensitive part; her daughter completes a task; the
district nurse completes hers; Margaret sees all three on "Who has seen my record"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ourplan.coordination.models import Task
from ourplan.core.models import User
from ourplan.people.models import Consent, Person
from ourplan.planning.models import GoalAction

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed-demo", people=5, seed=7, allow_without_debug=True, verbosity=0)
    return Person.objects.get(user__username="person")


def _as(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_margaret_shares_with_her_daughter_and_the_clinic_for_six_months(demo):
    clinic = Consent.objects.get(person=demo, organisation__name="Riverside Hospital Diabetes Clinic",
                                 status="active")
    assert clinic.ends_at is not None
    assert timedelta(days=175) < clinic.ends_at - timezone.now() < timedelta(days=185)
    assert not clinic.include_sensitive
    assert Consent.objects.filter(person=demo, related_person__user__username="carer", status="active").exists()
    team = _as("person").get(reverse("sharing:my_team")).content.decode()
    assert "Riverside Hospital Diabetes Clinic" in team and "Sarah Thompson" in team and "Owen Davies" in team


def test_the_clinic_nurse_sees_the_plan_without_the_sensitive_part(demo):
    page = _as("clinicnurse").get(reverse("planning:plan", args=[demo.public_id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Walk to the park" in html and "Feel less low" not in html and "Mental health crisis" not in html
    clinician = _as("clinician").get(reverse("planning:plan", args=[demo.public_id])).content.decode()
    assert "Feel less low" in clinician


def test_the_carer_and_the_district_nurse_complete_their_tasks_and_margaret_sees_who_looked(demo):
    _as("clinicnurse").get(reverse("planning:plan", args=[demo.public_id]))
    carer = _as("carer")
    shared = carer.get(reverse("planning:shared_plan", args=[demo.public_id])).content.decode()
    assert "Pick up the new walking shoes" in shared and "Mark as done" in shared
    carer_task = Task.objects.get(person=demo, assignee__related_person__user__username="carer")
    carer.post(reverse("coordination:my_task_done", args=[carer_task.public_id]))
    carer_task.refresh_from_db()
    assert carer_task.status == Task.Status.COMPLETED

    nurse = _as("districtnurse")
    task = Task.objects.get(person=demo, assignee__staff_member__practitioner__user__username="districtnurse")
    assert f'data-testid="task-{task.public_id}"' in nurse.get(reverse("coordination:worklist")).content.decode()
    nurse.post(reverse("coordination:task", args=[task.public_id]), {"version": task.version, "status": "completed"})
    assert GoalAction.objects.get(pk=task.action_id).status == GoalAction.Status.COMPLETED

    seen = _as("person").get(reverse("sharing:my_seen")).content.decode()
    for who in ("Priya Shah", "Sarah Thompson", "Owen Davies"):
        assert who in seen
    assert "updated a task in your plan" in seen and "looked at your care plan" in seen
