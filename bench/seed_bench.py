"""Time `ourplan seed-demo` on a fresh, temporary SQLite database and print a markdown table row for
docs/performance.md. Exits 1 when the run is over budget, so CI can use it as a check.

    .venv/bin/python bench/seed_bench.py [--people 10000] [--budget 120] [--header]
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def machine() -> str:
    model = platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds")
    parser.add_argument("--header", action="store_true", help="print the table header first")
    args = parser.parse_args()
    # The console script sits next to the interpreter in the virtualenv.
    ourplan = str(Path(sys.executable).with_name("ourplan"))
    command = [ourplan, "seed-demo", "--people", str(args.people), "--seed", str(args.seed)]
    with tempfile.TemporaryDirectory(prefix="ourplan-bench-") as data_dir:
        env = {**os.environ, "OURPLAN_DATA_DIR": data_dir, "OURPLAN_DEBUG": "1"}
        env.pop("DATABASE_URL", None)  # always the embedded SQLite database
        subprocess.run([ourplan, "migrate", "-v0"], check=True, env=env)
        started = time.perf_counter()
        subprocess.run([*command, "-v0"], check=True, env=env)
        elapsed = time.perf_counter() - started
    if args.header:
        print("| What | Budget | Measured | Command | Date | Machine |")
        print("|---|---|---|---|---|---|")
    shown = " ".join(["ourplan", *command[1:]])
    print(
        f"| Seed {args.people:,} demo people into a fresh SQLite database | < {args.budget:.0f} s "
        f"| {elapsed:.1f} s | `{shown}` | {datetime.now(UTC).date().isoformat()} | {machine()} |"
    )
    return 0 if elapsed <= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
