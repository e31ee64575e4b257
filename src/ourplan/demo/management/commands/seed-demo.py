"""`ourplan seed-demo --people N --seed S [--reset]`: a demo GP practice with synthetic people.

The module name has a hyphen on purpose: Django lists commands with pkgutil.iter_modules and loads them
with importlib.import_module, and both accept "seed-demo" (only the `import` statement would not). The
work is done in ourplan.demo.seed; this file only parses options and prints."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ourplan.clinical.terminology import REGISTERS
from ourplan.demo.featured import PARTNER_LOGINS, PARTNER_ORGANISATIONS, STAFF_LOGINS
from ourplan.demo.practice import DemoConflict
from ourplan.demo.seed import DemoExists, SeedResult, seed_demo


class Command(BaseCommand):
    help = "Create a demo GP practice with synthetic people, conditions and results (local demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, default=1000, help="How many people (default 1000)")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same data")
        parser.add_argument("--reset", action="store_true", help="Delete existing demo data first")
        parser.add_argument(
            "--today", type=date.fromisoformat, default=None,
            help="Date the results lead up to (YYYY-MM-DD; default today), for identical data on any day",
        )
        parser.add_argument(
            "--allow-without-debug", action="store_true",
            help="Seed even though DEBUG is off. The demo logins have a known password: never in production",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError(
                "seed-demo creates logins with a known password, so it only runs with OURPLAN_DEBUG=1 "
                "(or --allow-without-debug, for a test database)."
            )
        if options["people"] < 1:
            raise CommandError("--people must be at least 1 (the first person is the demo `person` login)")
        progress = self.stdout.write if options["verbosity"] >= 2 else None
        try:
            result = seed_demo(
                options["people"], options["seed"], reset=options["reset"], today=options["today"],
                progress=progress,
            )
        except (DemoExists, DemoConflict) as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 1:
            self._report(result)

    def _report(self, result: SeedResult) -> None:
        out = self.stdout.write
        practice = result.practice
        out(
            f"Seeded {result.people:,} people at {practice.name} ({practice.ods_code}) in {result.seconds:.1f} s: "
            f"{result.conditions:,} conditions, {result.observations:,} results."
        )
        out(f"{'Register':<36} {'People':>7} {'Prevalence':>10}")
        for key, register in REGISTERS.items():
            n = result.register_people.get(key, 0)
            out(f"{register.display:<36} {n:>7,} {100 * n / result.people:>9.1f}%")
        password = settings.OURPLAN_DEMO_PASSWORD
        out("")
        out("Demo logins at http://127.0.0.1:8000/")
        out(f"{'Username':<13} {'Password':<13} Role")
        for staff in STAFF_LOGINS:
            out(f"{staff.username:<13} {password:<13} {staff.job_title} (role {staff.role})")
        out(f"{'person':<13} {password:<13} Person: Margaret Thompson (diabetes, high blood pressure, asthma, "
            "depression)")
        out(f"{'carer':<13} {password:<13} Carer: Sarah Thompson, Margaret's daughter (consent in force)")
        for key, partner in PARTNER_LOGINS.items():
            where = PARTNER_ORGANISATIONS[key]["name"]
            team = "in no one's care team: try Emergency access" if key == "emergency" else "in Margaret's care team"
            out(f"{partner.username:<13} {password:<13} {partner.job_title}, {where} ({team})")
        out(f"{'commissioner':<13} {password:<13} Commissioner: dashboards across practices, aggregates only")
        if settings.OURPLAN_REQUIRE_STAFF_MFA:
            out("Staff logins will be asked to set up two-factor authentication; for a local demo run the "
                "server with OURPLAN_REQUIRE_STAFF_MFA=0.")
        out(self.style.WARNING(
            "This is synthetic data for a local demo: no person is real and every NHS number is in the 999 "
            "test range."
        ))
