"""The information-gathering form: checked as a whole, stored all or nothing, questionnaires scored."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from ourplan.clinical.models import Observation
from ourplan.core.models import AuditEvent
from ourplan.recall.booking import do_book
from ourplan.recall.cycle import do_start_cycle
from ourplan.recall.models import Appointment, QuestionnaireResponse
from tests import recall_factories as rf

pytestmark = pytest.mark.django_db


def url(p) -> str:
    return f"/staff/people/{p.public_id}/gather/"


def phq9(*answers: int) -> dict[str, str]:
    return {f"phq9_{i}": str(a) for i, a in enumerate(answers, start=1)}


def gad7(*answers: int) -> dict[str, str]:
    return {f"gad7_{i}": str(a) for i, a in enumerate(answers, start=1)}


def new_observations(p) -> dict[str, Observation]:
    return {o.measure: o for o in Observation.objects.filter(person=p, recorded_by__isnull=False)}


def test_a_whole_visit_is_stored_with_bmi_worked_out(as_user, hca, person):
    data = {"hba1c": "58", "bp_systolic": "136", "bp_diastolic": "82", "weight": "80", "height": "170",
            "cholesterol": "4.9", "non_hdl": "3.1", "egfr": "72", "acr": "2.5", "peak_flow": "390",
            **phq9(1, 1, 0, 2, 1, 0, 0, 0, 0), **gad7(1, 0, 1, 0, 0, 1, 0)}
    client = as_user(hca)
    response = client.post(url(person), data)
    assert response.status_code == 302
    saved = new_observations(person)
    assert set(saved) == {"hba1c", "bp", "weight", "height", "bmi", "cholesterol", "non_hdl", "egfr", "acr",
                          "peak_flow", "phq9", "gad7"}
    assert (saved["bp"].value, saved["bp"].value2) == (Decimal(136), Decimal(82))
    assert saved["bmi"].value == Decimal("27.7")
    assert saved["phq9"].value == 5 and saved["gad7"].value == 3
    response_row = QuestionnaireResponse.objects.get(questionnaire="phq9")
    assert response_row.answers == [1, 1, 0, 2, 1, 0, 0, 0, 0] and response_row.band == "Mild"
    assert response_row.observation == saved["phq9"] and not response_row.safety_flag
    assert "Saved 12 results" in client.get(response["Location"]).content.decode()


def test_bmi_is_not_stored_without_both_weight_and_height(as_user, hca, person):
    as_user(hca).post(url(person), {"weight": "80"})
    assert "bmi" not in new_observations(person)


def test_one_bad_value_saves_nothing_and_keeps_everything_typed(as_user, hca, person):
    body = as_user(hca).post(url(person), {"hba1c": "abc", "weight": "81.5", **phq9(1, 2, 0, 0, 0, 0, 0, 0, 0)}
                             ).content.decode()
    assert not new_observations(person) and not QuestionnaireResponse.objects.exists()
    assert "There is a problem" in body and 'href="#hba1c"' in body
    assert "HbA1c (IFCC) must be a number (got &#39;abc&#39;)" in body
    assert 'value="81.5"' in body and 'value="abc"' in body
    assert re.search(r'id="phq9_2-2" name="phq9_2" type="radio" value="2"\s+checked', body)


def test_an_impossible_value_is_refused_next_to_its_field(as_user, hca, person):
    body = as_user(hca).post(url(person), {"hba1c": "500"}).content.decode()
    assert "HbA1c (IFCC): value 500 is outside the possible range 20-200 mmol/mol" in body
    assert 'id="hba1c-error"' in body and not new_observations(person)


def test_an_unusual_value_needs_a_tick_to_confirm_then_saves(as_user, hca, person):
    client = as_user(hca)
    body = client.post(url(person), {"hba1c": "150"}).content.decode()
    assert "is unusual" in body and 'name="hba1c_confirm"' in body and not new_observations(person)
    response = client.post(url(person), {"hba1c": "150", "hba1c_confirm": "1"})
    assert response.status_code == 302 and new_observations(person)["hba1c"].value == 150


def test_unusual_diastolic_is_questioned(as_user, hca, person):
    body = as_user(hca).post(url(person), {"bp_systolic": "150", "bp_diastolic": "130"}).content.decode()
    assert "diastolic (bottom number) of 130 mmHg is unusual" in body


def test_blood_pressure_needs_both_numbers(as_user, hca, person):
    body = as_user(hca).post(url(person), {"bp_systolic": "140"}).content.decode()
    assert "the diastolic (bottom number) is missing" in body and 'href="#bp_diastolic"' in body
    body = as_user(hca).post(url(person), {"bp_diastolic": "80"}).content.decode()
    assert "enter the systolic (top number) as well" in body


def test_a_questionnaire_with_a_missing_item_is_refused(as_user, hca, person):
    answers = phq9(1, 1, 1, 1, 1, 1, 1, 1, 0)
    del answers["phq9_4"]
    body = as_user(hca).post(url(person), answers).content.decode()
    assert "PHQ-9: answer question 4, or leave the whole questionnaire blank" in body
    assert 'href="#phq9_4"' in body and not QuestionnaireResponse.objects.exists()


def test_an_empty_submit_asks_for_something(as_user, hca, person):
    body = as_user(hca).post(url(person), {}).content.decode()
    assert "Enter at least one result or questionnaire" in body


def test_phq9_item_9_above_zero_is_flagged_and_shown_after_saving(as_user, hca, person):
    client = as_user(hca)
    response = client.post(url(person), phq9(0, 0, 0, 0, 0, 0, 0, 0, 1))
    saved = QuestionnaireResponse.objects.get()
    assert saved.safety_flag and saved.total == 1
    body = client.get(response["Location"]).content.decode()
    assert "Same-day clinical follow-up needed" in body and 'data-testid="safety-callout-saved"' in body
    assert AuditEvent.objects.get(entity_type="QuestionnaireResponse").detail["safety_flag"] is True


def test_running_score_shows_the_safety_warning_as_soon_as_item_9_is_answered(as_user, hca):
    body = as_user(hca).post("/staff/recall/score/phq9/", {"phq9_9": "2"}).content.decode()
    assert "Same-day clinical follow-up needed" in body and "8 questions not answered" in body
    body = as_user(hca).post("/staff/recall/score/phq9/", phq9(3, 3, 3, 3, 3, 0, 0, 0, 0)).content.decode()
    assert "PHQ-9 total: 15 out of 27" in body and "moderately severe" in body
    assert "Same-day" not in body


def test_running_score_is_for_staff_only(as_user, person, anonymous):
    assert as_user(person.user).post("/staff/recall/score/phq9/", {}).status_code == 404
    assert anonymous.post("/staff/recall/score/phq9/", {}).status_code == 302


def test_marking_complete_sets_the_information_gathered_stage_and_the_appointment_attended(
        as_user, hca, clinician, person):
    slot = rf.slot(rf.staff_member(hca), rf.at(rf.next_weekday(1), 9))
    appointment = do_book(clinician, person, slot)
    response = as_user(hca).post(f"/staff/people/{person.public_id}/gather/complete/")
    assert response.status_code == 302
    appointment.refresh_from_db()
    appointment.cycle.refresh_from_db()
    assert appointment.cycle.information_gathered_at is not None
    assert appointment.status == Appointment.Status.ATTENDED


def test_marking_complete_without_a_round_starts_one(as_user, hca, person):
    as_user(hca).post(f"/staff/people/{person.public_id}/gather/complete/")
    assert person.cycles.get().information_gathered_at is not None


def test_questionnaire_response_is_linked_to_the_open_round(as_user, hca, clinician, person):
    cycle = do_start_cycle(clinician, person)
    as_user(hca).post(url(person), gad7(0, 0, 0, 0, 0, 0, 0))
    assert QuestionnaireResponse.objects.get().cycle == cycle


def test_every_stored_result_is_audited(as_user, hca, person):
    as_user(hca).post(url(person), {"hba1c": "60", "weight": "70", "height": "160"})
    created = AuditEvent.objects.filter(entity_type="Observation", action="create", actor=hca)
    assert created.count() == 4  # HbA1c, weight, height and the BMI worked out from them


@pytest.mark.parametrize("who", ["other_clinician", "carer"])
def test_others_get_not_found(request, as_user, person, who):
    user = request.getfixturevalue(who)
    assert as_user(user).get(url(person)).status_code == 404
    assert as_user(user).post(url(person), {"hba1c": "50"}).status_code == 404
    assert not new_observations(person)


def test_anonymous_is_sent_to_log_in(anonymous, person):
    response = anonymous.get(url(person))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_form_labels_show_units(as_user, hca, person):
    body = as_user(hca).get(url(person)).content.decode()
    assert '<label class="nhsuk-label" for="hba1c">HbA1c <span class="nhsuk-u-visually-hidden">in mmol/mol' in body
    assert "nhsuk-input-wrapper__suffix" in body and "mL/min/1.73m²" in body


def test_a_self_harm_answer_alerts_the_care_team_on_the_register_at_once(as_user, hca, clinician, other_clinician,
                                                                         person):
    """Hazard H5: PHQ-9 item 9 above 0 raises an urgent alert that leads the register for the practice's
    staff until someone acknowledges it on the person's support page."""
    from ourplan.support.alerts import SELF_HARM_MESSAGE
    from ourplan.support.models import SupportAlert

    as_user(hca).post(url(person), phq9(0, 0, 0, 0, 0, 0, 0, 0, 1))
    alert = SupportAlert.objects.get(person=person, trigger="phq9-item9")
    assert alert.level == "red" and alert.message == SELF_HARM_MESSAGE
    body = as_user(clinician).get(reverse("people:register")).content.decode()
    assert 'data-testid="alerts"' in body and "Urgent:" in body and "THOMPSON, Margaret" in body
    assert 'data-testid="alerts"' not in as_user(other_clinician).get(reverse("people:register")).content.decode()
