"""A clinician works the recall list and records an information-gathering visit, in a real browser."""

from __future__ import annotations

import pytest

from ourplan.messaging.models import Communication
from ourplan.recall.models import CarePlanningCycle, QuestionnaireResponse
from tests import recall_factories as rf
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clinician_invites_multimorbid_people_then_records_a_visit(page, live_server, clinician, person, practice):
    rf.on_registers(practice, "Ahmed", "DM", "CKD", given="Bilal")
    rf.on_registers(practice, "Baker", "COPD", "CHD", given="Carol")
    rf.on_registers(practice, "Single", "HYP", given="Sam")
    log_in(page, live_server, clinician.username)
    page.wait_for_url("**/staff/register/")
    page.goto(f"{live_server.url}/staff/recall/")
    assert page.get_by_role("link", name="SINGLE, Sam", exact=True).is_visible()

    # Ticking a person only selects them: it must not reload the list (and lose other ticks).
    page.get_by_label("Select SINGLE, Sam").check()
    page.wait_for_timeout(500)
    assert page.get_by_label("Select SINGLE, Sam").is_checked()
    page.get_by_label("Select SINGLE, Sam").uncheck()

    page.evaluate("window.__marker = 1")
    page.get_by_label("Multimorbidity only (2 or more conditions)").check()
    page.wait_for_function("() => !document.body.innerText.includes('SINGLE, Sam')")
    assert page.evaluate("window.__marker") == 1  # htmx swapped the list in place
    assert page.get_by_test_id("worklist-row").count() == 3

    page.get_by_label("Select AHMED, Bilal").check()
    page.get_by_label("Select BAKER, Carol").check()
    page.get_by_role("button", name="Invite selected").click()
    panel = page.get_by_test_id("invited-panel")
    panel.wait_for()
    assert "2 people invited" in panel.inner_text() and "Letter by post: 2" in panel.inner_text()
    assert CarePlanningCycle.objects.filter(invited_at__isnull=False).count() == 2
    assert Communication.objects.filter(kind="invitation").count() == 2

    page.get_by_role("link", name="Record results for THOMPSON, Margaret").click()
    page.wait_for_url("**/gather/")
    page.get_by_label("HbA1c").fill("62")
    page.get_by_label("Systolic (top number)").fill("142")
    page.get_by_label("Diastolic (bottom number)").fill("86")
    for number, answer in enumerate([1, 1, 0, 2, 1, 0, 1, 0], start=1):
        page.locator(f"#phq9_{number}-{answer}").check()
    assert page.get_by_test_id("safety-callout").count() == 0
    page.locator("#phq9_9-1").check()
    callout = page.get_by_test_id("safety-callout")
    callout.wait_for()  # shown as soon as question 9 is answered, before saving
    assert "Same-day clinical follow-up needed" in callout.inner_text()
    assert "PHQ-9 total: 7 out of 27" in page.get_by_test_id("score-phq9").inner_text()

    page.get_by_role("button", name="Save results").click()
    page.get_by_text("Saved 3 results for THOMPSON, Margaret.").wait_for()
    assert page.get_by_test_id("safety-callout-saved").is_visible()
    assert QuestionnaireResponse.objects.get().safety_flag

    page.get_by_role("button", name="Mark information gathering complete").click()
    page.get_by_text("Information gathering marked complete.").wait_for()
    assert CarePlanningCycle.objects.get(person=person).information_gathered_at is not None
