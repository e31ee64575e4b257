"""`ourplan seed-services`: the demo community services directory (deterministic; safe to run again)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ourplan.support.demo_services import seed_services


class Command(BaseCommand):
    help = "Create or update the synthetic demo services around the demo practice (postcode area RV)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = seed_services()
        self.stdout.write(f"Demo services: {counts['created']} created, {counts['updated']} updated")
