"""The care plan through its pages and actions: versions and history, stale saves, the person's own edits
highlighted for the clinician, agreeing the plan, access for every persona, audit and query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ourplan.core.models import AccessBasis, AuditEvent
from ourplan.people.models import Consent, StaffMember
from ourplan.planning import actions
from ourplan.planning.models import CarePlan, Goal, GoalAction, PlanVersion
from ourplan.recall.models import CarePlanningCycle

pytestmark = pytest.mark.django_db


def u(name: str, *args) -> str:
    return reverse(f"planning:{name}", args=args)


@pytest.fixture
def plan(clinician, person):
    return actions.do_start_plan(clinician, person)


@pytest.fixture
def goal(clinician, plan):
    return actions.do_add_goal(clinician, plan, {"person_words": "Walk to my daughter's house by June",
                                                 "lifecycle_status": "active", "registers": ["DM", "HYP"],
                                                 "importance": 9, "confidence": 5})


@pytest.fixture
def action(clinician, goal):
    return actions.do_add_action(clinician, goal, {"what": "Walk round the park", "how_often": "3 times a week"})


def about_post(client, person, version, **fields):
    return client.post(u("about", person.public_id), {"version": version, **fields}, HTTP_HX_REQUEST="true")


class TestVersions:
    def test_starting_a_plan_twice_gives_one_plan_at_version_1(self, clinician, person):
        first = actions.do_start_plan(clinician, person)
        again = actions.do_start_plan(clinician, person)
        assert first.pk == again.pk and first.version == 1 and first.intent == "plan" and first.status == "draft"
        assert PlanVersion.objects.get(plan=first).summary == "Plan started"

    def test_the_database_refuses_a_second_current_plan(self, plan, person):
        with pytest.raises(IntegrityError), transaction.atomic():
            CarePlan.objects.create(person=person, status="active")

    def test_every_change_bumps_the_version_and_snapshots_the_whole_plan(self, clinician, plan, goal, action):
        plan.refresh_from_db()
        assert plan.version == 3
        latest = plan.versions.first()
        assert latest.number == 3 and latest.author == clinician and latest.author_kind == "staff"
        assert latest.summary.startswith("Action added")
        snap_goal = latest.snapshot["goals"][0]
        assert snap_goal["person_words"] == goal.person_words
        assert snap_goal["actions"][0]["what"] == "Walk round the park"
        assert f"action:{action.public_id}.what" in latest.changed

    def test_history_page_lists_every_version_with_author_and_time(self, as_user, clinician, person, plan, goal):
        body = as_user(clinician).get(u("history", person.public_id)).content.decode()
        for summary in ("Plan started", "Goal added: Walk to my daughter"):
            assert summary in body
        assert body.count("Megan Jones") >= 2
        assert timezone.localtime().strftime("%Y") in body

    def test_person_sees_the_history_of_their_own_plan(self, as_user, person, plan):
        response = as_user(person.user).get(u("my_history", person.public_id))
        assert response.status_code == 200 and "Plan started" in response.content.decode()


class TestConflicts:
    def test_stale_save_is_refused_shows_both_versions_and_keeps_your_text(self, as_user, clinician, hca,
                                                                            person, plan):
        mine, theirs = as_user(clinician), as_user(hca)
        saved = about_post(theirs, person, 1, what_matters="Seeing my grandchildren")
        assert "Seeing my grandchildren" in saved.content.decode() and "<form" not in saved.content.decode()
        response = about_post(mine, person, 1, what_matters="Gardening and my allotment")
        body = response.content.decode()
        assert 'data-testid="conflict"' in body
        assert "Seeing my grandchildren" in body  # theirs
        assert "Gardening and my allotment" in body  # yours, still in the form
        assert "Ravi Patel" in body
        plan.refresh_from_db()
        assert plan.what_matters == "Seeing my grandchildren" and plan.version == 2
        # The form now carries the version they have seen: saving the merged text succeeds.
        assert 'name="version" value="2"' in body
        about_post(mine, person, 2, what_matters="Seeing my grandchildren; gardening")
        plan.refresh_from_db()
        assert plan.what_matters == "Seeing my grandchildren; gardening" and plan.version == 3

    def test_a_change_elsewhere_in_the_plan_does_not_block_an_about_me_save(self, as_user, clinician, person,
                                                                           plan, goal):
        # The editor opened About me at version 1; a goal was added since (version 2).
        about_post(as_user(clinician), person, 1, please_do="Speak slowly")
        plan.refresh_from_db()
        assert plan.please_do == "Speak slowly" and plan.version == 3

    def test_stale_goal_save_conflicts_and_loses_nothing(self, as_user, clinician, hca, person, goal):
        url = u("goal_edit", person.public_id, goal.public_id)
        fields = {"category": "health", "lifecycle_status": "active", "version": 1}
        as_user(hca).post(url, {**fields, "person_words": "Walk to the post office"}, HTTP_HX_REQUEST="true")
        body = as_user(clinician).post(url, {**fields, "person_words": "Walk to church on Sundays"},
                                       HTTP_HX_REQUEST="true").content.decode()
        assert 'data-testid="conflict"' in body and "Walk to the post office" in body
        assert "Walk to church on Sundays" in body
        goal.refresh_from_db()
        assert goal.person_words == "Walk to the post office"


class TestGoalsAndActionsThroughPages:
    def test_clinician_adds_a_goal_with_target_and_linked_conditions(self, as_user, clinician, person, plan):
        response = as_user(clinician).post(u("goal_new", person.public_id), {
            "person_words": "Get my sugar down", "category": "health", "registers": ["DM", "HYP"],
            "measure": "hba1c", "comparator": "<=", "target_value": "58", "importance": "8", "confidence": "6",
            "lifecycle_status": "active"}, HTTP_HX_REQUEST="true")
        body = response.content.decode()
        goal = Goal.objects.get()
        assert goal.registers == ["DM", "HYP"] and goal.target_text == "HbA1c (IFCC) <= 58 mmol/mol"
        assert 'data-testid="seven-prompt"' in body  # confidence 6
        assert "When would you like to have done this by?" in body  # a SMART suggestion, and it still saved
        assert "<html" not in body

    def test_a_goal_with_a_rule_broken_is_shown_again_with_the_error(self, as_user, clinician, person, plan):
        body = as_user(clinician).post(u("goal_new", person.public_id), {
            "person_words": "Lower my sugar", "category": "health", "measure": "hba1c", "comparator": "<=",
            "lifecycle_status": "active"}, HTTP_HX_REQUEST="true").content.decode()
        assert "There is a problem" in body and "Enter the target value" in body
        assert not Goal.objects.exists()

    def test_without_javascript_a_failed_save_shows_the_form_in_a_full_page(self, as_user, clinician, person,
                                                                            plan):
        body = as_user(clinician).post(u("goal_new", person.public_id), {
            "person_words": "", "category": "health", "lifecycle_status": "active"}).content.decode()
        assert "<html" in body and "Ourplan for clinicians" in body and "There is a problem" in body

    def test_without_javascript_a_successful_save_returns_to_the_workspace(self, as_user, clinician, person,
                                                                          plan):
        response = as_user(clinician).post(u("goal_new", person.public_id), {
            "person_words": "Swim on Saturdays", "category": "wellbeing", "lifecycle_status": "active"})
        assert response.status_code == 302 and response["Location"] == u("workspace", person.public_id)

    def test_marking_an_action_done_records_when(self, as_user, clinician, person, action):
        as_user(clinician).post(u("action_mark", person.public_id, action.public_id), {"done": "1"},
                                HTTP_HX_REQUEST="true")
        action.refresh_from_db()
        assert action.status == GoalAction.Status.COMPLETED and action.done_at is not None
        as_user(clinician).post(u("action_mark", person.public_id, action.public_id), {"done": "0"})
        action.refresh_from_db()
        assert action.status == GoalAction.Status.NOT_STARTED and action.done_at is None

    def test_an_action_helped_by_a_service_must_name_it(self, as_user, clinician, person, goal):
        response = as_user(clinician).post(u("action_new", person.public_id, goal.public_id), {
            "what": "Join a walking group", "helper_kind": "service", "status": "not-started"},
            HTTP_HX_REQUEST="true")
        assert "Name the professional or service" in response.content.decode()
        assert response["HX-Retarget"] == f"#action-new-{goal.public_id}-form"

    def test_asthma_plan_starts_from_the_latest_personal_best_and_shows_zones(self, as_user, clinician, person,
                                                                            plan):
        from tests import factories as f

        f.obs(person, "peak_flow_best", "450", days_ago=20)
        client = as_user(clinician)
        client.post(u("contingency_new", person.public_id), {"kind": "asthma"}, HTTP_HX_REQUEST="true")
        item = plan.contingencies.get()
        assert item.personal_best == 450
        body = client.get(u("plan", person.public_id)).content.decode()
        assert "peak flow 360 or more" in body and "225 to 359" in body and "below 225" in body

    def test_contingency_edit_enforces_the_rules(self, as_user, clinician, person, plan):
        item = actions.do_add_contingency(clinician, plan, "copd")
        response = as_user(clinician).post(u("contingency_edit", person.public_id, item.public_id), {
            "version": item.version, "title": "COPD", "rescue_when": "", "rescue_contents": "Steroids",
            "rescue_tell": "GP", "urgent_help": "999", "who_to_contact": ""}, HTTP_HX_REQUEST="true")
        assert "Say when to start the rescue pack" in response.content.decode()


class TestThePersonOwnsThePlan:
    def test_person_edits_about_me_goal_words_and_actions_each_versioned_as_theirs(self, as_user, person,
                                                                                   goal, action):
        me = as_user(person.user)
        plan = goal.plan
        plan.refresh_from_db()
        me.post(u("my_about", person.public_id), {"version": plan.version, "what_matters": "My garden"})
        me.post(u("my_goal_edit", person.public_id, goal.public_id),
                {"version": goal.version, "person_words": "Walk to Susan's by June", "progress_notes": "Half way!",
                 "importance": "0"})
        me.post(u("my_action_mark", person.public_id, action.public_id), {"done": "1"})
        goal.refresh_from_db()
        action.refresh_from_db()
        assert goal.person_words == "Walk to Susan's by June" and goal.progress_notes == "Half way!"
        assert goal.importance == 9  # clinical fields are not the person's to change here
        assert action.status == "completed"
        kinds = list(plan.versions.order_by("-number").values_list("author_kind", "author_label")[:3])
        assert kinds == [("person", "Margaret Thompson")] * 3

    def test_person_adds_their_own_goal_as_proposed(self, as_user, person, plan):
        as_user(person.user).post(u("my_goal_new", person.public_id),
                                  {"person_words": "Sleep better", "lifecycle_status": "active"})
        assert Goal.objects.get().lifecycle_status == "proposed"

    def test_clinician_sees_what_the_person_changed_since_the_last_staff_change(self, as_user, clinician,
                                                                             person, goal):
        plan = goal.plan
        plan.refresh_from_db()
        actions.do_update_about(person.user, plan, plan.version, {"what_matters": "My garden"},
                                basis=AccessBasis.SELF)
        body = as_user(clinician).get(u("plan", person.public_id)).content.decode()
        assert 'data-testid="person-changes"' in body
        assert f"Changed by Margaret Thompson on {timezone.localdate():%-d %B %Y}" in body
        assert body.count('data-testid="changed"') == 1
        # Once the care team changes the plan, the highlights are cleared.
        actions.do_update_about(clinician, plan, plan.version, {"please_do": "Call me Maggie"})
        body = as_user(clinician).get(u("plan", person.public_id)).content.decode()
        assert 'data-testid="changed"' not in body

    def test_carer_reads_the_plan_but_edits_only_if_allowed_to_contribute(self, as_user, carer, person, plan):
        client = as_user(carer)
        page = client.get(u("shared_plan", person.public_id))
        assert page.status_code == 200 and "Edit about me" not in page.content.decode()
        assert client.post(u("my_about", person.public_id), {"version": 1, "what_matters": "x"}).status_code == 404
        Consent.objects.filter(related_person__user=carer).update(can_contribute=True)
        client.post(u("my_about", person.public_id), {"version": 1, "what_matters": "Her cat, Tiddles"})
        plan.refresh_from_db()
        assert plan.what_matters == "Her cat, Tiddles"
        assert plan.versions.first().author_kind == "representative"

    def test_a_plan_not_shared_with_the_person_is_not_shown_to_them(self, as_user, person, plan):
        CarePlan.objects.filter(pk=plan.pk).update(shared_with_person=False)
        body = as_user(person.user).get(u("my_plan")).content.decode()
        assert "has not shared a plan yet" in body

    def test_reading_age_is_shown_to_the_writer(self, as_user, person, plan):
        text = ("I would like to be able to walk to the shops on my own again. My daughter helps me on Fridays. "
                "I get tired after ten minutes and need to sit down for a rest.")
        actions.do_update_about(person.user, plan, 1, {"what_matters": text}, basis=AccessBasis.SELF)
        body = as_user(person.user).get(u("my_about", person.public_id)).content.decode()
        assert 'data-testid="reading-age"' in body


class TestAgreeingThePlan:
    def _agree(self, client, person, plan, **over):
        reviewer = StaffMember.objects.get(practitioner__user__username="nurse.jones")
        data = {"version": plan.version, "agreed_by_name": "Margaret Thompson", "agreed_by_role": "The person",
                "review_date": (timezone.localdate() + timedelta(days=180)).isoformat(), "reviewer": reviewer.pk,
                "share_with_person": "on", **over}
        return client.post(u("agree", person.public_id), data)

    def test_agreeing_records_who_when_review_and_moves_the_cycle_on(self, as_user, clinician, person, goal):
        plan = goal.plan
        plan.refresh_from_db()
        response = self._agree(as_user(clinician), person, plan)
        assert response.status_code == 302
        plan.refresh_from_db()
        assert plan.status == "active" and plan.agreed_by_name == "Margaret Thompson" and plan.agreed_at
        assert plan.agreed_with == clinician and plan.review_responsible.practitioner.user == clinician
        cycle = CarePlanningCycle.objects.get(person=person)  # started, as none was open
        assert cycle.conversation_held_at and cycle.plan_agreed_at and cycle.plan_shared_at
        assert cycle.review_due == plan.review_date
        body = as_user(person.user).get(u("my_plan")).content.decode()
        assert 'data-testid="agreed"' in body

    def test_a_plan_kept_from_the_person_is_agreed_but_not_marked_shared(self, as_user, clinician, person, goal):
        plan = goal.plan
        plan.refresh_from_db()
        self._agree(as_user(clinician), person, plan, share_with_person="")
        cycle = CarePlanningCycle.objects.get(person=person)
        assert cycle.plan_agreed_at and cycle.plan_shared_at is None

    def test_a_plan_without_goals_cannot_be_agreed(self, as_user, clinician, person, plan):
        body = self._agree(as_user(clinician), person, plan).content.decode()
        assert "Add at least one goal" in body
        plan.refresh_from_db()
        assert plan.status == "draft"

    def test_the_review_date_must_be_in_the_future(self, as_user, clinician, person, goal):
        plan = goal.plan
        plan.refresh_from_db()
        body = self._agree(as_user(clinician), person, plan,
                           review_date=timezone.localdate().isoformat()).content.decode()
        assert "The review date must be in the future" in body

    def test_agreeing_a_plan_that_changed_meanwhile_asks_to_reread_it(self, as_user, clinician, person, goal):
        plan = goal.plan
        plan.refresh_from_db()
        stale = plan.version
        actions.do_update_about(person.user, plan, plan.version, {"what_matters": "x"}, basis=AccessBasis.SELF)
        plan.version = stale
        body = self._agree(as_user(clinician), person, plan).content.decode()
        assert 'data-testid="conflict"' in body
        assert CarePlan.objects.get(pk=plan.pk).status == "draft"


class TestAccess:
    STAFF_PAGES = ("workspace", "plan", "history", "agree", "about", "pdf")

    @pytest.mark.parametrize("name", STAFF_PAGES)
    def test_clinician_at_the_practice_opens_staff_pages(self, as_user, clinician, person, plan, name):
        assert as_user(clinician).get(u(name, person.public_id)).status_code == 200

    @pytest.mark.parametrize("name", STAFF_PAGES)
    @pytest.mark.parametrize("who", ["other_clinician", "person_user", "carer", "other_person_user"])
    def test_everyone_else_gets_not_found_on_staff_pages(self, request, as_user, person, plan, name, who):
        user = {"person_user": lambda: person.user,
                "other_person_user": lambda: request.getfixturevalue("other_person").user}.get(
            who, lambda: request.getfixturevalue(who))()
        assert as_user(user).get(u(name, person.public_id)).status_code == 404

    @pytest.mark.parametrize("who", ["person_user", "carer"])
    def test_person_and_carer_with_consent_open_my_plan(self, request, as_user, person, plan, who):
        user = person.user if who == "person_user" else request.getfixturevalue(who)
        assert as_user(user).get(u("shared_plan", person.public_id)).status_code == 200

    @pytest.mark.parametrize("who", ["carer_expired", "carer_withdrawn", "other_clinician", "clinician"])
    def test_no_consent_or_staff_only_gets_not_found_on_my_plan(self, request, as_user, person, plan, who):
        client = as_user(request.getfixturevalue(who))
        assert client.get(u("shared_plan", person.public_id)).status_code == 404
        assert client.post(u("my_about", person.public_id), {"version": 1, "what_matters": "x"}).status_code == 404

    def test_other_person_cannot_see_or_change_this_plan(self, as_user, person, other_person, plan, goal):
        client = as_user(other_person.user)
        assert client.get(u("shared_plan", person.public_id)).status_code == 404
        assert client.post(u("my_goal_edit", person.public_id, goal.public_id),
                           {"person_words": "hacked"}).status_code == 404
        goal.refresh_from_db()
        assert goal.person_words != "hacked"

    def test_a_goal_from_another_persons_plan_is_not_found(self, as_user, clinician, person, other_person, goal):
        other_plan = actions.do_start_plan(clinician, other_person)
        assert other_plan.pk != goal.plan_id
        response = as_user(clinician).get(u("goal_edit", other_person.public_id, goal.public_id))
        assert response.status_code == 404

    @pytest.mark.parametrize("url", ["workspace", "plan", "my_plan"])
    def test_anonymous_is_sent_to_log_in(self, anonymous, person, url):
        response = anonymous.get(u(url) if url == "my_plan" else u(url, person.public_id))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_refused_attempts_are_audited(self, as_user, other_clinician, person, plan):
        as_user(other_clinician).get(u("plan", person.public_id))
        assert AuditEvent.objects.filter(action="denied", actor=other_clinician, entity_type="CarePlan").exists()


class TestAuditAndNotes:
    def test_every_change_writes_an_audit_row_with_person_and_basis(self, clinician, person, plan, goal):
        actions.do_update_about(person.user, plan, 2, {"wellness": "Swimming"}, basis=AccessBasis.SELF)
        rows = list(AuditEvent.objects.filter(entity_type="CarePlan").order_by("at", "id")
                    .values_list("action", "basis", "person_id_ref"))
        assert rows == [("create", "direct-care", person.public_id), ("update", "direct-care", person.public_id),
                        ("update", "self", person.public_id)]

    def test_reading_the_plan_is_audited(self, as_user, person, plan):
        as_user(person.user).get(u("my_plan"))
        assert AuditEvent.objects.filter(action="read", entity_type="CarePlan", basis="self").exists()

    def test_notes_autosave_and_a_stale_tab_is_told_not_overwritten(self, as_user, clinician, person):
        client = as_user(clinician)
        url = u("notes", person.public_id)

        def save(text, version):
            return client.post(url, {"text": text, "version": version}, HTTP_HX_REQUEST="true").content.decode()

        assert 'data-saved="true"' in save("BP better", "")
        save("BP better. Wants to swim.", "1")
        assert "changed in another window" in save("Old tab", "1")
        from ourplan.planning.models import ConversationNote

        note = ConversationNote.objects.get(person=person, author=clinician)
        assert note.text == "BP better. Wants to swim." and note.version == 2
        panel = client.get(url, HTTP_HX_REQUEST="true").content.decode()
        assert "BP better. Wants to swim." in panel and 'value="2"' in panel and "<html" not in panel

    def test_notes_save_without_javascript_and_return_to_the_workspace(self, as_user, clinician, person):
        response = as_user(clinician).post(u("notes", person.public_id), {"text": "Paper notes", "version": ""})
        assert response.status_code == 302 and response["Location"] == u("workspace", person.public_id)

    def test_pdf_downloads_in_standard_and_large_print_and_is_audited(self, as_user, person, goal):
        client = as_user(person.user)
        for suffix in ("", "?print=large"):
            response = client.get(u("my_pdf", person.public_id) + suffix)
            assert response.status_code == 200 and response.content.startswith(b"%PDF")
        assert "large-print" in response["Content-Disposition"]
        assert AuditEvent.objects.filter(action="download", entity_type="CarePlan").count() == 2


class TestWorkspace:
    def test_workspace_shows_results_goals_and_asks_for_the_agenda(self, as_user, clinician, person, goal):
        body = as_user(clinician).get(u("workspace", person.public_id)).content.decode()
        assert 'id="measure-hba1c"' in body and 'data-testid="goal-progress"' in body
        assert u("agenda", person.public_id) in body
        assert body.index("agenda") < body.index("measure-hba1c")

    def test_without_preparation_answers_the_agenda_says_none_returned(self, as_user, clinician, person):
        body = as_user(clinician).get(u("agenda", person.public_id)).content.decode()
        assert "No agenda returned" in body

    def test_the_agenda_shows_the_persons_prompt_sheet_answers_with_who_wrote_them(self, as_user, clinician,
                                                                                   person):
        from ourplan.preparation.models import PromptSheetAnswer
        from ourplan.recall.cycle import do_start_cycle

        cycle = do_start_cycle(clinician, person)
        PromptSheetAnswer.objects.create(cycle=cycle, question_key="matters", question_text="What matters to you?",
                                         answer="Walking my dog again", written_by_role="person",
                                         written_by_name="Margaret Thompson")
        body = as_user(clinician).get(u("agenda", person.public_id)).content.decode()
        assert "What matters to you?" in body and "Walking my dog again" in body
        assert "Margaret Thompson (the person)" in body and "No agenda returned" not in body

    def test_a_person_without_a_plan_is_offered_one(self, as_user, clinician, person):
        client = as_user(clinician)
        assert "Start the plan" in client.get(u("workspace", person.public_id)).content.decode()
        client.post(u("start", person.public_id))
        assert CarePlan.objects.filter(person=person).count() == 1

    def _big_plan(self, clinician, plan):
        for i in range(5):
            g = actions.do_add_goal(clinician, plan, {"person_words": f"Goal {i}", "lifecycle_status": "active"})
            for j in range(3):
                actions.do_add_action(clinician, g, {"what": f"Action {i}.{j}"})
        actions.do_add_contingency(clinician, plan, "asthma")
        actions.do_add_contingency(clinician, plan, "copd")

    @pytest.mark.parametrize("name", ["workspace", "plan"])
    def test_staff_pages_use_at_most_10_queries(self, as_user, clinician, person, plan, name,
                                                django_assert_max_num_queries):
        self._big_plan(clinician, plan)
        actions.do_update_about(person.user, plan, plan.versions.first().number, {"what_matters": "x"},
                                basis=AccessBasis.SELF)
        client = as_user(clinician)
        client.get(u(name, person.public_id))
        with django_assert_max_num_queries(10):
            response = client.get(u(name, person.public_id))
        assert response.content.decode().count('data-testid="action"') == 15

    def test_my_plan_uses_at_most_10_queries(self, as_user, clinician, person, plan, django_assert_max_num_queries):
        self._big_plan(clinician, plan)
        client = as_user(person.user)
        client.get(u("my_plan"))
        with django_assert_max_num_queries(10):
            client.get(u("my_plan"))
