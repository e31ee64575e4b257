"""Goal check-ins: recording progress (person and carers allowed to contribute), validation, the history
next to the goal for the person and the clinician, reminders once per due check-in, and access."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditEvent
from ourplan.messaging.api import choose_channel
from ourplan.messaging.models import Communication
from ourplan.people.models import Consent
from ourplan.planning import actions
from ourplan.support import checkins
from ourplan.support.models import CheckInSchedule, GoalCheckIn
from ourplan.support.tasks import send_checkin_reminders

pytestmark = pytest.mark.django_db


@pytest.fixture
def goal(clinician, person):
    plan = actions.do_start_plan(clinician, person)
    return actions.do_add_goal(clinician, plan, {"person_words": "feel less lonely", "category": "social",
                                                 "lifecycle_status": "active"})


def _url(person, goal, what="check-in"):
    return f"/my/people/{person.public_id}/goals/{goal.public_id}/{what}/"


def test_the_person_checks_in_and_sees_the_history_next_to_the_goal(as_user, person, goal, clinician):
    client = as_user(person.user)
    response = client.post(_url(person, goal), {"progress": "6", "note": "Went to the lunch club"})
    assert response.status_code == 302 and response["Location"] == "/my/support/"
    checkin = GoalCheckIn.objects.get()
    assert (checkin.progress, checkin.role, checkin.written_by) == (6, "person", person.user)
    page = client.get("/my/support/").content.decode()
    history = page.split(f'data-testid="checkins-{goal.public_id}"')[1].split("</table>")[0]
    assert "<strong>6</strong>/10" in history and "Went to the lunch club" in history
    staff = as_user(clinician).get(f"/staff/people/{person.public_id}/support/").content.decode()
    assert "Went to the lunch club" in staff.split(f'data-testid="checkins-{goal.public_id}"')[1]
    assert AuditEvent.objects.filter(entity_type="GoalCheckIn", action="create", basis="self",
                                     entity_id=str(checkin.public_id)).exists()


@pytest.mark.parametrize(("progress", "note", "message"), [
    ("", "", "Choose how it is going, from 0"),
    ("11", "", "How it is going must be a whole number from 0 to 10"),
    ("-1", "", "How it is going must be a whole number from 0 to 10"),
    ("5", "x" * 501, "Your note must be 500 characters or fewer. It has 501"),
])
def test_check_in_validation_gives_a_clear_message(as_user, person, goal, progress, note, message):
    response = as_user(person.user).post(_url(person, goal), {"progress": progress, "note": note})
    assert response.status_code == 400 and message in response.content.decode()
    assert not GoalCheckIn.objects.exists()


def test_a_note_of_exactly_500_characters_and_zero_progress_are_fine(person, goal):
    checkin = checkins.do_check_in(person.user, person, goal, progress="0", note="y" * 500, basis=AccessBasis.SELF)
    assert checkin.progress == 0 and len(checkin.note) == 500


def test_a_carer_who_may_contribute_checks_in_one_who_may_not_only_reads(as_user, person, goal, carer):
    client = as_user(carer)
    assert client.post(_url(person, goal), {"progress": "4"}).status_code == 404
    assert client.get(f"/my/people/{person.public_id}/support/").status_code == 200
    Consent.objects.filter(person=person).update(can_contribute=True)
    response = client.post(_url(person, goal), {"progress": "4", "note": "A quieter week"})
    assert response.status_code == 302 and response["Location"] == f"/my/people/{person.public_id}/support/"
    assert GoalCheckIn.objects.get().role == "carer"
    assert AuditEvent.objects.filter(entity_type="GoalCheckIn", action="create", basis="consent").exists()


@pytest.mark.parametrize("who", ["other_person", "carer_expired", "carer_withdrawn", "other_clinician"])
def test_people_without_access_get_not_found(request, as_user, who, person, goal):
    Consent.objects.filter(person=person).update(can_contribute=True)
    user = request.getfixturevalue(who)
    client = as_user(getattr(user, "user", user))
    assert client.post(_url(person, goal), {"progress": "5"}).status_code == 404
    assert client.post(_url(person, goal, "rhythm"), {"rhythm": "weekly"}).status_code == 404
    assert not GoalCheckIn.objects.exists() and not CheckInSchedule.objects.exists()
    assert AuditEvent.objects.filter(action="denied", entity_type__in=["GoalCheckIn", "CheckInSchedule"]).exists()


def test_a_goal_not_in_the_persons_plan_is_not_found(as_user, clinician, person, other_person, goal):
    plan = actions.do_start_plan(clinician, other_person)
    theirs = actions.do_add_goal(clinician, plan, {"person_words": "walk the dog", "lifecycle_status": "active"})
    assert as_user(person.user).post(_url(person, theirs), {"progress": "5"}).status_code == 404


def test_choosing_a_rhythm_and_checking_in_moves_next_due_by_the_rhythm(as_user, person, goal):
    client = as_user(person.user)
    assert client.post(_url(person, goal, "rhythm"), {"rhythm": ""}).status_code == 400
    assert client.post(_url(person, goal, "rhythm"), {"rhythm": "fortnightly"}).status_code == 302
    schedule = CheckInSchedule.objects.get()
    today = timezone.localdate()
    assert schedule.next_due == today + timedelta(days=14) and schedule.channel == choose_channel(person)
    assert AuditEvent.objects.filter(entity_type="CheckInSchedule", action="create").exists()
    client.post(_url(person, goal), {"progress": "7"})
    schedule.refresh_from_db()
    assert schedule.next_due == today + timedelta(days=14)
    later = today + timedelta(days=20)
    checkins.do_check_in(person.user, person, goal, progress=8, basis=AccessBasis.SELF, today=later)
    schedule.refresh_from_db()
    assert schedule.next_due == later + timedelta(days=14)
    assert checkins.after(date(2025, 1, 31), "monthly") == date(2025, 2, 28)
    assert checkins.after(date(2025, 12, 15), "weekly") == date(2025, 12, 22)
    page = client.get("/my/support/").content.decode()
    assert f"Next check-in: {schedule.next_due.day} {schedule.next_due:%B %Y}" in page


def test_a_due_check_in_sends_one_reminder_never_two(person, goal):
    today = timezone.localdate()
    schedule = checkins.do_set_schedule(person.user, person, goal, "weekly", basis=AccessBasis.SELF)
    assert checkins.send_due_checkin_reminders(today) == 0  # not due yet
    assert not Communication.objects.exists()
    due = schedule.next_due
    assert checkins.send_due_checkin_reminders(due) == 1
    assert checkins.send_due_checkin_reminders(due) == 0
    assert checkins.send_due_checkin_reminders(due + timedelta(days=3)) == 0  # still the same due check-in
    send_checkin_reminders.call(due.isoformat())
    message = Communication.objects.get()
    assert message.key == f"checkin:{schedule.public_id}:{due.isoformat()}" and message.kind == "reminder"
    assert "lonely" not in message.body and message.link == "/my/support/"
    assert AuditEvent.objects.filter(entity_type="Communication", action="create", basis="system").count() == 1
    # Checking in moves the due date on; the next due check-in gets its own reminder.
    checkins.do_check_in(person.user, person, goal, progress=5, basis=AccessBasis.SELF, today=due)
    schedule.refresh_from_db()
    assert schedule.next_due == due + timedelta(days=7)
    assert checkins.send_due_checkin_reminders(due + timedelta(days=1)) == 0
    assert checkins.send_due_checkin_reminders(schedule.next_due) == 1
    assert Communication.objects.count() == 2


def test_no_reminder_for_a_goal_that_is_finished(person, goal, clinician):
    schedule = checkins.do_set_schedule(person.user, person, goal, "weekly", basis=AccessBasis.SELF)
    type(goal).objects.filter(pk=goal.pk).update(lifecycle_status="completed")
    assert checkins.send_due_checkin_reminders(schedule.next_due) == 0
    assert not Communication.objects.exists()


def test_staff_check_in_role_and_unknown_basis(person, goal, clinician):
    assert checkins.do_check_in(clinician, person, goal, progress=3, basis=AccessBasis.DIRECT_CARE).role == "staff"
    with pytest.raises(ActionError, match="Only the person"):
        checkins.do_check_in(clinician, person, goal, progress=3, basis=AccessBasis.NONE)
