"""Margaret's plan, care team, sharing and tasks: the story of the sharing issue, built through the same
actions the app uses (so it is audited and versioned like real use).

- Her plan has a sensitive goal (feeling low) and a mental-health crisis plan.
- She shares it with the hospital diabetes clinic for 6 months, without the sensitive parts: the clinic's
  nurse (login `clinicnurse`) sees the plan but not those parts.
- The district nurse (login `districtnurse`) has a task from an action in the plan; completing it ticks
  the action.
- Her daughter Sarah (login `carer`) has a task she can mark done on Margaret's plan.
- Margaret (login `person`) sees who has looked at her record on "Who has seen my record"."""

from __future__ import annotations

from datetime import date, timedelta

from ourplan.coordination.actions import do_create_task
from ourplan.coordination.models import Task
from ourplan.core.models import User
from ourplan.demo import featured
from ourplan.demo.rng import DEMO_SOURCE, stream, uuid4
from ourplan.people.models import Consent, Organisation, Person, Practitioner, RelatedPerson, StaffMember
from ourplan.planning import actions as plans
from ourplan.planning.models import ContingencyPlan, GoalAction
from ourplan.sharing import actions as sharing
from ourplan.sharing.forms import ends_at_for
from ourplan.sharing.models import MemberRole


def _partner(key: str, users: dict[str, User], seed: int) -> StaffMember:
    rng = stream(seed, "partner", key)
    org = Organisation.objects.create(public_id=uuid4(rng), source_system=DEMO_SOURCE,
                                      **featured.PARTNER_ORGANISATIONS[key])
    login = featured.PARTNER_LOGINS[key]
    practitioner = Practitioner.objects.create(
        public_id=uuid4(rng), user=users[login.username], given_name=login.given_name,
        family_name=login.family_name, email=f"{login.username}@example.nhs.uk", source_system=DEMO_SOURCE)
    return StaffMember.objects.create(public_id=uuid4(rng), practitioner=practitioner, organisation=org,
                                      role=login.role, job_title=login.job_title, source_system=DEMO_SOURCE)


def seed_sharing(person: Person, practice: Organisation | None, users: dict[str, User], seed: int, today: date) -> None:
    clinician = users["clinician"]
    nurse = StaffMember.objects.get(practitioner__user=clinician, organisation=person.practice_id)
    clinic_nurse = _partner("clinic", users, seed)
    district_nurse = _partner("community", users, seed)
    _partner("emergency", users, seed)  # in nobody's care team: opens a record only by emergency access
    carer = RelatedPerson.objects.get(person=person, user=users[featured.CARER_USERNAME])

    plan = plans.do_start_plan(clinician, person)
    plan = plans.do_update_about(clinician, plan, plan.version, {
        "what_matters": "Looking after my garden and seeing my grandchildren every week.",
        "important_people": "My daughter Sarah, who helps with shopping and comes to appointments.",
        "please_do": "Explain things slowly and write them down for me.",
    })
    walk = plans.do_add_goal(clinician, plan, {
        "person_words": "Walk to the park and back without stopping, three times a week.",
        "category": "health", "registers": ["DM", "HYP"], "importance": 9, "confidence": 6,
        "what_would_make_it_seven": "Someone to walk with at first.", "lifecycle_status": "active",
    })
    feet = plans.do_add_goal(clinician, plan, {
        "person_words": "Keep my feet healthy so I can keep gardening.", "category": "health",
        "registers": ["DM"], "importance": 8, "confidence": 7, "lifecycle_status": "active",
    })
    low = plans.do_add_goal(clinician, plan, {
        "person_words": "Feel less low in the evenings.", "category": "wellbeing", "registers": ["DEPR"],
        "importance": 8, "confidence": 5, "lifecycle_status": "active", "sensitive": True,
    })
    plans.do_add_action(clinician, walk, {"what": "Walk to the park with Sarah on Saturday mornings",
                                          "when": "Saturday mornings", "helper_kind": GoalAction.HelperKind.CARER,
                                          "who_helps": "Sarah (daughter)"})
    collect = plans.do_add_action(clinician, walk, {
        "what": "Pick up the new walking shoes from the podiatry shop", "helper_kind": GoalAction.HelperKind.CARER,
        "who_helps": "Sarah (daughter)"})
    check = plans.do_add_action(clinician, feet, {
        "what": "Check both feet and the healing blister on the left heel at home",
        "how_often": "Every 2 weeks", "helper_kind": GoalAction.HelperKind.PROFESSIONAL,
        "who_helps": "District nurse"})
    phone = plans.do_add_action(clinician, low, {
        "what": "Phone the talking therapies service to book an assessment", "helper_kind": GoalAction.HelperKind.SELF})
    plans.do_add_contingency(clinician, plan, ContingencyPlan.Kind.MENTAL_HEALTH)
    plan.refresh_from_db()
    plans.do_agree_plan(clinician, plan, plan.version, agreed_by_name="Margaret Thompson",
                        agreed_by_role="The person", review_date=today + timedelta(days=180), reviewer=nurse,
                        share_with_person=True)

    sharing.do_add_member(clinician, person, role=MemberRole.PRACTICE_NURSE, staff_member=nurse,
                          contact="0113 496 0000")
    clinic = sharing.do_add_member(clinician, person, role=MemberRole.SERVICE,
                                   organisation=clinic_nurse.organisation, contact="0113 496 0100")
    sharing.do_add_member(clinician, person, role=MemberRole.SPECIALIST_NURSE, staff_member=clinic_nurse,
                          contact="0113 496 0100")
    dn = sharing.do_add_member(clinician, person, role=MemberRole.DISTRICT_NURSE, staff_member=district_nurse,
                               contact="0113 496 0200")
    sarah = sharing.do_add_member(clinician, person, role=MemberRole.CARER, related_person=carer,
                                  contact=carer.phone)
    # Margaret's decisions: the clinic (everyone from it in her team) for 6 months, without the sensitive
    # parts; the district nurse with no end date; Sarah keeps contributing but not the sensitive parts.
    sharing.do_share(users[featured.PERSON_USERNAME], person, organisation=clinic.organisation,
                     ends_at=ends_at_for("6"), given_by="Margaret Thompson")
    sharing.do_share(users[featured.PERSON_USERNAME], person, member=dn, given_by="Margaret Thompson")
    assert Consent.objects.filter(person=person, related_person=carer).exists()

    do_create_task(clinician, person, title="Check Margaret's feet and the blister on her left heel",
                   assignee=dn, due_date=today + timedelta(days=7), action=check, kind=Task.Kind.ACTION)
    do_create_task(clinician, person, title="Pick up the new walking shoes from the podiatry shop",
                   assignee=sarah, due_date=today + timedelta(days=10), action=collect, kind=Task.Kind.ACTION)
    do_create_task(clinician, person, title="Phone the talking therapies service to book an assessment",
                   for_person=True, due_date=today + timedelta(days=14), action=phone, kind=Task.Kind.ACTION)
