"""Co-ordination tasks: actions given to professionals become tasks on their worklist; completing them
updates the plan; review tasks come from the review date; people hear about it without clinical detail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ourplan.coordination import actions
from ourplan.coordination.models import Task
from ourplan.core.models import AuditEvent
from ourplan.messaging.models import Communication
from ourplan.people.models import Practitioner
from ourplan.planning.models import GoalAction, PlanVersion
from tests.sharing_support import care_team, carer_member, plan_with_sensitive_part

pytestmark = pytest.mark.django_db


def test_an_action_given_to_the_district_nurse_becomes_a_task_and_completing_it_updates_the_plan(
        person, clinician, as_user):
    plan = plan_with_sensitive_part(person, clinician)
    team = care_team(person, clinician)
    staff = as_user(clinician)
    form = staff.get(reverse("coordination:person_tasks", args=[person.public_id]),
                     {"action": str(plan.feet_action.public_id)})
    assert 'data-testid="from-action"' in form.content.decode()
    staff.post(reverse("coordination:person_tasks", args=[person.public_id]), {
        "action": str(plan.feet_action.public_id), "title": "Check Margaret's feet",
        "assignee": str(team.district_member.public_id),
        "due_date": (timezone.localdate() + timedelta(days=7)).isoformat()})
    task = Task.objects.get(action=plan.feet_action)
    assert task.assignee == team.district_member and task.goal == plan.open_goal

    nurse = as_user(team.district_nurse)
    worklist = nurse.get(reverse("coordination:worklist"), {"view": "mine"}).content.decode()
    assert "Check Margaret&#39;s feet" in worklist
    versions_before = PlanVersion.objects.filter(plan=plan.plan).count()
    nurse.post(reverse("coordination:task", args=[task.public_id]),
               {"version": task.version, "status": "completed", "outcome": "Blister healing well"})
    task.refresh_from_db()
    assert task.status == Task.Status.COMPLETED and task.completed_by == team.district_nurse
    assert GoalAction.objects.get(pk=plan.feet_action.pk).status == GoalAction.Status.COMPLETED
    latest = PlanVersion.objects.filter(plan=plan.plan).order_by("-number").first()
    assert PlanVersion.objects.filter(plan=plan.plan).count() == versions_before + 1
    assert latest is not None and latest.author == team.district_nurse
    # The person sees it done on their plan.
    my_plan = as_user(person.user).get(reverse("planning:my_plan")).content.decode()
    assert "Done" in my_plan


def test_the_assignee_is_told_of_a_new_task_with_no_clinical_detail(person, clinician):
    plan = plan_with_sensitive_part(person, clinician)
    team = care_team(person, clinician)
    Practitioner.objects.filter(user=team.district_nurse).update(email="owen.davies@example.nhs.uk")
    team.district_member.refresh_from_db()
    task = actions.do_create_task(clinician, person, title="Check Margaret's feet", assignee=team.district_member,
                                  action=plan.feet_action)
    message = Communication.objects.get(key=f"task-assigned:{task.public_id}")
    assert message.audience == Communication.Audience.CARE_TEAM and message.channel == "email"
    assert message.to_address == "owen.davies@example.nhs.uk"
    for text in (message.subject, message.body):
        assert "Margaret" not in text and "feet" not in text
    assert message.link == reverse("coordination:task", args=[task.public_id])


def test_the_person_is_told_when_their_agreed_plan_changes_at_most_once_a_day(person, clinician):
    person.preferred_contact = "portal"
    person.save()
    plan = plan_with_sensitive_part(person, clinician)
    from ourplan.planning import actions as plans

    plans.do_add_goal(clinician, plan.plan, {"person_words": "Sleep better"})
    plans.do_add_goal(clinician, plan.plan, {"person_words": "Cook twice a week"})
    notices = Communication.objects.filter(person=person, subject="Your care plan has changed")
    assert notices.count() == 1
    assert "goal" not in notices.get().body.lower()


def test_staff_cannot_give_a_task_to_someone_outside_the_care_team_or_in_the_past(person, clinician, as_user):
    url = reverse("coordination:person_tasks", args=[person.public_id])
    response = as_user(clinician).post(url, {"title": "", "assignee": "nobody", "due_date": "tomorrow"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Say what needs doing" in html and "Choose who will do it" in html and "YYYY-MM-DD" in html
    past = as_user(clinician).post(url, {"title": "Ring", "assignee": "person",
                                         "due_date": (timezone.localdate() - timedelta(days=1)).isoformat()})
    assert past.status_code == 400 and "cannot be in the past" in past.content.decode()
    assert not Task.objects.exists()


def test_agreeing_a_plan_makes_a_review_task_for_the_responsible_person(person, clinician, as_user):
    plan = plan_with_sensitive_part(person, clinician)
    task = Task.objects.get(plan=plan.plan, kind=Task.Kind.REVIEW)
    assert task.due_date == plan.plan.review_date
    assert task.assignee is not None and task.assignee.staff_member.practitioner.user == clinician
    assert actions.create_due_review_tasks() == 0  # already there: the daily job adds nothing
    worklist = as_user(clinician).get(reverse("coordination:worklist"), {"view": "mine"}).content.decode()
    assert "Review the care plan" in worklist


def test_overdue_tasks_show_on_the_team_worklist(person, clinician, hca, as_user):
    plan = plan_with_sensitive_part(person, clinician)
    task = Task.objects.get(plan=plan.plan, kind=Task.Kind.REVIEW)
    Task.objects.filter(pk=task.pk).update(due_date=timezone.localdate() - timedelta(days=3))
    overdue = as_user(hca).get(reverse("coordination:worklist"), {"view": "overdue"}).content.decode()
    assert "Review the care plan" in overdue and "Overdue" in overdue
    assert "Review the care plan" not in as_user(hca).get(reverse("coordination:worklist"),
                                                          {"view": "mine"}).content.decode()


def test_the_carer_completes_their_task_on_the_shared_plan_and_the_person_sees_it(
        person, clinician, carer, as_user):
    plan = plan_with_sensitive_part(person, clinician)
    member = carer_member(person, carer, clinician)
    task = actions.do_create_task(clinician, person, title="Pick up the new walking shoes", assignee=member,
                                  action=plan.carer_action)
    page = as_user(carer).get(reverse("planning:shared_plan", args=[person.public_id])).content.decode()
    assert f'data-testid="my-task-{task.public_id}"' in page and "Mark as done" in page
    as_user(carer).post(reverse("coordination:my_task_done", args=[task.public_id]))
    task.refresh_from_db()
    assert task.status == Task.Status.COMPLETED and task.completed_by == carer
    seen = as_user(person.user).get(reverse("sharing:my_seen")).content.decode()
    assert "Sam Carer" in seen and "updated a task in your plan" in seen


def test_a_carer_cannot_complete_someone_elses_task(person, clinician, carer, as_user):
    plan = plan_with_sensitive_part(person, clinician)
    team = care_team(person, clinician)
    task = actions.do_create_task(clinician, person, title="Check feet", assignee=team.district_member,
                                  action=plan.feet_action)
    assert as_user(carer).post(reverse("coordination:my_task_done", args=[task.public_id])).status_code == 404
    task.refresh_from_db()
    assert task.status == Task.Status.REQUESTED
    assert AuditEvent.objects.filter(actor=carer, action="denied", entity_id=str(task.public_id)).count() == 1


def test_the_persons_own_tasks_show_in_my_plan_and_they_tick_them(person, clinician, as_user):
    plan_with_sensitive_part(person, clinician)
    task = actions.do_create_task(clinician, person, title="Phone the talking therapies service", for_person=True)
    me = as_user(person.user)
    assert "Phone the talking therapies service" in me.get(reverse("planning:my_plan")).content.decode()
    me.post(reverse("coordination:my_task_done", args=[task.public_id]))
    task.refresh_from_db()
    assert task.status == Task.Status.COMPLETED


def test_two_people_updating_one_task_never_overwrite_each_other(person, clinician, hca, as_user):
    plan = plan_with_sensitive_part(person, clinician)
    task = Task.objects.get(plan=plan.plan, kind=Task.Kind.REVIEW)
    url = reverse("coordination:task", args=[task.public_id])
    as_user(clinician).post(url, {"version": task.version, "status": "in-progress"})
    stale = as_user(hca).post(url, {"version": task.version, "status": "cancelled"})
    assert stale.status_code == 409 and 'data-testid="conflict"' in stale.content.decode()
    task.refresh_from_db()
    assert task.status == Task.Status.IN_PROGRESS


def test_the_daily_review_task_command_fills_gaps_and_is_safe_to_run_twice(person, clinician):
    from io import StringIO

    from django.core.management import call_command

    plan = plan_with_sensitive_part(person, clinician)
    Task.objects.filter(plan=plan.plan).delete()
    out = StringIO()
    call_command("review-tasks", stdout=out)
    assert "1 review task created" in out.getvalue()
    call_command("review-tasks", stdout=out)
    assert Task.objects.filter(plan=plan.plan, kind=Task.Kind.REVIEW).count() == 1


def test_a_self_harm_answer_becomes_a_task_for_the_review_lead_due_today(person, clinician, practice_admin, as_user):
    from ourplan.review.actions import do_record_questionnaire

    plan_with_sensitive_part(person, clinician)
    do_record_questionnaire(person.user, person, "phq9", [0] * 8 + [2], basis="self")
    task = Task.objects.get(person=person, title=actions.URGENT_TITLE)
    assert task.due_date == timezone.localdate()
    assert task.assignee is not None and task.assignee.staff_member.practitioner.user == clinician
    mine = as_user(clinician).get(reverse("coordination:worklist"), {"view": "mine"}).content.decode()
    assert "Urgent: same-day clinical follow-up" in mine
    # Admin staff see that there is urgent work, never the clinical reason.
    team = as_user(practice_admin).get(reverse("coordination:worklist"), {"view": "team"}).content.decode()
    assert "PHQ" not in team and "self-harm" not in team


def test_ticking_the_action_in_the_plan_completes_its_task(person, clinician, as_user):
    plan = plan_with_sensitive_part(person, clinician)
    task = actions.do_create_task(clinician, person, title="Pick up the shoes", for_person=True,
                                  action=plan.carer_action)
    as_user(person.user).post(reverse("planning:my_action_mark", args=[person.public_id, plan.carer_action.public_id]),
                              {"done": "1"})
    task.refresh_from_db()
    action = GoalAction.objects.get(pk=plan.carer_action.pk)
    assert action.status == GoalAction.Status.COMPLETED and task.status == Task.Status.COMPLETED


def test_the_person_does_not_see_the_teams_internal_tasks(person, clinician, as_user):
    plan_with_sensitive_part(person, clinician)
    page = as_user(person.user).get(reverse("planning:my_plan")).content.decode()
    assert "Review the care plan" not in page


def test_giving_a_task_to_practice_staff_adds_them_to_the_care_team(person, clinician, hca, as_user):
    from ourplan.sharing.models import CareTeamMember
    from tests.sharing_support import staff_of

    url = reverse("coordination:person_tasks", args=[person.public_id])
    form = as_user(clinician).get(url).content.decode()
    choice = f"staff:{staff_of(hca).public_id}"
    assert choice in form
    as_user(clinician).post(url, {"title": "Take bloods", "assignee": choice})
    member = CareTeamMember.objects.get(team__person=person, staff_member=staff_of(hca))
    assert Task.objects.get(title="Take bloods").assignee == member
    refused = as_user(clinician).post(url, {"title": "x" * 301, "assignee": "person"})
    assert refused.status_code == 400 and "300 characters" in refused.content.decode()
