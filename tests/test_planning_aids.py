"""The staff decision aid library: writing aids, clinician approval, un-approval on change, conflicts, access."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ourplan.core.errors import ActionError
from ourplan.core.models import AuditEvent
from ourplan.planning import actions, aids
from ourplan.planning.models import DecisionAid

pytestmark = pytest.mark.django_db

OPTION_A = {"name": "Walk every day", "involves": "A 20 minute walk each morning, building up slowly.",
            "pros": "No tablets and it helps mood too.", "cons": "Needs time and good weather.",
            "evidence": "Regular walking lowers blood pressure a little in most people.",
            "uncertainties": "How much it helps varies."}
OPTION_B = {"name": "Take a tablet", "involves": "One tablet each morning.", "pros": "Works within weeks.",
            "cons": "Some people get ankle swelling.", "evidence": "Lowers blood pressure in most people.",
            "uncertainties": "Which tablet suits you best is not known in advance."}


def u(name: str, *args) -> str:
    return reverse(f"planning:{name}", args=args)


def post_data(title="Being more active", question="Should I try to be more active?", options=(OPTION_A, OPTION_B),
              version=None, **extra) -> dict[str, str]:
    data = {"title": title, "question": question, "source": "", "option_count": str(len(options)), **extra}
    if version is not None:
        data["version"] = str(version)
    for i, option in enumerate(options):
        data.update({f"option-{i}-{k}": v for k, v in option.items()})
    return data


@pytest.fixture
def draft(hca):
    return aids.do_create_aid(hca, {"title": "Being more active", "question": "Should I be more active?",
                                    "options": [OPTION_A, OPTION_B]})


@pytest.fixture
def bp_aid():
    return DecisionAid.objects.get(title="Ways to lower blood pressure")


class TestWritingAids:
    def test_staff_see_approved_aids_and_drafts_with_who_approved(self, as_user, hca, draft):
        body = as_user(hca).get(u("aids")).content.decode()
        assert "Ways to lower blood pressure" in body and "Being more active" in body
        assert "Draft" in body and "Ourplan example content (review locally)" in body

    def test_creating_an_aid_saves_a_draft_with_an_audit_row(self, as_user, hca):
        response = as_user(hca).post(u("aid_new"), post_data())
        aid = DecisionAid.objects.get(title="Being more active")
        assert response.status_code == 302 and response["Location"] == u("aid_edit", aid.public_id)
        assert aid.approved_at is None and aid.options[0]["involves"].startswith("A 20 minute walk")
        event = AuditEvent.objects.get(entity_type="DecisionAid", entity_id=str(aid.public_id))
        assert event.action == "create" and event.actor == hca

    def test_creating_with_missing_texts_shows_each_message_beside_its_field_and_keeps_the_text(self, as_user,
                                                                                               clinician):
        incomplete = {**OPTION_B, "evidence": ""}
        body = as_user(clinician).post(u("aid_new"), post_data(title="", options=(OPTION_A, incomplete))
                                       ).content.decode()
        assert not DecisionAid.objects.filter(question="Should I try to be more active?").exists()
        assert 'id="aid-title-error"' in body and "Give the aid a title" in body
        assert 'id="aid-option-1-evidence-error"' in body and "Write what the evidence says for option 2" in body
        assert "Some people get ankle swelling." in body  # nothing typed is lost

    def test_an_aid_needs_at_least_two_options(self):
        with pytest.raises(ActionError) as exc:
            aids.do_create_aid(None, {"title": "t", "question": "q", "options": [OPTION_A, {"name": ""}]})
        assert exc.value.field == "options"

    def test_each_text_shows_its_reading_age(self, as_user, clinician, draft):
        long_text = ("Regular walking lowers blood pressure a little in most people who keep it up. "
                     "It also helps sleep, mood and weight over the months ahead.")
        aids.do_update_aid(clinician, draft, draft.version, {
            "title": draft.title, "question": draft.question, "options": [{**OPTION_A, "evidence": long_text},
                                                                          OPTION_B]})
        body = as_user(clinician).get(u("aid_edit", draft.public_id)).content.decode()
        assert 'data-testid="reading-option-0-evidence">Reading age: about' in body
        assert 'data-testid="reading-option-1-cons">Reading age: too short to score' in body

    def test_adding_an_option_slot_saves_nothing(self, as_user, hca):
        body = as_user(hca).post(u("aid_new"), post_data(_add_option="1")).content.decode()
        assert not DecisionAid.objects.filter(title="Being more active").exists()
        assert 'data-testid="option-2"' in body and "There is a problem" not in body


class TestApproval:
    def test_clinician_approves_and_the_aid_is_offered_in_decisions(self, as_user, clinician, person, draft):
        actions.do_start_plan(clinician, person)
        client = as_user(clinician)
        assert 'data-testid="approve-form"' in client.get(u("aid_edit", draft.public_id)).content.decode()
        client.post(u("aid_approve", draft.public_id), {"version": draft.version})
        draft.refresh_from_db()
        assert draft.approved_by == clinician and draft.approved_by_name == "Megan Jones" and draft.approved_at
        assert "Being more active" in client.get(u("decision_new", person.public_id)).content.decode()
        assert "by Megan Jones on" in client.get(u("aids")).content.decode()
        assert AuditEvent.objects.filter(entity_id=str(draft.public_id), detail__approved=True).exists()

    @pytest.mark.parametrize("who", ["hca", "practice_admin"])
    def test_hca_or_admin_can_draft_but_not_approve(self, request, as_user, draft, who):
        client = as_user(request.getfixturevalue(who))
        body = client.get(u("aid_edit", draft.public_id)).content.decode()
        assert 'data-testid="approve-form"' not in body and "A clinician needs to approve" in body
        assert client.post(u("aid_approve", draft.public_id), {"version": draft.version}).status_code == 404
        draft.refresh_from_db()
        assert draft.approved_at is None
        with pytest.raises(ActionError):
            aids.do_approve_aid(request.getfixturevalue(who), draft, draft.version)

    def test_editing_an_approved_aid_unapproves_it_until_reapproved(self, as_user, clinician, hca, person, bp_aid):
        actions.do_start_plan(clinician, person)
        options = [{**o} for o in bp_aid.options]
        options[0]["pros"] = "Less salt lowers blood pressure."
        as_user(hca).post(u("aid_edit", bp_aid.public_id),
                          post_data(title=bp_aid.title, question=bp_aid.question, options=options,
                                    version=bp_aid.version))
        bp_aid.refresh_from_db()
        assert bp_aid.approved_at is None and bp_aid.approved_by_name == ""
        assert bp_aid.options[0]["pros"] == "Less salt lowers blood pressure."
        form = as_user(clinician).get(u("decision_new", person.public_id)).content.decode()
        assert "Ways to lower blood pressure" not in form
        assert not DecisionAid.objects.approved().filter(pk=bp_aid.pk).exists()
        aids.do_approve_aid(clinician, bp_aid, bp_aid.version)
        form = as_user(clinician).get(u("decision_new", person.public_id)).content.decode()
        assert "Ways to lower blood pressure" in form

    def test_saving_without_changing_the_wording_keeps_approval(self, clinician, bp_aid):
        aids.do_update_aid(clinician, bp_aid, bp_aid.version, {"title": bp_aid.title, "question": bp_aid.question,
                                                               "source": bp_aid.source, "options": bp_aid.options})
        bp_aid.refresh_from_db()
        assert bp_aid.approved_at is not None


class TestConflicts:
    def test_a_stale_edit_conflicts_shows_theirs_and_keeps_yours(self, as_user, clinician, hca, draft):
        stale = draft.version
        aids.do_update_aid(hca, draft, stale, {"title": "Being more active", "question": "Their question?",
                                               "options": [OPTION_A, OPTION_B]})
        body = as_user(clinician).post(u("aid_edit", draft.public_id),
                                       post_data(question="My question?", version=stale)).content.decode()
        draft.refresh_from_db()
        assert draft.question == "Their question?"
        assert 'data-testid="conflict"' in body and "Their question?" in body and "My question?" in body
        assert f'name="version" value="{draft.version}"' in body

    def test_approving_wording_that_changed_since_you_read_it_approves_nothing(self, as_user, clinician, hca,
                                                                             draft):
        read = draft.version
        aids.do_update_aid(hca, draft, read, {"title": "Being more active", "question": "Changed?",
                                              "options": [OPTION_A, OPTION_B]})
        body = as_user(clinician).post(u("aid_approve", draft.public_id), {"version": read}).content.decode()
        draft.refresh_from_db()
        assert draft.approved_at is None and 'data-testid="conflict"' in body


class TestAccess:
    @pytest.mark.parametrize("name", ["aids", "aid_new"])
    @pytest.mark.parametrize("who", ["person", "carer"])
    def test_the_person_and_carers_cannot_reach_the_library(self, request, as_user, name, who):
        fixture = request.getfixturevalue(who)
        user = fixture.user if who == "person" else fixture
        assert as_user(user).get(u(name)).status_code == 404

    def test_the_person_cannot_change_or_approve_an_aid(self, as_user, person, draft):
        client = as_user(person.user)
        assert client.get(u("aid_edit", draft.public_id)).status_code == 404
        assert client.post(u("aid_edit", draft.public_id), post_data(version=draft.version)).status_code == 404
        assert client.post(u("aid_approve", draft.public_id), {"version": draft.version}).status_code == 404

    def test_aids_are_shared_so_a_clinician_at_another_practice_sees_the_same_library(self, as_user,
                                                                                      other_clinician, draft):
        assert "Being more active" in as_user(other_clinician).get(u("aids")).content.decode()

    @pytest.mark.parametrize("name", ["aids", "aid_new"])
    def test_anonymous_is_sent_to_log_in(self, anonymous, name):
        response = anonymous.get(u(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
