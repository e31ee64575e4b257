"""`ourplan review-tasks`: make the review tasks due from plans' review dates (run daily, e.g. from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ourplan.coordination.actions import create_due_review_tasks


class Command(BaseCommand):
    help = "Create a review task for every current plan with a review date and no open review task."

    def handle(self, *args: Any, **options: Any) -> None:
        made = create_due_review_tasks()
        self.stdout.write(f"{made} review task{'s' if made != 1 else ''} created")
