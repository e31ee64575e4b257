"""A clinician and a person log in through the real login page and see what they should, and no more."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
def test_clinician_logs_in_finds_the_person_and_sees_results_and_charts(page, live_server, clinician, person):
    log_in(page, live_server, clinician.username)
    page.wait_for_url("**/staff/register/")
    page.get_by_label("Search by name or NHS number").fill("943 476 5919")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="THOMPSON, Margaret").click()
    page.wait_for_url("**/staff/people/**")
    assert page.get_by_test_id("banner-nhs").inner_text() == "943 476 5919"
    assert page.locator("#measure-hba1c").get_by_text("Not meeting target").is_visible()
    # Chart.js has drawn the trend onto the canvas (a blank canvas has no width in its bitmap data).
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart=hba1c]'))")
    page.locator("#measure-hba1c summary").click()
    assert page.locator("#measure-hba1c table").get_by_text("64").is_visible()


def test_person_logs_in_and_sees_their_own_page_but_not_another_persons(
        page, live_server, person, other_person):
    log_in(page, live_server, "margaret")
    page.wait_for_url("**/my/")
    assert page.get_by_role("heading", name="Hello Margaret").is_visible()
    assert page.get_by_text("Blood sugar average (HbA1c)").first.is_visible()
    response = page.goto(f"{live_server.url}/my/people/{other_person.public_id}/")
    assert response.status == 404
    response = page.goto(f"{live_server.url}/staff/people/{person.public_id}/")
    assert response.status == 404


def test_wrong_password_shows_a_clear_error(page, live_server, clinician):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(clinician.username)
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_text("There is a problem").is_visible()


def test_register_search_updates_without_a_full_reload(page, live_server, clinician, person, practice):
    f.person(practice, "Alan", "Other", "9990000018")
    log_in(page, live_server, clinician.username)
    page.wait_for_url("**/staff/register/")
    page.evaluate("window.__marker = 1")
    page.get_by_label("Search by name or NHS number").fill("Thomp")
    page.wait_for_function("() => !document.body.innerText.includes('OTHER, Alan')")
    assert page.evaluate("window.__marker") == 1  # same document: htmx swapped the results in place
