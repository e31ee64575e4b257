"""`ourplan load-postcode-districts PATH`: replace the postcode district centroid table (columns district,
lat, lon; or the ONS headings pcd_district, latitude, longitude)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ourplan.core.errors import ActionError
from ourplan.support.postcodes import load_districts


class Command(BaseCommand):
    help = "Load postcode district centroids (ONS/OS) used to sort services by distance. Replaces the table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="PATH")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = load_districts(options["path"])
        except (ActionError, OSError) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from exc
        self.stdout.write(f"Loaded {count} postcode districts")
