"""Run by test_fhir_api_errors in a fresh process: 16 threads PUT the same Patient (or, with the argument
"Goal", the same Goal) with the same If-Match against a file SQLite database (WAL, IMMEDIATE transactions,
as deployed), and print the status codes and the final version as JSON. A separate process because the
test suite's in-memory SQLite database is shared between threads in a way the deployed one never is
("table is locked" instead of waiting)."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import django
import orjson


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ourplan.test_settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from tests import factories as f
    from tests.fhir_api_support import NHS, Api, token_for

    practice = f.organisation("Riverside Medical Practice", ods_code="Y00001")
    clinician = f.staff_user("nurse.jones", practice, role="clinician", given="Megan", family="Jones")
    person = f.person(practice, "Ada", "Race", "9434765919")
    token = token_for(clinician, "user/*.cruds")
    kind = sys.argv[1] if len(sys.argv) > 1 else "Patient"
    target: Any = person
    if kind == "Goal":
        from ourplan.planning import actions

        plan = actions.do_start_plan(clinician, person)
        target = actions.do_add_goal(clinician, plan, {"person_words": "Walk", "lifecycle_status": "active"})
    version = target.version
    results: list[int] = []
    start = threading.Barrier(16)

    def body_for(i: int) -> dict[str, Any]:
        if kind == "Goal":
            return {"resourceType": "Goal", "id": str(target.public_id), "lifecycleStatus": "active",
                    "description": {"text": f"Race{i}"}, "subject": {"reference": f"Patient/{person.public_id}"}}
        return {"resourceType": "Patient", "id": str(person.public_id),
                "identifier": [{"system": NHS, "value": "9434765919"}],
                "name": [{"use": "official", "family": f"Race{i}", "given": ["Ada"]}]}

    def put(i: int) -> None:
        try:
            body = body_for(i)
            start.wait()
            response = Api(token).put(f"{kind}/{target.public_id}", body, **{"If-Match": f'W/"{version}"'})
            results.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=put, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = type(target).objects.get(pk=target.pk)
    label = final.person_words if kind == "Goal" else final.family_name
    sys.stdout.write(orjson.dumps({"statuses": results, "before": version, "after": final.version,
                                   "family": label}).decode())


if __name__ == "__main__":
    main()
