"""`ourplan import-fhir PATH...`: the command line for ourplan.imports.fhir. (The module name has a hyphen
on purpose: Django names a command after its file, and the project's commands are spelt with hyphens.)"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ourplan.core.errors import ActionError
from ourplan.imports.fhir import expand_paths, import_fhir


class Command(BaseCommand):
    help = (
        "Import FHIR R4 resources (JSON or XML; single resources or Bundles) of type Patient, Organization, "
        "Practitioner, PractitionerRole, RelatedPerson, Condition and Observation. Other types are refused "
        "with the reason. Prints one line per resource (created, updated, unchanged, refused or error, with "
        "the reason) and a summary. Running it again on the same files creates nothing new. "
        "Exit status: 0 when anything was imported or was already there, even if some resources were "
        "refused or had errors (they are listed; fix them and run again); 1 only when input could not be "
        "read at all (a missing or unparsable file) and nothing was imported, or when --practice names an "
        "unknown practice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="FHIR files, or folders of .json/.xml files")
        parser.add_argument(
            "--practice", metavar="ODS",
            help="register imported people who have no generalPractitioner (and no practice yet) at the "
                 "practice with this ODS code. Without a practice no member of staff can see a person",
        )
        parser.add_argument("--dry-run", action="store_true",
                            help="check and report everything, then roll back: nothing is saved")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = import_fhir(expand_paths(options["paths"]), practice_ods=options["practice"],
                                 dry_run=options["dry_run"], label="import-fhir (command line)")
        except ActionError as exc:
            raise CommandError(exc.message) from exc
        for item in report.items:
            self.stdout.write(item.line())
        self.stdout.write(f"Summary: {report.summary('resources')}")
        if report.exit_code:
            raise CommandError("Nothing was imported: the input could not be read", returncode=report.exit_code)
