"""Background jobs of the API (django-tasks; the worker is `ourplan db_worker`). The work is in api.export,
so it can be tested, and re-run, without a worker."""

from __future__ import annotations

from django_tasks import task

from ourplan.api import export


@task()
def run_export(job_id: str) -> dict[str, int]:
    """Write the NDJSON files of one bulk $export (ExportJob, by public id)."""
    return export.run_job(job_id)
