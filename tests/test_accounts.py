"""Logging in: MFA for staff, rate-limited failures, sessions that expire, no self sign-up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_staff_without_totp_are_sent_to_set_it_up_when_mfa_is_required(settings, as_user, clinician):
    settings.OURPLAN_REQUIRE_STAFF_MFA = True
    response = as_user(clinician).get(reverse("people:register"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


def test_staff_with_totp_get_through(settings, as_user, clinician, person):
    from allauth.mfa.models import Authenticator

    settings.OURPLAN_REQUIRE_STAFF_MFA = True
    Authenticator.objects.create(user=clinician, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert as_user(clinician).get(reverse("people:register")).status_code == 200


def test_people_are_not_asked_for_mfa(settings, as_user, person):
    settings.OURPLAN_REQUIRE_STAFF_MFA = True
    assert as_user(person.user).get(reverse("people:my_home")).status_code == 200


def test_repeated_failed_logins_are_rate_limited(clinician):
    client = Client()
    pages = [
        client.post(reverse("account_login"), {"login": clinician.username, "password": "wrong"}).content
        for _ in range(6)
    ]
    assert b"Too many failed login attempts" not in pages[0]
    assert b"Too many failed login attempts" in pages[-1]
    # Even the right password is refused while the limit lasts.
    right = client.post(reverse("account_login"), {"login": clinician.username, "password": "a-long-test-password"})
    assert right.status_code == 200 and b"Too many failed login attempts" in right.content


def test_a_successful_login_lands_on_the_role_home(clinician):
    client = Client()
    response = client.post(reverse("account_login"),
                           {"login": clinician.username, "password": "a-long-test-password"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("people:register")


def test_an_expired_session_must_log_in_again(as_user, person):
    client = as_user(person.user)
    assert client.get(reverse("people:my_home")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("people:my_home"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_sessions_idle_out_after_30_minutes_and_at_browser_close(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_nobody_can_sign_themselves_up():
    response = Client().post(reverse("account_signup"), {"username": "eve", "password1": "x" * 20})
    assert response.status_code == 200 and b"Sign Up Closed" in response.content
    from ourplan.core.models import User

    assert not User.objects.filter(username="eve").exists()


def test_staff_log_in_and_are_taken_to_set_up_an_authenticator_app(settings, clinician):
    settings.OURPLAN_REQUIRE_STAFF_MFA = True
    client = Client()
    response = client.post(reverse("account_login"),
                           {"login": clinician.username, "password": "a-long-test-password"}, follow=True)
    # allauth asks for the password once more before adding an authenticator (its reauthentication rule).
    assert response.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    response = client.post(response.redirect_chain[-1][0], {"password": "a-long-test-password"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("mfa_activate_totp")
    assert response.status_code == 200 and b"Authenticator" in response.content
