"""The recall worklist: who is due, once each, in priority order, with filters, for the right people only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ourplan.core.models import AuditEvent
from ourplan.recall.actions import do_invite
from ourplan.recall.priority import months_before
from ourplan.recall.worklist import Filters, due_people
from tests import factories as f
from tests import recall_factories as rf

pytestmark = pytest.mark.django_db
URL = "/staff/recall/"


def names(user, **params) -> list[str]:
    return [p.family_name for p in due_people(user).order_by("family_name")] if not params else [
        p.family_name for p in _filtered(user, **params)]


def _filtered(user, **params):
    from ourplan.recall.worklist import worklist

    return worklist(user, Filters.from_params(params))


def test_url_name_is_recall_worklist():
    assert reverse("recall:worklist") == URL


class TestWhoIsDue:
    def test_person_with_four_conditions_is_listed_once(self, as_user, clinician, person):
        body = as_user(clinician).get(URL).content.decode()
        assert body.count(f'value="{person.public_id}"') == 1
        row = due_people(clinician).get(pk=person.pk)
        assert row.n_registers == 4

    def test_people_on_no_register_are_not_listed(self, clinician, practice, person):
        rf.on_registers(practice, "Noregister")  # no conditions at all
        anxious = rf.on_registers(practice, "Anxious")
        f.condition(anxious, "197480006")  # anxiety: no QOF register
        assert names(clinician) == ["Thompson"]

    def test_inactive_conditions_do_not_count(self, clinician, practice):
        resolved = rf.on_registers(practice, "Resolved", "DEPR")
        resolved.conditions.update(clinical_status="resolved")
        assert names(clinician) == []

    def test_people_reviewed_in_the_last_12_months_are_hidden(self, clinician, practice):
        recent = rf.on_registers(practice, "Recent", "HYP")
        rf.past_round(recent, months_ago=3)
        old = rf.on_registers(practice, "Old", "HYP")
        rf.past_round(old, months_ago=13)
        assert names(clinician) == ["Old"]

    def test_a_cancelled_round_does_not_count_as_a_review(self, clinician, practice):
        cancelled = rf.on_registers(practice, "Cancelled", "HYP")
        rf.past_round(cancelled, months_ago=2, cancelled=True)
        assert names(clinician) == ["Cancelled"]

    def test_last_review_date_is_the_latest_completed_round(self, clinician, practice):
        p = rf.on_registers(practice, "Twice", "HYP")
        rf.past_round(p, months_ago=30)
        latest = rf.past_round(p, months_ago=14)
        assert due_people(clinician).get(pk=p.pk).last_review_at == latest.created_at

    def test_an_invited_person_stays_listed_and_is_marked_invited(self, as_user, clinician, person):
        do_invite(clinician, person)
        body = as_user(clinician).get(URL).content.decode()
        assert "THOMPSON, Margaret" in body and "Invited" in body
        assert names(clinician, not_invited="1") == []


class TestPriority:
    @pytest.mark.parametrize(("measure", "value", "value2", "reason"), [
        ("hba1c", "76", None, "HbA1c 76 mmol/mol, well above target (over 75)"),
        ("bp", "160", "85", "Blood pressure 160 mmHg systolic (160 or more)"),
        ("bp", "150", "100", "Blood pressure 100 mmHg diastolic (100 or more)"),
        ("phq9", "15", None, "PHQ-9 mood score 15 (15 or more: moderately severe or severe)"),
        ("egfr", "29", None, "Kidney function (eGFR) 29, below 30"),
    ])
    def test_a_result_far_from_target_makes_the_person_high_priority_with_a_reason(
            self, as_user, clinician, practice, measure, value, value2, reason):
        p = rf.on_registers(practice, "Far", "DM")
        f.obs(p, measure, value, value2)
        assert due_people(clinician).get(pk=p.pk).is_high == 1
        body = as_user(clinician).get(URL).content.decode()
        assert reason in body and "nhsuk-tag--red" in body

    @pytest.mark.parametrize(("measure", "value", "value2"), [
        ("hba1c", "75", None), ("bp", "159", "99"), ("phq9", "14", None), ("egfr", "30", None),
    ])
    def test_values_just_inside_the_thresholds_are_routine(self, clinician, practice, measure, value, value2):
        p = rf.on_registers(practice, "Near", "DM")
        f.obs(p, measure, value, value2)
        assert due_people(clinician).get(pk=p.pk).is_high == 0

    def test_only_the_latest_result_counts(self, clinician, practice):
        p = rf.on_registers(practice, "Improved", "DM")
        f.obs(p, "hba1c", "90", days_ago=200)
        f.obs(p, "hba1c", "60", days_ago=5)
        assert due_people(clinician).get(pk=p.pk).is_high == 0

    def test_home_blood_pressure_readings_do_not_set_priority(self, clinician, practice):
        p = rf.on_registers(practice, "Home", "HYP")
        f.obs(p, "bp", "170", "105").__class__.objects.filter(person=p).update(source="home")
        assert due_people(clinician).get(pk=p.pk).is_high == 0

    def test_high_priority_people_are_due_again_after_6_months_and_listed_first(self, clinician, practice):
        high = rf.on_registers(practice, "Aaa", "DM")
        rf.past_round(high, months_ago=7)
        f.obs(high, "hba1c", "80")
        routine = rf.on_registers(practice, "Bbb", "DM")
        rf.past_round(routine, months_ago=7)
        never = rf.on_registers(practice, "Ccc", "DM")
        assert [p.family_name for p in _filtered(clinician)] == ["Aaa", "Ccc"]
        assert never.family_name not in names(clinician, priority="high")

    def test_months_before_handles_short_months_and_leap_days(self):
        from datetime import date

        assert months_before(date(2025, 3, 31), 1) == date(2025, 2, 28)
        assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)
        assert months_before(date(2025, 1, 15), 12) == date(2024, 1, 15)


class TestFilters:
    @pytest.fixture
    def mix(self, practice, person):
        rf.on_registers(practice, "Hypertensive", "HYP")
        rf.on_registers(practice, "Asthmatic", "AST", "COPD")
        high = rf.on_registers(practice, "Kidney", "CKD")
        f.obs(high, "egfr", "25")
        return person

    def test_filter_by_condition(self, clinician, mix):
        assert sorted(names(clinician, condition="HYP")) == ["Hypertensive", "Thompson"]

    def test_filter_by_priority(self, clinician, mix):
        assert names(clinician, priority="high") == ["Kidney"]
        assert "Kidney" not in names(clinician, priority="routine")

    def test_multimorbidity_only_means_two_or_more_registers(self, clinician, mix):
        assert sorted(names(clinician, multimorbidity="1")) == ["Asthmatic", "Thompson"]

    def test_search_by_name_and_by_nhs_number_with_spaces(self, clinician, mix):
        assert names(clinician, q="thomp") == ["Thompson"]
        assert names(clinician, q="943 476 5919") == ["Thompson"]

    def test_unknown_filter_values_are_ignored(self, clinician, mix):
        assert len(names(clinician, condition="NOPE", priority="urgent")) == 4

    def test_htmx_request_gets_only_the_results(self, as_user, clinician, mix):
        response = as_user(clinician).get(URL, {"condition": "CKD"}, HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert "KIDNEY, Pat" in body and "THOMPSON" not in body and "<html" not in body

    def test_paging_keeps_the_filters(self, as_user, clinician, practice):
        for i in range(55):
            rf.on_registers(practice, f"Many{i:02d}", "HYP", "DM")
        body = as_user(clinician).get(URL, {"multimorbidity": "1"}).content.decode()
        assert "?multimorbidity=1&page=2" in body and "Page 2 of 2" in body


class TestAccess:
    def test_clinician_at_another_practice_sees_nobody(self, as_user, other_clinician, person):
        body = as_user(other_clinician).get(URL).content.decode()
        assert "THOMPSON" not in body and "0 people due" in body

    @pytest.mark.parametrize("who", ["person", "carer"])
    def test_person_and_carer_get_not_found(self, request, as_user, person, carer, who):
        user = person.user if who == "person" else carer
        assert as_user(user).get(URL).status_code == 404

    def test_anonymous_is_sent_to_log_in(self, anonymous):
        response = anonymous.get(URL)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_hca_and_admin_can_run_recall(self, as_user, hca, practice_admin, person):
        assert as_user(hca).get(URL).status_code == 200
        assert as_user(practice_admin).get(URL).status_code == 200

    def test_viewing_the_worklist_is_audited_with_the_filters(self, as_user, clinician, person):
        as_user(clinician).get(URL, {"condition": "DM"})
        event = AuditEvent.objects.get(entity_type="RecallWorklist")
        assert event.actor == clinician and event.detail["condition"] == "DM"


def test_worklist_page_with_50_rows_uses_at_most_12_queries(as_user, clinician, practice,
                                                              django_assert_max_num_queries):
    for i in range(60):
        p = rf.on_registers(practice, f"Row{i:02d}", "HYP", "DM")
        f.obs(p, "hba1c", "80" if i % 3 == 0 else "50")
    client = as_user(clinician)
    client.get(URL)  # the first request after login refreshes the session
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert response.content.decode().count('data-testid="worklist-row"') == 50
