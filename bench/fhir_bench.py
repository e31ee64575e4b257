"""Time FHIR API reads and patient-scoped searches on a fresh SQLite database seeded with demo people, and
print markdown table rows for docs/performance.md. Exits 1 when a p95 is over budget.

Each request goes through the whole Django stack (middleware, token check, access, audit write) with the
test client, in one process, DEBUG off; network and a WSGI server are not included.

    .venv/bin/python bench/fhir_bench.py [--people 2000] [--requests 500] [--header]
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
        client = Client()
        timed(client, reads[:50] + searches[:50], token)  # warm up caches and connections
        read_ms = timed(client, reads, token)
        search_ms = timed(client, searches, token)
    today = datetime.now(UTC).date().isoformat()
    if args.header:
        print("| What | Budget | Measured | Command | Date | Machine |")
        print("|---|---|---|---|---|---|")
    cmd = f"`.venv/bin/python bench/fhir_bench.py --people {args.people} --requests {args.requests}`"
    print(f"| FHIR read (Observation), p95, incl. token check and audit write, {args.people:,} demo people "
          f"| ≤ {READ_BUDGET_MS:.0f} ms | {p95(read_ms):.1f} ms (p50 {statistics.median(read_ms):.1f}) "
          f"| {cmd} | {today} | {machine()} |")
    print(f"| FHIR patient-scoped search (Observation?patient=), p95 | ≤ {SEARCH_BUDGET_MS:.0f} ms "
          f"| {p95(search_ms):.1f} ms (p50 {statistics.median(search_ms):.1f}) | {cmd} | {today} | {machine()} |")
    return 0 if p95(read_ms) <= READ_BUDGET_MS and p95(search_ms) <= SEARCH_BUDGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
