"""Care planning in a real browser: two people editing the same plan section at once, and a clinician
running the conversation from agenda to agreed plan."""

from __future__ import annotations

import pytest

from ourplan.planning import actions
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
def test_second_save_of_the_same_section_gets_the_conflict_and_keeps_its_text(browser, live_server, clinician,
                                                                              hca, person):
    actions.do_start_plan(clinician, person)
    url = f"{live_server.url}/staff/people/{person.public_id}/conversation/"
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    try:
        first, second = (c.new_page() for c in contexts)
        for page, user in ((first, clinician), (second, hca)):
            page.set_default_timeout(15000)
            log_in(page, live_server, user.username, then="**/staff/register/")
            page.goto(url)
            page.get_by_role("link", name="Edit about me").click()
            page.get_by_label("What matters most to me").wait_for()
        first.evaluate("window.__marker = 1")
        first.get_by_label("What matters most to me").fill("Seeing my grandchildren every week")
        second.get_by_label("What matters most to me").fill("Keeping my allotment going")
        first.get_by_role("button", name="Save about me").click()
        first.locator("#about").get_by_text("Seeing my grandchildren every week").wait_for()
        assert first.evaluate("window.__marker") == 1  # saved in place, no full page load

        second.get_by_role("button", name="Save about me").click()
        conflict = second.get_by_test_id("conflict")
        conflict.wait_for()
        assert "Someone else changed this" in conflict.inner_text()
        assert second.get_by_test_id("theirs-what_matters").inner_text() == "Seeing my grandchildren every week"
        assert second.get_by_label("What matters most to me").input_value() == "Keeping my allotment going"

        # Merging and saving again now succeeds.
        second.get_by_label("What matters most to me").fill("Grandchildren every week; my allotment")
        second.get_by_role("button", name="Save about me").click()
        second.locator("#about").get_by_text("Grandchildren every week; my allotment").wait_for()
    finally:
        for c in contexts:
            c.close()


def test_clinician_runs_the_conversation_from_agenda_to_agreed_plan(page, live_server, clinician, person):
    log_in(page, live_server, clinician.username, then="**/staff/register/")
    page.goto(f"{live_server.url}/staff/people/{person.public_id}/conversation/")
    page.get_by_test_id("agenda").get_by_text("No agenda returned").wait_for()
    page.get_by_role("button", name="Start the plan").click()
    page.evaluate("window.__marker = 1")
    goals = [("Walk to my daughter's house by June", "9", "5"), ("Sleep through the night", "7", "8"),
             ("Get back to my choir every Tuesday", "10", "6")]
    for words, importance, confidence in goals:
        form = page.locator("#new-goal")
        form.get_by_label("The goal, in the person's own words").fill(words)
        form.get_by_label("How important is this, from 0 to 10?").fill(importance)
        form.get_by_label("How confident are you of doing it, from 0 to 10?").fill(confidence)
        form.get_by_label("Goal status").select_option("active")
        form.get_by_role("button", name="Add goal").click()
        page.get_by_test_id("goal").filter(has_text=words).wait_for()
    assert page.get_by_test_id("goal").count() == 3
    assert page.get_by_test_id("seven-prompt").count() == 2  # confidence 5 and 6, not 8
    assert page.evaluate("window.__marker") == 1  # all three added without a page load

    page.get_by_label("Notes from this conversation").fill("Worried about falls on the hill.")
    page.get_by_test_id("notes-status").wait_for()

    page.get_by_role("link", name="Agree the plan").click()
    page.get_by_label("Review date").fill("2099-01-31")
    page.get_by_label("Responsible for the review").select_option(label="Megan Jones (Clinician)")
    page.get_by_role("button", name="Agree the plan").click()
    page.wait_for_url("**/plan/")
    assert "Agreed with Margaret Thompson" in page.get_by_test_id("agreed").inner_text()


def test_notes_typed_while_offline_are_kept_in_the_browser_and_saved_on_return(browser, live_server, clinician,
                                                                               person):
    from ourplan.planning.models import ConversationNote

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        log_in(page, live_server, clinician.username, then="**/staff/register/")
        url = f"{live_server.url}/staff/people/{person.public_id}/conversation/"
        page.goto(url)
        page.get_by_label("Notes from this conversation").wait_for()
        context.set_offline(True)
        page.get_by_label("Notes from this conversation").fill("Wants to try the walking group on Thursdays.")
        page.wait_for_timeout(1500)  # the autosave fires and fails: the connection is down
        assert not ConversationNote.objects.filter(person=person).exists()
        context.set_offline(False)
        again = context.new_page()  # same browser profile, same localStorage
        again.goto(url)
        again.get_by_label("Notes from this conversation").wait_for()
        again.get_by_text("Saved at").wait_for()
        restored = again.get_by_label("Notes from this conversation").input_value()
        assert restored == "Wants to try the walking group on Thursdays."
        note = ConversationNote.objects.get(person=person)
        assert note.text == "Wants to try the walking group on Thursdays."
    finally:
        context.close()
