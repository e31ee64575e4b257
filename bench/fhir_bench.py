"""Time the FHIR API on a fresh SQLite database seeded with demo people, and print markdown table rows for
docs/performance.md. Exits 1 when a measurement is over budget:

- reads (Observation, and Goal/CarePlan of the demo plans) and patient-scoped searches (Observation and
  Goal ?patient=), p95;
- bulk $export of the whole practice (system client), resources written per second;
- transaction ingest: a transaction Bundle of new people with conditions and results, resources per second.

Each request goes through the whole Django stack (middleware, token check, access, audit write) with the
test client, in one process, DEBUG off; network and a WSGI server are not included. The export is run by
calling its background task's function directly (what `ourplan db_worker` runs), timed on its own.

    .venv/bin/python bench/fhir_bench.py [--people 2000] [--requests 500] [--ingest 100] [--header]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_bench import machine

READ_BUDGET_MS = 20.0
SEARCH_BUDGET_MS = 60.0
EXPORT_BUDGET = 10_000.0  # resources/s
INGEST_BUDGET = 500.0  # resources/s


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def timed(client: object, urls: list[str], token: str) -> list[float]:
    out = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")  # type: ignore[attr-defined]
        out.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.content[:200]!r}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--ingest", type=int, default=100, help="people in the transaction Bundle (each with "
                        "2 conditions and 6 results)")
    parser.add_argument("--header", action="store_true")
    args = parser.parse_args()
    ourplan = str(Path(sys.executable).with_name("ourplan"))
    with tempfile.TemporaryDirectory(prefix="ourplan-fhir-bench-") as data_dir:
        env = {**os.environ, "OURPLAN_DATA_DIR": data_dir, "OURPLAN_DEBUG": "1"}
        env.pop("DATABASE_URL", None)
        subprocess.run([ourplan, "migrate", "-v0"], check=True, env=env)
        subprocess.run([ourplan, "seed-demo", "--people", str(args.people), "-v0"], check=True, env=env)
        # Measure with DEBUG off, as deployed (DEBUG keeps every query in memory).
        os.environ.update(OURPLAN_DATA_DIR=data_dir, OURPLAN_DEBUG="0", OURPLAN_SECRET_KEY=secrets.token_hex(32),
                          OURPLAN_SSL_REDIRECT="0", OURPLAN_ALLOWED_HOSTS="testserver",
                          DJANGO_SETTINGS_MODULE="ourplan.settings")
        os.environ.pop("DATABASE_URL", None)
        import django

        django.setup()
        from django.test import Client

        from ourplan.api.tokens import issue
        from ourplan.clinical.models import Observation
        from ourplan.people.models import StaffMember
        from ourplan.planning.models import Goal

        staff = StaffMember.objects.filter(practitioner__user__isnull=False, role="clinician").select_related(
            "practitioner__user", "organisation").first()
        if staff is None or staff.practitioner is None:
            raise SystemExit("the demo data has no clinician with a login")
        token = issue(name="bench", scopes="user/*.rs", days=1, user=staff.practitioner.user).value
        rng = random.Random(1)
        observations = list(Observation.objects.filter(person__practice=staff.organisation)
                            .values_list("public_id", "person__public_id"))
        people = sorted({str(p) for _, p in observations})
        reads = [f"/fhir/R4/Observation/{rng.choice(observations)[0]}" for _ in range(args.requests)]
        searches = [f"/fhir/R4/Observation?patient=Patient/{rng.choice(people)}" for _ in range(args.requests)]
        goals = list(Goal.objects.filter(plan__person__practice=staff.organisation)
                     .values_list("public_id", "plan__public_id", "plan__person__public_id"))
        if not goals:
            raise SystemExit("the demo data has no goals at this practice")
        plan_reads = [f"/fhir/R4/{rng.choice(['Goal', 'CarePlan'])}/{{}}" for _ in range(args.requests)]
        plan_reads = [url.format(g[0] if "Goal" in url else g[1]) for url, g in
                      zip(plan_reads, (rng.choice(goals) for _ in plan_reads), strict=True)]
        goal_searches = [f"/fhir/R4/Goal?patient=Patient/{rng.choice(goals)[2]}" for _ in range(args.requests)]
        client = Client()
        timed(client, reads[:50] + searches[:50] + plan_reads[:50], token)  # warm up caches and connections
        read_ms = timed(client, reads, token)
        search_ms = timed(client, searches, token)
        plan_ms = timed(client, plan_reads, token)
        goal_search_ms = timed(client, goal_searches, token)
        export_count, export_s = export_rate(client, staff.organisation)
        ingest_rate(client, staff.organisation, 5, first=10_000)  # warm up: the first write imports its modules
        ingest_count, ingest_s = ingest_rate(client, staff.organisation, args.ingest)
    today = datetime.now(UTC).date().isoformat()
    if args.header:
        print("| What | Budget | Measured | Command | Date | Machine |")
        print("|---|---|---|---|---|---|")
    cmd = (f"`.venv/bin/python bench/fhir_bench.py --people {args.people} --requests {args.requests} "
           f"--ingest {args.ingest}`")
    print(f"| FHIR read (Observation), p95, incl. token check and audit write, {args.people:,} demo people "
          f"| ≤ {READ_BUDGET_MS:.0f} ms | {p95(read_ms):.1f} ms (p50 {statistics.median(read_ms):.1f}) "
          f"| {cmd} | {today} | {machine()} |")
    print(f"| FHIR patient-scoped search (Observation?patient=), p95 | ≤ {SEARCH_BUDGET_MS:.0f} ms "
          f"| {p95(search_ms):.1f} ms (p50 {statistics.median(search_ms):.1f}) | {cmd} | {today} | {machine()} |")
    print(f"| FHIR read (Goal or CarePlan with its goals and actions), p95 | ≤ {READ_BUDGET_MS:.0f} ms "
          f"| {p95(plan_ms):.1f} ms (p50 {statistics.median(plan_ms):.1f}) | {cmd} | {today} | {machine()} |")
    print(f"| FHIR patient-scoped search (Goal?patient=), p95 | ≤ {SEARCH_BUDGET_MS:.0f} ms "
          f"| {p95(goal_search_ms):.1f} ms (p50 {statistics.median(goal_search_ms):.1f}) | {cmd} | {today} "
          f"| {machine()} |")
    export_rate_s = export_count / export_s
    ingest_rate_s = ingest_count / ingest_s
    print(f"| FHIR bulk $export (system, whole practice, NDJSON) | ≥ {EXPORT_BUDGET:,.0f} resources/s "
          f"| {export_rate_s:,.0f} resources/s ({export_count:,} in {export_s:.2f} s) | {cmd} | {today} "
          f"| {machine()} |")
    print(f"| FHIR transaction ingest ({args.ingest} people, each with 2 conditions and 6 results) "
          f"| ≥ {INGEST_BUDGET:,.0f} resources/s | {ingest_rate_s:,.0f} resources/s ({ingest_count:,} in "
          f"{ingest_s:.2f} s) | {cmd} | {today} | {machine()} |")
    ok = [p95(read_ms) <= READ_BUDGET_MS, p95(search_ms) <= SEARCH_BUDGET_MS, p95(plan_ms) <= READ_BUDGET_MS,
          p95(goal_search_ms) <= SEARCH_BUDGET_MS, export_rate_s >= EXPORT_BUDGET, ingest_rate_s >= INGEST_BUDGET]
    return 0 if all(ok) else 1


def export_rate(client: object, practice: object) -> tuple[int, float]:
    """Kick off a system-level $export and time the background task's work (files written)."""
    from ourplan.api.export import run_job
    from ourplan.api.models import ExportJob
    from ourplan.api.tokens import issue

    token = issue(name="bench export", scopes="system/*.rs", days=1, organisation=practice).value  # type: ignore
    response = client.get("/fhir/R4/$export", HTTP_AUTHORIZATION=f"Bearer {token}",  # type: ignore[attr-defined]
                          HTTP_PREFER="respond-async")
    if response.status_code != 202:
        raise SystemExit(f"$export: {response.status_code} {response.content[:200]!r}")
    job = ExportJob.objects.order_by("-requested_at").first()
    assert job is not None
    started = time.perf_counter()
    done = run_job(str(job.public_id))["done"]
    return done, time.perf_counter() - started


def ingest_rate(client: object, practice: object, people: int, first: int = 0) -> tuple[int, float]:
    """POST one transaction Bundle of new people, each with 2 conditions and 6 results."""
    import orjson

    from ourplan.api.tokens import issue
    from ourplan.people import nhs_number

    token = issue(name="bench ingest", scopes="system/*.cruds", days=1, organisation=practice).value  # type: ignore
    from ourplan.people.models import Person

    rng = random.Random(7)
    taken = set(Person.objects.values_list("nhs_number", flat=True))
    entries = []
    snomed, ucum = "http://snomed.info/sct", "http://unitsofmeasure.org"
    for n in range(first, first + people):
        url = f"urn:uuid:00000000-0000-4000-8000-{n:012d}"
        nhs = nhs_number.generate(rng)
        while nhs in taken:  # the demo people already hold some numbers of the test range
            nhs = nhs_number.generate(rng)
        taken.add(nhs)
        entries.append({"fullUrl": url, "request": {"method": "POST", "url": "Patient"}, "resource": {
            "resourceType": "Patient", "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}],
            "name": [{"family": f"Ingest{n}", "given": ["Bench"]}], "birthDate": "1950-01-01"}})
        for code in ("44054006", "59621000"):
            entries.append({"request": {"method": "POST", "url": "Condition"}, "resource": {
                "resourceType": "Condition", "subject": {"reference": url},
                "clinicalStatus": {"coding": [{"code": "active"}]}, "code": {"coding": [{"system": snomed,
                                                                                    "code": code}]}}})
        for day in range(6):
            entries.append({"request": {"method": "POST", "url": "Observation"}, "resource": {
                "resourceType": "Observation", "status": "final", "subject": {"reference": url},
                "code": {"coding": [{"system": snomed, "code": "999791000000106"}]},
                "effectiveDateTime": f"2024-0{day + 1}-01T10:00:00+00:00",
                "valueQuantity": {"value": 40 + rng.randint(0, 40), "system": ucum, "code": "mmol/mol"}}})
    body = orjson.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries})
    started = time.perf_counter()
    response = client.post("/fhir/R4/", body, content_type="application/fhir+json",  # type: ignore[attr-defined]
                           HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_PREFER="return=minimal")
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"transaction: {response.status_code} {response.content[:300]!r}")
    return len(entries), elapsed


if __name__ == "__main__":
    raise SystemExit(main())
