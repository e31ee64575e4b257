"""`ourplan import-services PATH...`: directory entries from CSV (docs/services-directory.md) or FHIR
HealthcareService XML/JSON (a resource or a Bundle)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ourplan.core.errors import ActionError
from ourplan.support.services_import import ImportReport, import_path


class Command(BaseCommand):
    help = ("Import community services from CSV (.csv) or FHIR HealthcareService (.xml, .json) files. Prints "
            "one line per row or resource (created, updated or error with the reason); good rows are kept and "
            "importing the same file again creates no duplicates.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")

    def handle(self, *args: Any, **options: Any) -> None:
        report = ImportReport()
        for path in options["paths"]:
            try:
                import_path(path, None, report)
            except (ActionError, OSError) as exc:
                raise CommandError(getattr(exc, "message", str(exc))) from exc
        for line in report.lines:
            self.stdout.write(line.line())
        self.stdout.write(f"Summary: {report.summary}")
