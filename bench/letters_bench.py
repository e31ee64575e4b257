"""Time preparation letters (WeasyPrint PDFs) for demo people on a fresh, temporary SQLite database, and
print markdown table rows for docs/performance.md. Exits 1 when the batch is under its budget.

    .venv/bin/python bench/letters_bench.py [--people 200] [--budget 20] [--repeat 3] [--header]
    .venv/bin/python bench/letters_bench.py --samples docs/samples   # also write the sample letters

What is timed, after seeding --people demo people (seed-demo) and a warm-up letter:
- making the packs: a care planning round per person, information gathering marked done, and the pack
  built from their stored results (one transaction and audit row each);
- (a) all the letters as ONE batch PDF, as "Print all queued letters" makes it (one process per core),
  --repeat times, reporting the median (other work on a shared machine makes single runs noisy);
- the same batch in one process (what one core does);
- (b) the letters one by one, one PDF each, in one process (as staff download them).
Letters/s is wall-clock time. The CPU time of this process is printed too: on a shared machine the
wall-clock figures drop when other work is running.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_bench import machine  # bench/ is not a package: import its sibling by path


def seed(people: int, env: dict[str, str]) -> None:
    ourplan = str(Path(sys.executable).with_name("ourplan"))
    subprocess.run([ourplan, "migrate", "-v0", "--skip-checks"], check=True, env=env)
    subprocess.run([ourplan, "seed-demo", "--people", str(people), "--seed", "1", "--allow-without-debug", "-v0",
                    "--skip-checks"], check=True, env=env)


T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    """fn's result, wall-clock seconds and this process's CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def page_count(data: bytes, directory: str) -> int:
    path = Path(directory) / "batch.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def write_samples(folder: Path, pack: object) -> None:
    """The demo person's letter, standard and large print: PDF and page 1 as PNG (pdftoppm, 80 dpi)."""
    from ourplan.preparation import letters

    folder.mkdir(parents=True, exist_ok=True)
    for name, large in (("standard", False), ("large-print", True)):
        path = folder / f"preparation-letter-{name}.pdf"
        path.write_bytes(letters.letter_pdf(pack, large_print=large))  # type: ignore[arg-type]
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(path),
                        str(path.with_suffix(""))], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--budget", type=float, default=20.0, help="letters a second for the batch")
    parser.add_argument("--repeat", type=int, default=3, help="batch runs; the median is reported")
    parser.add_argument("--samples", help="write sample letters (the demo person, Margaret) to this folder")
    parser.add_argument("--header", action="store_true", help="print the table header first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ourplan-letters-bench-") as data_dir:
        env = {**os.environ, "OURPLAN_DATA_DIR": data_dir, "OURPLAN_DEBUG": "1", "OURPLAN_LOG_LEVEL": "ERROR"}
        env.pop("DATABASE_URL", None)  # always the embedded SQLite database
        seed(args.people, env)
        os.environ.update({k: env[k] for k in ("OURPLAN_DATA_DIR", "OURPLAN_DEBUG", "OURPLAN_LOG_LEVEL")})
        os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ourplan.settings")
        import django

        django.setup()
        return run(args, data_dir)


def run(args: argparse.Namespace, data_dir: str) -> int:
    from ourplan.core.models import User
    from ourplan.documents import pdf
    from ourplan.people.models import Person
    from ourplan.preparation import letters
    from ourplan.preparation.actions import do_make_pack
    from ourplan.recall.cycle import do_mark_stage, do_start_cycle

    user = User.objects.get(username="clinician")
    people = list(Person.objects.select_related("practice", "user").order_by("pk"))
    started = time.perf_counter()
    packs = []
    for person in people:
        cycle = do_start_cycle(user, person)
        do_mark_stage(user, cycle, "information_gathered")
        packs.append(do_make_pack(user, cycle))
    pack_seconds = time.perf_counter() - started
    results = sum(len(p.content["results"]) for p in packs)
    large = sum(1 for p in packs if p.large_print)

    letters.letter_pdf(packs[0])  # warm-up: fonts, stylesheets, templates
    workers = pdf.workers_available()

    runs = []
    for _ in range(max(1, args.repeat)):
        (batch, pages), wall, cpu = timed(lambda: letters.batch_pdf(packs))
        runs.append((wall, cpu))
    counted = page_count(batch, data_dir)
    if args.samples:
        demo_person = next(p for p in packs if p.person.user and p.person.user.username == "person")
        write_samples(Path(args.samples), demo_person)
    os.environ["OURPLAN_PDF_WORKERS"] = "1"
    _, *serial = timed(lambda: letters.batch_pdf(packs))
    del os.environ["OURPLAN_PDF_WORKERS"]
    _, *single = timed(lambda: [letters.letter_pdf(p) for p in packs])
    timings = {"batch": sorted(runs)[len(runs) // 2], "serial": tuple(serial), "single": tuple(single)}

    n = len(packs)
    rate = {k: n / wall for k, (wall, _) in timings.items()}
    today = datetime.now(UTC).date().isoformat()
    where = f"{today} | {machine()} |"
    command = f"`python bench/letters_bench.py --people {args.people}`"
    scale = f"{n} demo people, {results} results, {large} large print, {counted} pages"
    if args.header:
        print("| What | Budget | Measured | Command | Date | Machine |")
        print("|---|---|---|---|---|---|")
    print(f"| Make {n} preparation packs (round, stage, pack from stored results, audit) | - "
          f"| {pack_seconds:.1f} s ({n / pack_seconds:.0f} packs/s) | {command} | {where}")
    spread = ", ".join(f"{n / wall:.1f}" for wall, _ in runs)
    print(f"| (a) {n} preparation letters as one batch PDF, {workers} processes ({scale}) | >= {args.budget:.0f} "
          f"letters/s | {rate['batch']:.1f} letters/s ({timings['batch'][0]:.1f} s; median of {spread}) "
          f"| {command} | {where}")
    print(f"| {n} letters as one batch PDF, one process | - | {rate['serial']:.1f} letters/s "
          f"({timings['serial'][0]:.1f} s, CPU {timings['serial'][1]:.1f} s) | {command} | {where}")
    print(f"| (b) {n} letters one by one, a PDF each, one process | - | {rate['single']:.1f} letters/s "
          f"({timings['single'][0]:.1f} s, CPU {timings['single'][1]:.1f} s) | {command} | {where}")
    if counted != pages:
        print(f"Page count mismatch: rendered {pages}, pdfinfo says {counted}", file=sys.stderr)
        return 1
    return 0 if rate["batch"] >= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
