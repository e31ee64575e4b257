"""Background jobs (django-tasks; run `ourplan db_worker`)."""

from __future__ import annotations

from django_tasks import task

from ourplan.messaging.api import send_queued


@task()
def send_queued_messages() -> dict[str, int]:
    return send_queued()
