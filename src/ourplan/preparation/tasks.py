"""Background jobs (django-tasks; the worker is `ourplan db_worker`). The work is in preparation.jobs, so it
can be tested, and re-run, without a worker."""

from __future__ import annotations

from django_tasks import task

from ourplan.preparation import jobs


@task()
def run_preparation_job(job_id: str) -> dict[str, int]:
    """Make and send packs, or print letters, for one BatchJob (by public id)."""
    return jobs.run_job(job_id)
