"""`ourplan import-csv PATH...`: the command line for ourplan.imports.csv_people (format and accepted codes:
docs/csv-import.md). It lives beside import-fhir so both importers' commands are in one place."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ourplan.core.errors import ActionError
from ourplan.imports.csv_people import code_table_markdown, import_csv


class Command(BaseCommand):
    help = (
        "Import people, conditions and results from CSV files in the format of docs/csv-import.md. Prints "
        "one line per row (created, updated, unchanged or error, with the row number and the reason) and a "
        "summary. Good rows are kept when others are bad; running it again on the same file creates nothing "
        "new. Exit status: 0 when anything was imported or was already there, even if some rows had errors "
        "(they are listed; fix them and run again); 1 only when input could not be read at all (a missing "
        "file, or a header Ourplan does not recognise) and nothing was imported, or when --practice names "
        "an unknown practice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", metavar="PATH", help="CSV files")
        parser.add_argument(
            "--practice", metavar="ODS",
            help="register imported people with no practice_ods (and no practice yet) at the practice with "
                 "this ODS code. Without a practice no member of staff can see a person",
        )
        parser.add_argument("--dry-run", action="store_true",
                            help="check and report every row, then roll back: nothing is saved")
        parser.add_argument("--codes", action="store_true",
                            help="print the table of accepted codes (Markdown, as in docs/csv-import.md) and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["codes"]:
            self.stdout.write(code_table_markdown(), ending="")
            return
        if not options["paths"]:
            raise CommandError("Give at least one CSV file to import (or --codes)")
        try:
            report = import_csv(options["paths"], practice_ods=options["practice"], dry_run=options["dry_run"],
                                label="import-csv (command line)")
        except ActionError as exc:
            raise CommandError(exc.message) from exc
        for item in report.items:
            self.stdout.write(item.line())
        self.stdout.write(f"Summary: {report.summary('rows')}")
        if report.exit_code:
            raise CommandError("Nothing was imported: the input could not be read", returncode=report.exit_code)
