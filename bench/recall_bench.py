"""Time the recall worklist on a fresh, temporary SQLite database seeded with demo people, and print
markdown table rows for docs/performance.md. Exits 1 when a measurement is over its budget.

    .venv/bin/python bench/recall_bench.py [--people 10000] [--header]

What is timed (median of --repeat runs, after one warm-up):
- the worklist's count plus its first page of 50 rows (what the page needs), unfiltered and filtered;
- the full due set (every row with every annotation), as "Invite all" reads it;
- the worklist page over HTTP (Django test client: the view, the template and the audit row);
- inviting 500 people in one batch (rounds, stages, messages and audit rows).
Before timing, a third of the people on a register get a review round completed in the last 12 months
and a tenth one 13-18 months ago, so the "due" rules have work to do.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_bench import machine  # bench/ is not a package: import its sibling by path

PAGE = 50


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds over `repeat` runs after one warm-up, and the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def seed(people: int, data_dir: str, env: dict[str, str]) -> None:
    ourplan = str(Path(sys.executable).with_name("ourplan"))
    subprocess.run([ourplan, "migrate", "-v0", "--skip-checks"], check=True, env=env)
    subprocess.run([ourplan, "seed-demo", "--people", str(people), "--seed", "1", "--allow-without-debug", "-v0",
                    "--skip-checks"], check=True, env=env)


def add_past_rounds() -> None:
    """Completed review rounds for some people on a register (bench data, written like the demo seed)."""
    from django.utils import timezone

    from ourplan.clinical.models import Condition
    from ourplan.people.models import Person
    from ourplan.recall.models import CarePlanningCycle

    now = timezone.now()
    ids = sorted(set(Condition.objects.exclude(register="").values_list("person_id", flat=True)))
    people = dict(Person.objects.filter(pk__in=ids).values_list("pk", "practice_id"))
    rounds = []
    for n, pk in enumerate(ids):
        if n % 3 == 0:
            started = now - timedelta(days=30 + (n * 7) % 300)
        elif n % 10 == 1:
            started = now - timedelta(days=400 + (n * 11) % 150)
        else:
            continue
        rounds.append(CarePlanningCycle(person_id=pk, practice_id=people[pk], status="completed",
                                        created_at=started, updated_at=started, closed_at=started))
    CarePlanningCycle.objects.bulk_create(rounds, batch_size=1000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--budget", type=float, default=1.0, help="seconds, for count + first page")
    parser.add_argument("--header", action="store_true", help="print the table header first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ourplan-recall-bench-") as data_dir:
        env = {**os.environ, "OURPLAN_DATA_DIR": data_dir, "OURPLAN_DEBUG": "1", "OURPLAN_REQUIRE_STAFF_MFA": "0",
               "OURPLAN_LOG_LEVEL": "ERROR", "OURPLAN_ALLOWED_HOSTS": "testserver,localhost"}
        env.pop("DATABASE_URL", None)  # always the embedded SQLite database
        seed(args.people, data_dir, env)
        os.environ.update({k: env[k] for k in ("OURPLAN_DATA_DIR", "OURPLAN_DEBUG", "OURPLAN_REQUIRE_STAFF_MFA",
                                                "OURPLAN_LOG_LEVEL", "OURPLAN_ALLOWED_HOSTS")})
        os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ourplan.settings")
        import django

        django.setup()
        return run(args)


def run(args: argparse.Namespace) -> int:
    from django.db.models import Q
    from django.test import Client

    from ourplan.clinical.models import Condition
    from ourplan.core.models import User
    from ourplan.people.models import Person
    from ourplan.recall import worklist as wl
    from ourplan.recall.actions import do_invite_many

    add_past_rounds()
    user = User.objects.get(username="clinician")
    on_register = Condition.objects.exclude(register="").values("person_id").distinct().count()

    def first_page(filters: wl.Filters) -> Callable[[], tuple[int, int]]:
        def go() -> tuple[int, int]:
            people = wl.with_registers(wl.worklist(user, filters))
            count = people.count()
            return count, len(wl.rows(list(people[:PAGE])))
        return go

    unfiltered, (due, _) = timed(first_page(wl.Filters()), args.repeat)
    filtered_filters = wl.Filters(multimorbidity=True, not_invited=True)
    filtered, (due_multi, _) = timed(first_page(filtered_filters), args.repeat)
    full, full_rows = timed(lambda: len(list(wl.worklist(user, wl.Filters()))), args.repeat)
    high = wl.worklist(user, wl.Filters()).filter(Q(is_high=1)).count()

    client = Client()
    client.force_login(user)
    client.get("/staff/recall/")
    page_times = []
    for _ in range(max(args.repeat * 4, 20)):
        started = time.perf_counter()
        response = client.get("/staff/recall/")
        page_times.append(time.perf_counter() - started)
        assert response.status_code == 200
    page_times.sort()
    p95 = page_times[int(0.95 * (len(page_times) - 1))]

    batch = wl.worklist(user, wl.Filters(not_invited=True))
    to_invite = list(batch.values_list("pk", flat=True)[:500])
    started = time.perf_counter()
    summary = do_invite_many(user, Person.objects.filter(pk__in=to_invite))
    invite_seconds = time.perf_counter() - started

    today = datetime.now(UTC).date().isoformat()
    where = f"{today} | {machine()} |"
    command = f"`python bench/recall_bench.py --people {args.people}`"
    scale = (f"{args.people:,} people, {on_register:,} on a register, {due:,} due ({high:,} high priority)")
    if args.header:
        print("| What | Budget | Measured | Command | Date | Machine |")
        print("|---|---|---|---|---|---|")
    print(f"| Recall worklist count + first page of {PAGE}, no filters ({scale}) | < {args.budget:.0f} s "
          f"| {unfiltered * 1000:.0f} ms | {command} | {where}")
    print(f"| Recall worklist count + first page, multimorbidity + not invited ({due_multi:,} rows) "
          f"| < {args.budget:.0f} s | {filtered * 1000:.0f} ms | {command} | {where}")
    print(f"| Recall worklist full due set, every annotation ({full_rows:,} rows) | < 5 s | {full * 1000:.0f} ms "
          f"| {command} | {where}")
    print(f"| Recall worklist page over HTTP, p95 of {len(page_times)} (view, template, audit) | < 1 s "
          f"| {p95 * 1000:.0f} ms (median {statistics.median(page_times) * 1000:.0f} ms) | {command} | {where}")
    print(f"| Invite {summary.invited:,} people in one batch (rounds, stages, messages, audit) | < 30 s "
          f"| {invite_seconds:.1f} s ({summary.invited / invite_seconds:.0f} people/s) | {command} | {where}")
    over = unfiltered > args.budget or filtered > args.budget or full > 5 or p95 > 1
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
