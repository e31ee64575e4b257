"""`ourplan api-client`: register a backend service for the OAuth2 client credentials grant, printing its
client id and secret once (only the secret's SHA-256 is stored), or deactivate one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ourplan.api.clients import DEFAULT_MINUTES, register
from ourplan.api.models import ApiClient
from ourplan.core.errors import ActionError
from ourplan.imports.records import organisation_by_ods


class Command(BaseCommand):
    help = (
        "Register a backend client of the FHIR API (SMART Backend Services, client credentials). It gets "
        "short-lived tokens from POST /fhir/R4/auth/token with system/ scopes within --scope, and sees the "
        "people registered at --organisation. The secret is printed once. --deactivate CLIENT_ID stops a "
        "client and every token it holds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="ODS code of the organisation the client acts for")
        parser.add_argument("--scope", default="system/*.rs", help='system/ scopes it may ask for (default '
                            '"system/*.rs")')
        parser.add_argument("--name", default="", help="What the client is, shown in the audit trail")
        parser.add_argument("--minutes", type=int, default=DEFAULT_MINUTES,
                            help=f"Lifetime of each access token (default {DEFAULT_MINUTES}, max 60)")
        parser.add_argument("--deactivate", metavar="CLIENT_ID", help="Deactivate this client instead")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["deactivate"]:
            changed = ApiClient.objects.filter(client_id=options["deactivate"]).update(active=False)
            if not changed:
                raise CommandError(f"No client {options['deactivate']}")
            self.stderr.write(f"Client {options['deactivate']} deactivated; its tokens no longer work.")
            return
        if not options["organisation"]:
            raise CommandError("--organisation (ODS code) is required")
        organisation = organisation_by_ods(options["organisation"])
        if organisation is None:
            raise CommandError(f"No organisation with ODS code {options['organisation']}")
        try:
            done = register(organisation=organisation, scopes=options["scope"], minutes=options["minutes"],
                            name=options["name"] or f"backend client {organisation.ods_code}")
        except ActionError as exc:
            raise CommandError(exc.message) from exc
        client = done.client
        self.stderr.write(f"Client for {organisation.name} ({client.scopes}), tokens last {client.token_minutes} "
                          "minutes. The secret is shown once; store it now:")
        self.stdout.write(f"client_id={client.client_id}")
        self.stdout.write(f"client_secret={done.secret}")
