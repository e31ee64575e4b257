"""Small builders for test data. They go through the real actions where a rule is being tested."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from ourplan.clinical.models import Condition, Observation
from ourplan.clinical.terminology import MEASURES, condition_names, register_for_code
from ourplan.core.models import User
from ourplan.people.models import Consent, Organisation, Person, Practitioner, RelatedPerson, StaffMember


def organisation(name: str, ods_code: str = "") -> Organisation:
    return Organisation.objects.create(name=name, ods_code=ods_code, kind=Organisation.Kind.GP_PRACTICE)


def user(username: str, given: str = "", family: str = "") -> User:
    u = User.objects.create_user(username=username, password="a-long-test-password", first_name=given,
                                 last_name=family)
    return u


def staff_user(username: str, org: Organisation, role: str, given: str, family: str) -> User:
    u = user(username, given, family)
    practitioner = Practitioner.objects.create(user=u, given_name=given, family_name=family)
    StaffMember.objects.create(practitioner=practitioner, organisation=org, role=role)
    return u


def person(org: Organisation, given: str, family: str, nhs: str, username: str | None = None,
           dob: date = date(1956, 3, 14)) -> Person:
    p = Person.objects.create(
        given_name=given, family_name=family, nhs_number=nhs, date_of_birth=dob, practice=org,
        user=user(username, given, family) if username else None,
    )
    return p


def condition(p: Person, code: str) -> Condition:
    return Condition.objects.create(person=p, code=code, display=condition_names(code)[0],
                                    register=register_for_code(code))


def obs(p: Person, measure: str, value: str, value2: str | None = None, days_ago: int = 0) -> Observation:
    m = MEASURES[measure]
    return Observation.objects.create(
        person=p, measure=measure, code=m.code, display=m.display, value=Decimal(value),
        value2=Decimal(value2) if value2 else None, unit=m.unit,
        effective_at=timezone.now() - timedelta(days=days_ago),
    )


def multimorbid_person(org: Organisation, username: str | None = None) -> Person:
    p = person(org, "Margaret", "Thompson", "9434765919", username=username)
    for code in ("44054006", "59621000", "195967001", "35489007"):
        condition(p, code)
    obs(p, "hba1c", "71", days_ago=400)
    obs(p, "hba1c", "64", days_ago=10)
    obs(p, "bp", "152", "88", days_ago=400)
    obs(p, "bp", "138", "84", days_ago=10)
    obs(p, "peak_flow", "380", days_ago=10)
    obs(p, "phq9", "8", days_ago=10)
    return p


def carer_for(p: Person, username: str, consent: str) -> User:
    u = user(username, "Sam", "Carer")
    rp = RelatedPerson.objects.create(person=p, user=u, given_name="Sam", family_name="Carer",
                                      relationship=RelatedPerson.Relationship.CARER)
    now = timezone.now()
    if consent == "active":
        Consent.objects.create(person=p, related_person=rp)
    elif consent == "expired":
        Consent.objects.create(person=p, related_person=rp, starts_at=now - timedelta(days=200),
                               ends_at=now - timedelta(days=1))
    elif consent == "withdrawn":
        Consent.objects.create(person=p, related_person=rp, status=Consent.Status.WITHDRAWN, withdrawn_at=now)
    return u
