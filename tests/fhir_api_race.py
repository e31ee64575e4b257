"""Run by test_fhir_api_concurrency in a fresh process: 16 threads PUT the same Patient with the same
If-Match against a file SQLite database (WAL, IMMEDIATE transactions, as deployed), and print the status
codes and the final version as JSON. A separate process because the test suite's in-memory SQLite database
is shared between threads in a way the deployed one never is ("table is locked" instead of waiting)."""

from __future__ import annotations

import os
import sys
import threading

import django
import orjson


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ourplan.test_settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from ourplan.people.models import Person
    from tests import factories as f
    from tests.fhir_api_support import NHS, Api, token_for

    practice = f.organisation("Riverside Medical Practice", ods_code="Y00001")
    clinician = f.staff_user("nurse.jones", practice, role="clinician", given="Megan", family="Jones")
    person = f.person(practice, "Ada", "Race", "9434765919")
    token = token_for(clinician, "user/*.cruds")
    version = person.version
    results: list[int] = []
    start = threading.Barrier(16)

    def put(i: int) -> None:
        try:
            body = {"resourceType": "Patient", "id": str(person.public_id),
                    "identifier": [{"system": NHS, "value": "9434765919"}],
                    "name": [{"use": "official", "family": f"Race{i}", "given": ["Ada"]}]}
            start.wait()
            response = Api(token).put(f"Patient/{person.public_id}", body, **{"If-Match": f'W/"{version}"'})
            results.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=put, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = Person.objects.get(pk=person.pk)
    sys.stdout.write(orjson.dumps({"statuses": results, "before": version, "after": final.version,
                                   "family": final.family_name}).decode())


if __name__ == "__main__":
    main()
