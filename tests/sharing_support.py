"""Builders for the sharing personas: professionals from other organisations, in the person's care team
and not, and a plan with a sensitive part. Changes go through the real actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from ourplan.core.models import User
from ourplan.people.models import Organisation, Person, RelatedPerson, StaffMember
from ourplan.planning import actions as plans
from ourplan.planning.models import CarePlan, ContingencyPlan, Goal, GoalAction
from ourplan.sharing import actions as sharing
from ourplan.sharing.models import CareTeamMember, MemberRole
from tests import factories as f


def outside_org(name: str, kind: str, ods: str) -> Organisation:
    return Organisation.objects.create(name=name, kind=kind, ods_code=ods)


def staff_of(user: User) -> StaffMember:
    return StaffMember.objects.get(practitioner__user=user)


@dataclass
class Team:
    clinic: Organisation
    clinic_nurse: User
    clinic_member: CareTeamMember
    district_nurse: User
    district_member: CareTeamMember


def care_team(person: Person, clinician: User, *, share_clinic: bool = True, clinic_sensitive: bool = False,
              share_district: bool = True, clinic_months: str = "6") -> Team:
    """A hospital diabetes clinic and a district nurse in the person's care team; the person shares with the
    clinic (as an organisation, for `clinic_months` months) and with the district nurse."""
    clinic = outside_org("Riverside Hospital Diabetes Clinic", Organisation.Kind.HOSPITAL, "RX1")
    community = outside_org("Riverside Community Nursing", Organisation.Kind.COMMUNITY, "RX2")
    clinic_nurse = f.staff_user("nurse.shah", clinic, role="clinician", given="Priya", family="Shah")
    district_nurse = f.staff_user("nurse.davies", community, role="clinician", given="Owen", family="Davies")
    member = sharing.do_add_member(clinician, person, role=MemberRole.SPECIALIST_NURSE,
                                   staff_member=staff_of(clinic_nurse))
    dn = sharing.do_add_member(clinician, person, role=MemberRole.DISTRICT_NURSE, staff_member=staff_of(district_nurse))
    if share_clinic:
        sharing.do_share(person.user, person, organisation=clinic,
                         ends_at=timezone.now() + timedelta(days=30 * int(clinic_months)) if clinic_months else None,
                         include_sensitive=clinic_sensitive)
    if share_district:
        sharing.do_share(person.user, person, member=dn)
    return Team(clinic, clinic_nurse, member, district_nurse, dn)


@dataclass
class Plan:
    plan: CarePlan
    open_goal: Goal
    sensitive_goal: Goal
    feet_action: GoalAction
    carer_action: GoalAction


def plan_with_sensitive_part(person: Person, clinician: User) -> Plan:
    plan = plans.do_start_plan(clinician, person)
    walk = plans.do_add_goal(clinician, plan, {"person_words": "Walk to the park and back",
                                               "lifecycle_status": "active"})
    low = plans.do_add_goal(clinician, plan, {"person_words": "Feel less low in the evenings", "sensitive": True,
                                              "lifecycle_status": "active"})
    feet = plans.do_add_action(clinician, walk, {"what": "Check my feet and the blister on my heel",
                                                 "helper_kind": GoalAction.HelperKind.PROFESSIONAL,
                                                 "who_helps": "District nurse"})
    shoes = plans.do_add_action(clinician, walk, {"what": "Pick up the new walking shoes",
                                                  "helper_kind": GoalAction.HelperKind.CARER,
                                                  "who_helps": "Sam"})
    plans.do_add_contingency(clinician, plan, ContingencyPlan.Kind.MENTAL_HEALTH)
    plan.refresh_from_db()
    reviewer = staff_of(clinician)
    plans.do_agree_plan(clinician, plan, plan.version, agreed_by_name="Margaret Thompson", agreed_by_role="The person",
                        review_date=timezone.localdate() + timedelta(days=180), reviewer=reviewer,
                        share_with_person=True)
    plan.refresh_from_db()
    return Plan(plan, walk, low, feet, shoes)


def carer_member(person: Person, carer: User, clinician: User) -> CareTeamMember:
    related = RelatedPerson.objects.get(person=person, user=carer)
    return sharing.do_add_member(clinician, person, role=MemberRole.CARER, related_person=related)
