"""`ourplan import-fhir PATH...`: the command line for ourplan.imports.fhir, and for the queue of resources
held until their person is imported (ourplan.imports.fhir_held). (The module name has a hyphen on purpose:
Django names a command after its file, and the project's commands are spelt with hyphens.)"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ourplan.core.errors import ActionError
from ourplan.core.models import User
from ourplan.imports.fhir import expand_paths, import_fhir
from ourplan.imports.fhir_held import discard_held, retry_held, waiting_queue
from ourplan.imports.report import Outcome

LABEL = "import-fhir (command line)"


class Command(BaseCommand):
    help = (
        "Import FHIR R4 resources (JSON or XML; single resources or Bundles) of type Patient, Organization, "
        "Practitioner, PractitionerRole, RelatedPerson, Condition and Observation. Other types are refused "
        "with the reason. Prints one line per resource (created, updated, unchanged, refused, error or held, "
        "with the reason) and a summary. A condition, result or related person whose patient is not in "
        "Ourplan yet is held, and attached when that patient is imported (every run tries the held ones "
        "again). Running it again on the same files creates nothing new. "
        "Exit status: 0 when anything was imported, held or was already there, even if some resources were "
        "refused or had errors (they are listed; fix them and run again); 1 only when input could not be "
        "read at all (a missing or unparsable file) and nothing was imported, or when --practice names an "
        "unknown practice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", metavar="PATH", help="FHIR files, or folders of .json/.xml files")
        parser.add_argument(
            "--practice", metavar="ODS",
            help="register imported people who have no generalPractitioner (and no practice yet) at the "
                 "practice with this ODS code. Without a practice no member of staff can see a person",
        )
        parser.add_argument("--dry-run", action="store_true",
                            help="check and report everything, then roll back: nothing is saved")
        queue = parser.add_argument_group("held resources (waiting for their patient to be imported)")
        queue.add_argument("--held", action="store_true", help="list the held resources and stop")
        queue.add_argument("--retry-held", action="store_true",
                           help="attach the held resources whose patient is now in Ourplan (for example "
                                "registered by hand or by import-csv), without importing files")
        queue.add_argument("--discard-held", metavar="ID",
                           help="take the held resource with this id (from --held) out of the queue; needs --note")
        queue.add_argument("--note", default="", help="why it is discarded (kept with it, and audited)")
        queue.add_argument("--by", metavar="USERNAME", help="the Ourplan user discarding it (recorded as such)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["held"]:
            self._list_held()
        elif options["discard_held"]:
            self._discard(options["discard_held"], options["note"], options["by"])
        elif options["retry_held"]:
            report = retry_held(label=LABEL)
            for item in report.items:
                self.stdout.write(item.line())
            counts = report.counts
            self.stdout.write(f"Summary: {counts[Outcome.ATTACHED]} attached, {counts[Outcome.ERROR]} could not "
                              f"be attached, {report.still_held} still held")
        elif not options["paths"]:
            raise CommandError("Give at least one FHIR file or folder to import (or --held)")
        else:
            self._import(options)

    def _import(self, options: dict[str, Any]) -> None:
        try:
            report = import_fhir(expand_paths(options["paths"]), practice_ods=options["practice"],
                                 dry_run=options["dry_run"], label=LABEL)
        except ActionError as exc:
            raise CommandError(exc.message) from exc
        for item in report.items:
            self.stdout.write(item.line())
        self.stdout.write(f"Summary: {report.summary('resources')}")
        if report.exit_code:
            raise CommandError("Nothing was imported: the input could not be read", returncode=report.exit_code)

    def _list_held(self) -> None:
        held = list(waiting_queue())
        self.stdout.write(f"{len(held)} held resource{'s' if len(held) != 1 else ''} waiting for their patient"
                          + (":" if held else ""))
        for item in held:
            self.stdout.write(
                f"{item.public_id}  {item.resource_type}/{item.resource_id or item.full_url or item.source_id}"
                f"  held {timezone.localtime(item.held_at):%Y-%m-%d}  waiting for {item.waiting_for_text}"
                f"  ({item.source_file.rsplit('/', 1)[-1]}{' ' + item.location if item.location else ''})"
            )
            self.stdout.write(f"    {item.reason}")

    def _discard(self, public_id: str, note: str, username: str | None) -> None:
        actor = None
        if username:
            actor = User.objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(f"No active Ourplan user is called {username}")
        try:
            held = discard_held(public_id, note, actor=actor, label=LABEL)
        except ActionError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Discarded {held.resource_type}/{held.resource_id or held.source_id} "
                          f"(was waiting for {held.waiting_for_text}): {held.resolution_note}")
