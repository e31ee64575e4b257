"""The person logs a peak flow on a phone and sees their agreed action at once."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    p = context.new_page()
    p.set_default_timeout(15000)
    yield p
    context.close()


def _log_peak_flow(phone, live_server, value: str) -> None:
    log_in(phone, live_server, "margaret", then="**/my/")
    phone.goto(f"{live_server.url}/my/readings/?measure=peak_flow")
    phone.get_by_label("Peak flow (litres a minute)").fill(value)
    phone.get_by_role("button", name="Save reading").click()
    phone.wait_for_url("**/my/readings/?measure=peak_flow")


def test_peak_flow_at_55_percent_of_best_shows_the_amber_action_on_a_phone(phone, live_server, person):
    f.obs(person, "peak_flow_best", "400", days_ago=30)
    _log_peak_flow(phone, live_server, "220")
    amber = phone.get_by_test_id("trigger-amber")
    assert amber.is_visible()
    assert amber.get_by_text("Follow the amber part of your asthma action plan").is_visible()
    assert amber.get_by_test_id("not-emergency").is_visible()
    assert phone.get_by_test_id("urgent-help").count() == 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_peak_flow_at_45_percent_of_best_shows_red_urgent_advice_on_a_phone(phone, live_server, person):
    f.obs(person, "peak_flow_best", "400", days_ago=30)
    _log_peak_flow(phone, live_server, "180")
    red = phone.get_by_test_id("trigger-red")
    assert red.is_visible()
    assert red.get_by_test_id("urgent-help").get_by_text("call 999 now").is_visible()
    assert "111" in red.get_by_test_id("urgent-help").inner_text()
