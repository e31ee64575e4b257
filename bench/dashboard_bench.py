"""Time the insight dashboards for a 10,000-person demo practice and record the query plans of their main
queries. Prints markdown rows for docs/performance.md and exits 1 when a dashboard is over budget.

    .venv/bin/python bench/dashboard_bench.py [--people 10000] [--repeat 15] [--header] [--plans PATH]

By default it seeds a fresh, temporary SQLite database (`seed-demo`, which includes 18 months of care
planning history). With DATABASE_URL set it uses that database instead (PostgreSQL), running migrate and
`seed-demo --reset` there first: never point it at a database whose demo data you want to keep.

What is timed, each over HTTP through Django's test client (middleware, view, queries, Jinja template),
median and p95 of --repeat runs after one warm-up request (the first request of a process also compiles
templates and imports scipy; it is reported separately as "cold"):
- the fidelity dashboard and the outcomes dashboard as a practice nurse sees them (with drill-down links);
- the same two as a commissioner sees them (all their practices, suppression applied);
- one drill-down ("to act on" for the largest figure) and the PDF report, for scale.
The SQL of every query the two dashboards make is captured and run through EXPLAIN QUERY PLAN (SQLite) or
EXPLAIN (PostgreSQL), and written to --plans.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_bench import machine  # bench/ is not a package: import its sibling by path

BUDGET = 1.0  # seconds, p95, per dashboard (issue 8)
ENV = {"OURPLAN_DEBUG": "1", "OURPLAN_REQUIRE_STAFF_MFA": "0", "OURPLAN_LOG_LEVEL": "ERROR",
       "OURPLAN_ALLOWED_HOSTS": "testserver,localhost"}


def seed(people: int, env: dict[str, str]) -> float:
    ourplan = str(Path(sys.executable).with_name("ourplan"))
    subprocess.run([ourplan, "migrate", "-v0", "--skip-checks"], check=True, env=env)
    started = time.perf_counter()
    subprocess.run([ourplan, "seed-demo", "--people", str(people), "--seed", "1", "--reset", "--allow-without-debug",
                    "-v0", "--skip-checks"], check=True, env=env)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--header", action="store_true", help="print the table header first")
    parser.add_argument("--plans", default="", help="where to write the query plans (default: bench/plans/...)")
    args = parser.parse_args()
    if os.environ.get("DATABASE_URL"):
        env = {**os.environ, **ENV}
        os.environ.update(ENV)
        seeded = seed(args.people, env)
        return run(args, seeded)
    with tempfile.TemporaryDirectory(prefix="ourplan-dashboard-bench-") as data_dir:
        env = {**os.environ, **ENV, "OURPLAN_DATA_DIR": data_dir}
        seeded = seed(args.people, env)
        os.environ.update({**ENV, "OURPLAN_DATA_DIR": data_dir})
        return run(args, seeded)


def _times(client: Any, url: str, repeat: int) -> tuple[float, float, float]:
    """(cold, median, p95) seconds for GET `url`: the first request, then `repeat` more."""
    started = time.perf_counter()
    response = client.get(url)
    cold = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    times.sort()
    return cold, statistics.median(times), times[round(0.95 * (len(times) - 1))]


def _plans(user: Any, commissioner: Any) -> tuple[str, int, int]:
    """EXPLAIN every distinct query the two dashboards make, for staff and commissioner. Returns the text
    and the number of queries of each dashboard page (staff fidelity, staff outcomes)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    vendor = connection.vendor
    seen: dict[str, str] = {}
    counts = []
    for who, urls in ((user, ["/staff/insight/fidelity/", "/staff/insight/outcomes/"]),
                      (commissioner, ["/insight/fidelity/", "/insight/outcomes/"])):
        client = Client()
        client.force_login(who)
        for url in urls:
            client.get(url)
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            counts.append(len(captured.captured_queries))
            for q in captured.captured_queries:
                sql = q["sql"]
                if sql.lstrip().upper().startswith("SELECT") and sql not in seen and "django_session" not in sql:
                    seen[sql] = f"{url} ({q['time']} s)"
    out = [f"# Query plans of the insight dashboards ({vendor}), {datetime.now(UTC).date().isoformat()}", ""]
    with connection.cursor() as cursor:
        for n, (sql, where) in enumerate(seen.items(), start=1):
            cursor.execute(("EXPLAIN QUERY PLAN " if vendor == "sqlite" else "EXPLAIN ") + sql)
            rows = cursor.fetchall()
            plan = [" | ".join(str(c) for c in row[-1:]) if vendor == "sqlite" else str(row[0]) for row in rows]
            out += [f"## {n}. {where}", "", "```sql", sql, "```", "", "```", *plan, "```", ""]
    return "\n".join(out), counts[0], counts[1]


def run(args: argparse.Namespace, seeded: float) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ourplan.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from ourplan.core.models import User
    from ourplan.insight.fidelity import on_register
    from ourplan.people.models import Person
    from ourplan.recall.models import CarePlanningCycle

    if connection.vendor == "postgresql":
        # Autovacuum would gather statistics on the new rows within a minute or so; without them the planner
        # guesses row counts and the plans below would not be the ones a running practice gets.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    user = User.objects.get(username="clinician")
    commissioner = User.objects.get(username="commissioner")
    people = Person.objects.count()
    registered = on_register(Person.objects.all()).count()
    rounds = CarePlanningCycle.objects.count()

    results = []
    staff = Client()
    staff.force_login(user)
    icb = Client()
    icb.force_login(commissioner)
    for label, client, url, budgeted in (
        ("Fidelity dashboard, practice nurse", staff, "/staff/insight/fidelity/", True),
        ("Outcomes dashboard, practice nurse", staff, "/staff/insight/outcomes/", True),
        ("Fidelity dashboard, commissioner (suppressed)", icb, "/insight/fidelity/", True),
        ("Outcomes dashboard, commissioner (suppressed)", icb, "/insight/outcomes/", True),
        ("Drill-down: people on a register not offered care planning (page 1)", staff,
         "/staff/insight/fidelity/offered/people/?list=act", False),
        ("Printable PDF report (both dashboards)", staff, "/staff/insight/report.pdf", False),
    ):
        repeat = args.repeat if "PDF" not in label else max(3, args.repeat // 5)
        results.append((label, *_times(client, url, repeat), repeat, budgeted))

    text, fidelity_queries, outcomes_queries = _plans(user, commissioner)
    vendor = connection.vendor
    path = Path(args.plans or Path(__file__).resolve().parent / "plans" / f"insight-{vendor}.md")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)

    today = datetime.now(UTC).date().isoformat()
    database = "" if vendor == "sqlite" else f", PostgreSQL {connection.pg_version // 10000}"  # type: ignore[attr-defined]
    where = f"{today} | {machine()}{database} |"
    command = f"`python bench/dashboard_bench.py --people {args.people}`"
    scale = f"{people:,} people, {registered:,} on a register, {rounds:,} care planning rounds"
    if args.header:
        print("| What | Budget | Measured | Command | Date | Machine |")
        print("|---|---|---|---|---|---|")
    over = False
    for label, cold, median, p95, repeat, budgeted in results:
        over |= budgeted and p95 > BUDGET
        budget = f"< {BUDGET:.0f} s" if budgeted else "none"
        print(f"| {label} ({scale}), p95 of {repeat} | {budget} | {p95 * 1000:.0f} ms "
              f"(median {median * 1000:.0f} ms, first request {cold * 1000:.0f} ms) | {command} | {where}")
    print(f"\nQueries per page: fidelity {fidelity_queries}, outcomes {outcomes_queries}. "
          f"Seeding took {seeded:.1f} s. Query plans written to {path}.")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
