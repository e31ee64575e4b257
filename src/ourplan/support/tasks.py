"""Background jobs (django-tasks; the worker is `ourplan db_worker`). Run daily: the work is in
support.checkins, so it can be tested, and re-run, without a worker."""

from __future__ import annotations

from datetime import date

from django_tasks import task

from ourplan.support.checkins import send_due_checkin_reminders


@task()
def send_checkin_reminders(today: str = "") -> int:
    """Queue reminders for goal check-ins due on or before `today` (ISO date; blank: today)."""
    return send_due_checkin_reminders(date.fromisoformat(today) if today else None)
