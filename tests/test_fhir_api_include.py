"""_include, _revinclude, chained parameters and Patient/$everything, and the rule behind all of them: a
resource that comes along with another obeys the same access as if it were read directly. With a
patient/*.rs token for one person, nothing of another person's comes back by any of these routes."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.fhir_api_support import (
    NHS,
    Api,
    assert_outcome,
    assert_valid_fhir,
    json_of,
    record_of_every_type,
    token_for,
)


@pytest.fixture
def both(clinician, person, other_person):
    """Margaret and Alan each with a full record of every type."""
    f.obs(other_person, "hba1c", "50")
    f.condition(other_person, "44054006")
    return record_of_every_type(clinician, person), record_of_every_type(clinician, other_person)


@pytest.fixture
def margaret(person):
    return Api(token_for(person.user, "patient/*.rs"))


@pytest.fixture
def staff_api(clinician):
    return Api(token_for(clinician, "user/*.rs"))


def _types(bundle: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in bundle.get("entry", []):
        out[e["resource"]["resourceType"]] = out.get(e["resource"]["resourceType"], 0) + 1
    return out


def _subjects(bundle: dict) -> set[str]:
    """Every Patient any returned resource names (subject, patient, or the Patient itself)."""
    out = set()
    for e in bundle.get("entry", []):
        r = e["resource"]
        if r["resourceType"] == "Patient":
            out.add(f"Patient/{r['id']}")
        for key in ("subject", "patient"):
            if isinstance(r.get(key), dict) and "reference" in r[key]:
                out.add(r[key]["reference"])
    return out


def test_careplan_includes_its_goals_and_goal_revincludes_its_plan(staff_api, both, person):
    mine, _ = both
    plan = mine["CarePlan"]
    bundle = assert_valid_fhir(json_of(staff_api.get(
        f"CarePlan?patient=Patient/{person.public_id}&_include=CarePlan:goal")))
    assert _types(bundle) == {"CarePlan": 1, "Goal": 2}
    modes = {e["resource"]["resourceType"]: e["search"]["mode"] for e in bundle["entry"]}
    assert modes == {"CarePlan": "match", "Goal": "include"}
    goals = json_of(staff_api.get(f"Goal?patient=Patient/{person.public_id}&_revinclude=CarePlan:goal"))
    assert _types(goals) == {"Goal": 2, "CarePlan": 1}
    assert {e["resource"]["id"] for e in goals["entry"] if e["resource"]["resourceType"] == "CarePlan"} == {
        str(plan.public_id)}
    with_patient = json_of(staff_api.get(f"Goal?patient=Patient/{person.public_id}&_include=Goal:patient"))
    assert _types(with_patient) == {"Goal": 2, "Patient": 1}
    assert_outcome(staff_api.get("CarePlan?_include=CarePlan:nothing"), 400)
    assert_outcome(staff_api.get("Goal?_revinclude=Observation:patient"), 400)


def test_chained_parameters_find_rows_by_the_patients_nhs_number_or_name(staff_api, both, person):
    by_nhs = json_of(staff_api.get(f"Observation?patient.identifier={NHS}|9434765919"))
    assert by_nhs["total"] == 6 and _subjects(by_nhs) == {f"Patient/{person.public_id}"}
    by_name = json_of(staff_api.get("Goal?patient.family=Thompson"))
    assert by_name["total"] == 2 and _subjects(by_name) == {f"Patient/{person.public_id}"}
    assert json_of(staff_api.get("Goal?subject.family=Other"))["total"] == 2
    assert_outcome(staff_api.get("Goal?category.family=x"), 400)


def test_a_patient_token_gets_nothing_of_another_persons_through_include_revinclude_or_chaining(
        margaret, both, person, other_person):
    _, alans = both
    me = f"Patient/{person.public_id}"
    for query in (
        "CarePlan?_include=CarePlan:goal", "Goal?_revinclude=CarePlan:goal", "Goal?_include=Goal:patient",
        "Observation?_include=Observation:patient", "Patient?_revinclude=Observation:patient",
        "Patient?_revinclude=Goal:patient&_revinclude=CarePlan:patient&_revinclude=Condition:subject",
        f"Goal?patient=Patient/{other_person.public_id}&_revinclude=CarePlan:goal",
        f"Observation?patient.identifier={NHS}|9990000018", "Goal?patient.family=Other",
        "ServiceRequest?_include=ServiceRequest:performer&_include=ServiceRequest:supporting-info",
        "HealthcareService?_revinclude=ServiceRequest:performer",
        "QuestionnaireResponse?_include=QuestionnaireResponse:patient",
        "Patient?_revinclude=Provenance:target",
    ):
        bundle = assert_valid_fhir(json_of(margaret.get(query)))
        assert _subjects(bundle) <= {me}, query
        ids = {e["resource"]["id"] for e in bundle.get("entry", [])}
        assert not ids & {str(o.public_id) for o in alans.values() if o.__class__.__name__ != "Service"}, query
    assert json_of(margaret.get(f"Observation?patient.identifier={NHS}|9990000018"))["total"] == 0
    assert json_of(margaret.get("Goal?patient.family=Other"))["total"] == 0


def test_patient_everything_is_the_whole_record_paged_and_nothing_else(staff_api, both, person):
    mine, alans = both
    url = f"Patient/{person.public_id}/$everything?_count=10"
    seen: list[dict] = []
    while url:
        bundle = assert_valid_fhir(json_of(staff_api.get(url)))
        seen += bundle.get("entry", [])
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), "")
    kinds = _types({"entry": seen})
    assert {"Patient", "Organization", "Condition", "Observation", "CarePlan", "Goal", "QuestionnaireResponse",
            "Appointment", "ServiceRequest", "Communication"} <= set(kinds)
    assert kinds["Observation"] == 6 and kinds["Goal"] == 2 and kinds["Patient"] == 1
    assert "AuditEvent" not in kinds
    assert len({(e["resource"]["resourceType"], e["resource"]["id"]) for e in seen}) == len(seen)
    assert _subjects({"entry": seen}) == {f"Patient/{person.public_id}"}
    ids = {e["resource"]["id"] for e in seen}
    assert str(mine["CarePlan"].public_id) in ids
    assert not ids & {str(o.public_id) for name, o in alans.items() if name != "HealthcareService"}
    only = json_of(staff_api.get(f"Patient/{person.public_id}/$everything?_type=Goal,CarePlan"))
    assert _types(only) == {"Goal": 2, "CarePlan": 1}
    assert_outcome(staff_api.get(f"Patient/{person.public_id}/$everything?colour=blue"), 400)


def test_patient_everything_for_someone_else_is_not_found(margaret, both, other_person, person):
    assert_outcome(margaret.get(f"Patient/{other_person.public_id}/$everything"), 404)
    own = json_of(margaret.get(f"Patient/{person.public_id}/$everything?_count=200"))
    assert _subjects(own) == {f"Patient/{person.public_id}"}


def test_a_carer_without_sensitive_consent_gets_no_sensitive_rows_through_everything(carer, both, person):
    api = Api(token_for(carer, "patient/*.rs"))
    bundle = json_of(api.get(f"Patient/{person.public_id}/$everything?_count=200"))
    kinds = _types(bundle)
    assert "QuestionnaireResponse" not in kinds  # a PHQ-9: mental health, a sensitive section
    codes = {c.get("code") for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
             for c in e["resource"]["code"]["coding"]}
    assert "720433000" not in codes  # the PHQ-9 score
    assert not any(e["resource"]["resourceType"] == "Condition" and e["resource"]["code"]["coding"][0]["code"]
                   == "35489007" for e in bundle["entry"])  # depression
