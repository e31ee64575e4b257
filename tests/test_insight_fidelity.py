"""The practice fidelity dashboard: each figure counts exactly what its rule says, from recorded events only,
its drill-down lists exactly the people it counts (and the ones to act on), and only practice staff see it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from ourplan.core.models import AuditEvent
from ourplan.insight.fidelity import FIGURES_BY_KEY, PREPARATION_LEAD_DAYS, REVIEW_GRACE_DAYS
from ourplan.insight.scope import staff_period, staff_scope
from ourplan.planning.models import PlanVersion
from ourplan.review.models import OfferCode, OfferStatus
from tests import factories as f
from tests import insight_factories as inf
from tests import recall_factories as rf

pytestmark = pytest.mark.django_db
URL = "/staff/insight/fidelity/"


def counts(user, key: str, **params: str) -> tuple[int, int]:
    request = RequestFactory().get("/", params)
    request.user = user
    scope = staff_scope(request)
    today = timezone.localdate()
    period, _ = staff_period(request.GET, today)
    return FIGURES_BY_KEY[key].counts(scope.people, period, today).get(scope.chosen.pk, (0, 0))


def listed(client, key: str, which: str) -> list[str]:
    body = client.get(reverse("insight:figure_people", kwargs={"key": key}), {"list": which}).content.decode()
    return sorted(re.findall(r'data-testid="person-row">\s*<td[^>]*><span[^>]*>Name </span><a [^>]*>([^<]+)</a>',
                             body))


def test_urls():
    assert reverse("insight:fidelity") == URL
    assert reverse("insight:figure_people", kwargs={"key": "prepared"}) == "/staff/insight/fidelity/prepared/people/"


class TestWhoCanSeeIt:
    def test_anonymous_is_sent_to_log_in(self, anonymous):
        response = anonymous.get(URL)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    @pytest.mark.parametrize("who", ["person", "carer"])
    def test_people_and_carers_get_not_found(self, as_user, who, request):
        user = request.getfixturevalue(who)
        user = user if hasattr(user, "username") else user.user
        assert as_user(user).get(URL).status_code == 404
        assert as_user(user).get(reverse("insight:figure_people", kwargs={"key": "had"})).status_code == 404

    @pytest.mark.parametrize("who", ["clinician", "hca", "practice_admin"])
    def test_practice_staff_see_their_practice(self, as_user, who, request, practice):
        body = as_user(request.getfixturevalue(who)).get(URL).content.decode()
        assert "Is care planning happening?" in body and practice.name in body

    def test_staff_of_a_hospital_clinic_have_no_register_so_get_not_found_audited(self, as_user):
        from ourplan.people.models import Organisation

        clinic = Organisation.objects.create(name="Diabetes clinic", kind=Organisation.Kind.HOSPITAL)
        nurse = f.staff_user("clinic.nurse", clinic, role="clinician", given="Priya", family="Shah")
        assert as_user(nurse).get(URL).status_code == 404
        assert AuditEvent.objects.filter(actor=nurse, action="denied", detail__path=URL).count() == 1

    def test_a_clinician_elsewhere_never_sees_this_practices_people(self, as_user, other_clinician, practice):
        p = rf.on_registers(practice, "Elsewhere", "HYP")
        inf.round_for(p, invited=30, conversation_held=10)
        client = as_user(other_clinician)
        assert "Hillview Surgery" in client.get(URL).content.decode()
        assert listed(client, "had", "counted") == [] and listed(client, "had", "act") == []
        assert counts(other_clinician, "had") == (0, 0)


class TestOfferedAndHad:
    def test_an_invitation_or_an_offer_in_the_period_counts_as_offered(self, clinician, practice):
        invited = rf.on_registers(practice, "Invited", "HYP")
        inf.round_for(invited, invited=20, status="open")
        declined = rf.on_registers(practice, "Declined", "DM")
        OfferStatus.objects.create(person=declined, code=OfferCode.DECLINED, recorded_at=inf.ago(40))
        not_offered = rf.on_registers(practice, "Notoffered", "AST")
        OfferStatus.objects.create(person=not_offered, code=OfferCode.NOT_OFFERED, recorded_at=inf.ago(40))
        long_ago = rf.on_registers(practice, "Longago", "HYP")
        inf.round_for(long_ago, invited=400)
        rf.on_registers(practice, "Noregister")  # on no register: not in the denominator
        assert counts(clinician, "offered") == (2, 4)

    def test_had_counts_conversations_held_in_the_period_against_everyone_on_a_register(self, clinician, practice):
        held = rf.on_registers(practice, "Held", "HYP", "DM")
        inf.round_for(held, invited=60, conversation_held=30)
        inf.round_for(held, invited=500, conversation_held=480)  # a second, older round: still one person
        rf.on_registers(practice, "Waiting", "COPD")
        assert counts(clinician, "had") == (1, 2)
        assert counts(clinician, "had", **{"from": (timezone.localdate() - timedelta(days=20)).isoformat()}) == (0, 2)


class TestPreparationAndAgenda:
    def test_results_sent_exactly_seven_days_before_count_and_less_does_not(self, clinician, practice):
        on_time = rf.on_registers(practice, "Ontime", "HYP")
        inf.round_for(on_time, information_gathered=30, preparation_sent=10 + PREPARATION_LEAD_DAYS,
                      conversation_held=10)
        short = rf.on_registers(practice, "Short", "HYP")
        inf.round_for(short, information_gathered=30, preparation_sent=10 + PREPARATION_LEAD_DAYS - 0.05,
                      conversation_held=10)
        never = rf.on_registers(practice, "Never", "HYP")
        inf.round_for(never, information_gathered=30, conversation_held=10)
        assert counts(clinician, "prepared") == (1, 3)

    def test_agenda_returned_is_out_of_packs_sent_in_the_period(self, clinician, practice):
        answered = rf.on_registers(practice, "Answered", "DM")
        inf.round_for(answered, information_gathered=30, preparation_sent=25, agenda_received=20, status="open")
        silent = rf.on_registers(practice, "Silent", "DM")
        inf.round_for(silent, information_gathered=30, preparation_sent=25, status="open")
        assert counts(clinician, "agenda") == (1, 2)


class TestOwnWords:
    def _agreed(self, practice, family: str):
        p = rf.on_registers(practice, family, "HYP")
        inf.round_for(p, conversation_held=10, plan_agreed=10)
        return p, inf.plan_for(p, agreed_days_ago=10)

    def test_words_kept_beside_a_different_clinical_translation_count(self, clinician, practice):
        _, plan = self._agreed(practice, "Translated")
        inf.goal(plan, "Walk to my daughter's", translation="30 minutes walking a day")
        assert counts(clinician, "own_words") == (1, 1)

    def test_one_wording_typed_by_staff_does_not_count(self, clinician, practice):
        _, plan = self._agreed(practice, "Clinical")
        inf.goal(plan, "HbA1c < 58 mmol/mol")
        inf.goal(plan, "BP < 140/90", translation="bp < 140/90")  # the same words twice is still one wording
        assert counts(clinician, "own_words") == (0, 1)

    def test_a_goal_the_person_wrote_themselves_before_agreement_counts(self, clinician, practice):
        _, plan = self._agreed(practice, "Author")
        g = inf.goal(plan, "Get back to my allotment", days_ago=15)
        inf.version(plan, 1, kind=PlanVersion.AuthorKind.PERSON, changed=[f"goal:{g.public_id}.person_words"],
                    days_ago=15)
        assert counts(clinician, "own_words") == (1, 1)

    def test_words_the_person_changed_only_after_agreement_do_not_count_for_it(self, clinician, practice):
        _, plan = self._agreed(practice, "Later")
        g = inf.goal(plan, "Get back to my allotment", days_ago=15)
        inf.version(plan, 1, kind=PlanVersion.AuthorKind.PERSON, changed=[f"goal:{g.public_id}.person_words"],
                    days_ago=2)
        assert counts(clinician, "own_words") == (0, 1)


class TestSharedReviewsAndCollaborate:
    def test_a_plan_counts_when_agreed_and_shared_with_the_person(self, clinician, practice):
        shared = rf.on_registers(practice, "Shared", "HYP")
        inf.round_for(shared, conversation_held=10, plan_agreed=10, plan_shared=10)
        kept = rf.on_registers(practice, "Kept", "HYP")
        inf.round_for(kept, conversation_held=10, plan_agreed=10)
        talked = rf.on_registers(practice, "Talked", "HYP")
        inf.round_for(talked, conversation_held=10)
        assert counts(clinician, "shared") == (1, 3)

    def test_reviews_count_on_time_up_to_the_grace_period_and_pending_ones_wait(self, clinician, practice):
        today = timezone.localdate()

        def agreed(family: str, due_days_ago: int):
            p = rf.on_registers(practice, family, "HYP")
            inf.round_for(p, conversation_held=200, plan_agreed=200, review_due=today - timedelta(days=due_days_ago))
            return p, inf.plan_for(p, agreed_days_ago=200)

        p, plan = agreed("Ontime", 100)
        inf.review(p, plan, days_ago=100 - REVIEW_GRACE_DAYS)  # exactly at the end of the grace period
        p, plan = agreed("Late", 100)
        inf.review(p, plan, days_ago=100 - REVIEW_GRACE_DAYS - 2)
        p, plan = agreed("Informal", 100)
        inf.review(p, plan, days_ago=95, kind="informal-phone")  # a phone call is not the review
        p, _ = agreed("Nextround", 100)
        inf.round_for(p, conversation_held=90)  # the next round's conversation reviewed the plan
        agreed("Overdue", 60)
        agreed("Pending", 10)  # due 10 days ago, not reviewed yet, still within the grace period
        assert counts(clinician, "reviews") == (2, 5)

    def test_collaborate_top_box_means_nine_on_all_three(self, clinician, practice):
        top = rf.on_registers(practice, "Top", "HYP")
        inf.collaborate(top, [9, 9, 9])
        nearly = rf.on_registers(practice, "Nearly", "HYP")
        inf.collaborate(nearly, [9, 9, 8])
        assert counts(clinician, "collaborate") == (1, 2)


class TestDrillDown:
    def test_lists_exactly_the_people_counted_and_the_people_to_act_on(self, as_user, clinician, practice,
                                                                        other_practice):
        for family, prep in (("Alpha", 20), ("Bravo", 12), ("Charlie", None)):
            p = rf.on_registers(practice, family, "HYP")
            inf.round_for(p, information_gathered=30, preparation_sent=prep, conversation_held=10)
        stranger = rf.on_registers(other_practice, "Stranger", "HYP")
        inf.round_for(stranger, information_gathered=30, preparation_sent=20, conversation_held=10)
        client = as_user(clinician)
        assert listed(client, "prepared", "counted") == ["ALPHA, Pat"]
        assert listed(client, "prepared", "act") == ["BRAVO, Pat", "CHARLIE, Pat"]

    def test_every_drill_down_and_download_is_audited_with_the_people_listed(self, as_user, clinician, practice):
        p = rf.on_registers(practice, "Audited", "HYP")
        inf.round_for(p, invited=30, conversation_held=10)
        client = as_user(clinician)
        client.get(reverse("insight:figure_people", kwargs={"key": "had"}), {"list": "counted"})
        event = AuditEvent.objects.filter(entity_type="InsightDrillDown", action="search").get()
        assert event.actor == clinician and event.detail["people"] == [str(p.public_id)]
        response = client.get(reverse("insight:figure_people_export", kwargs={"key": "had", "fmt": "csv"}),
                              {"list": "counted"})
        assert "AUDITED, Pat" in response.content.decode("utf-8-sig")
        download = AuditEvent.objects.filter(entity_type="InsightDrillDown", action="download").get()
        assert download.detail["people"] == [str(p.public_id)] and download.detail["format"] == "csv"

    def test_an_unknown_figure_is_not_found(self, as_user, clinician):
        assert as_user(clinician).get(reverse("insight:figure_people", kwargs={"key": "nope"})).status_code == 404

    def test_stage_waits_list_the_longest_first(self, as_user, clinician, practice):
        for family, invited in (("Quick", 20), ("Slow", 90)):
            p = rf.on_registers(practice, family, "HYP")
            inf.round_for(p, invited=invited, conversation_held=10)
        body = as_user(clinician).get(reverse("insight:gap_people", kwargs={"key": "invite_to_conversation"})
                                      ).content.decode()
        assert body.index("SLOW, Pat") < body.index("QUICK, Pat") and "80.0 days" in body


class TestPeriod:
    def test_the_default_is_the_last_12_months(self, as_user, clinician):
        body = as_user(clinician).get(URL).content.decode()
        today = timezone.localdate()
        assert f'value="{today.isoformat()}"' in body and "There is a problem" not in body

    @pytest.mark.parametrize(("params", "message"), [
        ({"from": "2025-02-30"}, "Enter the start date as a real date"),
        ({"to": "tomorrow"}, "Enter the end date as a real date"),
        ({"to": "2999-01-01"}, "The end date must be today or in the past"),
        ({"from": "2025-06-01", "to": "2025-05-01"}, "The start date must be on or before the end date"),
        ({"from": "1990-01-01", "to": "2025-05-01"}, "The start date must be after 2000"),
    ])
    def test_invalid_dates_are_explained_and_the_default_used(self, as_user, clinician, params, message):
        body = as_user(clinician).get(URL, params).content.decode()
        assert "There is a problem" in body and message in body
        # What was typed stays in the fields; the figures are for the last 12 months until it is fixed.
        assert all(f'value="{v}"' in body for v in params.values())
        assert f'{timezone.localdate():%-d %B %Y}.' in body

    def test_a_chosen_period_narrows_every_figure(self, clinician, practice):
        p = rf.on_registers(practice, "Spring", "HYP")
        inf.round_for(p, invited=100, conversation_held=80)
        day = timezone.localdate()
        inside = {"from": (day - timedelta(days=90)).isoformat(), "to": (day - timedelta(days=70)).isoformat()}
        outside = {"from": (day - timedelta(days=60)).isoformat(), "to": day.isoformat()}
        assert counts(clinician, "had", **inside) == (1, 1)
        assert counts(clinician, "had", **outside) == (0, 1)


def test_the_dashboard_makes_the_same_number_of_queries_for_more_people(as_user, clinician, practice,
                                                                         django_assert_max_num_queries):
    def add(n: int) -> None:
        for i in range(n):
            p = rf.on_registers(practice, f"Many{i}", "HYP")
            c = inf.round_for(p, invited=60, information_gathered=40, preparation_sent=30, conversation_held=10,
                              plan_agreed=10, plan_shared=10)
            plan = inf.plan_for(p, agreed_days_ago=10)
            inf.goal(plan, "Walk more", translation="Activity")
            inf.collaborate(p, [9, 9, 9])
            c.review_due = timezone.localdate() - timedelta(days=40)
            c.save()

    client = as_user(clinician)
    add(2)
    client.get(URL)  # warm up (sessions, roles)
    with django_assert_max_num_queries(20) as few:
        assert client.get(URL).status_code == 200
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL).status_code == 200


def test_staff_at_two_practices_choose_one_or_both(as_user, practice, other_practice):
    from ourplan.people.models import Practitioner, StaffMember

    user = f.staff_user("locum", practice, role="clinician", given="Lee", family="Locum")
    StaffMember.objects.create(practitioner=Practitioner.objects.get(user=user), organisation=other_practice,
                               role="clinician")
    for org, family in ((practice, "Here"), (other_practice, "There")):
        p = rf.on_registers(org, family, "HYP")
        inf.round_for(p, invited=30, conversation_held=10)
    client = as_user(user)
    body = client.get(URL).content.decode()
    assert "All practices (2)" in body
    assert listed(client, "had", "counted") == ["HERE, Pat", "THERE, Pat"]
    body = client.get(reverse("insight:figure_people", kwargs={"key": "had"}),
                      {"list": "counted", "practice": str(other_practice.public_id)}).content.decode()
    assert ">THERE, Pat<" in body and ">HERE, Pat<" not in body


def test_a_wrong_period_is_shown_by_its_field_and_keeps_what_was_typed(clinician, as_user):
    from django.urls import reverse

    page = as_user(clinician).get(reverse("insight:fidelity"), {"from": "2026-12-01", "to": "2026-01-01"})
    html = page.content.decode()
    assert 'id="from-error"' in html and "The start date must be on or before the end date" in html
    assert 'value="2026-12-01"' in html and 'value="2026-01-01"' in html
