"""Sharing in a real browser: the person shares their plan with the district nurse from "My care team",
the nurse opens it, the person stops sharing and the nurse's next request finds nothing."""

from __future__ import annotations

import pytest

from tests.browser.helpers import log_in
from tests.sharing_support import care_team, plan_with_sensitive_part

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_person_shares_with_the_district_nurse_and_stops_sharing(browser, live_server, clinician, person):
    plan = plan_with_sensitive_part(person, clinician)
    team = care_team(person, clinician, share_clinic=False, share_district=False)
    plan_url = f"{live_server.url}/staff/people/{person.public_id}/plan/"
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    try:
        me, nurse = (c.new_page() for c in contexts)
        for page in (me, nurse):
            page.set_default_timeout(15000)
        log_in(nurse, live_server, team.district_nurse.username, then="**/staff/register/")
        assert nurse.goto(plan_url).status == 404

        log_in(me, live_server, person.user.username, then="**/my/")
        me.get_by_role("link", name="My care team").first.click()
        me.get_by_label("Who do you want to share with?").select_option(label="Owen Davies (District nurse)")
        me.get_by_label("For 3 months").check()
        me.get_by_role("button", name="Share my plan").click()
        row = me.get_by_test_id(f"member-{team.district_member.public_id}")
        row.get_by_text("Yes").first.wait_for()
        assert "Not the sensitive parts" in row.inner_text()

        assert nurse.goto(plan_url).status == 200
        body = nurse.content()
        assert plan.open_goal.person_words in body and plan.sensitive_goal.person_words not in body

        row.get_by_role("button", name="Stop sharing").click()
        me.wait_for_load_state()
        stop = me.get_by_test_id(f"stop-{team.district_member.public_id}")
        stop.wait_for(state="detached")
        assert "Yes" not in me.get_by_test_id(f"member-{team.district_member.public_id}").inner_text()
        assert nurse.goto(plan_url).status == 404

        me.get_by_role("link", name="See who has looked at your record").click()
        me.get_by_test_id("seen").get_by_text("Owen Davies").first.wait_for()
    finally:
        for c in contexts:
            c.close()
