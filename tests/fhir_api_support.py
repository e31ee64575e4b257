"""Helpers for the FHIR API tests: tokens for the personas, requests with a bearer token, and an assertion
that what the API returns is valid FHIR R4 (validated with fhir.resources R4B)."""

from __future__ import annotations

from typing import Any

import orjson
from django.test import Client

from ourplan.api.tokens import issue
from ourplan.imports.fhir_read import model_class

BASE = "/fhir/R4/"
NHS = "https://fhir.nhs.uk/Id/nhs-number"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"


def token_for(user: Any = None, scopes: str = "user/*.rs", **kwargs: Any) -> str:
    return issue(name="test client", scopes=scopes, days=1, user=user, **kwargs).value


class Api:
    """A test client that sends a bearer token and speaks application/fhir+json."""

    def __init__(self, token: str | None, client: Client | None = None) -> None:
        self.token = token
        self.client = client or Client()

    def request(self, method: str, path: str, body: Any = None, *, content_type: str = "application/fhir+json",
                **headers: str) -> Any:
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        if self.token is not None:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        data = body if isinstance(body, (bytes, str)) or body is None else orjson.dumps(body)
        url = path if path.startswith("/") or path.startswith("http") else BASE + path
        return self.client.generic(method, url, data or b"", content_type=content_type, **extra)

    def get(self, path: str, **headers: str) -> Any:
        return self.request("GET", path, **headers)

    def post(self, path: str, body: Any, **headers: str) -> Any:
        return self.request("POST", path, body, **headers)

    def put(self, path: str, body: Any, **headers: str) -> Any:
        return self.request("PUT", path, body, **headers)


def json_of(response: Any) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(response.content)
    return data


def assert_valid_fhir(data: dict[str, Any]) -> dict[str, Any]:
    """Validate with the fhir.resources R4B model of its type (a Bundle validates its entries too)."""
    cls = model_class(data["resourceType"])
    assert cls is not None, data["resourceType"]
    cls.model_validate(data)
    return data


def assert_outcome(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    data = json_of(response)
    assert data["resourceType"] == "OperationOutcome"
    assert_valid_fhir(data)
    return data


def entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", [])]


def full_plan(clinician: Any, person: Any) -> Any:
    """A plan with "About me", two goals (one with a measurable target, importance, confidence and goal
    attainment levels) and an action, written through planning.actions as the website does."""
    from datetime import timedelta

    from django.utils import timezone

    from ourplan.planning import actions

    plan = actions.do_start_plan(clinician, person)
    plan = actions.do_update_about(clinician, plan, plan.version, {"what_matters": "My grandchildren",
                                                                    "please_do": "Speak slowly"})
    soon = timezone.localdate() + timedelta(days=90)
    walk = actions.do_add_goal(clinician, plan, {
        "person_words": "Walk to my daughter's house", "clinical_translation": "Increase physical activity",
        "lifecycle_status": "active", "registers": ["DM", "HYP"], "importance": 9, "confidence": 5,
        "what_would_make_it_seven": "A walking buddy", "target_date": soon, "gas_minus2": "Cannot leave the house",
        "gas_minus1": "Walk to the corner", "gas_zero": "Walk to my daughter's", "gas_plus1": "Walk there and back",
        "gas_plus2": "Walk there twice a week", "category": "daily-living"})
    actions.do_add_goal(clinician, plan, {
        "person_words": "Get my sugar down", "lifecycle_status": "active", "measure": "hba1c", "comparator": "<=",
        "target_value": 58, "target_date": soon, "registers": ["DM"]})
    actions.do_add_action(clinician, walk, {"what": "Walk round the park", "how_often": "3 times a week",
                                            "where": "The park", "barriers": "Rain", "solutions": "Umbrella"})
    plan.refresh_from_db()
    return plan


def goal_resource(person_id: str, words: str = "Sleep better", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Goal", "lifecycleStatus": "active", "description": {"text": words},
            "subject": {"reference": f"Patient/{person_id}"}, **extra}


def record_of_every_type(clinician: Any, person: Any) -> dict[str, Any]:
    """One row of every person-linked type the API serves, for `person` (besides Patient, Condition and
    Observation, which the persona factories make): a plan with goals, a questionnaire response, an
    appointment, a referral to a directory service linked to a goal, and a message."""
    from datetime import timedelta

    from django.utils import timezone

    from ourplan.messaging.models import Communication
    from ourplan.people.models import StaffMember
    from ourplan.recall.cycle import do_start_cycle
    from ourplan.recall.models import Appointment, AppointmentSlot, QuestionnaireResponse
    from ourplan.support.models import Service
    from ourplan.support.referrals import do_make_referral

    plan = full_plan(clinician, person)
    goal = plan.goals.first()
    response = QuestionnaireResponse.objects.create(
        person=person, questionnaire="phq9", answers=[1, 1, 0, 2, 1, 0, 1, 0, 0], total=6, band="Mild",
        authored_at=timezone.now() - timedelta(days=3), recorded_by=clinician)
    staff = StaffMember.objects.get(practitioner__user=clinician)
    cycle = do_start_cycle(clinician, person)
    slot = AppointmentSlot.objects.create(practice=staff.organisation, staff=staff, kind="conversation",
                                          start=timezone.now() + timedelta(days=7), length_minutes=30)
    appointment = Appointment.objects.create(cycle=cycle, person=person, slot=slot, kind="conversation",
                                             length_minutes=30, length_reasons=["Several conditions"],
                                             booked_by=clinician)
    service = Service.objects.create(name="Riverside Walking Group", description="A gentle walk every Tuesday",
                                     category_codes="physical-activity", postcode="RV1 2AB", last_checked=
                                     timezone.localdate())
    referral = do_make_referral(clinician, person, kind="referral", reason="Wants to walk more", service=service,
                                consent_given=True, goal_public_id=goal.public_id)
    message = Communication.objects.create(person=person, kind="invitation", channel="email", status="sent",
                                           key=f"test-{person.public_id}", to_address="m@example.org",
                                           subject="Your care planning review", body="Private wording",
                                           sent_at=timezone.now())
    from ourplan.coordination.actions import do_create_task
    from ourplan.people.models import Consent, Organisation
    from ourplan.sharing.actions import do_add_member

    member = do_add_member(clinician, person, role="practice-nurse", staff_member=staff)
    task = do_create_task(clinician, person, title="Phone about the walking group", assignee=member,
                          action=goal.actions.first(), plan=plan, kind="action",
                          due_date=timezone.localdate() + timedelta(days=7))
    clinic = Organisation.objects.create(name="Riverside Diabetes Clinic", ods_code=f"RX{person.pk:03d}")
    consent = Consent.objects.create(person=person, organisation=clinic, given_by="")
    return {"CarePlan": plan, "Goal": goal, "QuestionnaireResponse": response, "Appointment": appointment,
            "ServiceRequest": referral, "HealthcareService": service, "Communication": message,
            "CareTeam": member.team, "Task": task, "Consent": consent}
