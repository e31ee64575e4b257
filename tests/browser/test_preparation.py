"""The person reads their results explained, answers the prompt sheet and sends it; the clinician then sees
those answers as the agenda, in the person's words."""

from __future__ import annotations

import pytest

from tests.browser.helpers import log_in
from tests.prep_support import sent_by_portal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
def test_person_answers_the_prompt_sheet_and_the_clinician_sees_their_agenda(
        browser, page, live_server, clinician, person):
    sent_by_portal(clinician, person)

    log_in(page, live_server, "margaret")
    page.wait_for_url("**/my/")
    page.goto(f"{live_server.url}/my/preparation/")
    assert page.get_by_role("heading", name="Get ready for your appointment").is_visible()
    hba1c = page.locator("#result-hba1c")
    assert hba1c.get_by_text("Your blood sugar average is higher than the level we agreed.").is_visible()
    assert hba1c.locator("svg[role=img]").is_visible()  # the trend, drawn on the server
    hba1c.get_by_text("Show the numbers in the chart").click()
    assert hba1c.locator("table").get_by_text("71").is_visible()

    page.get_by_label("What matters to you?").fill("Walking to the shops with my grandson")
    # The NHS.UK character count tells the person how much room is left.
    assert page.get_by_text("You have 963 characters remaining").is_visible()
    page.get_by_label("Questions you want to ask").fill("Can I cut down on one of my tablets?")
    page.get_by_role("button", name="Send your answers").click()
    assert page.get_by_text("Your answers have been sent to your care team").is_visible()

    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        clinician_page = staff.new_page()
        clinician_page.set_default_timeout(15000)
        log_in(clinician_page, live_server, clinician.username)
        clinician_page.wait_for_url("**/staff/**")
        clinician_page.goto(f"{live_server.url}/staff/people/{person.public_id}/preparation/")
        agenda = clinician_page.get_by_test_id("agenda")
        assert agenda.get_by_text("Walking to the shops with my grandson").is_visible()
        assert agenda.get_by_text("Can I cut down on one of my tablets?").is_visible()
        assert agenda.get_by_text("Written by Margaret Thompson (the person)").first.is_visible()
    finally:
        staff.close()
