"""Run by test_fhir_roundtrip in a fresh process, against its own file SQLite database (OURPLAN_DATA_DIR):

    python -m tests.fhir_roundtrip export OUT     seed a practice, $export it (system client) into OUT
    python -m tests.fhir_roundtrip import IN OUT  into an empty database: import the practice's Organization
                                                  from IN with `import-fhir` (a system client belongs to an
                                                  organisation, so it must exist first), POST the rest of IN
                                                  as one transaction Bundle, then $export into OUT

Each step prints JSON: the ids the transaction gave ("old Type/id" -> "new Type/id") for the import."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import django
import orjson

# The types that round-trip: what the API both exports and creates (read-only types, such as
# Communication or AuditEvent, are records of what Ourplan did and are not imported).
TYPES = ("Organization", "Practitioner", "PractitionerRole", "Patient", "RelatedPerson", "Condition",
         "Observation", "CarePlan", "Goal")


def _export(api: Any, out: Path) -> None:
    kick = api.get(f"$export?_type={','.join(TYPES)}", Prefer="respond-async")
    assert kick.status_code == 202, kick.content
    manifest = orjson.loads(api.get(kick["Content-Location"]).content)
    out.mkdir(parents=True, exist_ok=True)
    for item in manifest["output"]:
        response = api.get(item["url"])
        (out / f"{item['type']}.ndjson").write_bytes(b"".join(response.streaming_content))


def export_step(out: Path) -> dict[str, Any]:
    from tests import factories as f
    from tests.fhir_api_support import Api, full_plan, token_for

    practice = f.organisation("Riverside Medical Practice", ods_code="Y00001")
    clinician = f.staff_user("nurse.jones", practice, role="clinician", given="Megan", family="Jones")
    person = f.multimorbid_person(practice, username="margaret")
    f.carer_for(person, "carer.sam", consent="active")
    full_plan(clinician, person)
    other = f.person(practice, "Alan", "Other", "9990000018")
    full_plan(clinician, other)
    _export(Api(token_for(None, "system/*.rs", organisation=practice)), out)
    return {"done": True}


def import_step(source: Path, out: Path) -> dict[str, Any]:
    from ourplan.imports.fhir import import_fhir
    from tests.fhir_api_support import Api, token_for

    organisations = [orjson.loads(line) for line in (source / "Organization.ndjson").read_bytes().splitlines()]
    practice_file = out.parent / "practice.json"
    practice_file.write_bytes(orjson.dumps(organisations[0]))
    report = import_fhir([practice_file])
    assert report.exit_code == 0, [item.line() for item in report.items]
    from ourplan.people.models import Organisation

    practice = Organisation.objects.get(ods_code="Y00001")
    api = Api(token_for(None, "system/*.cruds", organisation=practice))
    ids = {f"Organization/{organisations[0]['id']}": f"Organization/{practice.public_id}"}
    entries = []
    for name in TYPES:
        path = source / f"{name}.ndjson"
        if not path.exists():
            continue
        for line in path.read_bytes().splitlines():
            resource = orjson.loads(line)
            key = f"{name}/{resource['id']}"
            if key in ids:
                continue
            entries.append({"fullUrl": f"https://exported.example/fhir/{key}", "resource": resource,
                            "request": {"method": "POST", "url": name}})
    response = api.post("", {"resourceType": "Bundle", "type": "transaction", "entry": entries})
    assert response.status_code == 200, response.content[:3000]
    for sent, got in zip(entries, orjson.loads(response.content)["entry"], strict=True):
        old = sent["fullUrl"].split("/fhir/", 1)[1]
        ids[old] = got["response"]["location"].rsplit("/_history", 1)[0]
    _export(api, out)
    return {"ids": ids}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ourplan.test_settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if sys.argv[1] == "export":
        result = export_step(Path(sys.argv[2]))
    else:
        result = import_step(Path(sys.argv[2]), Path(sys.argv[3]))
    sys.stdout.write(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
