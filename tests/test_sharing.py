"""Care team, consent and sensitive sections: who sees what, decided by people.access alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ourplan.core.models import AccessBasis, AuditAction, AuditEvent
from ourplan.people.access import grant_for, people_for, people_with_sensitive_for
from ourplan.people.models import Consent
from ourplan.sharing import actions as sharing
from ourplan.sharing.models import CareTeamMember
from tests.sharing_support import care_team, carer_member, plan_with_sensitive_part

pytestmark = pytest.mark.django_db


def test_the_hospital_clinic_nurse_sees_the_shared_plan_but_not_its_sensitive_parts(person, clinician, as_user):
    plan = plan_with_sensitive_part(person, clinician)
    team = care_team(person, clinician)
    nurse = as_user(team.clinic_nurse)

    page = nurse.get(reverse("planning:plan", args=[person.public_id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert plan.open_goal.person_words in html
    assert plan.sensitive_goal.person_words not in html
    assert "Mental health crisis" not in html
    assert "Sensitive sections are not shared with you" in html

    overview = nurse.get(reverse("people:person_detail", args=[person.public_id])).content.decode()
    assert "Depressive disorder" not in overview and "PHQ-9" not in overview
    assert "HbA1c" in overview
    pdf = nurse.get(reverse("planning:pdf", args=[person.public_id]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    # The history quotes every change, sensitive ones included: not for someone without sensitive access.
    assert nurse.get(reverse("planning:history", args=[person.public_id])).status_code == 404
    assert nurse.get(reverse("sharing:sensitive_notes", args=[person.public_id])).status_code == 404
    # Staff pages that are for the practice only stay "not found".
    assert nurse.get(reverse("planning:workspace", args=[person.public_id])).status_code == 404
    event = AuditEvent.objects.filter(actor=team.clinic_nurse, entity_type="CarePlan", action="read").first()
    assert event is not None and event.basis == AccessBasis.CARE_TEAM


def test_sensitive_parts_show_once_the_person_shares_them(person, clinician, as_user):
    plan = plan_with_sensitive_part(person, clinician)
    team = care_team(person, clinician, clinic_sensitive=True)
    html = as_user(team.clinic_nurse).get(reverse("planning:plan", args=[person.public_id])).content.decode()
    assert plan.sensitive_goal.person_words in html


def test_all_staff_at_the_practice_see_the_sensitive_parts_for_direct_care(person, clinician, practice_admin,
                                                                            as_user):
    for user in (clinician, practice_admin):
        grant = grant_for(user, person)
        assert grant.basis == AccessBasis.DIRECT_CARE and grant.sees_sensitive
        assert "PHQ-9" in as_user(user).get(reverse("people:person_detail", args=[person.public_id])).content.decode()


def test_a_professional_needs_both_team_membership_and_consent(person, clinician, as_user):
    team = care_team(person, clinician, share_clinic=False)
    nurse = as_user(team.clinic_nurse)
    # In the team, no consent: nothing.
    assert nurse.get(reverse("people:person_detail", args=[person.public_id])).status_code == 404
    assert not people_for(team.clinic_nurse).exists()
    sharing.do_share(person.user, person, organisation=team.clinic)
    assert nurse.get(reverse("people:person_detail", args=[person.public_id])).status_code == 200
    # Consent, but no longer in the team: nothing.
    sharing.do_remove_member(clinician, team.clinic_member)
    assert nurse.get(reverse("people:person_detail", args=[person.public_id])).status_code == 404


def test_a_clinician_outside_the_team_sees_nothing_even_with_an_organisation_consent(
        person, clinician, other_clinician, as_user):
    care_team(person, clinician)
    response = as_user(other_clinician).get(reverse("people:person_detail", args=[person.public_id]))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=other_clinician, action=AuditAction.DENIED).count() == 1


def test_time_limited_sharing_ends_by_itself(person, clinician, as_user):
    team = care_team(person, clinician)
    consent = Consent.objects.get(person=person, organisation=team.clinic)
    assert consent.ends_at is not None and consent.ends_at > timezone.now() + timedelta(days=170)
    Consent.objects.filter(pk=consent.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    assert as_user(team.clinic_nurse).get(reverse("people:person_detail", args=[person.public_id])).status_code == 404


def test_the_person_shares_and_stops_sharing_on_my_care_team_with_immediate_effect(person, clinician, as_user):
    team = care_team(person, clinician, share_clinic=False)
    me = as_user(person.user)
    page = me.get(reverse("sharing:my_team"))
    assert page.status_code == 200 and "Priya Shah" in page.content.decode()

    refused = me.post(reverse("sharing:my_share"), {"member": "", "duration": "6"})
    assert refused.status_code == 400 and "Choose who to share with" in refused.content.decode()

    me.post(reverse("sharing:my_share"), {"member": str(team.clinic_member.public_id), "duration": "6",
                                          "scope": "member"})
    nurse = as_user(team.clinic_nurse)
    assert nurse.get(reverse("planning:plan", args=[person.public_id])).status_code == 200
    consent = Consent.objects.get(person=person, staff_member=team.clinic_member.staff_member, status="active")
    assert not consent.include_sensitive and consent.ends_at is not None

    me.post(reverse("sharing:my_withdraw", args=[consent.public_id]))
    assert nurse.get(reverse("planning:plan", args=[person.public_id])).status_code == 404


def test_carers_see_only_what_was_shared_with_them(person, clinician, carer, as_user):
    plan = plan_with_sensitive_part(person, clinician)
    page = as_user(carer).get(reverse("planning:shared_plan", args=[person.public_id])).content.decode()
    assert plan.open_goal.person_words in page and plan.sensitive_goal.person_words not in page
    home = as_user(carer).get(reverse("people:shared_person", args=[person.public_id])).content.decode()
    assert "PHQ-9" not in home and "mood" not in home.lower()
    Consent.objects.filter(person=person, related_person__user=carer).update(include_sensitive=True)
    page = as_user(carer).get(reverse("planning:shared_plan", args=[person.public_id])).content.decode()
    assert plan.sensitive_goal.person_words in page


def test_sensitive_lists_filter_through_the_access_module(person, clinician, carer, practice_admin):
    assert person in people_with_sensitive_for(clinician)
    assert person not in people_with_sensitive_for(carer)
    assert person in people_with_sensitive_for(practice_admin)
    assert person in people_with_sensitive_for(person.user)


def test_staff_record_sharing_given_in_clinic_with_who_decided(person, clinician, carer, as_user):
    member = carer_member(person, carer, clinician)
    url = reverse("sharing:staff_record_share", args=[person.public_id])
    refused = as_user(clinician).post(url, {"member": str(member.public_id), "duration": ""})
    assert refused.status_code == 400 and "Say who made this decision" in refused.content.decode()
    as_user(clinician).post(url, {"member": str(member.public_id), "duration": "3", "include_sensitive": "yes",
                                  "given_by": "Margaret, in clinic"})
    consent = Consent.objects.get(person=person, related_person__user=carer, status="active")
    assert consent.include_sensitive and consent.given_by == "Margaret, in clinic"
    assert consent.recorded_by == clinician


def test_joining_and_leaving_the_team_is_recorded_not_deleted(person, clinician, as_user):
    team = care_team(person, clinician)
    as_user(clinician).post(reverse("sharing:staff_remove_member", args=[person.public_id,
                                                                      team.district_member.public_id]))
    member = CareTeamMember.objects.get(pk=team.district_member.pk)
    assert member.left_at is not None and member.removed_by == clinician
    page = as_user(clinician).get(reverse("sharing:staff_team", args=[person.public_id])).content.decode()
    assert f'data-testid="member-{team.district_member.public_id}"' not in page
    assert f'data-testid="member-{team.clinic_member.public_id}"' in page
    bad = as_user(clinician).post(reverse("sharing:staff_add_member", args=[person.public_id]),
                                  {"kind": "professional", "role": ""})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "Choose the professional" in html and "Choose their role" in html


def test_break_glass_opens_a_record_with_a_reason_and_tells_the_person_and_practice(
        person, clinician, other_clinician, as_user):
    outsider = as_user(other_clinician)
    detail = reverse("people:person_detail", args=[person.public_id])
    assert outsider.get(detail).status_code == 404
    short = outsider.post(reverse("sharing:emergency_access"), {"nhs_number": person.nhs_number, "reason": "x"})
    assert short.status_code == 400 and "Say why you need emergency access" in short.content.decode()
    outsider.post(reverse("sharing:emergency_access"),
                  {"nhs_number": person.nhs_number, "reason": "Seen in A&E, confused, need her care plan"})
    page = outsider.get(detail)
    assert page.status_code == 200 and 'data-testid="emergency-banner"' in page.content.decode()
    assert AuditEvent.objects.filter(actor=other_clinician, basis=AccessBasis.EMERGENCY, action="read").exists()

    seen = as_user(person.user).get(reverse("sharing:my_seen")).content.decode()
    assert "Seen in A&amp;E, confused" in seen and "Emergency access" in seen
    register = as_user(clinician).get(reverse("people:register")).content.decode()
    assert "Emergency access by" in register


def test_break_glass_is_for_clinical_staff_only_and_expires(person, practice_admin, other_clinician, as_user):
    assert as_user(practice_admin).get(reverse("sharing:emergency_access")).status_code == 404
    assert as_user(person.user).get(reverse("sharing:emergency_access")).status_code == 404
    glass = sharing.do_break_glass(other_clinician, person, "Unconscious in A&E, need medicines list")
    assert grant_for(other_clinician, person).basis == AccessBasis.EMERGENCY
    type(glass).objects.filter(pk=glass.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert grant_for(other_clinician, person).basis == AccessBasis.NONE


def test_the_person_sees_who_has_seen_their_record(person, clinician, carer, as_user):
    as_user(clinician).get(reverse("people:person_detail", args=[person.public_id]))
    as_user(carer).get(reverse("people:shared_person", args=[person.public_id]))
    as_user(person.user).get(reverse("people:my_home"))
    page = as_user(person.user).get(reverse("sharing:my_seen")).content.decode()
    assert "Megan Jones" in page and "Sam Carer" in page
    assert "Your GP practice" in page and "Someone you shared your record with" in page
    assert "Margaret Thompson (margaret)" not in page  # her own reads are not listed
    assert as_user(carer).get(reverse("sharing:my_seen")).status_code == 404


def test_a_practice_admin_searches_the_audit_log(person, clinician, practice_admin, other_clinician, as_user):
    as_user(clinician).get(reverse("people:person_detail", args=[person.public_id]))
    admin = as_user(practice_admin)
    page = admin.get(reverse("sharing:audit_search"), {"nhs_number": person.nhs_number, "action": "read"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Megan Jones" in html and person.formal_name in html
    bad = admin.get(reverse("sharing:audit_search"), {"nhs_number": "123", "date_from": "yesterday"})
    assert bad.status_code == 400
    assert "Enter a valid 10-digit NHS number" in bad.content.decode()
    assert "Enter a date as YYYY-MM-DD" in bad.content.decode()
    assert as_user(clinician).get(reverse("sharing:audit_search")).status_code == 404
    assert as_user(other_clinician).get(reverse("sharing:audit_search")).status_code == 404
    assert AuditEvent.objects.filter(actor=practice_admin, entity_type="AuditEvent", action="search").exists()


def test_a_carer_not_shared_sensitive_parts_sees_no_mood_scores_among_readings(person, carer, as_user):
    from tests import factories as f

    f.condition(person, "197480006")  # anxiety: mental health, not on a QOF register
    page = as_user(carer).get(reverse("support:shared_readings", args=[person.public_id]), {"measure": "phq2"})
    html = page.content.decode()
    assert "Mood check" not in html
    home = as_user(carer).get(reverse("people:shared_person", args=[person.public_id])).content.decode()
    assert "Anxiety" not in home
    assert "Mood check" in as_user(person.user).get(reverse("support:my_readings")).content.decode()


def test_emergency_access_is_not_used_when_the_clinician_can_already_see_the_record(person, clinician, as_user):
    from ourplan.sharing.models import BreakGlass

    response = as_user(clinician).post(reverse("sharing:emergency_access"),
                                       {"nhs_number": person.nhs_number, "reason": "Checking something urgent"})
    assert response.status_code == 302 and not BreakGlass.objects.exists()


def test_emergency_access_checks_the_nhs_number_and_the_reason_next_to_each_field(other_clinician, as_user):
    empty = as_user(other_clinician).post(reverse("sharing:emergency_access"), {"nhs_number": "", "reason": ""})
    html = empty.content.decode()
    assert empty.status_code == 400
    assert "Enter the person&#39;s NHS number" in html and "Say why you need emergency access" in html
    bad = as_user(other_clinician).post(reverse("sharing:emergency_access"),
                                        {"nhs_number": "9434765918", "reason": "Unconscious in A&E"})
    assert "Enter a valid 10-digit NHS number" in bad.content.decode()


def test_staff_outside_the_practice_find_shared_people_on_the_register_without_sensitive_tags(
        person, clinician, as_user):
    team = care_team(person, clinician)
    page = as_user(team.clinic_nurse).get(reverse("people:register"), {"q": "Thompson"}).content.decode()
    assert person.formal_name in page
    assert 'nhsuk-tag--grey">DEPR<' not in page and 'nhsuk-tag--grey">DM<' in page
    assert person.formal_name not in as_user(team.clinic_nurse).get(
        reverse("people:register"), {"condition": "DEPR"}).content.decode()


def test_who_has_seen_names_people_by_role_and_organisation_not_login(person, clinician, as_user):
    as_user(clinician).get(reverse("people:person_detail", args=[person.public_id]))
    page = as_user(person.user).get(reverse("sharing:my_seen")).content.decode()
    assert "Megan Jones, Clinician, Riverside Medical Practice" in page
    assert "nurse.jones" not in page



def test_a_goal_linked_to_depression_is_part_of_the_sensitive_section(person, clinician, carer, as_user):
    from ourplan.planning import actions as plans

    plan = plan_with_sensitive_part(person, clinician)
    linked = plans.do_add_goal(clinician, plan.plan, {"person_words": "Get out of the house more",
                                                      "registers": ["DEPR"], "lifecycle_status": "active"})
    page = as_user(carer).get(reverse("planning:shared_plan", args=[person.public_id])).content.decode()
    assert "Get out of the house more" not in page
    shown = as_user(carer).get(reverse("planning:my_goal_edit", args=[person.public_id, linked.public_id]),
                               {"show": "1"})
    assert shown.status_code == 404
    assert AuditEvent.objects.filter(actor=carer, action=AuditAction.DENIED).count() == 1


def test_a_carer_who_may_contribute_still_cannot_change_a_sensitive_goal(person, clinician, carer, as_user):
    plan = plan_with_sensitive_part(person, clinician)
    Consent.objects.filter(person=person, related_person__user=carer).update(can_contribute=True)
    url = reverse("planning:my_goal_edit", args=[person.public_id, plan.sensitive_goal.public_id])
    assert as_user(carer).post(url, {"person_words": "changed", "version": 1}).status_code == 404
    plan.sensitive_goal.refresh_from_db()
    assert plan.sensitive_goal.person_words == "Feel less low in the evenings"
    # A carer without consent to contribute is refused, and the refusal is what the audit trail records.
    Consent.objects.filter(person=person, related_person__user=carer).update(can_contribute=False)
    before = AuditEvent.objects.filter(actor=carer, action=AuditAction.DENIED).count()
    assert as_user(carer).post(reverse("planning:my_goal_new", args=[person.public_id]),
                               {"person_words": "x"}).status_code == 404
    assert AuditEvent.objects.filter(actor=carer, action=AuditAction.DENIED).count() == before + 1


def test_the_audit_search_does_not_name_people_registered_elsewhere(person, clinician, practice_admin,
                                                                   other_practice, as_user):
    from ourplan.sharing import actions as sharing_actions
    from tests import factories as f

    stranger = f.person(other_practice, "Stella", "Elsewhere", "9990000026")
    sharing_actions.do_break_glass(clinician, stranger, "Collapsed in our waiting room, need her plan")
    page = as_user(practice_admin).get(reverse("sharing:audit_search"), {"user": "Megan"}).content.decode()
    assert "Someone registered elsewhere" in page and "ELSEWHERE" not in page and "999 000 0026" not in page
