"""The register, the clinician's person page and the person's own page, for every persona."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from ourplan.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def detail_url(p) -> str:
    return reverse("people:person_detail", kwargs={"public_id": p.public_id})


def my_url(p) -> str:
    return reverse("people:shared_person", kwargs={"public_id": p.public_id})


class TestRegister:
    def test_clinician_sees_people_at_their_practice(self, as_user, clinician, person, other_person):
        response = as_user(clinician).get(reverse("people:register"))
        assert response.status_code == 200
        body = response.content.decode()
        assert "THOMPSON, Margaret" in body and "OTHER, Alan" in body

    def test_search_by_nhs_number_with_spaces(self, as_user, clinician, person, other_person):
        body = as_user(clinician).get(reverse("people:register"), {"q": "943 476 5919"}).content.decode()
        assert "THOMPSON, Margaret" in body and "OTHER, Alan" not in body

    def test_search_by_name_and_filter_by_condition(self, as_user, clinician, person, other_person):
        client = as_user(clinician)
        assert "THOMPSON" in client.get(reverse("people:register"), {"q": "thomp"}).content.decode()
        filtered = client.get(reverse("people:register"), {"condition": "DM"}).content.decode()
        assert "THOMPSON, Margaret" in filtered and "OTHER, Alan" not in filtered

    def test_htmx_request_gets_only_the_results_fragment(self, as_user, clinician, person):
        response = as_user(clinician).get(reverse("people:register"), {"q": "Marg"}, HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert "THOMPSON, Margaret" in body and "<html" not in body

    def test_clinician_at_another_practice_sees_nobody_from_this_one(self, as_user, other_clinician, person):
        body = as_user(other_clinician).get(reverse("people:register")).content.decode()
        assert "THOMPSON" not in body

    def test_register_search_is_audited(self, as_user, clinician, person):
        as_user(clinician).get(reverse("people:register"), {"q": "Marg"})
        event = AuditEvent.objects.get(action="search")
        assert event.actor == clinician and event.detail["q"] == "Marg"

    def test_person_and_carer_get_not_found(self, as_user, person, carer):
        assert as_user(person.user).get(reverse("people:register")).status_code == 404
        assert as_user(carer).get(reverse("people:register")).status_code == 404

    def test_anonymous_is_sent_to_log_in(self, anonymous):
        response = anonymous.get(reverse("people:register"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_register_page_uses_a_fixed_number_of_queries(self, as_user, clinician, practice,
                                                          django_assert_max_num_queries):
        from tests import factories as f

        for i in range(30):
            p = f.person(practice, given=f"P{i}", family=f"Family{i}", nhs=_valid_nhs(i))
            f.condition(p, "44054006")
        client = as_user(clinician)
        client.get(reverse("people:register"))  # the first request after login refreshes the session
        with django_assert_max_num_queries(10):
            client.get(reverse("people:register"), {"page": 1})


def _valid_nhs(i: int) -> str:
    import random

    from ourplan.people import nhs_number

    return nhs_number.generate(random.Random(i))


class TestClinicianPersonPage:
    def test_shows_conditions_results_targets_and_chart_data(self, as_user, clinician, person):
        response = as_user(clinician).get(detail_url(person))
        body = response.content.decode()
        assert response.status_code == 200
        assert "943 476 5919" in body  # NHS number in the banner: never the wrong person's record
        assert "Type 2 diabetes mellitus" in body
        assert 'id="measure-hba1c"' in body and "Not meeting target" in body  # 64 against <= 48
        assert 'data-chart="hba1c"' in body and 'id="chart-data"' in body
        assert "Show all 2 results as a table" in body  # table fallback for the chart

    def test_read_writes_one_audit_event_with_the_basis(self, as_user, clinician, person):
        as_user(clinician).get(detail_url(person))
        events = AuditEvent.objects.filter(person_id_ref=person.public_id, action="read")
        assert [(e.actor, e.basis) for e in events] == [(clinician, "direct-care")]

    def test_page_uses_a_fixed_number_of_queries(self, as_user, clinician, person, django_assert_max_num_queries):
        client = as_user(clinician)
        client.get(detail_url(person))  # the first request after login refreshes the session
        with django_assert_max_num_queries(10):
            client.get(detail_url(person))

    @pytest.mark.parametrize("who", ["other_clinician", "carer", "other_person_user", "person_user"])
    def test_anyone_else_gets_not_found(self, request, as_user, person, other_person, who):
        users = {
            "other_clinician": lambda: request.getfixturevalue("other_clinician"),
            "carer": lambda: request.getfixturevalue("carer"),
            "other_person_user": lambda: other_person.user,
            "person_user": lambda: person.user,
        }
        response = as_user(users[who]()).get(detail_url(person))
        assert response.status_code == 404

    def test_denied_attempt_is_audited(self, as_user, other_clinician, person):
        as_user(other_clinician).get(detail_url(person))
        event = AuditEvent.objects.get(action="denied")
        assert event.actor == other_clinician and event.person_id_ref == person.public_id

    def test_unknown_id_looks_the_same_as_a_forbidden_one(self, as_user, other_clinician, person):
        client = as_user(other_clinician)
        forbidden = client.get(detail_url(person))
        missing = client.get(reverse("people:person_detail", kwargs={"public_id": uuid.uuid4()}))
        assert forbidden.status_code == missing.status_code == 404
        assert forbidden.content == missing.content


class TestPersonOwnPage:
    def test_person_sees_their_conditions_and_results_in_plain_words(self, as_user, person):
        response = as_user(person.user).get(reverse("people:my_home"))
        body = response.content.decode()
        assert response.status_code == 200
        assert "Type 2 diabetes" in body and "High blood pressure" in body
        assert "Blood sugar average (HbA1c)" in body
        assert "Last time it was 71" in body and "so it went down" in body
        assert "Type 2 diabetes mellitus" not in body  # clinician wording stays on staff pages

    def test_person_cannot_open_another_persons_page(self, as_user, person, other_person):
        assert as_user(person.user).get(my_url(other_person)).status_code == 404

    def test_home_redirects_each_persona_to_their_start_page(self, as_user, clinician, person, carer):
        assert as_user(clinician).get("/")["Location"] == reverse("people:register")
        assert as_user(person.user).get("/")["Location"] == reverse("people:my_home")
        assert as_user(carer).get("/")["Location"] == reverse("people:my_home")


class TestCarer:
    def test_carer_with_consent_sees_the_shared_page(self, as_user, person, carer):
        client = as_user(carer)
        assert "Margaret Thompson" in client.get(reverse("people:my_home")).content.decode()
        response = client.get(my_url(person))
        assert response.status_code == 200
        event = AuditEvent.objects.filter(action="read").latest("at")
        assert event.basis == "consent" and event.actor == carer

    def test_expired_or_withdrawn_consent_gives_not_found(self, as_user, person, carer_expired, carer_withdrawn):
        assert as_user(carer_expired).get(my_url(person)).status_code == 404
        assert as_user(carer_withdrawn).get(my_url(person)).status_code == 404

    def test_withdrawal_takes_effect_on_the_very_next_request(self, as_user, person, carer):
        from ourplan.people.actions import do_withdraw_consent

        client = as_user(carer)
        assert client.get(my_url(person)).status_code == 200
        do_withdraw_consent(person.user, person.consents.get())
        assert client.get(my_url(person)).status_code == 404

    def test_carer_cannot_open_the_staff_page(self, as_user, person, carer):
        assert as_user(carer).get(detail_url(person)).status_code == 404
