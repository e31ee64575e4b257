"""`ourplan fhir-openapi`: print the OpenAPI description of the FHIR API (generated from the resource table),
for docs/fhir-openapi.json. The server also serves it at /fhir/R4/openapi.json with its own base URL."""

from __future__ import annotations

from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandParser

from ourplan.api.openapi import document


class Command(BaseCommand):
    help = "Print the OpenAPI 3 description of the FHIR API (JSON) for docs/fhir-openapi.json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000/fhir/R4/",
                            help="The server URL written into the description (default: the local demo)")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(orjson.dumps(document(options["base_url"]), option=orjson.OPT_INDENT_2).decode())
