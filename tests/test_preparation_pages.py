"""The person's "Get ready for your appointment" page, carers, and the staff preparation pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ourplan.core.models import AuditEvent
from ourplan.people.models import Consent
from ourplan.preparation.models import PromptSheetAnswer
from ourplan.preparation.prompts import MAX_ANSWER_CHARS, QUESTION_KEYS
from ourplan.recall.cycle import do_start_cycle
from tests.prep_support import ready_cycle, sent_by_portal

pytestmark = pytest.mark.django_db

MY = "/my/preparation/"


def shared_url(person) -> str:
    return reverse("preparation:shared_pack", kwargs={"public_id": person.public_id})


def staff_url(person) -> str:
    return reverse("preparation:person", kwargs={"public_id": person.public_id})


def answers(**given) -> dict[str, str]:
    data = {key: "" for key in QUESTION_KEYS} | {f"{key}-version": "0" for key in QUESTION_KEYS}
    data.update(given)
    return data


def contribute(person) -> None:
    Consent.objects.filter(person=person).update(can_contribute=True)


class TestPersonSeesTheirPack:
    def test_results_are_explained_with_trends_and_the_prompt_sheet(self, as_user, clinician, person):
        sent_by_portal(clinician, person)
        body = as_user(person.user).get(MY).content.decode()
        assert "Get ready for your appointment" in body
        assert "Blood sugar average (HbA1c)" in body
        assert "Your blood sugar average is higher than the level we agreed." in body
        assert "Your blood pressure is in the range we agreed. Well done." in body
        assert 'data-testid="trend"' in body and "<svg" in body  # trend charts drawn on the server
        assert "What matters to you?" in body and 'data-module="nhsuk-character-count"' in body

    def test_opening_the_pack_marks_preparation_opened(self, as_user, clinician, person):
        cycle, _, _ = sent_by_portal(clinician, person)
        as_user(person.user).get(MY)
        cycle.refresh_from_db()
        assert cycle.preparation_opened_at is not None

    def test_staff_opening_the_pack_does_not_mark_it_opened(self, as_user, clinician, person):
        cycle, _, _ = sent_by_portal(clinician, person)
        assert as_user(clinician).get(staff_url(person)).status_code == 200
        as_user(clinician).get(reverse("preparation:staff_letter", kwargs={"public_id": person.public_id}))
        cycle.refresh_from_db()
        assert cycle.preparation_opened_at is None

    def test_before_a_pack_is_made_the_page_says_it_is_not_ready(self, as_user, clinician, person):
        ready_cycle(clinician, person)
        body = as_user(person.user).get(MY).content.decode()
        assert "not ready yet" in body and "prompt-form" not in body

    def test_page_uses_at_most_12_queries(self, as_user, clinician, person, django_assert_max_num_queries):
        sent_by_portal(clinician, person)
        client = as_user(person.user)
        client.get(MY)  # first visit: session refresh and the opened stage
        with django_assert_max_num_queries(12):
            assert client.get(MY).status_code == 200

    def test_a_carer_is_sent_to_choose_whose_pack_to_open(self, as_user, carer):
        assert as_user(carer).get(MY)["Location"] == reverse("people:my_home")

    def test_someone_with_no_record_and_nobody_sharing_gets_not_found(self, as_user, carer_withdrawn):
        assert as_user(carer_withdrawn).get(MY).status_code == 404

    @pytest.mark.parametrize("name", ["my_pack", "my_letter", "overview", "prompt_sheet"])
    def test_anonymous_is_sent_to_log_in(self, anonymous, name):
        response = anonymous.get(reverse(f"preparation:{name}"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_anonymous_cannot_open_a_persons_pages(self, anonymous, clinician, person):
        sent_by_portal(clinician, person)
        for name in ("shared_pack", "person", "paper_reply", "staff_letter"):
            response = anonymous.get(reverse(f"preparation:{name}", kwargs={"public_id": person.public_id}))
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]


class TestAgenda:
    def test_sending_answers_marks_the_agenda_received_and_records_the_person(self, as_user, clinician, person):
        cycle, _, _ = sent_by_portal(clinician, person)
        response = as_user(person.user).post(MY, answers(what_matters="Walking my dog every day",
                                                         questions="Can I stop one of my tablets?"))
        assert response.status_code == 302
        cycle.refresh_from_db()
        assert cycle.agenda_received_at is not None
        saved = {a.question_key: a for a in PromptSheetAnswer.objects.filter(cycle=cycle)}
        assert set(saved) == {"what_matters", "questions"}  # empty answers are allowed, and not stored
        assert saved["what_matters"].written_by == person.user and saved["what_matters"].written_by_role == "person"
        assert saved["what_matters"].question_text == "What matters to you?"

    def test_answers_become_the_agenda_on_the_staff_page_in_their_words(self, as_user, clinician, person):
        sent_by_portal(clinician, person)
        as_user(person.user).post(MY, answers(talk_about="My feet hurt when I walk.\nAnd my sleep."))
        body = as_user(clinician).get(staff_url(person)).content.decode()
        assert 'data-testid="agenda"' in body
        assert body.index('data-testid="agenda"') < body.index("Preparation pack")  # the agenda comes first
        assert "My feet hurt when I walk.\nAnd my sleep." in body
        assert "Margaret Thompson (the person)" in body

    def test_an_answer_over_the_limit_gets_a_clear_message_and_nothing_is_lost(self, as_user, clinician, person):
        cycle, _, _ = sent_by_portal(clinician, person)
        long = "a" * (MAX_ANSWER_CHARS + 1)
        response = as_user(person.user).post(MY, answers(what_matters="Kept", change=long))
        body = response.content.decode()
        assert response.status_code == 200 and "There is a problem" in body
        assert "must be 1,000 characters or fewer. It has 1,001 characters now." in body
        assert long in body and ">Kept</textarea>" in body
        assert not PromptSheetAnswer.objects.exists()
        cycle.refresh_from_db()
        assert cycle.agenda_received_at is None

    def test_an_answer_of_exactly_the_limit_is_saved(self, as_user, clinician, person):
        sent_by_portal(clinician, person)
        as_user(person.user).post(MY, answers(change="b" * MAX_ANSWER_CHARS))
        assert len(PromptSheetAnswer.objects.get().answer) == MAX_ANSWER_CHARS

    def test_an_empty_sheet_asks_for_at_least_one_answer(self, as_user, clinician, person):
        sent_by_portal(clinician, person)
        body = as_user(person.user).post(MY, answers()).content.decode()
        assert "Write an answer to at least one question" in body

    def test_concurrent_edit_gives_a_conflict_message_and_loses_nothing(self, as_user, clinician, person, carer):
        contribute(person)
        sent_by_portal(clinician, person)
        as_user(person.user).post(MY, answers(what_matters="My grandchildren"))
        saved = PromptSheetAnswer.objects.get()
        # Sam (carer) opens the page at version 1; Margaret then changes her answer (version 2).
        stale = answers(what_matters="Seeing her grandchildren and gardening", **{"what_matters-version": "1"})
        as_user(person.user).post(MY, answers(what_matters="My grandchildren and my garden",
                                              **{"what_matters-version": str(saved.version)}))
        response = as_user(carer).post(shared_url(person), stale)
        body = response.content.decode()
        assert response.status_code == 200 and 'data-testid="conflict"' in body
        assert "Seeing her grandchildren and gardening" in body  # what Sam typed is still in the box
        assert "My grandchildren and my garden" in body  # and Margaret's saved words are shown
        saved.refresh_from_db()
        assert saved.answer == "My grandchildren and my garden" and saved.written_by == person.user

    def test_staff_type_in_a_paper_reply_and_the_record_says_so(self, as_user, clinician, person):
        cycle = ready_cycle(clinician, person)
        url = reverse("preparation:paper_reply", kwargs={"public_id": person.public_id})
        assert as_user(clinician).get(url).status_code == 200
        response = as_user(clinician).post(url, answers(talk_about="Knee pain"))
        assert response.status_code == 302
        answer = PromptSheetAnswer.objects.get()
        assert answer.written_by == clinician and answer.written_by_role == "staff"
        cycle.refresh_from_db()
        assert cycle.agenda_received_at is not None
        assert "Megan Jones (staff, from a paper reply)" in as_user(clinician).get(staff_url(person)).content.decode()


class TestCarers:
    def test_carer_with_consent_to_contribute_answers_and_the_record_says_the_carer_wrote_it(
            self, as_user, clinician, person, carer):
        contribute(person)
        cycle, _, _ = sent_by_portal(clinician, person)
        assert as_user(carer).get(shared_url(person)).status_code == 200
        response = as_user(carer).post(shared_url(person), answers(since_last_time="Mum has been more tired"))
        assert response.status_code == 302
        answer = PromptSheetAnswer.objects.get()
        assert answer.written_by == carer and answer.written_by_role == "carer"
        assert answer.written_by_label == "Sam Carer (carer or family member)"
        cycle.refresh_from_db()
        assert cycle.agenda_received_at is not None

    def test_carer_opening_the_pack_marks_it_opened(self, as_user, clinician, person, carer):
        cycle, _, _ = sent_by_portal(clinician, person)
        as_user(carer).get(shared_url(person))
        cycle.refresh_from_db()
        assert cycle.preparation_opened_at is not None

    def test_carer_with_view_only_consent_reads_but_cannot_answer(self, as_user, clinician, person, carer):
        sent_by_portal(clinician, person)
        body = as_user(carer).get(shared_url(person)).content.decode()
        assert "Blood sugar average (HbA1c)" in body and "prompt-form" not in body
        assert as_user(carer).post(shared_url(person), answers(what_matters="x")).status_code == 404
        assert not PromptSheetAnswer.objects.exists()

    @pytest.mark.parametrize("who", ["carer_expired", "carer_withdrawn"])
    def test_carer_whose_consent_ended_gets_not_found(self, request, as_user, clinician, person, who):
        sent_by_portal(clinician, person)
        user = request.getfixturevalue(who)
        assert as_user(user).get(shared_url(person)).status_code == 404
        assert as_user(user).post(shared_url(person), answers(what_matters="x")).status_code == 404
        assert AuditEvent.objects.filter(actor=user, action="denied").exists()

    def test_another_person_gets_not_found(self, as_user, clinician, person, other_person):
        sent_by_portal(clinician, person)
        assert as_user(other_person.user).get(shared_url(person)).status_code == 404
        letter = reverse("preparation:shared_letter", kwargs={"public_id": person.public_id})
        assert as_user(other_person.user).get(letter).status_code == 404


class TestStaffPages:
    def test_staff_make_and_send_the_pack_and_the_round_moves_on(self, as_user, clinician, person):
        person.preferred_contact = "portal"
        person.save()
        cycle = ready_cycle(clinician, person)
        response = as_user(clinician).post(reverse("preparation:send", kwargs={"public_id": person.public_id}),
                                           follow=True)
        assert "The preparation pack is ready." in response.content.decode()
        cycle.refresh_from_db()
        assert cycle.preparation_sent_at is not None

    def test_making_the_pack_before_the_tests_gives_a_clear_message(self, as_user, clinician, person):
        do_start_cycle(clinician, person)
        response = as_user(clinician).post(reverse("preparation:send", kwargs={"public_id": person.public_id}),
                                           follow=True)
        assert "are not recorded as done yet" in response.content.decode()

    @pytest.mark.parametrize("who", ["other_clinician", "person_user", "carer"])
    def test_only_staff_at_the_practice_see_the_staff_page(self, request, as_user, clinician, person, who):
        sent_by_portal(clinician, person)
        user = person.user if who == "person_user" else request.getfixturevalue(who)
        assert as_user(user).get(staff_url(person)).status_code == 404

    def test_staff_letter_is_a_pdf_and_its_download_is_audited(self, as_user, clinician, person):
        sent_by_portal(clinician, person)
        response = as_user(clinician).get(reverse("preparation:staff_letter", kwargs={"public_id": person.public_id}))
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        assert AuditEvent.objects.filter(actor=clinician, action="download", person_id_ref=person.public_id).exists()

    def test_person_downloads_their_own_letter(self, as_user, clinician, person):
        sent_by_portal(clinician, person)
        response = as_user(person.user).get(reverse("preparation:my_letter"))
        assert response.status_code == 200 and response.content.startswith(b"%PDF")

    def test_overview_lists_people_ready_for_their_pack(self, as_user, clinician, person, other_person):
        ready_cycle(clinician, person)
        body = as_user(clinician).get(reverse("preparation:overview")).content.decode()
        assert "THOMPSON, Margaret" in body and "OTHER, Alan" not in body
        assert "Make and send packs for all 1" in body


class TestPromptSheetEditor:
    URL = "/staff/preparation/prompt-sheet/"

    def form(self, **changes):
        from ourplan.preparation.prompts import DEFAULT_SHEET

        data = {"intro": DEFAULT_SHEET.intro, "version": "0"}
        for q in DEFAULT_SHEET.questions:
            data[f"{q.key}-text"], data[f"{q.key}-hint"] = q.text, q.hint
        return data | changes

    def test_editor_shows_the_default_wording_and_its_readability(self, as_user, clinician):
        body = as_user(clinician).get(self.URL).content.decode()
        assert "What matters to you?" in body and "Reading age about" in body
        assert "This practice uses the standard wording" in body

    def test_clinician_rewords_a_question_and_new_packs_use_it(self, as_user, clinician, person):
        response = as_user(clinician).post(self.URL, self.form(**{"talk_about-text": "What shall we talk about?"}))
        assert response.status_code == 302
        from ourplan.preparation.actions import do_make_pack

        pack = do_make_pack(clinician, ready_cycle(clinician, person))
        texts = [q["text"] for q in pack.content["prompt_sheet"]["questions"]]
        assert "What shall we talk about?" in texts and "What matters to you?" in texts
        assert AuditEvent.objects.filter(entity_type="PromptSheetTemplate", action="create").exists()

    def test_saving_over_someone_elses_change_is_refused(self, as_user, clinician):
        as_user(clinician).post(self.URL, self.form(intro="First version of the introduction for everyone."))
        body = as_user(clinician).post(self.URL, self.form(intro="Second, from an old page.")).content.decode()
        assert "Someone else changed this record after you opened it" in body

    def test_an_empty_question_is_refused(self, as_user, clinician):
        body = as_user(clinician).post(self.URL, self.form(**{"change-text": "  "})).content.decode()
        assert "Enter the wording of every question" in body

    def test_healthcare_assistants_cannot_change_the_wording(self, as_user, hca):
        assert as_user(hca).get(self.URL).status_code == 404

    def test_live_readability_scores_what_is_typed(self, as_user, clinician):
        response = as_user(clinician).post(
            reverse("preparation:readability"),
            {"intro": "Notwithstanding multidisciplinary considerations, individualised pharmacotherapeutic "
                      "optimisation necessitates comprehensive evaluation of contraindications."},
            HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert response.status_code == 200 and "<html" not in body
        assert "hard to read" in body.lower()
