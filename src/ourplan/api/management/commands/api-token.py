"""`ourplan api-token`: issue a bearer token for the FHIR API and print it once. (A hyphenated module name
on purpose: Django names a command after its file, and the project's commands are spelt with hyphens.)"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ourplan.api.tokens import issue
from ourplan.core.errors import ActionError
from ourplan.core.models import User
from ourplan.imports.records import organisation_by_ods
from ourplan.people import nhs_number
from ourplan.people.models import Person


class Command(BaseCommand):
    help = (
        "Issue a FHIR API bearer token with SMART v2 scopes and print it once (only its SHA-256 is stored). "
        "patient/ scopes are bound to the user's own record, or to the person who shares theirs (--patient "
        "when there are several); user/ scopes see what the user sees on the website; system/ scopes are for "
        "a backend client and see the people registered at --organisation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="Username the token acts for (patient/ and user/ scopes)")
        parser.add_argument("--organisation", help="ODS code, for system/ scopes")
        parser.add_argument("--patient", help="NHS number or public id of the person, for patient/ scopes")
        parser.add_argument("--scope", default="user/*.rs", help='Space-separated scopes (default "user/*.rs")')
        parser.add_argument("--days", type=int, default=30, help="Days until it expires (default 30, max 366)")
        parser.add_argument("--name", default="", help="What uses it, shown in the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']}")
        organisation = None
        if options["organisation"]:
            organisation = organisation_by_ods(options["organisation"])
            if organisation is None:
                raise CommandError(f"No organisation with ODS code {options['organisation']}")
        patient = None
        if options["patient"]:
            wanted = options["patient"].strip()
            patient = (Person.objects.filter(nhs_number=nhs_number.normalise(wanted)).first()
                       or (Person.objects.filter(public_id=wanted).first() if len(wanted) == 36 else None))
            if patient is None:
                raise CommandError("No person with that NHS number or id")
        name = options["name"] or (f"token for {user.username}" if user else f"system client {options['organisation']}")
        try:
            issued = issue(name=name, scopes=options["scope"], days=options["days"], user=user,
                           organisation=organisation, patient=patient)
        except ActionError as exc:
            raise CommandError(exc.message) from exc
        token = issued.token
        self.stderr.write(f"Token {token.public_id} ({token.scopes}), expires {token.expires_at:%Y-%m-%d %H:%M}. "
                          "It is shown once; store it now:")
        self.stdout.write(issued.value)
